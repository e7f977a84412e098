"""Live action recognition from a webcam (or a video through the same capture code).

``python -m realtime.cam --help``. Capture runs in its own thread (newest frame wins, dropped
frames are counted); each frame goes pose -> COCO-17 -> window at the checkpoint's fps ->
training features -> model -> overlay. Keys in the window: q/Esc quit, r reset, s snapshot.
"""
from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import cv2

from realtime.annotators import OverlayState, annotate, default_annotators
from realtime.pose import POSE_LAYOUT, make_pose_estimator
from realtime.pose_stage import PoseStage
from realtime.recognizer import Prediction, Recognizer
from realtime.sources import ThreadedCapture, resolve_sources
from realtime.video_io import FpsMeter, VideoSink, display_available
from training.checkpoint import LoadedCheckpoint, add_checkpoint_argument, load_checkpoint, resolve_checkpoint
from training.cli_types import positive
from training.decision import NO_ACTION, DecisionSpec, add_decision_arguments, decision_from_arguments
from training.errors import UserError, run_cli
from training.inference import torch_threads

EXAMPLES = """examples:
  python -m realtime.cam                                   # webcam 0, newest model under runs/
  python -m realtime.cam --source 1 --threshold 0.6 --switch-after 2
  python -m realtime.cam --source clip.mp4 --no-show --save annotated.mp4
  python -m realtime.cam --checkpoint runs/20260101-120000/model.pt --every 3
"""
WINDOW_TITLE = "action recogniser (q: quit, r: reset, s: snapshot)"


@dataclass
class LiveOptions:
    """Everything the live loop needs besides the checkpoint."""

    show: bool = True
    save: Path | None = None
    overwrite: bool = False
    every: int | None = None          # None: adapt to the model's cost
    decision: DecisionSpec | None = None   # None: the checkpoint's own
    top_k: int = 5
    reset_after_s: float = 3.0
    pose_model: str | None = None
    duration_s: float | None = None   # stop after this many seconds (None: until the source ends or q)
    print_every_s: float = 1.0        # headless: how often to print the prediction
    draw: bool = False                # draw the overlay even when nothing shows or saves it (benchmarks)
    quiet: bool = False               # headless: print nothing per second


@dataclass
class LiveSummary:
    frames: int = 0
    frames_with_person: int = 0
    dropped: int = 0
    seconds: float = 0.0
    model_runs: int = 0
    labels: Counter = field(default_factory=Counter)
    stopped_because: str = "source ended"
    snapshots: list[str] = field(default_factory=list)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def describe(self) -> str:
        top = ", ".join(f"{name} x{n}" for name, n in self.labels.most_common(5)) or "none"
        return (f"{self.frames} frames in {self.seconds:.1f} s ({self.fps:.1f} fps), person in "
                f"{self.frames_with_person}, dropped {self.dropped}, {self.model_runs} model runs; "
                f"predictions: {top}; stopped: {self.stopped_because}")


def describe_prediction(prediction: Prediction) -> str:
    """One line for the terminal: the shown label and, when it differs, what the model said."""
    if prediction.label == NO_ACTION:
        return f"{NO_ACTION} ({prediction.reason}; model: {prediction.raw_label} {prediction.raw_probability:.0%})"
    said = f"{prediction.label} {prediction.probability:.0%}"
    return said if prediction.raw_label == prediction.label else f"{said} (model now: {prediction.raw_label})"


def _auto_every(model_ms: float, frame_ms: float) -> int:
    """Run the model on every new pose unless it would take more than a quarter of a frame's time."""
    if frame_ms <= 0 or model_ms <= 0:
        return 1
    return max(1, int(round(model_ms / (0.25 * frame_ms))))


def _snapshot_path(save: Path | None) -> Path:
    folder = save.parent if save else Path(".")
    n = 1
    while (folder / f"snapshot_{n:03d}.png").exists():
        n += 1
    return folder / f"snapshot_{n:03d}.png"


