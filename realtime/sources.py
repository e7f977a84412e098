"""Where frames come from: a deterministic file reader and a threaded capture for cameras,
streams and files (newest frame wins, dropped frames counted). Which sources a ``--source``
names is :mod:`realtime.source_names`."""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from realtime.frame_clock import FrameClock
from realtime.handoff import Handoff
from realtime.opencv_paths import is_valid_unicode, opencv_path
from realtime.pose import native_logs_silenced
from realtime.source_names import is_stream
from training.errors import UserError
from training.input_files import NOT_FOUND, input_file_problem

FALLBACK_FPS = 25.0
# Header rates believed: a time-lapse or a security camera's 0.5 fps is real (below 1 fps it was
# taken for a broken header, timed at 25 fps, and every frame was a new start for the window).
FILE_FPS_RANGE = (0.1, 1000.0)
MIN_USEFUL_FPS = 5.0       # below it the motion between two frames is guessed (interpolated)


def cut_short(frames: int, expected: int) -> str | None:
    """What to tell about a file that decoded to ``frames`` of the ``expected`` its header announces
    (0: unknown): None when it gave (nearly) all of them."""
    if expected <= 0 or frames >= 0.9 * expected:
        return None
    return (f"only {frames} of the {expected} frames its header announces could be decoded (a truncated file, "
            "or a wrong header)")


def too_slow_to_follow(fps: float, model_fps: float) -> str | None:
    """What to tell about a video of ``fps`` read by a model of ``model_fps``: None when it is fast
    enough, else that its poses were interpolated and the result is rough."""
    if fps >= MIN_USEFUL_FPS:
        return None
    return (f"{fps:g} fps is too few to follow motion well; poses were interpolated to {model_fps:g} fps, "
            "expect a rough result")


@dataclass
class Frame:
    """A decoded frame: ``image`` (H, W, 3) uint8 BGR, its position and time in seconds."""

    image: np.ndarray
    index: int
    timestamp_s: float


STREAM_TIMEOUT_MS = 5000     # open and read timeouts of a stream (a stalled one must not hang the loop)
STREAM_RECONNECTS = 3        # tries to reopen a stream that dropped before giving up


REENCODE = "re-encode it, e.g. `ffmpeg -i in -c:v libx264 out.mp4`"


def why_no_frame(capture: cv2.VideoCapture) -> str:
    """Why a video file that opened gave no frame, with the way forward (the capture still open; no
    final full stop: callers end the sentence).

    OpenCV's FFmpeg has no software AV1 decoder: an AV1 video (YouTube downloads, newer phones)
    opens, announces its frames and decodes none, which read as a damaged file.
    """
    code = int(capture.get(cv2.CAP_PROP_FOURCC)) & 0xFFFFFFFF
    fourcc = code.to_bytes(4, "little").decode("latin-1").strip("\x00 ")
    if fourcc.lower() == "av01":
        return ("no frame could be decoded: its video is AV1, which this OpenCV build cannot decode (it has no "
                "software AV1 decoder); " + REENCODE + " (a download with yt-dlp: add `-S vcodec:h264`)")
    codec = f" (codec '{fourcc}')" if fourcc.isalnum() else ""
    return f"no frame could be decoded{codec}: the file is damaged or empty, or OpenCV cannot decode its codec; {REENCODE}"


def _file_fps(capture: cv2.VideoCapture) -> float:
    """The header's frame rate when it is believable (:data:`FILE_FPS_RANGE`), else :data:`FALLBACK_FPS`."""
    fps = capture.get(cv2.CAP_PROP_FPS)
    low, high = FILE_FPS_RANGE
    return float(fps) if fps and math.isfinite(fps) and low <= fps <= high else FALLBACK_FPS


def _frame_count(capture: cv2.VideoCapture) -> int:
    """The container's frame count, 0 when absent or absurd (it is a hint, never trusted)."""
    count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    return int(count) if count and math.isfinite(count) and 0 < count < 1e8 else 0


def frame_count_hint(path: str | Path) -> int:
    """How many frames a video file's header claims (0 when it cannot say): cheap; for scheduling,
    and to check that a video just written can be read back (:class:`realtime.video_io.VideoSink`)."""
    capture = _quiet_open(str(path))
    try:
        return _frame_count(capture) if capture.isOpened() else 0
    finally:
        capture.release()


