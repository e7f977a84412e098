"""Classify recorded videos: ``python -m realtime.video --help``.

Every frame in order (no drops) goes through the live pipeline: pose -> COCO-17 -> window at
the checkpoint's fps -> training features -> model -> decision. Output: a timeline of
predictions per video (``label`` = the steady label shown live, ``raw_label`` = the model's
arg-max) and a clip label: "no action" when most of the clip was, else the class shown most
often (ties: the higher mean probability). The first prediction comes once the window holds
the checkpoint's first-label wait (about 2 s); a shorter video gets one at its end.
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import multiprocessing
import os
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from realtime.annotators import OverlayState, annotate, default_annotators
from realtime.people import PeopleRecognizer, crowd_overlay
from realtime.pose import (POSE_LAYOUT, add_pose_threads_argument, check_pose_model, check_pose_options,
                           chosen_pose_threads, make_pose_estimator, quiet_native_libraries)
from realtime.timeline import ClipTimeline
from realtime.pose_stage import PoseStage
from realtime.segments import format_segments
from realtime.shards import merge_result_files, select_shard, shard_option
from realtime.sources import (ThreadedCapture, cut_short, distinct_stems, frame_count_hint, resolve_video_files,
                              too_slow_to_follow, without_repeats)
from realtime.video_io import VideoSink
from training.checkpoint import LoadedCheckpoint, add_checkpoint_argument, load_checkpoint, resolve_checkpoint
from training.cli_types import number, output_file, path_text, path_value, positive
from training.decision import DecisionSpec, add_decision_arguments, decision_from_arguments
from training.device import add_device_argument, resolve_device
from training.errors import Terminated, UserError, raise_terminated_on_sigterm, run_cli
from training.outputs import (atomic_path, check_output_dir, check_output_file, check_outputs_apart,
                              name_max, publish_or_rescue, sha256, write_text_atomic)
from training.inference import torch_threads

EXAMPLES = """examples:
  python -m realtime.video clip.mp4
  python -m realtime.video videos/ --json results.json --csv results.csv --save-dir annotated/
  python -m realtime.video 'clips/*.avi' --checkpoint runs/latest/model.pt --every 1
  python -m realtime.video videos/ --workers 2 --json results.json          # 2 processes, same results
  python -m realtime.video videos/ --shard 0/4 --json part-0.json           # part 0 of 4 (any scheduler)
  python -m realtime.video --merge part-*.json --json results.json          # join the parts
  python -m realtime.video gym.mp4 --max-people 4 --json gym.json --save-dir annotated/   # everyone, with ids
"""

@dataclass
class VideoResult:
    """One video's outcome; ``timeline`` entries are :meth:`Prediction.to_json` dicts."""

    path: str
    label: str
    probability: float
    raw_label: str
    rejected_share: float
    frames: int
    frames_with_person: int
    fps: float
    timeline: list[dict] = field(default_factory=list)
    mean_probabilities: dict[str, float] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    annotated: str | None = None
    warnings: list[str] = field(default_factory=list)
    people: list[dict] | None = None      # with --max-people above 1: one entry per tracked person
    segments: list[dict] = field(default_factory=list)   # the shown label from when to when

    def to_json(self) -> dict:
        return dict(self.__dict__)


