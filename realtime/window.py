"""The live time base: resample poses to the checkpoint's fps, keep the newest ``window_frames``.

Both ``realtime.cam`` and ``realtime.video`` (and ``realtime.extract``) push every pose
through these two classes, then hand the window to the training feature function.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from training.features import FeatureSpec, build_features


MIN_GAP_S = 0.5


def bridgeable_gap(source_fps: float | None) -> float:
    """Longest gap between two poses that is interpolated: 0.5 s, or 1.5 frame intervals of a slower source."""
    if not source_fps or source_fps <= 0:
        return MIN_GAP_S
    return max(MIN_GAP_S, 1.5 / source_fps)


class TimeResampler:
    """Poses at any frame rate -> poses on a regular ``fps`` grid, by linear interpolation.

    The first pose after a start or a gap is emitted as it is; then every grid tick between two
    consecutive poses gets their interpolation. A slow camera (15 fps) thus yields 25 poses a
    second for a 25 fps model, a fast one (60 fps) fewer, so a window of 300 frames always spans
    ``300 / fps`` seconds, as in training. Poses further apart than ``max_gap_s`` are not bridged
    (:func:`bridgeable_gap` widens it for slow sources: a 1 fps video is still interpolated).
    """

    def __init__(self, fps: float, max_gap_s: float = 0.5) -> None:
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.period = 1.0 / fps
        self.max_gap_s = max_gap_s
        self._last: tuple[float, np.ndarray] | None = None
        self._grid_start = 0.0
        self._ticks_done = 0

    def reset(self) -> None:
        """Forget the last pose (nobody seen): the next pose starts a new grid."""
        self._last = None

    def _tick(self) -> float:
        return self._grid_start + self._ticks_done * self.period   # no drift from repeated additions

    def push(self, timestamp_s: float, keypoints: np.ndarray) -> list[np.ndarray]:
        """Add a pose seen at ``timestamp_s``; returns the (V, C) poses due on the grid (maybe none)."""
        last = self._last
        if last is not None and timestamp_s <= last[0]:
            return []  # a repeated or out-of-order timestamp adds nothing
        if last is None or timestamp_s - last[0] > self.max_gap_s:
            self._last = (timestamp_s, keypoints)
            self._grid_start, self._ticks_done = timestamp_s, 1
            return [keypoints]
        t0, k0 = last
        out = []
        while (tick := self._tick()) <= timestamp_s + 1e-6:
            if abs(tick - timestamp_s) <= 1e-6:
                out.append(keypoints)  # a tick on a real frame takes that frame as it is
            else:
                w = (tick - t0) / (timestamp_s - t0)
                out.append(((1.0 - w) * k0 + w * keypoints).astype(np.float32))
            self._ticks_done += 1
        self._last = (timestamp_s, keypoints)
        return out


class SlidingWindow:
    """The newest ``spec.window_frames`` poses at ``spec.fps``, and their model input.

    Each pose is kept with its joint scores (interpolated like the joints), so the decision layer
    can tell a body that is not fully in view. Frames with nobody in them are not added; after ``reset_after_s`` seconds without anyone the
    window is emptied, so an old action does not linger. ``version`` increases with every added
    pose: a consumer can skip the model when it has not changed.
    """

    def __init__(self, spec: FeatureSpec, reset_after_s: float = 3.0, source_fps: float | None = None) -> None:
        self.spec = spec
        self.reset_after_s = reset_after_s
        self._poses: deque[np.ndarray] = deque(maxlen=spec.window_frames)
        self._resampler = TimeResampler(spec.fps, max_gap_s=bridgeable_gap(source_fps))
        self._last_seen_s: float | None = None
        self.version = 0

    def __len__(self) -> int:
        return len(self._poses)

    @property
    def full(self) -> bool:
        return len(self._poses) == self.spec.window_frames

    def reset(self) -> None:
        self._poses.clear()
        self._resampler.reset()
        self._last_seen_s = None
        self.version += 1

    def push(self, timestamp_s: float, keypoints: np.ndarray | None, scores: np.ndarray | None = None) -> int:
        """Add one frame's pose ((17, 2) pixels, (17,) scores; None scores count as fully visible)
        or None for nobody; returns poses added."""
        if keypoints is None:
            self._resampler.reset()
            if self._last_seen_s is not None and timestamp_s - self._last_seen_s > self.reset_after_s and self._poses:
                self.reset()
            return 0
        self._last_seen_s = timestamp_s
        if scores is None:
            scores = np.ones(len(keypoints), dtype=np.float32)
        added = self._resampler.push(timestamp_s, np.concatenate([keypoints, scores[:, None]], axis=1))
        self._poses.extend(added)
        self.version += len(added)
        return len(added)

    def _stacked(self) -> np.ndarray:
        """(n, V, 3) x, y, score of the poses in the window, oldest first."""
        if not self._poses:
            return np.zeros((0, self.spec.num_joints, 3), dtype=np.float32)
        return np.stack(self._poses).astype(np.float32)

    def keypoints(self) -> np.ndarray:
        """(n, 17, 2) the poses in the window (pixels), oldest first."""
        return self._stacked()[..., :2]

    def scores(self) -> np.ndarray:
        """(n, 17) their joint scores."""
        return self._stacked()[..., 2]

    def features(self) -> tuple[np.ndarray, int]:
        """The training feature function applied to the window: ((max(length, 1), F), length)."""
        return build_features(self.keypoints(), self.spec, pad=False)
