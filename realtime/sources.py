"""Where frames come from: one ``--source`` resolver, a deterministic file reader, and a
threaded capture for cameras (newest frame wins, dropped frames counted)."""
from __future__ import annotations

import glob
import hashlib
import math
import os
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from realtime.frame_clock import FrameClock
from realtime.handoff import Handoff
from realtime.opencv_paths import is_valid_unicode, opencv_path
from realtime.pose import native_logs_silenced
from training.cli_types import path_too_long
from training.errors import UserError
from training.input_files import NOT_FOUND, input_file_problem
from training.outputs import cut_to_bytes

# What a folder's videos are named (a file given by name is read whatever its suffix). .gif:
# exercise demonstrations are often animated GIFs (OpenCV reads them through FFmpeg; a
# single-frame GIF is read as a one-frame video and warned about as too short). Camcorders write
# .mts/.m2ts, phones of old .3gp, broadcast recorders .ts, DVDs .vob: all read by OpenCV's FFmpeg.
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".gif", ".mts", ".m2ts",
                  ".ts", ".3gp", ".3g2", ".flv", ".f4v", ".ogv", ".vob", ".asf", ".mxf", ".divx", ".qt")
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


STREAM_SCHEMES = ("http://", "https://", "rtsp://", "rtsps://", "rtmp://", "udp://", "tcp://")
STREAM_TIMEOUT_MS = 5000     # open and read timeouts of a stream (a stalled one must not hang the loop)
STREAM_RECONNECTS = 3        # tries to reopen a stream that dropped before giving up


def is_stream(source: str | int) -> bool:
    """A network stream URL (IP camera, phone camera app, RTSP server)."""
    return isinstance(source, str) and source.strip().lower().startswith(STREAM_SCHEMES)


def describe_source(source: str | int) -> str:
    return f"camera {source}" if isinstance(source, int) else f"stream {source}" if is_stream(source) else str(source)


MAX_CAMERA_INDEX = 9999    # OpenCV takes a C int; nobody has ten thousand cameras

# Sites whose links open a web page that plays a video, not the video itself: OpenCV gets HTML
VIDEO_PAGE_SITES = ("youtube.com", "youtu.be", "vimeo.com", "tiktok.com", "instagram.com", "facebook.com",
                    "fb.watch", "twitch.tv", "dailymotion.com", "x.com", "twitter.com", "bilibili.com")


def video_page_site(url: str) -> str | None:
    """The video site a stream URL points into (``https://youtu.be/...`` -> ``youtu.be``), else None."""
    host = (urllib.parse.urlparse(url.strip()).hostname or "").lower()
    return next((site for site in VIDEO_PAGE_SITES if host == site or host.endswith("." + site)), None)

SOURCE_FORMS = ("Pass a video file, a folder, a glob such as 'clips/*.mp4', a stream URL (http://..., rtsp://...), "
                "or a camera index such as --source 0.")
RECORDED_FORMS = "Pass a video file, a folder of videos or a glob such as 'clips/*.mp4'."   # realtime.video & co.


def local_path_of(text: str) -> str:
    """A ``file://`` URL (copied from a browser or a file manager) -> its path; anything else as it is."""
    if not text.lower().startswith("file://"):
        return text
    parsed = urllib.parse.urlparse(text)
    return urllib.parse.unquote(parsed.path) if parsed.netloc in ("", "localhost") else text