class VideoFileReader:
    """Every frame of a video file in order, with the times the file gives them (deterministic;
    ``index / fps`` where the file's time stamps cannot be believed: :mod:`realtime.frame_clock`).

    Raises:
        UserError: when the file cannot be opened or yields no frame.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = check_video_file(path)
        refuse_images(self.path)
        self._capture = _quiet_open(str(self.path))
        if not self._capture.isOpened():
            raise UserError(f"Cannot open video '{self.path}': OpenCV cannot decode it (not a video, or an "
                            "unsupported codec). " + REENCODE[0].upper() + REENCODE[1:] + ".")
        self.fps = _file_fps(self._capture)
        self.width = int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.frame_count_hint = _frame_count(self._capture)   # can lie: progress bars and warnings only
        self.frames_read = 0

    def __iter__(self) -> Iterator[Frame]:
        clock = FrameClock(self.fps)
        while True:
            ok, image = self._capture.read()
            if not ok or image is None:
                break
            yield Frame(image, self.frames_read, clock.time_of(self._capture.get(cv2.CAP_PROP_POS_MSEC)))
            self.frames_read += 1
        if self.frames_read == 0:
            raise UserError(f"Video '{self.path}': {why_no_frame(self._capture)}.")

    def close(self) -> None:
        self._capture.release()

    def __enter__(self) -> "VideoFileReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_video_file(path: str | Path) -> Path:
    """A video file that can be read (not missing, a folder, a device or pipe, or empty).

    Raises:
        UserError: "Cannot open video '<path>': it <why>."
    """
    problem = input_file_problem(path)
    if problem == NOT_FOUND:
        raise UserError(f"Cannot open video '{path}' (file not found).")
    if problem is not None:
        raise UserError(f"Cannot open video '{path}': it {problem}.")
    return Path(path)


def _quiet_open(source: str | int) -> cv2.VideoCapture:
    """cv2.VideoCapture without OpenCV's own error lines (we explain failures); streams get timeouts.

    Opening a file is also kept off the terminal at the file-descriptor level (FFmpeg prints
    "moov atom not found" and the like itself), unless the command runs with --verbose.

    Frames come out as a player shows them: a phone video filmed upright is stored sideways with
    a rotation tag, which this OpenCV build does not apply by default (a person lying on their
    side would reach the pose model); auto-rotation is switched on, and the reported width and
    height follow it.
    """
    previous = cv2.getLogLevel()
    cv2.setLogLevel(0)  # 0: silent
    try:
        if is_stream(source):
            if not is_valid_unicode(source):
                raise UserError(f"Stream address {source!r} is not valid text (undecodable bytes); check the URL.")
            capture = cv2.VideoCapture(source, cv2.CAP_FFMPEG, [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, STREAM_TIMEOUT_MS,
                                                                cv2.CAP_PROP_READ_TIMEOUT_MSEC, STREAM_TIMEOUT_MS])
        else:
            with native_logs_silenced(enabled=previous == 0 and not isinstance(source, int)):
                if isinstance(source, int):
                    capture = cv2.VideoCapture(source)
                else:
                    with opencv_path(source) as name:
                        capture = cv2.VideoCapture(name)
        if capture.isOpened() and not isinstance(source, int):
            capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        return capture
    finally:
        cv2.setLogLevel(previous)


def refuse_images(path: str | Path) -> None:
    """A still image (whatever its name) is not a video: refuse it with the way forward."""
    if not Path(path).is_file():
        return
    with opencv_path(path) as name:
        is_image = cv2.haveImageReader(name)
    if is_image:
        raise UserError(f"'{path}' is a still image, not a video: actions need motion. Pass a video file, a folder "
                        "of videos, a stream URL or a camera index.")


def open_capture(source: str | int, tried_max: int = 4) -> cv2.VideoCapture:
    """Open a camera index or a file with OpenCV; a camera that fails lists what was tried."""
    if isinstance(source, str) and not is_stream(source):
        check_video_file(source)
        refuse_images(source)
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
    if is_stream(source):
        raise UserError(f"Cannot open stream '{source}' (no answer within {STREAM_TIMEOUT_MS / 1000:g} s, or not a "
                        "video stream). Check the URL in a browser or VLC, and that the camera app is running.")
    raise UserError(f"Cannot open video '{source}': OpenCV cannot decode it.")


CAPTURE_THREAD_NAME = "capture"     # the reader thread (bench.thread_cpu reports its CPU time by this name)


class ThreadedCapture:
    """Reads frames in a background thread; :meth:`latest` returns the newest one.

    The reader never waits for the consumer: frames that arrive before the previous one was
    taken are dropped and counted. For a file the reader paces itself to the file's frame times when
    ``realtime`` (what a camera would do), else it delivers every frame in order and waits
    until each one is taken (no drops). A stream URL is live like a camera; when it drops it is
    reopened up to :data:`STREAM_RECONNECTS` times before the run ends with a message.

    Args:
        source: camera index, stream URL or video path.
        realtime: pace file sources to their fps and drop frames a slow consumer misses.
        loop: start a file again when it ends (timestamps keep increasing).
    """

    def __init__(self, source: str | int, realtime: bool = True, loop: bool = False) -> None:
        self.source = source
        self._capture = open_capture(source)
        self.is_camera = isinstance(source, int)
        self.is_live = self.is_camera or is_stream(source)
        self.loop = loop and not self.is_live
        self.fps = _file_fps(self._capture)
        self.realtime = realtime or self.is_live
        self.width = int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.frame_count_hint = _frame_count(self._capture)   # can lie: progress bars and warnings only
        self.frames_read = 0
        self.decode_seconds = 0.0
        self.reconnects = 0
        self.error: str | None = None
        self._handoff: Handoff[Frame] = Handoff(drop_when_full=self.realtime)
        self._thread = threading.Thread(target=self._run, name=CAPTURE_THREAD_NAME, daemon=True)
        self._start_lock = threading.Lock()

    def _start(self) -> None:
        """Start reading (once). The source is opened and checked at construction, but read only
        when the consumer first asks for a frame: a source that cannot be opened is reported
        before the pose model loads, and no frame of a paced file is dropped while it loads."""
        with self._start_lock:
            if self._thread.ident is None and not self._handoff.closed:
                self._thread.start()

    def _reopen(self) -> bool:
        """A dropped stream: reopen it (same timeouts); False when it cannot be reached again."""
        self._capture.release()
        while self.reconnects < STREAM_RECONNECTS and not self._handoff.closed:
            self.reconnects += 1
            self._capture = _quiet_open(self.source)
            if self._capture.isOpened():
                return True
            time.sleep(0.5)
        return False

    def _ended_why(self) -> str | None:
        """Why the source stopped giving frames (None: a file that simply ended)."""
        if self.is_camera:
            if self.frames_read == 0:
                return (f"camera {self.source} opened but delivered no frame: another program (a video call, "
                        "a browser tab) may be using it; close it, or try another --source index")
            return f"camera {self.source} stopped delivering frames"
        if is_stream(self.source):
            if self.frames_read == 0:
                return (f"stream {self.source} delivered no frame (reconnected {self.reconnects} time(s)): check that "
                        "it plays in VLC or ffplay; a video file on a web server needs a server that answers range "
                        "requests, or download it and pass the file")
            return f"stream {self.source} stopped delivering frames (reconnected {self.reconnects} time(s))"
        if self.frames_read == 0:
            return why_no_frame(self._capture)
        return None

    def _run(self) -> None:
        started = time.monotonic()
        failures = 0
        offset_s = 0.0           # a looping file: time already played
        in_pass = 0              # frames read in this pass over a file
        clock = FrameClock(self.fps)
        pass_s = 0.0             # time of the last frame of this pass
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
                    if is_stream(self.source) and self._reopen():
                        continue
                    if self.loop and in_pass > 0:
                        offset_s += pass_s + clock.period
                        in_pass, clock = 0, FrameClock(self.fps)
                        self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                        continue
                    self.error = self._ended_why()
                    break
                failures = 0
                now = time.monotonic() - started
                if not self.is_live:
                    pass_s = clock.time_of(self._capture.get(cv2.CAP_PROP_POS_MSEC))
                timestamp = now if self.is_live else offset_s + pass_s
                if self.realtime and not self.is_live and timestamp > now:
                    time.sleep(timestamp - now)  # play a file at its own rate
                self.frames_read += 1
                in_pass += 1
                if not self._handoff.put(Frame(image, self.frames_read - 1, timestamp)):
                    break
        finally:
            self._handoff.finish()

    @property
    def dropped(self) -> int:
        return self._handoff.dropped

    def latest(self, timeout: float = 2.0) -> Frame | None:
        """The newest unread frame; waits up to ``timeout`` s. None when the source has ended."""
        self._start()
        return self._handoff.get(timeout)

    @property
    def finished(self) -> bool:
        return self._handoff.finished

    def close(self) -> None:
        with self._start_lock:
            self._handoff.close()
        if self._thread.ident is not None:
            self._thread.join(timeout=STREAM_TIMEOUT_MS / 1000 + 1.0)
        if not self._thread.is_alive():     # a reader stuck in a stalled stream keeps its handle
            self._capture.release()

    def __enter__(self) -> "ThreadedCapture":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
