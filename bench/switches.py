"""Does the shown label follow a change of action? ``python -m bench.switches --checkpoint X``.

Two real in-class clips joined (one action, then another: every ordered pair of the clips the
checkpoint names right on their own, one clip per class, at least 2.5 s long) are replayed through
exactly the ``realtime.video`` timeline (:func:`bench.trust.replay`). Both clips' poses are first
moved and scaled onto one frame (body centre at the same place, the same body height), as one
person changing action in front of one camera would be. Printed per checkpoint: the share of pairs
whose shown label took up the second action for good before its clip ended, and the median delay
from the change to that moment.
"""
from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from bench.pose_cache import PoseTrack, cached_track
from bench.real_clip_cli import parse_study_arguments
from bench.trust import in_class_videos, replay, settled_after
from training.checkpoint import LoadedCheckpoint
from training.errors import run_cli
from training.features import ORIGIN_EPS_PX
from training.inference import torch_threads

FRAME_CENTRE_PX = np.array([320.0, 240.0], np.float32)
BODY_HEIGHT_PX = 200.0
MIN_CLIP_S = 2.5


def onto_one_frame(track: PoseTrack) -> PoseTrack:
    """The track with its poses moved to :data:`FRAME_CENTRE_PX` and scaled to :data:`BODY_HEIGHT_PX`
    (5th-95th percentile of the placed joints' y); missing joints stay at the origin, time from 0."""
    placed = track.found[:, None] & (np.abs(track.keypoints) > ORIGIN_EPS_PX).any(-1)     # (N, 17)
    points = track.keypoints[placed]                                                    # (P, 2)
    if len(points) == 0:
        return track
    height = max(float(np.percentile(points[:, 1], 95) - np.percentile(points[:, 1], 5)), 1.0)
    moved = (track.keypoints - np.median(points, axis=0)) * (BODY_HEIGHT_PX / height) + FRAME_CENTRE_PX
    keypoints = np.where(placed[..., None], moved, 0.0).astype(np.float32)
    return PoseTrack(track.timestamps - track.timestamps[0], keypoints, track.scores, track.found, track.fps,
                     (480, 640))


def joined(first: PoseTrack, second: PoseTrack) -> tuple[PoseTrack, float]:
    """``first`` then ``second`` as one track; returns it and the time the second one starts."""
    start = float(first.timestamps[-1]) + 1.0 / first.fps
    return PoseTrack(np.concatenate([first.timestamps, second.timestamps + start]),
                     np.concatenate([first.keypoints, second.keypoints]), np.concatenate([first.scores, second.scores]),
                     np.concatenate([first.found, second.found]), first.fps, first.size), start


def measure(ckpt: LoadedCheckpoint, videos: Path) -> dict:
    """{'pairs', 'followed', 'median_delay_s', 'classes'} for one checkpoint."""
    clips: dict[str, PoseTrack] = {}
    with torch_threads(1):
        for path, truth in in_class_videos(videos, ckpt.classes):
            track = onto_one_frame(cached_track(path))
            if truth not in clips and track.duration_s >= MIN_CLIP_S and replay(track, ckpt)[0] == truth:
                clips[truth] = track
        delays = []
        for (_, first), (second_class, second) in itertools.permutations(clips.items(), 2):
            track, start = joined(first, second)
            _, labels, times = replay(track, ckpt)
            delays.append(settled_after(labels, times, start, second_class.__eq__))
    followed = [d for d in delays if d is not None]
    return {"classes": sorted(clips), "pairs": len(delays), "followed": len(followed) / max(1, len(delays)),
            "median_delay_s": float(np.median(followed)) if followed else None}


def main(argv: list[str] | None = None) -> list[dict]:
    videos, models = parse_study_arguments("bench.switches", __doc__, argv)
    rows = []
    for path, ckpt in models:
        row = measure(ckpt, videos)
        rows.append({"checkpoint": str(path), **row})
        delay = "-" if row["median_delay_s"] is None else f"{row['median_delay_s']:.2f} s"
        print(f"{path}: {row['pairs']} pairs of {len(row['classes'])} classes; second action taken up in "
              f"{row['followed']:.2f} of them, median delay {delay}", flush=True)
    return rows


if __name__ == "__main__":
    run_cli(main)
