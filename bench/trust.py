"""Can the recogniser be trusted on real footage? ``python -m bench.trust --checkpoint X``.

One table, measured through exactly the code ``realtime.video`` runs (poses replayed from a
cache through :class:`realtime.timeline.ClipTimeline`):

* real people doing the checkpoint's classes (``videos/realworld/<class>/``): clip accuracy,
  timeline accuracy (share of predictions after the first second whose shown label is right),
  label changes per minute, and how many of these clips were called "no action";
* clips of actions outside Penn Action's classes: the share rejected (clip label not a class);
* a person standing still: a real squat clip followed by its first frame held for 6 s; the
  time from the start of the hold until the label is "no action" for good; and the same for
  every real in-class clip (a held picture of someone lying on a bench or hanging from a bar
  is harder for the pose model's tracking than one of someone standing);
* Penn Action leave-classes-out open-set AUROC (``--auroc``): the checkpoint's recipe trained on
  10 classes, the max class probability scoring validation clips of those 10 against every clip
  of the 5 held out (:data:`HELD_OUT`); beside it, the share of each kind that the recipe's own
  decision layer calls "no action" (whole clips, one model run each, as ``training.evaluate``).
"""
from __future__ import annotations

import argparse
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.pose_cache import PoseTrack, cached_track
from bench.result_files import add_result_file_argument, check_result_file, write_result_file
from realtime.source_names import resolve_video_files
from realtime.timeline import ClipTimeline
from training.checkpoint import LoadedCheckpoint, add_checkpoint_argument, load_checkpoint, resolve_checkpoint
from training.cli_types import ArgumentParser, non_negative
from training.decision import DecisionSpec, add_decision_arguments
from training.errors import UserError, run_cli
from training.inference import torch_threads

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OUT_OF_CLASS = ("v_ApplyEyeMakeup_g01_c01.avi", "v_Archery_g01_c01.avi", "v_Basketball_g01_c01.avi",
                "v_Shotput_g05_c02.avi", "ta_chi.mp4", "pose_1.mp4")
STILL_HOLD_S = 6.0
SETTLE_S = 1.0          # timeline accuracy ignores the first second (the window is still filling)
HELD_OUT = ("baseball_swing", "clean_and_jerk", "jumping_jacks", "situp", "tennis_forehand")  # every 3rd Penn class


@dataclass
class ClipOutcome:
    """One clip replayed through the timeline."""

    name: str
    truth: str | None
    label: str
    labels: list[str]
    times: list[float]
    duration_s: float

    @property
    def changes(self) -> int:
        return sum(a != b for a, b in zip(self.labels, self.labels[1:]))


@dataclass
class TrustReport:
    in_class: list[ClipOutcome] = field(default_factory=list)
    out_of_class: list[ClipOutcome] = field(default_factory=list)
    still_seconds: list[float] = field(default_factory=list)       # the squat clips held
    still_all_seconds: list[float] = field(default_factory=list)   # every in-class clip held
    auroc: list[float] = field(default_factory=list)
    open_set_rejected: list[tuple[float, float]] = field(default_factory=list)   # (known val, held out) per seed
    classes: list[str] = field(default_factory=list)
    val_accuracy: float | None = None     # recorded in the checkpoint at training time

    def summary(self) -> dict:
        known = set(self.classes)
        settled = [(lab == c.truth) for c in self.in_class for t, lab in zip(c.times, c.labels) if t >= SETTLE_S]
        minutes = sum(c.duration_s for c in self.in_class) / 60
        return {
            "in_class_clips": len(self.in_class),
            "clip_accuracy": float(np.mean([c.label == c.truth for c in self.in_class])) if self.in_class else None,
            "timeline_accuracy": float(np.mean(settled)) if settled else None,
            "changes_per_minute": sum(c.changes for c in self.in_class) / minutes if minutes else None,
            "in_class_rejected": float(np.mean([c.label not in known for c in self.in_class])) if self.in_class else None,
            "out_of_class_clips": len(self.out_of_class),
            "out_of_class_rejected": (float(np.mean([c.label not in known for c in self.out_of_class]))
                                      if self.out_of_class else None),
            "still_rejected_after_s": float(np.median(self.still_seconds)) if self.still_seconds else None,
            "still_rejected_after_s_max": float(np.max(self.still_seconds)) if self.still_seconds else None,
            "still_all_clips": len(self.still_all_seconds),
            "still_all_rejected_after_s": float(np.median(self.still_all_seconds)) if self.still_all_seconds else None,
            "still_all_rejected_after_s_max": float(np.max(self.still_all_seconds)) if self.still_all_seconds else None,
            "open_set_auroc": float(np.mean(self.auroc)) if self.auroc else None,
            "open_set_auroc_seeds": list(self.auroc),
            "open_set_known_rejected": (float(np.mean([k for k, _ in self.open_set_rejected]))
                                        if self.open_set_rejected else None),
            "open_set_held_out_rejected": (float(np.mean([u for _, u in self.open_set_rejected]))
                                           if self.open_set_rejected else None),
            "val_accuracy": self.val_accuracy,
        }


