"""Is the recogniser as good on mirrored footage? ``python -m bench.mirror --checkpoint X``.

Left-handed golfers and tennis players, and selfie cameras, show actions mirrored. Each real
in-class clip (``videos/realworld/<class>/``) is replayed through exactly the ``realtime.video``
timeline (:func:`bench.trust.replay`) three ways: as it is; its video flipped left-right and
written to MPEG-4 (what a user would have), with poses found by MediaPipe afresh; and the
original's poses mirrored (x -> width - 1 - x, left and right joints swapped). The second and
third tell apart what the pose model does with a mirrored picture from what the action model
does with a mirrored skeleton. Printed per checkpoint: clip accuracy of the three, and every clip
whose label differs.
"""
from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from bench.pose_cache import PoseTrack, cached_track
from bench.real_clip_cli import parse_study_arguments
from bench.trust import in_class_videos, replay
from mapping.layouts import COCO17, flip_permutation
from training.checkpoint import LoadedCheckpoint
from training.errors import run_cli
from training.features import joint_present
from training.inference import torch_threads

WAYS = ("original", "mirrored video", "mirrored poses")


def mirrored_track(track: PoseTrack) -> PoseTrack:
    """The track's poses as the mirrored picture would show them: x -> width - 1 - x and left and
    right joints swapped; joints not placed (at the origin) and frames without a person stay so."""
    swap = flip_permutation(COCO17)
    keypoints, scores = track.keypoints[:, swap].copy(), track.scores[:, swap].copy()     # (N, 17, 2), (N, 17)
    placed = joint_present(keypoints) & track.found[:, None]
    width = track.size[1]
    keypoints[..., 0] = np.where(placed, (width - 1) - keypoints[..., 0], keypoints[..., 0])
    return replace(track, keypoints=keypoints.astype(np.float32), scores=scores)


def mirror_video(source: Path, target: Path) -> None:
    """Write ``source`` flipped left-right to ``target`` (MPEG-4, the source's frame rate and size)."""
    capture = cv2.VideoCapture(str(source))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    size = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            writer.write(cv2.flip(frame, 1))
    finally:
        capture.release()
        writer.release()


def measure(ckpt: LoadedCheckpoint, videos: Path, workdir: Path) -> dict:
    """{'clips', 'accuracy': {way: share named right}, 'changed': [(clip, class, label per way)]}."""
    labels: list[tuple[str, str, tuple[str, ...]]] = []
    with torch_threads(1):
        for path, truth in in_class_videos(videos, ckpt.classes):
            flipped = workdir / f"{truth}__{path.name}"
            if not flipped.exists():
                mirror_video(path, flipped)
            original = cached_track(path)
            tracks = (original, cached_track(flipped), mirrored_track(original))
            labels.append((path.name, truth, tuple(replay(track, ckpt)[0] for track in tracks)))
    accuracy = {way: float(np.mean([ways[i] == truth for _, truth, ways in labels])) if labels else None
                for i, way in enumerate(WAYS)}
    changed = [(name, truth, ways) for name, truth, ways in labels if len({w == truth for w in ways}) > 1]
    return {"clips": len(labels), "accuracy": accuracy, "changed": changed}


def main(argv: list[str] | None = None) -> list[dict]:
    videos, models = parse_study_arguments("bench.mirror", __doc__, argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="mirrored-clips-") as workdir:
        for path, ckpt in models:
            row = measure(ckpt, videos, Path(workdir))
            rows.append({"checkpoint": str(path), **row})
            print(f"{path}: {row['clips']} clips; clip accuracy "
                  + ", ".join(f"{way} {share:.2f}" for way, share in row["accuracy"].items() if share is not None),
                  flush=True)
            for name, truth, ways in row["changed"]:
                print(f"  {truth:<14} {name[:44]:<44} " + " / ".join(ways))
    return rows


if __name__ == "__main__":
    run_cli(main)
