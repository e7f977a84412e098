"""Live action recognition from a webcam (or a video through the same capture code).

``python -m realtime.cam --help``. Capture runs in its own thread (newest frame wins, dropped
frames are counted); each frame goes pose -> COCO-17 -> window at the checkpoint's fps ->
training features -> model -> overlay. Keys in the window: q/Esc quit, r reset, s snapshot.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from realtime.annotators import OverlayState, annotate, default_annotators
from realtime.live_summary import LiveSummary, describe_people, describe_prediction, note_people_shown
from realtime.opencv_paths import opencv_path
from realtime.pose import (POSE_LAYOUT, add_pose_threads_argument, check_pose_options, chosen_pose_threads,
                           make_pose_estimator, quiet_native_libraries)
from realtime.pose_stage import PoseStage
from realtime.people import PeopleRecognizer, crowd_overlay
from realtime.recognizer import Recognizer
from realtime.segments import SegmentBuilder, silence_s
from realtime.source_names import describe_source, is_stream, resolve_sources
from realtime.sources import ThreadedCapture, cut_short
from realtime.timeline import default_every
from realtime.display import FALLBACK_SCREEN, LiveWindow, probe_display
from realtime.video_io import FOURCC_BY_SUFFIX, FpsMeter, VideoSink
from training.checkpoint import LoadedCheckpoint, add_checkpoint_argument, load_checkpoint, resolve_checkpoint
from training.cli_types import ArgumentParser, number, output_file, path_text, path_value, positive
from training.decision import NO_PERSON, DecisionSpec, add_decision_arguments
from training.device import add_device_argument, resolve_device
from training.errors import Terminated, UserError, run_cli
from training.outputs import check_output_dir, check_output_file, check_outputs_apart
from training.inference import torch_threads

EXAMPLES = """examples:
  python -m realtime.cam                                   # webcam 0, newest model under runs/
  python -m realtime.cam --source 1 --threshold 0.6 --steadiness 2
  python -m realtime.cam --source clip.mp4 --no-show --save annotated.mp4
  python -m realtime.cam --checkpoint runs/20260101-120000/model.pt --every 3
  python -m realtime.cam --max-people 4                    # everyone in view, each with an id and a label
"""
WINDOW_TITLE = "Action recogniser"
KEY_HINT = "q quit  r reset  s snapshot"


@dataclass
class LiveOptions:
    """Everything the live loop needs besides the checkpoint."""

    show: bool = True
    screen: tuple[int, int] = (1280, 720)   # the display's size (realtime.display.probe_display)
    snapshot_dir: Path = Path(".")
    save: Path | None = None
    overwrite: bool = False
    every: int | None = None          # None: 5 runs a second, sparser if the model is slow
    decision: DecisionSpec | None = None   # None: the checkpoint's own
    top_k: int = 5
    reset_after_s: float = 3.0
    pose_model: str | None = None
    pose_threads: int | None = None   # None: the free cores (realtime.pose.make_pose_estimator)
    max_people: int = 1               # above 1: the multi-person backend, one id, window and label per person
    duration_s: float | None = None   # stop after this many seconds (None: until the source ends or q)
    print_every_s: float = 1.0        # headless: how often to print the prediction
    draw: bool = False                # draw the overlay even when nothing shows or saves it (benchmarks)
    quiet: bool = False               # headless: print nothing per second
    loop: bool = False                # start a file again when it ends (kiosks, demos, soak tests)
    verbose: bool = False             # let the native libraries' log lines through
    stall_s: float = 5.0              # a live source that delivers nothing this long ends the run
    report: Callable[["LiveSummary", float], None] | None = None   # called with (summary so far, elapsed s) ...
    report_every_s: float = 60.0      # ... this often (soak tests)


def _auto_every(model_ms: float, frame_ms: float, scheduled: int) -> int:
    """The model's schedule: ``scheduled`` (5 runs a second, as realtime.video), made sparser only
    when one run would cost more than a quarter of the frames' time it covers."""
    if frame_ms <= 0 or model_ms <= 0:
        return scheduled
    return max(scheduled, int(round(model_ms / (0.25 * frame_ms))))


def _snapshot_path(folder: Path) -> Path:
    """The next free ``snapshot_NNN.png`` in ``folder``."""
    n = 1
    while (folder / f"snapshot_{n:03d}.png").exists():
        n += 1
    return folder / f"snapshot_{n:03d}.png"


def save_snapshot(folder: Path, image: np.ndarray) -> Path | None:
    """(H, W, 3) BGR image -> the next ``snapshot_NNN.png`` in ``folder``; None when it could not be
    written (``cv2.imwrite`` says so only by returning False: a full disk, a folder gone)."""
    path = _snapshot_path(folder)
    with opencv_path(path) as name:
        written = cv2.imwrite(name, image)
    return path if written and path.is_file() else None