def replay(track: PoseTrack, ckpt: LoadedCheckpoint, decision: DecisionSpec | None = None) -> tuple[str, list, list]:
    """Feed a pose track through the ``realtime.video`` timeline: (clip label, shown labels, times)."""
    clip = ClipTimeline(ckpt, decision=decision, source_fps=track.fps)
    for t, kp, sc in track.poses():
        clip.add(t, kp, sc)
    summary = clip.finish()
    return summary.label, [e["label"] for e in summary.timeline], [e["time"] for e in summary.timeline]


def in_class_videos(videos: Path, classes: list[str], realworld: Path | None = None) -> list[tuple[Path, str]]:
    """(video, class) for every ``<class>/`` clip whose class the checkpoint knows, in ``realworld``
    (default: ``videos/realworld``)."""
    folder = realworld if realworld is not None else videos / "realworld"
    return [(p, p.parent.name) for p in sorted(folder.glob("*/*")) if p.parent.name in classes
            and p.is_file() and not p.name.startswith(".")]


def unknown_action_videos(videos: Path, sources: list[str] | None = None) -> list[Path]:
    """Clips of actions outside the classes: the shared ones (:data:`OUT_OF_CLASS` in ``videos``), or
    every video in ``sources`` (files, folders, globs)."""
    if not sources:
        return [videos / name for name in OUT_OF_CLASS if (videos / name).is_file()]
    return [Path(v) for source in sources for v in resolve_video_files(source, "bench.trust")]


def settled_after(labels: list[str], times: list[float], start_s: float, holds: Callable[[str], bool]) -> float | None:
    """Seconds from ``start_s`` until every later label ``holds``; None if that never happens."""
    for i, t in enumerate(times):
        if t >= start_s and all(holds(lab) for lab in labels[i:]):
            return max(0.0, t - start_s)
    return None


def time_to_rejection(labels: list[str], times: list[float], start_s: float, classes: list[str]) -> float:
    """Seconds from ``start_s`` until every later label is not a class (inf if never)."""
    known = set(classes)
    seconds = settled_after(labels, times, start_s, lambda lab: lab not in known)
    return float("inf") if seconds is None else seconds


def still_for(path: Path, ckpt: LoadedCheckpoint, decision: DecisionSpec | None) -> float:
    """Seconds until a clip followed by its first frame held for :data:`STILL_HOLD_S` is "no action"
    for good, from the start of the hold (inf: never)."""
    track = cached_track(path, hold_first_s=STILL_HOLD_S)
    _, labels, times = replay(track, ckpt, decision)
    return time_to_rejection(labels, times, track.duration_s - STILL_HOLD_S, ckpt.classes)


