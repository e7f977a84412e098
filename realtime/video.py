"""Classify recorded videos: ``python -m realtime.video --help``.

Every frame in order (no drops) goes through the live pipeline: pose -> COCO-17 -> window at
the checkpoint's fps -> training features -> model. Output: a timeline of predictions per video
and a clip label = the class with the highest mean probability over all predictions.
"""
from __future__ import annotations

import argparse
import csv
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from realtime.annotators import OverlayState, annotate, default_annotators
from realtime.pose import POSE_LAYOUT, make_pose_estimator
from realtime.recognizer import Recognizer
from realtime.pose_stage import PoseStage
from realtime.sources import ThreadedCapture, resolve_sources
from realtime.video_io import VideoSink
from training.checkpoint import LoadedCheckpoint, find_latest_checkpoint, load_checkpoint
from training.errors import UserError, run_cli
from training.inference import torch_threads

EXAMPLES = """examples:
  python -m realtime.video clip.mp4
  python -m realtime.video videos/ --json results.json --csv results.csv --save-dir annotated/
  python -m realtime.video 'clips/*.avi' --checkpoint runs/latest/model.pt --every 1
"""
NO_PERSON = "no person"


@dataclass
class VideoResult:
    """One video's outcome; ``timeline`` entries are {time, label, probability, topk, window_frames}."""

    path: str
    label: str
    probability: float
    frames: int
    frames_with_person: int
    fps: float
    timeline: list[dict] = field(default_factory=list)
    mean_probabilities: dict[str, float] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    annotated: str | None = None

    def to_json(self) -> dict:
        return dict(self.__dict__)


def default_every(ckpt: LoadedCheckpoint) -> int:
    """Five predictions per second of video."""
    return max(1, int(round(ckpt.spec.fps / 5)))


def classify_video(path: str, ckpt: LoadedCheckpoint, every: int | None = None, smooth: int = 1,
                   threshold: float = 0.0, k: int = 5, save_path: Path | None = None, overwrite: bool = False,
                   pose_model: str | None = None, progress: bool = True) -> VideoResult:
    """Run the whole pipeline over one video file (see module docstring).

    The same capture and pose stages as the live loop, in lossless mode: decoding, pose and
    the rest run in three threads, every frame in order.
    """
    if not Path(path).is_file():
        raise UserError(f"Cannot open video '{path}' (file not found).")
    recognizer = Recognizer(ckpt, every=every or default_every(ckpt), smooth=smooth, threshold=threshold, k=k)
    timeline: list[dict] = []
    probabilities: list[np.ndarray] = []
    seconds = {"wait": 0.0, "window": 0.0, "overlay": 0.0}
    annotators = default_annotators(k) if save_path else []
    frames = with_person = 0
    last_time = 0.0

    def record(prediction) -> None:
        if prediction is not None:
            timeline.append({"time": round(prediction.time_s, 3), "label": prediction.label,
                             "probability": prediction.probability, "topk": [list(t) for t in prediction.topk],
                             "window_frames": prediction.window_frames})
            probabilities.append(prediction.probabilities)

    with torch_threads(1), make_pose_estimator(pose_model, video=True) as pose, \
            ThreadedCapture(path, realtime=False) as capture, PoseStage(capture, pose) as stage:
        sink = VideoSink(save_path, capture.fps, overwrite) if save_path else None
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
                model_before = recognizer.model_seconds
                record(recognizer.update(frame.timestamp_s, found.keypoints if found else None))
                t2 = time.perf_counter()
                seconds["window"] += (t2 - t1) - (recognizer.model_seconds - model_before)
                frames += 1
                with_person += found is not None
                last_time = frame.timestamp_s
                if sink is not None:
                    state = OverlayState(found.keypoints if found else None, found.scores if found else None,
                                         recognizer.latest, len(recognizer.window), ckpt.spec.window_frames)
                    sink.write(annotate(frame.image, state, annotators))
                    seconds["overlay"] += time.perf_counter() - t2
                bar.update()
            record(recognizer.flush(last_time))
        finally:
            bar.close()
            if sink is not None:
                sink.close()
        if capture.error or frames == 0:
            raise UserError(f"Video '{path}': {capture.error or 'no frame could be decoded'} (corrupt or empty file).")
        seconds |= {"decode": capture.decode_seconds, "pose": stage.pose_seconds, "model": recognizer.model_seconds}
        fps = capture.fps
    if timeline:
        mean = np.mean(probabilities, axis=0)
        best = int(np.argmax(mean))
        label, probability = ckpt.classes[best], float(mean[best])
        mean_probabilities = {c: float(p) for c, p in zip(ckpt.classes, mean)}
    else:
        label, probability, mean_probabilities = NO_PERSON, 0.0, {}
    return VideoResult(path, label, probability, frames, with_person, fps, timeline, mean_probabilities,
                       {k: round(v, 4) for k, v in seconds.items()}, str(save_path) if save_path else None)