def _scaled(state: OverlayState, factor: tuple[float, float]) -> OverlayState:
    """The same overlay for a frame resized by (fx, fy): keypoints (everyone's) moved along."""
    scale = np.array(factor, dtype=np.float32)
    people = [replace(person, keypoints=person.keypoints * scale) for person in state.people]
    keypoints = state.keypoints * scale if state.keypoints is not None else None
    return replace(state, keypoints=keypoints, people=people)


def run_live(source: str | int, ckpt: LoadedCheckpoint, options: LiveOptions) -> LiveSummary:
    """The live loop over one source; returns a summary. Never calls imshow unless options.show."""
    summary = LiveSummary()
    annotators = default_annotators(options.top_k)
    meter = FpsMeter()
    realtime = options.show or isinstance(source, int) or is_stream(source)   # headless file: no drops
    window = LiveWindow(WINDOW_TITLE, options.screen) if options.show else None
    last_print = -1e9
    # The source is opened first: a missing camera is said before the pose model loads (and logs).
    with ThreadedCapture(source, realtime=realtime, loop=options.loop) as capture, torch_threads(1), \
            make_pose_estimator(options.pose_model, video=True, verbose=options.verbose,
                                max_people=options.max_people, threads=options.pose_threads) as pose, \
            PoseStage(capture, pose) as stage:
        sink = VideoSink(options.save, capture.fps, options.overwrite) if options.save else None
        # one person: a Recognizer; several: a tracker and one Recognizer per id (the same window and decisions)
        crowd = (PeopleRecognizer(ckpt, fps=capture.fps, every=options.every, decision=options.decision,
                                  k=options.top_k, source_fps=capture.fps, keep_history=False,
                                  reset_after_s=options.reset_after_s) if options.max_people > 1 else None)
        recognizer = (Recognizer(ckpt, every=options.every or default_every(ckpt), decision=options.decision,
                                 reset_after_s=options.reset_after_s, k=options.top_k, source_fps=capture.fps)
                      if crowd is None else None)
        if recognizer is not None:
            summary.shown = SegmentBuilder(silence_s(recognizer.every, ckpt.spec.fps, capture.fps))
        started = last_frame = last_report = time.monotonic()  # after start-up: fps counts the loop only
        try:
            while True:
                if options.duration_s is not None and time.monotonic() - started >= options.duration_s:
                    summary.stopped_because = f"--duration {options.duration_s:g} s reached"
                    break
                posed = stage.next(timeout=min(2.0, options.stall_s))
                if posed is None:
                    if stage.finished:
                        short = (None if capture.error or capture.is_live or capture.loop   # a damaged file
                                 else cut_short(capture.frames_read, capture.frame_count_hint))  # ends early
                        summary.stopped_because = capture.error or (f"source ended: {short}" if short
                                                                    else "source ended")
                        summary.source_lost = capture.error is not None
                        break
                    if capture.is_live and time.monotonic() - last_frame >= options.stall_s:
                        summary.stopped_because = (f"{describe_source(source)} delivered no frame for "
                                                   f"{options.stall_s:g} s (unplugged or stalled)")
                        summary.source_lost = True
                        break
                    continue
                last_frame = time.monotonic()
                if options.report is not None and last_frame - last_report >= options.report_every_s:
                    last_report = last_frame
                    summary.seconds, summary.dropped = last_frame - started, stage.dropped
                    options.report(summary, last_frame - started)
                frame, found = posed.frame, posed.pose
                if crowd is not None:
                    in_view = crowd.add(frame.timestamp_s, posed.people, frame.image)
                    predictions = [p.new_prediction for p in crowd.active.values() if p.new_prediction]
                    state = replace(crowd_overlay(in_view, ckpt.spec.window_frames), dropped=stage.dropped)
                    note_people_shown(summary, crowd, in_view, frame.timestamp_s, ckpt.spec.fps, capture.fps)
                else:
                    in_view = [found] if found is not None else []
                    prediction = recognizer.update(frame.timestamp_s, found.keypoints if found else None,
                                                   found.scores if found else None)
                    predictions = [prediction] if prediction is not None else []
                    if options.every is None and prediction is not None and recognizer.model_runs == 3:
                        model_ms = 1000 * recognizer.model_seconds / recognizer.model_runs
                        recognizer.every = _auto_every(model_ms, 1000 / ckpt.spec.fps, default_every(ckpt))
                        summary.shown.max_gap_s = silence_s(recognizer.every, ckpt.spec.fps, capture.fps)
                    state = OverlayState(found.keypoints if found else None, found.scores if found else None,
                                         recognizer.latest, len(recognizer.window), ckpt.spec.window_frames, 0.0,
                                         stage.dropped)
                meter.tick()
                summary.frames += 1
                summary.frames_with_person += bool(in_view)
                summary.last_time_s = frame.timestamp_s
                for prediction in predictions:
                    summary.labels[prediction.label] += 1
                    if summary.shown is not None:
                        summary.shown.add(prediction.time_s, prediction.label, prediction.probability,
                                          prediction.reason)
                if sink is not None or (options.draw and window is None):   # source size, no live-only lines
                    image = annotate(frame.image.copy(), state, annotators)
                    if sink is not None:
                        sink.write(image, frame.timestamp_s)     # dropped frames: the recording keeps real time
                if window is not None:                # drawn at the window's size: crisp text on any source
                    h, w = frame.image.shape[:2]
                    size = window.display_size((w, h))
                    shown = cv2.resize(frame.image, size, interpolation=cv2.INTER_AREA if size[0] < w else
                                       cv2.INTER_LINEAR)
                    live = _scaled(replace(state, fps=meter.fps, hint=KEY_HINT), (size[0] / w, size[1] / h))
                    shown = annotate(shown, live, annotators)
                    key = window.show(shown)
                    if key == "quit":
                        summary.stopped_because = ("window closed" if window.closed_by_user
                                                   else f"user quit ({window.quit_key} key)")
                        break
                    if key == "reset":
                        (crowd or recognizer).reset()
                    if key == "snapshot":
                        path = save_snapshot(options.snapshot_dir, shown)
                        if path is None:
                            print(f"snapshot NOT saved: '{options.snapshot_dir}' could not be written "
                                  "(full disk, or the folder is gone)", flush=True)
                        else:
                            summary.snapshots.append(str(path))
                            print(f"snapshot saved: {path}", flush=True)
                if not (options.show or options.quiet) and frame.timestamp_s - last_print >= options.print_every_s \
                        and crowd is not None:
                    last_print = frame.timestamp_s
                    print(f"t={frame.timestamp_s:7.2f}s  {describe_people(in_view)}  [{meter.fps:.1f} fps, "
                          f"dropped {stage.dropped}]", flush=True)
                elif not (options.show or options.quiet) and frame.timestamp_s - last_print >= options.print_every_s:
                    last_print = frame.timestamp_s
                    latest = recognizer.latest
                    said = (describe_prediction(latest) if latest else
                            NO_PERSON if found is None else
                            f"collecting poses ({len(recognizer.window)}/{recognizer.min_frames})")
                    print(f"t={frame.timestamp_s:7.2f}s  {said}  [{meter.fps:.1f} fps, window "
                          f"{len(recognizer.window)}/{ckpt.spec.window_frames}, dropped {stage.dropped}]", flush=True)
        except Terminated:
            summary.stopped_because, summary.interrupted = "terminated (SIGTERM)", 143
        except KeyboardInterrupt:
            summary.stopped_because, summary.interrupted = "interrupted (Ctrl-C)", 130
        finally:
            if sink is not None:
                try:
                    saved = sink.close(keep=True)
                except UserError as exc:     # a full disk: the window still closes, the summary is printed
                    saved, summary.save_error = None, str(exc)
                summary.saved = str(saved) if saved else None
            if window is not None:
                if summary.stopped_because == "source ended" and not capture.is_live and not summary.interrupted:
                    print("end of the video: press a key in the window (or close it) to finish", flush=True)
                    window.hold()
                window.close()
        summary.dropped = stage.dropped
        nothing_arrived = capture.error if capture.frames_read == 0 and not summary.interrupted else None
    if nothing_arrived:                     # a busy camera, a stream or file with no frame: an error, not a summary
        raise UserError(nothing_arrived[0].upper() + nothing_arrived[1:] + ".")
    summary.seconds = time.monotonic() - started
    summary.model_runs = crowd.model_runs if crowd is not None else recognizer.model_runs
    return summary