def classify_video(path: str, ckpt: LoadedCheckpoint, every: int | None = None, decision: DecisionSpec | None = None,
                   k: int = 5, save_path: Path | None = None, overwrite: bool = False,
                   pose_model: str | None = None, progress: bool = True, verbose: bool = False,
                   max_people: int = 1, pose_threads: int | None = None, pose_processes: int = 1) -> VideoResult:
    """Run the whole pipeline over one video file (see module docstring).

    The same capture and pose stages as the live loop, in lossless mode: decoding, pose and
    the rest run in three threads, every frame in order. With ``max_people`` above 1 every tracked
    person gets their own timeline (``people``); the top-level label is the person seen longest.
    """
    seconds = {"wait": 0.0, "window": 0.0, "overlay": 0.0}
    annotators = default_annotators(k) if save_path else []
    frames = with_person = 0
    many = max_people > 1

    with ThreadedCapture(path, realtime=False) as capture, torch_threads(1), \
            make_pose_estimator(pose_model, video=True, verbose=verbose, max_people=max_people,
                                threads=pose_threads, processes=pose_processes) as pose, \
            PoseStage(capture, pose) as stage:
        if many:
            crowd = PeopleRecognizer(ckpt, fps=capture.fps, every=every, decision=decision, k=k,
                                     source_fps=capture.fps)
            model_seconds = lambda: crowd.model_seconds   # noqa: E731
        else:
            clip = ClipTimeline(ckpt, every=every, decision=decision, k=k, source_fps=capture.fps)
            model_seconds = lambda: clip.recognizer.model_seconds   # noqa: E731
        sink = VideoSink(save_path, capture.fps, overwrite, flag="--save-dir") if save_path else None
        bar = tqdm(total=int(capture.frame_count_hint) or None, desc=Path(path).name, unit="frame", leave=False,
                   disable=not progress)
        try:
            while True:
                t0 = time.perf_counter()
                posed = stage.next(timeout=5.0)
                t1 = time.perf_counter()
                seconds["wait"] += t1 - t0
                if posed is None:
                    if stage.finished:
                        break
                    continue
                frame, found = posed.frame, posed.pose
                model_before = model_seconds()
                if many:
                    in_view = crowd.add(frame.timestamp_s, posed.people, frame.image)
                    state = crowd_overlay(in_view, ckpt.spec.window_frames) if sink is not None else None
                    with_person += bool(in_view)
                else:
                    clip.add(frame.timestamp_s, found.keypoints if found else None, found.scores if found else None)
                    recognizer = clip.recognizer
                    state = OverlayState(found.keypoints if found else None, found.scores if found else None,
                                         recognizer.latest, len(recognizer.window), ckpt.spec.window_frames)
                    with_person += found is not None
                t2 = time.perf_counter()
                seconds["window"] += (t2 - t1) - (model_seconds() - model_before)
                frames += 1
                if sink is not None:
                    sink.write(annotate(frame.image, state, annotators), frame.timestamp_s)
                    seconds["overlay"] += time.perf_counter() - t2
                bar.update()
            if many:
                people = crowd.finish()
                summary = people[0].summary if people else ClipTimeline(ckpt).finish()
            else:
                people, summary = None, clip.finish()
        except BaseException:
            if sink is not None:
                sink.close(keep=False)       # no half-annotated video under the final name
            raise
        finally:
            bar.close()
        annotated_error, annotated = None, None
        if sink is not None:
            try:
                annotated = sink.close(keep=not capture.error and frames > 0)
            except UserError as exc:          # the annotated copy failed (a full disk): the labels stand
                annotated_error = str(exc)
        if capture.error or frames == 0:
            raise UserError(f"Video '{path}': {capture.error or 'no frame could be decoded'}.")
        seconds |= {"decode": capture.decode_seconds, "pose": stage.pose_seconds, "model": model_seconds()}
        fps, expected = capture.fps, capture.frame_count_hint
    warnings = [f"annotated copy not written: {annotated_error}"] if annotated_error else []
    if short := cut_short(frames, expected):
        warnings.append(f"{short}; the result covers the readable part")
    wait_s = (decision or ckpt.decision).first_label_s
    if 0 < frames / fps < wait_s:
        warnings.append(f"it lasts {frames / fps:.2g} s, less than the {wait_s:g} s of poses the model waits for "
                        "before naming an action: its label comes from part of an action at most")
    if slow := too_slow_to_follow(fps, ckpt.spec.fps):
        warnings.append(slow)
    return VideoResult(path, summary.label, summary.probability, summary.raw_label, summary.rejected_share, frames,
                       with_person, fps, summary.timeline, summary.mean_probabilities,
                       {k: round(v, 4) for k, v in seconds.items()},
                       str(annotated) if annotated else None, warnings,
                       [p.to_json() for p in people] if people is not None else None, summary.segments)


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


@dataclass
class VideoJob:
    """Everything one worker process needs for one video (picklable)."""

    video: str
    checkpoint: str
    device: str
    every: int | None
    decision: DecisionSpec
    k: int
    save_path: Path | None
    overwrite: bool
    pose_model: str | None
    progress: bool
    verbose: bool
    max_people: int = 1
    pose_threads: int | None = None       # None: this process's share of the free cores
    pose_processes: int = 1               # pose models running side by side (the --workers)


def run_job(job: VideoJob) -> VideoResult | str:
    """Classify one video in a worker; a user-facing problem comes back as its message."""
    quiet_native_libraries(job.verbose)
    try:
        ckpt = load_checkpoint(job.checkpoint, expected_layout=POSE_LAYOUT, device=resolve_device(job.device))
    except UserError as exc:
        return str(exc)
    return classify_here(job, ckpt)


def classify_here(job: VideoJob, ckpt: LoadedCheckpoint) -> VideoResult | str:
    """Classify one video in this process with a loaded checkpoint; a user-facing problem comes back as its message."""
    try:
        return classify_video(job.video, ckpt, job.every, job.decision, job.k, job.save_path, job.overwrite,
                              job.pose_model, progress=job.progress, verbose=job.verbose, max_people=job.max_people,
                              pose_threads=job.pose_threads, pose_processes=job.pose_processes)
    except UserError as exc:
        return str(exc)


@dataclass
class JobOutcomes:
    """Each job's outcome in the jobs' order: a result, an error message, or None when the run was
    interrupted (Ctrl-C, SIGTERM) before that video was finished."""

    outcomes: list[VideoResult | str | None]
    interrupted: bool = False
    terminated: bool = False      # the interruption was SIGTERM (exit status 143 instead of 130)


def longest_first(videos: list[str]) -> list[int]:
    """Indices of ``videos`` by their header's frame count, longest first (ties and unknown
    lengths keep the input order; a video that says nothing goes last)."""
    counts = [frame_count_hint(video) for video in videos]
    return sorted(range(len(videos)), key=lambda i: -counts[i])


