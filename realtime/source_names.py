"""Which inputs a ``--source`` (or a command's video paths) names: one resolver for camera
indices, stream URLs, files, folders and globs, with the file names that keep them apart."""
from __future__ import annotations

import glob
import hashlib
import os
import urllib.parse
from pathlib import Path

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
STREAM_SCHEMES = ("http://", "https://", "rtsp://", "rtsps://", "rtmp://", "udp://", "tcp://")


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
