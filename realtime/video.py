"""Classify recorded videos: ``python -m realtime.video --help``.

Every frame in order (no drops) goes through the live pipeline: pose -> COCO-17 -> window at
the checkpoint's fps -> training features -> model -> decision. Output: a timeline of
predictions per video (``label`` = the steady label shown live, ``raw_label`` = the model's
arg-max) and a clip label: "no action" when most of the clip was, else the class shown most
often (ties: the higher mean probability). The first prediction comes once the window holds
the checkpoint's first-label wait (about 2 s); a shorter video gets one at its end.

One video's pipeline is :mod:`realtime.video_pipeline`, several processes :mod:`realtime.video_jobs`;
this module is the command: which videos, where the results go, what is printed.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
from pathlib import Path

from realtime.pose import (POSE_LAYOUT, add_pose_threads_argument, check_pose_model, check_pose_options,
                           chosen_pose_threads, quiet_native_libraries)
from realtime.segments import format_segments
from realtime.shards import merge_result_files, select_shard, shard_option
from realtime.source_names import distinct_stems, resolve_video_files, without_repeats
from realtime.video_jobs import VideoJob, run_jobs
from realtime.video_pipeline import VideoResult
from training.checkpoint import add_checkpoint_argument, load_checkpoint, resolve_checkpoint
from training.cli_types import ArgumentParser, number, output_file, path_text, path_value, positive
from training.decision import add_decision_arguments
from training.device import add_device_argument, resolve_device
from training.errors import UserError, run_cli
from training.outputs import (atomic_path, check_output_dir, check_output_file, check_outputs_apart,
                              name_max, publish_or_rescue, sha256, write_text_atomic)

EXAMPLES = """examples:
  python -m realtime.video clip.mp4
  python -m realtime.video videos/ --json results.json --csv results.csv --save-dir annotated/
  python -m realtime.video 'clips/*.avi' --checkpoint runs/latest/model.pt --every 1
  python -m realtime.video videos/ --workers 2 --json results.json          # 2 processes, same results
  python -m realtime.video videos/ --shard 0/4 --json part-0.json           # part 0 of 4 (any scheduler)
  python -m realtime.video --merge part-*.json --json results.json          # join the parts
  python -m realtime.video gym.mp4 --max-people 4 --json gym.json --save-dir annotated/   # everyone, with ids