def measure(ckpt: LoadedCheckpoint, videos: Path, decision: DecisionSpec | None = None, progress=print,
            realworld: Path | None = None, unknown: list[Path] | None = None) -> TrustReport:
    """Every real-footage figure of the table for one checkpoint (poses cached after the first run).

    ``realworld``: a folder of ``<class>/`` clips (default ``videos/realworld``); ``unknown``: clips
    of other actions (default: the shared ones, :func:`unknown_action_videos`)."""
    report = TrustReport(classes=list(ckpt.classes), val_accuracy=ckpt.data.get("val_accuracy"))
    in_class = in_class_videos(videos, ckpt.classes, realworld)
    with torch_threads(1):
        for path, truth in in_class:
            track = cached_track(path)
            label, labels, times = replay(track, ckpt, decision)
            report.in_class.append(ClipOutcome(path.name, truth, label, labels, times, track.duration_s))
            progress(f"  {truth:<16} {path.name[:44]:<44} -> {label}")
        for path in unknown if unknown is not None else unknown_action_videos(videos):
            track = cached_track(path)
            label, labels, times = replay(track, ckpt, decision)
            report.out_of_class.append(ClipOutcome(path.name, None, label, labels, times, track.duration_s))
            progress(f"  {'(unknown action)':<16} {path.name[:44]:<44} -> {label}")
        squat_clip = videos / "pose_squats.mp4"
        held = in_class + ([(squat_clip, "squat")] if squat_clip.is_file() and realworld is None else [])
        for path, truth in held:
            seconds = still_for(path, ckpt, decision)
            report.still_all_seconds.append(seconds)
            if truth == "squat":
                report.still_seconds.append(seconds)
            progress(f"  {'(still)':<16} {path.name[:44]:<44} -> rejected after {seconds:.1f} s of stillness")
    return report


def open_set_auroc(ckpt: LoadedCheckpoint, data: Path, label_map: Path,
                   seeds: list[int]) -> tuple[list[float], list[tuple[float, float]]]:
    """Leave-classes-out study on Penn Action with the checkpoint's own training recipe: per seed, the
    AUROC of the max class probability, and the shares of known validation clips and held-out
    clips the recipe's decision layer rejects."""
    from sklearn.metrics import roc_auc_score

    from training.config import TrainConfig
    from training.dataset import load_skeleton_file
    from training.evaluate import decide_clips
    from training.labels import read_label_map
    from training.selection import select, stratified_split
    from training.train import train

    names = read_label_map(label_map)
    missing = [c for c in HELD_OUT if c not in names]
    if missing:
        raise UserError(f"The Penn label map '{label_map}' lacks {', '.join(missing)}.")
    known = [c for c in names if c not in HELD_OUT]
    skeletons = load_skeleton_file(data)
    held_ids = {names.index(c) for c in HELD_OUT}
    unknown = [c for c in skeletons.clips if c.label in held_ids]
    base = dict(ckpt.train_config)
    out, rejected = [], []
    for seed in seeds:
        with tempfile.TemporaryDirectory() as tmp:
            fields = {k: v for k, v in base.items() if k in TrainConfig.__dataclass_fields__}
            config = TrainConfig(**{**fields, "data": str(data), "label_map": str(label_map),
                                    "classes": ",".join(known), "seed": seed, "out": str(Path(tmp) / "run"),
                                    "overwrite": False, "split": None})
            result = train(config, echo=lambda *a: None, progress=False)
            model = load_checkpoint(result.run_dir / "model.pt")
        selected = select(skeletons, ",".join(known), names)
        _, val = stratified_split(selected.labels, config.val_fraction, seed)
        val_clips = [selected.clips[i] for i in val]
        clips = val_clips + unknown
        predicted, probabilities, _ = decide_clips(model, [c.keypoints for c in clips], [c.scores for c in clips],
                                                   model.decision)
        is_unknown = np.r_[np.zeros(len(val_clips)), np.ones(len(unknown))]
        out.append(float(roc_auc_score(is_unknown, -probabilities.max(axis=1))))
        said_no = predicted == -1
        rejected.append((float(said_no[:len(val_clips)].mean()), float(said_no[len(val_clips):].mean())))
    return out, rejected


