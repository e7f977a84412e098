"""MediaPipe poses of real clips, computed once and cached, for studies that replay them many times.

The poses are exactly what ``realtime.video`` sees: the bundled pose model in tracking mode,
every frame in order, at the reader's frame times (:mod:`realtime.frame_clock`). A study can then
replay the track through the streaming recogniser for many checkpoints without re-running pose.
The cache lives in ``~/.cache/action-recogniser/poses`` (``$XDG_CACHE_HOME`` respected).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from realtime.pose import make_pose_estimator
from realtime.sources import VideoFileReader

CACHE_VERSION = "4"   # 4: the file's own frame times


@dataclass
class PoseTrack:
    """One video's poses.

    Attributes:
        timestamps: (N,) seconds of every decoded frame.
        keypoints: (N, 17, 2) float32 COCO-17 pixels; zeros where nobody was found.
        scores: (N, 17) float32 visibility; zeros where nobody was found.
        found: (N,) bool, a person was found in that frame.
        fps: the video's frame rate.
        size: (height, width) of the frames.
    """

    timestamps: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray
    found: np.ndarray
    fps: float
    size: tuple[int, int]

    @property
    def duration_s(self) -> float:
        """From the first frame to the end of the last one."""
        return float(self.timestamps[-1]) + 1.0 / self.fps if len(self.timestamps) else 0.0

    def poses(self):
        """(timestamp, keypoints or None, scores or None) per frame, as the live loop gets them."""
        for t, kp, sc, ok in zip(self.timestamps, self.keypoints, self.scores, self.found):
            yield float(t), (kp if ok else None), (sc if ok else None)


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "action-recogniser" / "poses"


def _key(path: Path, hold_first_s: float) -> str:
    """Named by the video's bytes, not its time stamp: a copy of the same clip (a data folder
    refreshed for each session) finds its poses again instead of running the pose model anew."""
    content = hashlib.sha1(path.read_bytes()).hexdigest()
    return hashlib.sha1(f"{CACHE_VERSION}|{content}|{hold_first_s}".encode()).hexdigest()[:16]


def extract_track(path: Path, hold_first_s: float = 0.0) -> PoseTrack:
    """Run the live pose model over every frame; optionally append the first frame held ``hold_first_s`` s.

    The held frame builds a "person standing still" clip from a real one: the clip, then its first
    frame repeated (a camera watching someone who stopped moving).
    """
    times, kps, scores, found = [], [], [], []
    with VideoFileReader(path) as reader, make_pose_estimator(None, video=True) as pose:
        fps, size = reader.fps, (reader.height, reader.width)
        frames = list(reader)
        held = [frames[0].image] * int(round(hold_first_s * fps))
        end = frames[-1].timestamp_s
        stamped = [(f.image, f.timestamp_s) for f in frames] + [(image, end + (k + 1) / fps)
                                                                 for k, image in enumerate(held)]
        for image, t in stamped:
            p = pose.estimate(image, t)
            times.append(t)
            kps.append(p.keypoints if p else np.zeros((17, 2), np.float32))
            scores.append(p.scores if p else np.zeros(17, np.float32))
            found.append(p is not None)
    return PoseTrack(np.array(times), np.array(kps, np.float32), np.array(scores, np.float32),
                     np.array(found), fps, size)


def cached_track(path: str | Path, hold_first_s: float = 0.0, cache_dir: Path | None = None) -> PoseTrack:
    """:func:`extract_track` through the on-disk cache."""
    path = Path(path)
    folder = cache_dir or default_cache_dir()
    file = folder / f"{path.stem[:40]}-{_key(path, hold_first_s)}.npz"
    if file.exists():
        z = np.load(file)
        return PoseTrack(z["timestamps"], z["keypoints"], z["scores"], z["found"], float(z["fps"]),
                         tuple(int(v) for v in z["size"]))
    track = extract_track(path, hold_first_s)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = file.with_name(file.name + ".tmp.npz")
    np.savez(tmp, timestamps=track.timestamps, keypoints=track.keypoints, scores=track.scores, found=track.found,
             fps=track.fps, size=np.array(track.size))
    os.replace(tmp, file)
    return track