class JobQueue:
    """Job indices in the order they are to be taken, shared by this process's thread and the pool's."""

    def __init__(self, order: list[int]) -> None:
        self._order = list(order)
        self._lock = threading.Lock()

    def take(self) -> int | None:
        """The next job to start, None when all are taken or the queue was closed."""
        with self._lock:
            return self._order.pop(0) if self._order else None

    def give_back(self, index: int) -> None:
        """Put a job that could not be started back at the front."""
        with self._lock:
            self._order.insert(0, index)

    def close(self) -> None:
        """Hand out nothing more (an interrupted run)."""
        with self._lock:
            self._order.clear()


def for_workers(jobs: list[VideoJob], workers: int) -> list[VideoJob]:
    """The jobs, each told that ``workers`` pose models run side by side (each takes its share of
    the cores, so that together they never run more pose threads than there are cores)."""
    return [dataclasses.replace(job, pose_processes=workers) for job in jobs]


def run_jobs(jobs: list[VideoJob], workers: int, ckpt: LoadedCheckpoint, progress: bool) -> JobOutcomes:
    """Classify every job; an interrupt keeps the videos finished so far.

    One worker: in this process, with the loaded checkpoint. More: this process and N-1 spawned
    ones, each with its own pose model, longest video first; results collected in the input
    order, so the output is the same as with one worker.
    """
    jobs = for_workers(jobs, workers)
    done: dict[int, VideoResult | str] = {}
    interrupted = terminated = False
    if workers <= 1:
        try:
            for index, job in enumerate(tqdm(jobs, desc="videos", unit="video", disable=not progress or len(jobs) < 2)):
                done[index] = classify_here(job, ckpt)
                _report(job.video, done[index])
        except KeyboardInterrupt as stop:    # Ctrl-C or SIGTERM (training.errors.Terminated)
            interrupted, terminated = True, isinstance(stop, Terminated)
        return JobOutcomes([done.get(i) for i in range(len(jobs))], interrupted, terminated)
    # This process is one of the workers: it starts at once while the others start up. Every
    # process takes the longest video nobody has taken yet when it is free (longest first: no long
    # video is left for the end while the other workers idle); a spawned worker is handed its
    # next video when it finishes one, so none waits on another's queue.
    queue = JobQueue(longest_first([job.video for job in jobs]))
    pool = ProcessPoolExecutor(max_workers=workers - 1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=raise_terminated_on_sigterm)   # a scheduler's SIGTERM: like Ctrl-C
    pending: dict[int, Future] = {}         # videos handed to a spawned worker and not yet kept
    bar = tqdm(total=len(jobs), desc=f"videos ({workers} workers)", unit="video", disable=not progress)

    def hand_out(finished: Future | None = None) -> None:
        """Give a spawned worker its next video (at the start, and when it finished one cleanly)."""
        if finished is not None and (finished.cancelled() or finished.exception() is not None):
            return
        index = queue.take()
        if index is None:
            return
        try:
            future = pool.submit(run_job, jobs[index])
        except RuntimeError:                 # the pool is shutting down or broken: this process takes it
            queue.give_back(index)
            return
        pending[index] = future
        future.add_done_callback(hand_out)

    def keep(index: int, outcome: VideoResult | str) -> None:
        done[index] = outcome
        _report(jobs[index].video, outcome)
        bar.update()

    def collect_finished(stopping: bool = False) -> None:
        """Keep every video the spawned workers finished; a worker's failure (its Ctrl-C included)
        is raised here, unless ``stopping``."""
        for index, future in list(pending.items()):
            if not future.done() or future.cancelled() or (stopping and future.exception() is not None):
                continue
            keep(index, future.result())
            del pending[index]

    try:
        for _ in range(workers - 1):
            hand_out()
        while True:
            collect_finished()
            if len(done) == len(jobs):
                break
            index = queue.take()
            if index is not None:
                keep(index, classify_here(jobs[index], ckpt))
            elif pending:
                wait(list(pending.values()), return_when=FIRST_COMPLETED)
            else:
                time.sleep(0.01)             # a worker's next video is being handed out
    except KeyboardInterrupt as stop:        # the workers got the same Ctrl-C and stop their current video
        interrupted, terminated = True, isinstance(stop, Terminated)
    finally:
        queue.close()
        pool.shutdown(wait=True, cancel_futures=True)
        if interrupted:
            collect_finished(stopping=True)  # videos the workers finished while stopping are kept too
        bar.close()
    return JobOutcomes([done.get(i) for i in range(len(jobs))], interrupted, terminated)


def _report(video: str, outcome: VideoResult | str) -> None:
    if isinstance(outcome, str):
        tqdm.write(f"skipped {video}: {outcome}")
    else:
        for warning in outcome.warnings:
            tqdm.write(f"warning: {video}: {warning}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m realtime.video", description=__doc__, epilog=EXAMPLES,
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
    decision = decision_from_arguments(ckpt.decision, a)
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
