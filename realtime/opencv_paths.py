"""File names OpenCV can be given without crashing the process.

OpenCV's Python binding converts a path to UTF-8 in C++, and a ``str`` that is not valid
Unicode ends the whole process with a segmentation fault, not an exception (OpenCV 4.11, the
pinned wheel: ``VideoCapture``, ``VideoWriter``, ``imwrite``, ``haveImageReader``). Python
holds a file name that is not UTF-8 on disk (a Latin-1 name from an old camera, a zip archive
or a Windows share: ``b'caf\\xe9.mp4'``) as exactly such a ``str`` (``'caf\\udce9.mp4'``), so one such
video in a folder took every other video's results down with it.

:func:`opencv_path` hands OpenCV a symbolic link with a plain name instead, in a temporary
folder, for the moment OpenCV opens the file (OpenCV keeps the file it opened, so the link is
removed right after). The file itself is never copied, moved or renamed.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def is_valid_unicode(text: str) -> bool:
    """False for a str holding undecodable bytes (surrogate escapes) that UTF-8 cannot encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@contextlib.contextmanager
def opencv_path(path: str | Path) -> Iterator[str]:
    """Yield a path string OpenCV can take for ``path`` (an existing file, or one to be created).

    Valid names are yielded as they are; any other gets a link ``<tmp>/file<suffix>`` pointing to
    its absolute path (the suffix kept where it is plain, as writers choose the format by it),
    removed when the block ends.
    """
    text = os.fspath(path)
    if is_valid_unicode(text):
        yield text
        return
    suffix = Path(text).suffix
    suffix = suffix if is_valid_unicode(suffix) else ""
    with tempfile.TemporaryDirectory(prefix="opencv-path-") as folder:
        link = Path(folder) / f"file{suffix}"
        link.symlink_to(os.path.abspath(text))
        yield str(link)
