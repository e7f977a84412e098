"""Run the pose model only when the picture changed.

On a picture that does not change (a frozen or paused video, a camera that repeats its last
frame, someone standing perfectly still before a steady camera) MediaPipe's tracking does not
hold still: each frame's crop comes from the last frame's joints, so the joints wander (their
spread over time on a real clip's held frame reached 0.04 body units, a person hanging from a
bar; the decision layer's stillness level is 0.004). Such a person was named an action for
seconds after they stopped, some of them for ever. Here the pose found on a picture is kept
while the picture stays the same: the joints then hold still exactly when the picture does, and
the pose model's time goes to pictures that changed.

"The same" is judged on a grey thumbnail :data:`THUMBNAIL_WIDTH` pixels wide (each of its pixels
the mean of a block of the frame, so sensor and compression noise average out): no thumbnail
pixel more than :data:`UNCHANGED_LEVEL` grey levels from the picture the pose was found on. A
still frame written into an MPEG-4 or MJPEG file and read back stays within 4 levels (28 copies
of the shared real clips); any movement of a limb edge by a pixel or two moves a thumbnail pixel
by more. The comparison is with the picture the pose was found on, not with the previous frame,
so a slow movement adds up until the pose is found again.

The pose is kept only after :data:`SETTLE_ESTIMATES` estimates on the unchanged picture, so that
the tracker has settled on it first (its crop after a jump in posture is off) and so that a
single repeated frame (a 12 fps GIF stored at 24 fps) changes nothing.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from realtime.pose import ClosesOnce, Pose, PoseEstimator

THUMBNAIL_WIDTH = 64      # pixels; a 1280-wide frame is judged in 20x20 blocks, a 320-wide one in 5x5
UNCHANGED_LEVEL = 8       # grey levels (of 255); twice the most a still picture written to a file moved
SETTLE_ESTIMATES = 3      # estimates on an unchanged picture before its pose is kept


def thumbnail(frame_bgr: np.ndarray) -> np.ndarray | None:
    """(H, W, 3) uint8 BGR frame -> (h, w) int16 grey block means, w = THUMBNAIL_WIDTH (or W when
    narrower); None for anything else (the pose model's own check then says what is wrong with it)."""
    if not isinstance(frame_bgr, np.ndarray) or frame_bgr.dtype != np.uint8 or frame_bgr.ndim != 3 \
            or frame_bgr.shape[2] != 3 or frame_bgr.shape[0] < 1 or frame_bgr.shape[1] < 1:
        return None
    height, width = frame_bgr.shape[:2]
    size = (min(THUMBNAIL_WIDTH, width), max(1, round(height * min(THUMBNAIL_WIDTH, width) / width)))
    rows = frame_bgr[::2] if height >= 2 * size[1] else frame_bgr   # every other row: half the memory read
    small = cv2.resize(rows, size, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.int16)


def unchanged(a: np.ndarray | None, b: np.ndarray | None, level: int = UNCHANGED_LEVEL) -> bool:
    """True when two thumbnails of the same size differ nowhere by more than ``level`` grey levels."""
    return a is not None and b is not None and a.shape == b.shape and int(np.abs(a - b).max()) <= level


def _copy(found: Pose | list[Pose] | None) -> Pose | list[Pose] | None:
    """The kept result, copied so that a caller changing it cannot change the next frame's."""
    if found is None:
        return None
    if isinstance(found, list):
        return [_copy(p) for p in found]
    return Pose(found.keypoints.copy(), found.scores.copy(), found.landmarks.copy())


class UnchangedPictureSkip(ClosesOnce):
    """A pose estimator (one person or several) that keeps its last result while the picture stays the same.

    Closing it closes the wrapped estimator; every other attribute is the wrapped estimator's
    own (``threads``, ...). ``estimates`` and ``kept`` count the frames the pose model ran on and
    the frames whose pose was kept.

    Args:
        inner: a tracking (video) pose estimator.
        level: grey levels a thumbnail pixel may move and the picture still count as unchanged.
        settle: estimates on an unchanged picture before its result is kept.
    """

    def __init__(self, inner: PoseEstimator, level: int = UNCHANGED_LEVEL, settle: int = SETTLE_ESTIMATES) -> None:
        self._inner = inner
        self._level = level
        self._settle = settle
        self._reference: np.ndarray | None = None   # thumbnail of the picture the kept result belongs to
        self._method = ""
        self._result: Any = None
        self._runs_on_reference = 0
        self.estimates = 0
        self.kept = 0
        if hasattr(inner, "estimate_all"):
            self.estimate_all = self._estimate_all

    def _through(self, method: str, run: Callable[[], Any], frame_bgr: np.ndarray) -> Any:
        picture = thumbnail(frame_bgr)
        same = method == self._method and unchanged(picture, self._reference, self._level)
        if same and self._runs_on_reference >= self._settle:
            self.kept += 1
            return _copy(self._result)
        result = run()
        self.estimates += 1
        if same:
            self._runs_on_reference += 1
        else:
            self._reference, self._method, self._runs_on_reference = picture, method, 1
        self._result = _copy(result)
        return result

    def estimate(self, frame_bgr: np.ndarray, timestamp_s: float | None = None) -> Pose | None:
        """(H, W, 3) uint8 BGR frame -> the person's COCO-17 pose, or None (see the inner estimator)."""
        return self._through("one", lambda: self._inner.estimate(frame_bgr, timestamp_s), frame_bgr)

    def _estimate_all(self, frame_bgr: np.ndarray, timestamp_s: float | None = None) -> list[Pose]:
        """(H, W, 3) uint8 BGR frame -> everyone found (see the inner estimator)."""
        return self._through("all", lambda: self._inner.estimate_all(frame_bgr, timestamp_s), frame_bgr)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_inner":
            raise AttributeError(name)
        return getattr(self._inner, name)

    def _release(self) -> None:
        self._inner.close()