def resolve_sources(source: str | int, forms: str = SOURCE_FORMS) -> list[str | int]:
    """``--source`` -> camera indices, stream URLs or video files.

    Accepts a camera index (``0``), a stream URL (``http://``, ``rtsp://``, ...), a video file, a
    folder (its videos and its subfolders', sorted; hidden files and folders left out, like a
    shell's ``*``: macOS's ``._clip.mp4`` companions, half-written ``.name.partial.mp4`` files)
    or a glob. An empty string is refused (``Path("")`` would be the current folder). ``forms``:
    what the error messages say can be passed instead.
    """
    text = local_path_of(str(source).strip())
    if not text:
        raise UserError("An empty source was given (an unset shell variable?). " + forms)
    if text.isascii() and text.isdigit():
        if int(text) > MAX_CAMERA_INDEX:
            raise UserError(f"Camera index {text} is out of range: cameras are numbered from 0 (--source 0 is the "
                            "first, 1 the second, ...). " + forms)
        return [int(text)]
    if is_stream(text):
        site = video_page_site(text)
        if site:
            raise UserError(f"'{text}' is a page of {site}, not a video stream: download the video first (e.g. "
                            f"`yt-dlp -S vcodec:h264 -o clip.mp4 '{text}'`: H.264, which OpenCV decodes, where the "
                            "site's newer AV1 is not) and pass the file.")
        return [text]
    if text.startswith("-") and text[1:].isascii() and text[1:].isdigit() and not Path(text).exists():
        raise UserError(f"'{text}' is not a camera: cameras are numbered from 0 (--source 0 is the first, 1 the "
                        "second, ...; OpenCV's -1, \"any camera\", is not taken). " + forms)
    problem = path_too_long(text)
    if problem:
        raise UserError(f"Cannot open '{text[:60]}...': {problem}. " + forms)
    path = Path(text).expanduser()
    if path.is_dir():
        # a link whose file is gone is kept, so that it is reported ("is a link to ..., which does not
        # exist") instead of vanishing from the list (a folder of links to an unmounted drive "held no video")
        videos = sorted(str(p) for p in path.rglob("*") if (p.is_file() or p.is_symlink() and not p.exists())
                        and p.suffix.lower() in VIDEO_SUFFIXES
                        and not any(part.startswith(".") for part in p.relative_to(path).parts))
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
    problem = input_file_problem(path)
    if problem is not None and problem != NOT_FOUND:
        raise UserError(f"Cannot open '{text}': it {problem}. " + forms)
    raise UserError(f"Cannot open '{text}' (file not found). " + forms)


def distinct_stems(videos: list[str], limit: int | None = None) -> dict[str, str]:
    """A name per video that no other video of the list has: its file name without the suffix,
    or, when two videos share that (``squat/1.mp4``, ``pushup/1.mp4``), with as many of its
    parent folders' names in front as keep them apart (``squat_1``, ``pushup_1``).

    Args:
        videos: paths.
        limit: cut every name to this many bytes, a short hash of the whole name keeping cut
            names apart (for names that become file names).
    """
    def name(video: str, depth: int) -> str:
        stem = "_".join([*Path(video).resolve().parts[-1 - depth:-1], Path(video).stem])
        if limit is not None and len(os.fsencode(stem)) > limit:
            digest = hashlib.sha1(os.fsencode(stem)).hexdigest()[:8]
            stem = cut_to_bytes(stem, limit - len("~") - len(digest)) + "~" + digest
        return stem
    depth = 0
    while depth <= 8 and len({name(v, depth) for v in videos}) < len(set(videos)):
        depth += 1
    alone = [name(v, 0) for v in videos]
    return {v: name(v, depth) if alone.count(alone[i]) > 1 else alone[i] for i, v in enumerate(videos)}


def without_repeats(videos: list[str]) -> tuple[list[str], int]:
    """``videos`` with every file kept once, in first-seen order, and how many repeats were left out.

    A file given twice (``clips/*.mp4 clips/a.mp4``, ``a.mp4 ./a.mp4``, a link and its target) is
    one video: read twice it became two identical clips under one name in ``realtime.extract``'s
    pickle (the same clip in training and validation) and two results in ``realtime.video``.
    """
    seen: set[str] = set()
    kept = []
    for video in videos:
        key = os.path.realpath(video)
        if key not in seen:
            seen.add(key)
            kept.append(video)
    return kept, len(videos) - len(kept)


def resolve_video_files(source: str, command: str) -> list[str]:
    """Recorded video files only (``realtime.video``, ``realtime.extract``): like
    :func:`resolve_sources`, but a camera index or a stream URL is refused with the live command
    to run instead (those commands read every frame of a file; a camera never ends). A file
    whose name is a number (``./0``) is that file.

    Raises:
        UserError: nothing readable, or a camera / stream given.
    """
    text = local_path_of(str(source).strip())
    if text and not is_stream(text) and not path_too_long(text) and Path(text).expanduser().is_file():
        return [str(Path(text).expanduser())]
    found = resolve_sources(source, RECORDED_FORMS)
    live = [s for s in found if isinstance(s, int) or is_stream(s)]
    if live:
        kind = "camera index" if isinstance(live[0], int) else "stream URL"
        raise UserError(f"'{text}' is a {kind}, not a video file: {command} reads "
                        f"recorded videos. For live input run `python -m realtime.cam --source {text}` (add --save "
                        f"clip.mp4 to record it, then run {command} on clip.mp4); a video on a web server: download "
                        "it first.")
    return [str(s) for s in found]


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
        self._thread = threading.Thread(target=self._run, name="capture", daemon=True)
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
