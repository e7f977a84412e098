"""Small video I/O pieces: a writer context manager, an FPS meter, a display check."""
from __future__ import annotations

import os
import sys
import time
from collections import deque
from pathlib import Path

import cv2
import numpy as np

from training.errors import UserError

FOURCC_BY_SUFFIX = {".mp4": "mp4v", ".avi": "MJPG"}


def display_available() -> bool:
    """Can ``cv2.imshow`` open a window? (On Linux without X/Wayland it would abort the process.)"""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


class VideoSink:
    """Writes BGR frames to ``.mp4`` (mp4v) or ``.avi`` (MJPG); opened lazily at the first frame.

    Refuses to replace an existing file unless ``overwrite``; checks that OpenCV really opened
    the writer (it fails silently for codecs it lacks).
    """

    def __init__(self, path: str | Path, fps: float, overwrite: bool = False) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() not in FOURCC_BY_SUFFIX:
            raise UserError(f"Cannot write '{self.path}': use a .mp4 or .avi file name.")
        if self.path.exists() and not overwrite:
            raise UserError(f"'{self.path}' exists; choose another name or add --overwrite.")
        if not self.path.parent.exists():
            raise UserError(f"Cannot write '{self.path}': folder '{self.path.parent}' does not exist.")
        self.fps = fps
        self._writer: cv2.VideoWriter | None = None
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        if self._writer is None:
            h, w = frame.shape[:2]
            fourcc = cv2.VideoWriter_fourcc(*FOURCC_BY_SUFFIX[self.path.suffix.lower()])
            self._writer = cv2.VideoWriter(str(self.path), fourcc, self.fps, (w, h))
            if not self._writer.isOpened():
                raise UserError(f"OpenCV cannot write '{self.path}' (no encoder for it). Try a .avi name.")
        self._writer.write(frame)
        self.frames += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    def __enter__(self) -> "VideoSink":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
