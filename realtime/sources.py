"""Where frames come from: one ``--source`` resolver, a deterministic file reader, and a
threaded capture for cameras (newest frame wins, dropped frames counted)."""
from __future__ import annotations

import glob
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from realtime.handoff import Handoff
from training.errors import UserError

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")
FALLBACK_FPS = 25.0


@dataclass
class Frame:
    """A decoded frame: ``image`` (H, W, 3) uint8 BGR, its position and time in seconds."""

    image: np.ndarray
    index: int
    timestamp_s: float


def resolve_sources(source: str | int) -> list[str | int]:
    """``--source`` -> camera indices or video files.

    Accepts a camera index (``0``), a video file, a folder (its videos and its subfolders', sorted)
    or a glob.
    """
    text = str(source).strip()
    if text.isdigit():
        return [int(text)]
    path = Path(text).expanduser()
    if path.is_dir():
        videos = sorted(str(p) for p in path.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
        if not videos:
            raise UserError(f"Folder '{path}' holds no video ({', '.join(VIDEO_SUFFIXES)}).")
        return videos
    if path.is_file():
        return [str(path)]
    if any(ch in text for ch in "*?["):
        matches = sorted(p for p in glob.glob(text, recursive=True) if Path(p).suffix.lower() in VIDEO_SUFFIXES)
        if not matches:
            raise UserError(f"Pattern '{text}' matches no video file.")
        return matches
    raise UserError(f"Cannot open '{text}' (file not found). Pass a video file, a folder, a glob such as "
                    "'clips/*.mp4', or a camera index such as --source 0.")


def _file_fps(capture: cv2.VideoCapture) -> float:
    fps = capture.get(cv2.CAP_PROP_FPS)
    return float(fps) if fps and math.isfinite(fps) and 1.0 <= fps <= 1000.0 else FALLBACK_FPS


class VideoFileReader:
    """Every frame of a video file in order, with timestamps index / fps (deterministic).

    Raises:
        UserError: when the file cannot be opened or yields no frame.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise UserError(f"Cannot open video '{self.path}' (file not found).")
        self._capture = cv2.VideoCapture(str(self.path))
        if not self._capture.isOpened():
            raise UserError(f"Cannot open video '{self.path}': OpenCV cannot decode it (not a video, or an "
                            "unsupported codec). Re-encode it, e.g. `ffmpeg -i in -c:v libx264 out.mp4`.")
        self.fps = _file_fps(self._capture)
        self.width = int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.frame_count_hint = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT))  # can lie; only for progress bars
        self.frames_read = 0

    def __iter__(self) -> Iterator[Frame]:
        while True:
            ok, image = self._capture.read()
            if not ok or image is None:
                break
            yield Frame(image, self.frames_read, self.frames_read / self.fps)
            self.frames_read += 1
        if self.frames_read == 0:
            raise UserError(f"Video '{self.path}' opened but no frame could be decoded (corrupt or empty file).")

    def close(self) -> None:
        self._capture.release()

    def __enter__(self) -> "VideoFileReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _quiet_open(source: str | int) -> cv2.VideoCapture:
    """cv2.VideoCapture without OpenCV's own error lines for a missing camera (we explain it)."""
    previous = cv2.getLogLevel()
    cv2.setLogLevel(0)  # 0: silent
    try:
        return cv2.VideoCapture(source)
    finally:
        cv2.setLogLevel(previous)


def open_capture(source: str | int, tried_max: int = 4) -> cv2.VideoCapture:
    """Open a camera index or a file with OpenCV; a camera that fails lists what was tried."""
    capture = _quiet_open(source)
    if capture.isOpened():
        return capture
    capture.release()
    if isinstance(source, int):
        working = []
        for index in range(tried_max):
            if index == source:
                continue
            probe = _quiet_open(index)
            if probe.isOpened():
                working.append(index)
            probe.release()
        hint = (f"Cameras that do open: {', '.join(map(str, working))} (use --source N)." if working else
                f"No camera opened among indices 0..{tried_max - 1}; check it is connected and not in use, "
                "or pass a video file with --source.")
        raise UserError(f"Cannot open camera {source}. {hint}")
    raise UserError(f"Cannot open video '{source}': OpenCV cannot decode it.")


class ThreadedCapture:
    """Reads frames in a background thread; :meth:`latest` returns the newest one.

    The reader never waits for the consumer: frames that arrive before the previous one was
    taken are dropped and counted. For a file the reader paces itself to the file's fps when
    ``realtime`` (what a camera would do), else it delivers every frame in order and waits
    until each one is taken (no drops).

    Args:
        source: camera index or video path.
        realtime: pace file sources to their fps and drop frames a slow consumer misses.
    """

    def __init__(self, source: str | int, realtime: bool = True) -> None:
        self.source = source
        self._capture = open_capture(source)
        self.is_camera = isinstance(source, int)
        self.fps = _file_fps(self._capture)
        self.realtime = realtime or self.is_camera
        self.width = int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.frame_count_hint = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)  # can lie: progress bars only
        self.frames_read = 0
        self.decode_seconds = 0.0
        self.error: str | None = None
        self._handoff: Handoff[Frame] = Handoff(drop_when_full=self.realtime)
        self._thread = threading.Thread(target=self._run, name="capture", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        started = time.monotonic()
        failures = 0
        try:
            while not self._handoff.closed:
                t = time.perf_counter()
                ok, image = self._capture.read()
                self.decode_seconds += time.perf_counter() - t
                if not ok or image is None:
                    failures += 1
                    if self.is_camera and failures < 30:  # a camera may hiccup; give it about a second
                        time.sleep(0.03)
                        continue
                    if self.is_camera:
                        self.error = f"camera {self.source} stopped delivering frames"
                    elif self.frames_read == 0:
                        self.error = f"no frame could be decoded from '{self.source}'"
                    break
                failures = 0
                now = time.monotonic() - started
                timestamp = now if self.is_camera else self.frames_read / self.fps
                if self.realtime and not self.is_camera and timestamp > now:
                    time.sleep(timestamp - now)  # play a file at its own rate
                self.frames_read += 1
                if not self._handoff.put(Frame(image, self.frames_read - 1, timestamp)):
                    break
        finally:
            self._handoff.finish()

    @property
    def dropped(self) -> int:
        return self._handoff.dropped

    def latest(self, timeout: float = 2.0) -> Frame | None:
        """The newest unread frame; waits up to ``timeout`` s. None when the source has ended."""
        return self._handoff.get(timeout)

    @property
    def finished(self) -> bool:
        return self._handoff.finished

    def close(self) -> None:
        self._handoff.close()
        self._thread.join(timeout=2.0)
        self._capture.release()

    def __enter__(self) -> "ThreadedCapture":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
