"""Small video I/O pieces: a writer context manager, an FPS meter, a display check."""
from __future__ import annotations

import time
from collections import deque
from pathlib import Path

import cv2
import numpy as np

from realtime.opencv_paths import opencv_path
from realtime.sources import frame_count_hint
from training.errors import UserError
from training.outputs import check_output_file, new_partial_file, publish, through_link

FOURCC_BY_SUFFIX = {".mp4": "mp4v", ".avi": "MJPG"}
MAX_FILL_S = 10.0    # the longest gap between two frames a recording fills with the earlier one


def fit_into(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``frame`` (H, W, 3) scaled to fit inside ``size`` (width, height), keeping its aspect ratio,
    centred on black: (height, width, 3)."""
    width, height = size
    h, w = frame.shape[:2]
    if (w, h) == (width, height):
        return frame
    scale = min(width / w, height / h)
    new_w, new_h = max(1, min(width, round(w * scale))), max(1, min(height, round(h * scale)))
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    top, left = (height - new_h) // 2, (width - new_w) // 2
    canvas[top:top + new_h, left:left + new_w] = cv2.resize(frame, (new_w, new_h), interpolation=cv2.INTER_AREA)
    return canvas


class VideoSink:
    """Writes BGR frames to ``.mp4`` (mp4v) or ``.avi`` (MJPG), atomically.

    The path is checked when the sink is made (before any work): suffix, an existing file
    (refused unless ``overwrite``), a missing or unwritable folder. Frames go to a temporary file
    beside it, opened at the first frame; :meth:`close` renames it to ``path`` (``keep=False``
    deletes it instead), so the final name never holds a half-written or unplayable video; without
    ``overwrite``, a file another process made at ``path`` meanwhile is kept and the video goes
    beside it (:func:`training.outputs.publish`). The video takes the first frame's size; a later
    frame of another size is fitted into it, since OpenCV's writer drops such frames without a
    word (and the recording would then fail its read-back check). OpenCV's own camera and stream
    readers deliver one size throughout; other frame sources need not.

    Frames given with their time (:meth:`write`'s ``timestamp_s``) are placed on the video's
    ``fps`` grid, so the file plays at the speed things happened: a live loop that kept 20 of a
    30 fps camera's frames wrote them one after the other, and its recording ran 1.5 times too
    fast (and read back by ``realtime.video``, every action too); a frame is held until the next
    one comes (at most :data:`MAX_FILL_S`: a stalled source adds no minutes of one picture), and
    one that comes before the next slot on the grid is left out.
    """

    def __init__(self, path: str | Path, fps: float, overwrite: bool = False, flag: str = "--save") -> None:
        check_output_file(Path(path), flag, overwrite, suffixes=tuple(FOURCC_BY_SUFFIX))
        self.path = through_link(Path(path), flag)   # written through a link
        self.overwrite = overwrite                   # False: a file another process made meanwhile is kept
        self.fps = fps
        self._writer: cv2.VideoWriter | None = None
        self._tmp: Path | None = None
        self._size = (0, 0)     # (width, height) of the video, set by the first frame
        self._start_s: float | None = None   # time of the video's first frame (timed writes)
        self._last: np.ndarray | None = None   # the frame written last, held over gaps
        self.frames = 0

    def _slot(self, timestamp_s: float | None) -> int | None:
        """The video frame a frame of this time goes into (None: the next one; always so untimed)."""
        if timestamp_s is None:
            return None
        if self._start_s is None:
            self._start_s = timestamp_s
        slot = int(np.floor((timestamp_s - self._start_s) * self.fps + 1e-6))
        excess = slot - self.frames - round(MAX_FILL_S * self.fps)
        if excess > 0:                       # a long stall: the video's clock skips it
            self._start_s += excess / self.fps
            slot -= excess
        return slot

    def write(self, frame: np.ndarray, timestamp_s: float | None = None) -> None:
        """Add ``frame`` (H, W, 3) BGR; with ``timestamp_s`` (seconds, any origin), at its time: the
        previous frame is held until then, and a frame whose slot is already taken is left out.
        The sink keeps the last frame to hold it: do not draw into it after writing it."""
        slot = self._slot(timestamp_s)
        if slot is not None and slot < self.frames:
            return
        if self._writer is None:
            h, w = frame.shape[:2]
            self._size = (w, h)
            self._tmp = new_partial_file(self.path)
            fourcc = cv2.VideoWriter_fourcc(*FOURCC_BY_SUFFIX[self.path.suffix.lower()])
            with opencv_path(self._tmp) as name:
                self._writer = cv2.VideoWriter(name, fourcc, self.fps, (w, h))
            if not self._writer.isOpened():
                self.close(keep=False)
                raise UserError(f"OpenCV has no encoder for '{self.path}' in this installation. Use a .avi name "
                                "(MJPG) or .mp4 (mp4v).")
        while slot is not None and self.frames < slot and self._last is not None:    # hold the previous picture
            self._writer.write(self._last)
            self.frames += 1
        self._last = fit_into(frame, self._size)
        self._writer.write(self._last)
        self.frames += 1

    def close(self, keep: bool = True) -> Path | None:
        """Finish the file; returns its path (None when nothing was written or ``keep`` is False)."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        tmp, self._tmp = self._tmp, None
        if tmp is None or not tmp.exists():
            return None
        if keep and self.frames:
            readable = frame_count_hint(tmp)    # 0 when unreadable: a writer that hit a full disk leaves no index
            if readable < self.frames:
                tmp.unlink()
                raise UserError(f"The annotated video '{self.path}' could not be written completely ({readable} of "
                                f"{self.frames} frames readable back: is the disk full?); nothing was kept under "
                                "that name. Free some space or choose another path.")
            return publish(tmp, self.path, replace=self.overwrite)
        tmp.unlink()
        return None

    def __enter__(self) -> "VideoSink":
        return self

    def __exit__(self, exc_type, *exc: object) -> None:
        self.close(keep=exc_type is None)


class FpsMeter:
    """Frames per second over the last ``window`` ticks (``time.monotonic``)."""

    def __init__(self, window: int = 30) -> None:
        self._ticks: deque[float] = deque(maxlen=window)

    def tick(self) -> None:
        self._ticks.append(time.monotonic())

    @property
    def fps(self) -> float:
        if len(self._ticks) < 2:
            return 0.0
        span = self._ticks[-1] - self._ticks[0]
        return (len(self._ticks) - 1) / span if span > 0 else 0.0