def choose_display(no_show: bool, save: Path | None) -> tuple[bool, tuple[int, int]]:
    """(show a window?, screen size): headless with one line saying why when no display can be opened."""
    if no_show:
        return False, FALLBACK_SCREEN
    probe = probe_display()
    if probe.qt_platform:       # Qt aborts the process on a platform it lacks; this one it has
        os.environ["QT_QPA_PLATFORM"] = probe.qt_platform
        print(f"note: {probe.reason}", flush=True)
    if not probe.usable:
        print(f"No window: {probe.reason}. Running headless"
              + (f", writing {save}." if save else ", printing predictions (add --save out.mp4 to keep the video)."),
              flush=True)
    return probe.usable, probe.screen


def main(argv: list[str] | None = None) -> list[LiveSummary]:
    p = ArgumentParser(prog="python -m realtime.cam", description=__doc__, epilog=EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source", default="0", help="camera index, video file, folder, glob or stream URL "
                                                 "(http://..., rtsp://...; default 0)")
    add_checkpoint_argument(p)
    add_device_argument(p)
    p.add_argument("--save", type=output_file, help="write the annotated stream to this .mp4/.avi")
    p.add_argument("--overwrite", action="store_true", help="let --save replace an existing file")
    p.add_argument("--no-show", action="store_true", help="no window: print predictions instead")
    p.add_argument("--snapshot-dir", type=path_value, default=Path("."),
                   help="where the s key saves snapshot_NNN.png (default: the current folder)")
    p.add_argument("--every", type=positive(int),
                   help="run the model every N new window frames (default: 5 times a second, sparser if the model "
                        "is slow)")
    p.add_argument("--top-k", type=positive(int), default=5, help="probability bars shown (default 5)")
    p.add_argument("--reset-after", type=positive(), default=3.0, help="empty the window after N s without a person")
    p.add_argument("--duration", type=positive(), help="stop after N seconds")
    p.add_argument("--pose-model", type=path_text, help="MediaPipe Tasks .task file (default: the bundled model)")
    add_pose_threads_argument(p)
    p.add_argument("--max-people", type=number(int, 1, 16), default=1,
                   help="follow up to N people, each with an id, window and label (default 1: MediaPipe's "
                        "single-person graph, the more accurate for one person)")
    p.add_argument("--loop", action="store_true", help="play a video file again when it ends (kiosks, demos)")
    p.add_argument("--verbose", action="store_true", help="show MediaPipe/TFLite/OpenCV log lines")
    add_decision_arguments(p)
    a = p.parse_args(argv)
    quiet_native_libraries(a.verbose)
    check_pose_options(a.pose_model, a.max_people)
    check_output_file(a.save, "--save", a.overwrite, suffixes=tuple(FOURCC_BY_SUFFIX))
    sources = resolve_sources(a.source)
    if a.save and len(sources) > 1:
        raise UserError("--save takes one source; pass a single camera, stream or video with --source.")
    checkpoint_path, why = resolve_checkpoint(a.checkpoint)
    check_outputs_apart([("--save", a.save)], [*sources, checkpoint_path])
    print(f"model {checkpoint_path} ({why})", flush=True)
    ckpt = load_checkpoint(checkpoint_path, expected_layout=POSE_LAYOUT, device=resolve_device(a.device))
    show, screen = choose_display(a.no_show, a.save)
    if show:
        check_output_dir(a.snapshot_dir, "--snapshot-dir")
    print(f"classes: {', '.join(ckpt.classes)}; window {ckpt.spec.window_frames} frames at {ckpt.spec.fps:g} fps")
    if show:
        print(f"loading the pose model; the window opens with the first frame ({KEY_HINT})", flush=True)
    decision = ckpt.decision_from(a)
    options = LiveOptions(show=show, screen=screen, snapshot_dir=a.snapshot_dir, save=a.save, overwrite=a.overwrite,
                          every=a.every, decision=decision, top_k=a.top_k,
                          reset_after_s=a.reset_after, pose_model=a.pose_model,
                          pose_threads=chosen_pose_threads(a.pose_threads), max_people=a.max_people,
                          duration_s=a.duration, loop=a.loop,
                          verbose=a.verbose)
    summaries, failed = [], 0
    for source in sources:               # SIGTERM ends a run like Ctrl-C: training.errors.run_cli
        try:
            summary = run_live(source, ckpt, options)
        except UserError as exc:         # one bad file in a folder: say so and go on with the rest
            if len(sources) == 1:
                raise
            failed += 1
            print(f"skipped {describe_source(source)}: {exc}", file=sys.stderr, flush=True)
            continue
        summaries.append(summary)
        print(f"{describe_source(source)}: {summary.describe()}", flush=True)
        for line in summary.segment_lines():
            print(f"  {line}", flush=True)
        if summary.interrupted or summary.stopped_because.startswith(("user quit", "window closed")):
            break
    if summaries and summaries[-1].interrupted:
        raise SystemExit(summaries[-1].exit_status)
    if failed or any(s.exit_status for s in summaries):
        raise SystemExit(1)
    return summaries


if __name__ == "__main__":
    run_cli(main)