def format_table(name: str, s: dict) -> str:
    def f(value, fmt: str) -> str:
        return "-" if value is None else "never" if not math.isfinite(value) else format(value, fmt)
    rows = [("real in-class clips, clip accuracy", f(s["clip_accuracy"], ".2f"), ">= 0.90"),
            ("  timeline accuracy (after 1 s)", f(s["timeline_accuracy"], ".2f"), ">= 0.85"),
            ("  label changes per minute", f(s["changes_per_minute"], ".1f"), "<= 4"),
            ("  clips rejected", f(s["in_class_rejected"], ".2f"), "<= 0.10"),
            ("unknown-action clips rejected", f(s["out_of_class_rejected"], ".2f"), ">= 0.75"),
            ("still person rejected after (median, max s)",
             f"{f(s['still_rejected_after_s'], '.1f')}, {f(s['still_rejected_after_s_max'], '.1f')}", "<= 2"),
            (f"  every real clip held ({s['still_all_clips']}; median, max s)",
             f"{f(s['still_all_rejected_after_s'], '.1f')}, {f(s['still_all_rejected_after_s_max'], '.1f')}", "<= 2"),
            ("Penn leave-5-classes-out AUROC", f(s["open_set_auroc"], ".3f"), ""),
            ("  'no action': held-out classes / known (val)",
             f"{f(s['open_set_held_out_rejected'], '.2f')} / {f(s['open_set_known_rejected'], '.2f')}", ""),
            ("validation accuracy (recorded at training)", f(s["val_accuracy"], ".3f"), ">= 0.95")]
    lines = [f"checkpoint {name}: {s['in_class_clips']} in-class clips, {s['out_of_class_clips']} unknown-action clips",
             f"{'what':<46} {'value':>10} {'goal':>9}"]
    lines += [f"{what:<46} {value:>10} {goal:>9}" for what, value, goal in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    p = ArgumentParser(prog="python -m bench.trust", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="examples:\n  python -m bench.trust --checkpoint default\n"
                                       "  python -m bench.trust --checkpoint runs/latest/model.pt --auroc-seeds 0 1 2\n"
                                       "  python -m bench.trust --checkpoint latest --realworld my_clips/ "
                                       "--unknown-videos other_clips/ --auroc-seeds\n")
    add_checkpoint_argument(p)
    p.add_argument("--videos", type=Path, default=SHARED / "videos", help="the shared videos folder")
    p.add_argument("--realworld", type=Path, metavar="FOLDER",
                   help="your own in-class clips instead of VIDEOS/realworld: one subfolder per class, named as "
                        "the checkpoint's classes (squat/, pushup/, ...)")
    p.add_argument("--unknown-videos", nargs="+", metavar="PATH",
                   help="your own clips of actions that are none of the classes (files, folders, globs) instead "
                        "of the shared six")
    p.add_argument("--penn", type=Path, default=SHARED / "skeletons" / "penn_action_train_2d.pkl")
    p.add_argument("--penn-labels", type=Path, default=SHARED / "skeletons" / "penn_action_label_map.txt")
    p.add_argument("--auroc-seeds", type=non_negative(int), nargs="*", default=[0],
                   help="seeds of the leave-classes-out training (none: skip it; each takes minutes)")
    add_result_file_argument(p, "--json", "also write the figures as JSON")
    add_decision_arguments(p)
    a = p.parse_args(argv)
    check_result_file(a.json, "--json", a.overwrite)
    realworld = a.realworld if a.realworld is not None else a.videos / "realworld"
    if not realworld.is_dir():
        raise UserError(f"No real-world clips under '{realworld}'; pass --videos FOLDER (with realworld/ inside) "
                        "or --realworld FOLDER (one subfolder per class).")
    unknown = unknown_action_videos(a.videos, a.unknown_videos) if a.unknown_videos else None
    path, why = resolve_checkpoint(a.checkpoint)
    print(f"model {path} ({why})")
    ckpt = load_checkpoint(path)
    if a.realworld is not None and not in_class_videos(a.videos, ckpt.classes, realworld):
        raise UserError(f"No clip in a subfolder of '{realworld}' named as one of the model's classes "
                        f"({', '.join(ckpt.classes)}).")
    decision = ckpt.decision_from(a)
    report = measure(ckpt, a.videos, decision, realworld=a.realworld, unknown=unknown)
    if a.auroc_seeds and a.penn.is_file():
        print(f"Penn leave-classes-out AUROC, seeds {a.auroc_seeds} (training {len(a.auroc_seeds)} model(s)) ...",
              flush=True)
        report.auroc, report.open_set_rejected = open_set_auroc(ckpt, a.penn, a.penn_labels, a.auroc_seeds)
    summary = report.summary()
    print(format_table(str(path), summary))
    write_result_file(a.json, {"checkpoint": str(path), **summary}, a.overwrite)
    return summary


if __name__ == "__main__":
    run_cli(main)
