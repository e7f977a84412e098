"""One recorded video through the live pipeline: :func:`classify_video` and its :class:`VideoResult`.

Every frame in order (no drops): pose -> COCO-17 -> window at the checkpoint's fps -> training
features -> model -> decision, in the capture and pose threads of the live loop. Used by
``python -m realtime.video`` (:mod:`realtime.video`, one process or several:
:mod:`realtime.video_jobs`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from realtime.annotators import OverlayState, annotate, default_annotators
from realtime.people import PeopleRecognizer, crowd_overlay
from realtime.pose import make_pose_estimator
from realtime.pose_stage import PoseStage
from realtime.sources import ThreadedCapture, cut_short, too_slow_to_follow
from realtime.timeline import ClipTimeline
from realtime.video_io import VideoSink
from training.checkpoint import LoadedCheckpoint
from training.decision import DecisionSpec
from training.errors import UserError
from training.inference import torch_threads


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