def _refuse_existing(path: Path | None, overwrite: bool, flag: str) -> None:
    if path is not None and path.exists() and not overwrite:
        raise UserError(f"{flag} '{path}' exists; choose another name or add --overwrite.")


def write_csv(path: Path, results: list[VideoResult], classes: list[str]) -> None:
    """One row per prediction: video, time, label, probability, window_frames, then p(class) per class."""
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["video", "time", "label", "probability", "window_frames", *[f"p_{c}" for c in classes]])
        for r in results:
            for t in r.timeline:
                p = dict(t["topk"]) if len(t["topk"]) == len(classes) else {}
                writer.writerow([r.path, t["time"], t["label"], f"{t['probability']:.4f}", t["window_frames"],
                                 *[f"{p[c]:.4f}" if c in p else "" for c in classes]])
        for r in results:  # the clip-level label, with time left empty
            writer.writerow([r.path, "", r.label, f"{r.probability:.4f}", "",
                             *[f"{r.mean_probabilities[c]:.4f}" if c in r.mean_probabilities else "" for c in classes]])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m realtime.video", description=__doc__, epilog=EXAMPLES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", help="video files, folders or globs")
    p.add_argument("--checkpoint", help="model.pt (default: the newest run under runs/)")
    p.add_argument("--save-dir", type=Path, help="write annotated copies here (<name>_annotated.mp4)")
    p.add_argument("--json", type=Path, help="write all results as JSON")
    p.add_argument("--csv", type=Path, help="write the timelines as CSV")
    p.add_argument("--every", type=int, help="run the model every N new window frames (default: 5 times a second)")
    p.add_argument("--smooth", type=int, default=1, help="average the last N predictions (default 1: off)")
    p.add_argument("--threshold", type=float, default=0.0, help="below this probability say 'uncertain'")
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--pose-model", help="MediaPipe Tasks .task file (default: the bundled model)")
    p.add_argument("--overwrite", action="store_true", help="replace existing --json/--csv/annotated files")
    p.add_argument("--no-progress", action="store_true")
    a = p.parse_args(argv)
    _refuse_existing(a.json, a.overwrite, "--json")
    _refuse_existing(a.csv, a.overwrite, "--csv")
    checkpoint_path = Path(a.checkpoint) if a.checkpoint else find_latest_checkpoint()
    ckpt = load_checkpoint(checkpoint_path, expected_layout=POSE_LAYOUT)
    videos: list[str] = []
    failed: list[dict] = []
    for source in a.paths:
        try:
            videos += [v for v in resolve_sources(source) if not isinstance(v, int)]
        except UserError as exc:
            failed.append({"path": source, "error": str(exc)})
    if a.save_dir:
        a.save_dir.mkdir(parents=True, exist_ok=True)
    results: list[VideoResult] = []
    for video in tqdm(videos, desc="videos", unit="video", disable=a.no_progress or len(videos) < 2):
        save = a.save_dir / f"{Path(video).stem}_annotated.mp4" if a.save_dir else None
        try:
            results.append(classify_video(video, ckpt, a.every, a.smooth, a.threshold, a.top_k, save, a.overwrite,
                                          a.pose_model, progress=not a.no_progress))
        except UserError as exc:
            failed.append({"path": video, "error": str(exc)})
            tqdm.write(f"skipped {video}: {exc}")
    print(f"checkpoint {checkpoint_path} ({', '.join(ckpt.classes)})")
    print(f"{'video':<40} {'label':<22} {'prob':>6} {'frames':>7} {'person':>7} {'predictions':>11}")
    for r in results:
        print(f"{Path(r.path).name[:40]:<40} {r.label[:22]:<22} {r.probability:>6.1%} {r.frames:>7} "
              f"{r.frames_with_person:>7} {len(r.timeline):>11}")
    for f in failed:
        print(f"FAILED {f['path']}: {f['error']}")
    if a.json:
        a.json.write_text(json.dumps({"checkpoint": str(checkpoint_path), "classes": ckpt.classes,
                                      "videos": [r.to_json() for r in results], "failed": failed}, indent=2))
    if a.csv:
        write_csv(a.csv, results, ckpt.classes)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