"""

ANNOTATED_SUFFIX = "_annotated.mp4"


def without_own_outputs(found: list[str], save_dir: Path | None) -> list[str]:
    """The videos a folder or a glob found, less the annotated copies an earlier run wrote into
    ``save_dir`` inside it (``realtime.video videos/ --save-dir videos/annotated/`` run twice read
    its own copies as inputs: refused even with --overwrite, or annotated once more)."""
    if save_dir is None:
        return found
    own = Path(os.path.realpath(save_dir))
    return [v for v in found if not (Path(os.path.realpath(v)).is_relative_to(own) and v.endswith(ANNOTATED_SUFFIX))]


def annotated_names(videos: list[str], save_dir: Path) -> dict[str, Path]:
    """Each video's annotated copy in ``save_dir``: ``<stem>_annotated.mp4``, or with its parent
    folders' names prefixed when two videos share a file name (nothing is written twice). A name
    longer than the file system takes (a 250-byte video name is legal, its copy's name is not) is
    cut, and a short hash of the whole name keeps cut names apart."""
    stems = distinct_stems(videos, limit=name_max(save_dir) - len(os.fsencode(ANNOTATED_SUFFIX)))
    return {video: save_dir / (stem + ANNOTATED_SUFFIX) for video, stem in stems.items()}


def write_result_files(json_path: Path | None, csv_path: Path | None, report: dict, results: list[VideoResult],
                       overwrite: bool) -> None:
    """Write ``--json`` (the report) and ``--csv`` (the timelines of ``results``) and say where.

    When they cannot be written where asked (the folder was removed or the disk filled up during
    hours of classification), both go to a new folder of the system's temporary directory and the
    error says where, so the work is not lost.
    """
    if json_path is None and csv_path is None:
        return
    written: list[Path] = []

    def write_into(json_file: Path | None, csv_file: Path | None, replace: bool) -> None:
        if json_file is not None:
            written.append(write_text_atomic(json_file, json.dumps(report, indent=2, allow_nan=False), replace=replace))
        if csv_file is not None:
            writer = atomic_path(csv_file, replace=replace)
            with writer as tmp:
                write_csv(tmp, results, report["classes"])
            written.append(writer.final)

    publish_or_rescue(lambda: write_into(json_path, csv_path, overwrite),
                      lambda folder: write_into(json_path and folder / json_path.name,
                                                csv_path and folder / csv_path.name, True),
                      " and ".join(f"'{p}'" for p in (json_path, csv_path) if p is not None),
                      "The results were", "video-results-rescued-")
    for path in written:
        print(f"wrote {path}")


def write_csv(path: Path, results: list[VideoResult], classes: list[str]) -> None:
    """One row per prediction, then one clip-level row per video (time left empty).

    Columns: video, time, label (steady), probability, raw_label, raw_probability, reason,
    background, window_frames, then the raw probability of every class (p_<class>).
    """
    with path.open("w", newline="", encoding="utf-8", errors="surrogateescape") as f:   # a file name's own bytes
        writer = csv.writer(f)
        writer.writerow(["video", "time", "label", "probability", "raw_label", "raw_probability", "reason",
                         "background", "window_frames", *[f"p_{c}" for c in classes]])
        for r in results:
            for t in r.timeline:
                writer.writerow([r.path, t["time"], t["label"], f"{t['probability']:.4f}", t["raw_label"],
                                 f"{t['raw_probability']:.4f}", t["reason"], f"{t['background']:.4f}",
                                 t["window_frames"], *[f"{p:.4f}" for p in t["probabilities"]]])
        for r in results:
            writer.writerow([r.path, "", r.label, f"{r.probability:.4f}", r.raw_label, "", "", "", "",
                             *[f"{r.mean_probabilities[c]:.4f}" if c in r.mean_probabilities else "" for c in classes]])


def build_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog="python -m realtime.video", description=__doc__, epilog=EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", help="video files, folders or globs (with --merge: the parts' JSON files)")
    add_checkpoint_argument(p)
    add_device_argument(p)
    p.add_argument("--save-dir", type=path_value, help="write annotated copies here (<name>_annotated.mp4)")
    p.add_argument("--json", type=output_file, help="write all results as JSON")
    p.add_argument("--csv", type=output_file, help="write the timelines as CSV")
    p.add_argument("--every", type=positive(int), help="run the model every N new window frames (default: 5 times a second)")
    p.add_argument("--top-k", type=positive(int), default=5, help="classes listed per prediction (default 5)")
    p.add_argument("--pose-model", type=path_text, help="MediaPipe Tasks .task file (default: the bundled model)")
    p.add_argument("--max-people", type=number(int, 1, 16), default=1,
                   help="follow up to N people, each with an id, window and label (default 1: MediaPipe's "
                        "single-person graph, the more accurate for one person); the JSON gets a 'people' list "
                        "per video")
    p.add_argument("--workers", type=number(int, 1, 64), default=1,
                   help="processes classifying videos side by side (this one and N-1 more), each with its own "
                        "pose model, longest video first (default 1; results are the same as with one)")
    add_pose_threads_argument(p, "with --workers N: the cores shared out among the N")
    p.add_argument("--shard", type=shard_option, metavar="i/N",
                   help="classify only part i of N (0..N-1) of the sorted video list, for a job array")
    p.add_argument("--merge", action="store_true",
                   help="join the --json files of several shards (the paths) into --json (and --csv)")
    p.add_argument("--overwrite", action="store_true", help="replace existing --json/--csv/annotated files")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--verbose", action="store_true", help="show MediaPipe/TFLite/OpenCV log lines")
    add_decision_arguments(p)
    return p


def merge_main(a: argparse.Namespace) -> int:
    """``--merge``: the shards' JSON files -> one --json (and --csv), videos sorted by path."""
    if not a.json:
        raise UserError("--merge writes the joined results to --json FILE; add it (and --csv FILE if wanted).")
    if a.save_dir or a.shard or a.workers > 1:
        raise UserError("--merge only joins result files; --save-dir, --shard and --workers do not apply.")
    check_output_file(a.json, "--json", a.overwrite)
    check_output_file(a.csv, "--csv", a.overwrite)
    check_outputs_apart([("--json", a.json), ("--csv", a.csv)], a.paths)
    merged = merge_result_files(a.paths)
    print(f"merged {len(a.paths)} file(s): {len(merged['videos'])} videos, {len(merged['failed'])} failed")
    if merged.get("missing_shards"):
        print(f"warning: shards {', '.join(merged['missing_shards'])} are missing")
    if merged["not_classified"]:
        print(f"warning: {len(merged['not_classified'])} video(s) were not classified (an interrupted part)")
    write_result_files(a.json, a.csv, merged, [VideoResult(**v) for v in merged["videos"]], a.overwrite)
    return 1 if merged["failed"] or merged.get("missing_shards") or merged["not_classified"] else 0


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    quiet_native_libraries(a.verbose)
    if a.merge:
        return merge_main(a)
    check_pose_options(a.pose_model, a.max_people)
    check_pose_model(a.pose_model)
    check_output_file(a.json, "--json", a.overwrite)
    check_output_file(a.csv, "--csv", a.overwrite)
    check_output_dir(a.save_dir, "--save-dir")
    checkpoint_path, why = resolve_checkpoint(a.checkpoint)
    print(f"model {checkpoint_path} ({why})", flush=True)
    ckpt = load_checkpoint(checkpoint_path, expected_layout=POSE_LAYOUT, device=resolve_device(a.device))
    decision = ckpt.decision_from(a)
    videos: list[str] = []
    failed: list[dict] = []
    for source in a.paths:
        try:
            found = resolve_video_files(source, "realtime.video")
        except UserError as exc:
            failed.append({"path": source, "error": str(exc)})
            continue
        if found != [str(Path(source).expanduser())]:     # a folder or a glob, not a file named by the user
            found = without_own_outputs(found, a.save_dir)
        videos += found
    videos, repeats = without_repeats(videos)
    if repeats:
        print(f"note: {repeats} video(s) given more than once are classified once")
    if a.shard:
        videos = select_shard(videos, a.shard)
        print(f"shard {a.shard[0]}/{a.shard[1]}: {len(videos)} video(s)")
    saves = annotated_names(videos, a.save_dir) if a.save_dir else {}
    for path in saves.values():
        check_output_file(path, "--save-dir", a.overwrite, suffixes=(".mp4",))
    check_outputs_apart([("--json", a.json), ("--csv", a.csv), *(("--save-dir", path) for path in saves.values())],
                        [*videos, checkpoint_path])
    workers = min(a.workers, max(1, len(videos)))
    pose_threads = chosen_pose_threads(a.pose_threads, workers)
    jobs = [VideoJob(video, str(checkpoint_path), a.device, a.every, decision, a.top_k, saves.get(video), a.overwrite,
                     a.pose_model, not a.no_progress and workers == 1, a.verbose, a.max_people, pose_threads)
            for video in videos]
    results: list[VideoResult] = []
    run = run_jobs(jobs, workers, ckpt, not a.no_progress)
    not_done = [job.video for job, outcome in zip(jobs, run.outcomes) if outcome is None]
    for job, outcome in zip(jobs, run.outcomes):
        if isinstance(outcome, str):
            failed.append({"path": job.video, "error": outcome})
        elif outcome is not None:
            results.append(outcome)
    if run.interrupted:
        print(f"interrupted: {len(results) + len(failed)} of {len(jobs)} videos finished; their results are "
              f"kept{' and written' if a.json or a.csv else ''}, {len(not_done)} not classified", flush=True)
    print(f"classes: {', '.join(ckpt.classes)}")
    print(f"{'video':<40} {'label':<22} {'prob':>6} {'frames':>7} {'person':>7} {'predictions':>11}")
    for r in results:
        print(f"{Path(r.path).name[:40]:<40} {r.label[:22]:<22} {r.probability:>6.1%} {r.frames:>7} "
              f"{r.frames_with_person:>7} {len(r.timeline):>11}")
        for line in [] if r.people else format_segments(r.segments, rest_hint=" (all of them in --json)"):
            print(f"  {line}")                   # more than one thing shown: what, from when to when
        for person in r.people or []:
            print(f"  {'person #' + str(person['id']):<38} {person['label'][:22]:<22} {person['probability']:>6.1%} "
                  f"{'':>7} {person['frames_seen']:>7} {len(person['timeline']):>11}")
    for f in failed:
        print(f"FAILED {f['path']}: {f['error']}")
    report = {"checkpoint": str(checkpoint_path), "checkpoint_sha256": sha256(checkpoint_path),
              "classes": ckpt.classes, "decision": decision.to_dict(),
              "shard": list(a.shard) if a.shard else None, "videos": [r.to_json() for r in results],
              "failed": failed, "interrupted": run.interrupted, "not_classified": not_done}
    write_result_files(a.json, a.csv, report, results, a.overwrite)
    if run.interrupted:
        raise SystemExit(143 if run.terminated else 130)
    unsaved = [r.path for r in results if r.path in saves and r.annotated is None]
    if unsaved:
        print(f"{len(unsaved)} annotated cop{'y was' if len(unsaved) == 1 else 'ies were'} not written (see the "
              "warnings); the labels above are complete")
    return 1 if failed or unsaved else 0


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