def run_live(source: str | int, ckpt: LoadedCheckpoint, options: LiveOptions) -> LiveSummary:
    """The live loop over one source; returns a summary. Never calls imshow unless options.show."""
    summary = LiveSummary()
    recognizer = Recognizer(ckpt, every=options.every or 1, decision=options.decision,
                            reset_after_s=options.reset_after_s, k=options.top_k)
    annotators = default_annotators(options.top_k)
    meter = FpsMeter()
    realtime = options.show or isinstance(source, int)   # headless file: as fast as possible, no drops
    needs_overlay = options.show or options.save is not None or options.draw
    last_print = -1e9
    with torch_threads(1), make_pose_estimator(options.pose_model, video=True) as pose, \
            ThreadedCapture(source, realtime=realtime) as capture, PoseStage(capture, pose) as stage:
        sink = VideoSink(options.save, capture.fps, options.overwrite) if options.save else None
        started = time.monotonic()  # after start-up: fps counts the loop only
        try:
            while True:
                if options.duration_s is not None and time.monotonic() - started >= options.duration_s:
                    summary.stopped_because = f"--duration {options.duration_s:g} s reached"
                    break
                posed = stage.next(timeout=2.0)
                if posed is None:
                    if stage.finished:
                        summary.stopped_because = capture.error or "source ended"
                        break
                    continue
                frame, found = posed.frame, posed.pose
                prediction = recognizer.update(frame.timestamp_s, found.keypoints if found else None,
                                               found.scores if found else None)
                if options.every is None and prediction is not None and recognizer.model_runs == 3:
                    model_ms = 1000 * recognizer.model_seconds / recognizer.model_runs
                    recognizer.every = _auto_every(model_ms, 1000 / ckpt.spec.fps)
                meter.tick()
                summary.frames += 1
                summary.frames_with_person += found is not None
                if prediction is not None:
                    summary.labels[prediction.label] += 1
                if needs_overlay:
                    state = OverlayState(found.keypoints if found else None, found.scores if found else None,
                                         recognizer.latest, len(recognizer.window), ckpt.spec.window_frames,
                                         meter.fps, stage.dropped)
                    image = annotate(frame.image, state, annotators)
                    if sink is not None:
                        sink.write(image)
                    if options.show:
                        cv2.imshow(WINDOW_TITLE, image)
                        key = cv2.waitKey(1) & 0xFF
                        if key in (ord("q"), 27):
                            summary.stopped_because = "user quit"
                            break
                        if key == ord("r"):
                            recognizer.reset()
                        if key == ord("s"):
                            path = _snapshot_path(options.save)
                            cv2.imwrite(str(path), image)
                            summary.snapshots.append(str(path))
                if not (options.show or options.quiet) and frame.timestamp_s - last_print >= options.print_every_s:
                    last_print = frame.timestamp_s
                    latest = recognizer.latest
                    said = (describe_prediction(latest) if latest else
                            "no person" if found is None else
                            f"collecting poses ({len(recognizer.window)}/{recognizer.min_frames})")
                    print(f"t={frame.timestamp_s:7.2f}s  {said}  [{meter.fps:.1f} fps, window "
                          f"{len(recognizer.window)}/{ckpt.spec.window_frames}, dropped {stage.dropped}]", flush=True)
        finally:
            if sink is not None:
                sink.close()
            if options.show:
                cv2.destroyAllWindows()
        summary.dropped = stage.dropped
    summary.seconds = time.monotonic() - started
    summary.model_runs = recognizer.model_runs
    return summary


def main(argv: list[str] | None = None) -> list[LiveSummary]:
    p = argparse.ArgumentParser(prog="python -m realtime.cam", description=__doc__, epilog=EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source", default="0", help="camera index, video file, folder or glob (default 0)")
    add_checkpoint_argument(p)
    p.add_argument("--save", type=Path, help="write the annotated stream to this .mp4/.avi")
    p.add_argument("--overwrite", action="store_true", help="let --save replace an existing file")
    p.add_argument("--no-show", action="store_true", help="no window: print predictions instead")
    p.add_argument("--every", type=positive(int), help="run the model every N new window frames (default: adaptive)")
    p.add_argument("--top-k", type=positive(int), default=5, help="probability bars shown (default 5)")
    p.add_argument("--reset-after", type=positive(), default=3.0, help="empty the window after N s without a person")
    p.add_argument("--duration", type=positive(), help="stop after N seconds")
    p.add_argument("--pose-model", help="MediaPipe Tasks .task file (default: the bundled model)")
    add_decision_arguments(p)
    a = p.parse_args(argv)
    checkpoint_path, why = resolve_checkpoint(a.checkpoint)
    print(f"model {checkpoint_path} ({why})", flush=True)
    ckpt = load_checkpoint(checkpoint_path, expected_layout=POSE_LAYOUT)
    sources = resolve_sources(a.source)
    show = not a.no_show
    if show and not display_available():
        print("No display found (DISPLAY/WAYLAND_DISPLAY unset): running headless"
              + (f", writing {a.save}." if a.save else ", printing predictions. Add --save out.mp4 to keep the video."))
        show = False
    if a.save and len(sources) > 1:
        raise UserError("--save takes one source; pass a single camera or video with --source.")
    print(f"classes: {', '.join(ckpt.classes)}; window {ckpt.spec.window_frames} frames at {ckpt.spec.fps:g} fps")
    options = LiveOptions(show=show, save=a.save, overwrite=a.overwrite, every=a.every,
                          decision=decision_from_arguments(ckpt.decision, a), top_k=a.top_k,
                          reset_after_s=a.reset_after, pose_model=a.pose_model, duration_s=a.duration)
    summaries = []
    for source in sources:
        summary = run_live(source, ckpt, options)
        summaries.append(summary)
        print(f"{source}: {summary.describe()}")
        if a.save:
            print(f"saved {a.save}")
        if summary.stopped_because == "user quit":
            break
    return summaries


if __name__ == "__main__":
    run_cli(main)
