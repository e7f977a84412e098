"""Input files every command reads (data, label maps, checkpoints, videos, pose models, results):
the one check that says *why* a path cannot be read, before anything tries to read it.

A path given as an input can fail in ways that "not found" does not explain, and some of them
did harm: ``--data /dev/zero`` read the device until the machine ran out of memory, ``--label-map``
on a named pipe waited forever for a writer, a link to a file that was moved or a loop of links
was reported as "not found" although ``ls`` lists it.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from training.errors import UserError

NOT_FOUND = "was not found"          # the plain case, which callers answer with how to get the file
IS_FOLDER = "is a folder, not a file"


def input_file_problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be read as an input file, as the end of a sentence naming it ("is a
    device, not a file"), or None for a readable, non-empty regular file (links followed)."""
    path = Path(path)
    try:
        status = path.stat()
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return "was not found: its name is too long for the file system"
        if exc.errno == errno.ELOOP:
            return "is a link that leads back to itself (a loop of links); point it at the file"
        try:
            return f"is a link to '{os.readlink(path)}', which does not exist (moved or deleted?)"
        except OSError:       # not a link
            pass
        if exc.errno == errno.ENOTDIR:
            return "was not found: a part of its path is a file, not a folder"
        if exc.errno == errno.EACCES:
            return "cannot be reached: permission denied on a folder of its path"
        return NOT_FOUND
    mode = status.st_mode
    if stat.S_ISDIR(mode):
        return IS_FOLDER
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a file"
    if stat.S_ISFIFO(mode):
        return ("is a named pipe (FIFO), not a file: reading it would wait for whatever writes into it; "
                "save the data to a file first")
    if stat.S_ISSOCK(mode):
        return "is a socket, not a file"
    if not stat.S_ISREG(mode):
        return "is not a regular file"
    if status.st_size == 0:
        return "is empty (0 bytes)"
    if not os.access(path, os.R_OK):
        return "cannot be read: permission denied"
    return None


def check_input_file(path: str | Path, what: str, if_missing: str = "", if_folder: str = "") -> Path:
    """``path`` as a :class:`Path` when it is a readable, non-empty regular file (links followed).

    Args:
        what: the kind of file, starting the message (``"Data file"``, ``"Checkpoint"``).
        if_missing: a hint added when the path does not exist (how to get the file).
        if_folder: a hint added when the path is a folder (which file inside to pass).

    Raises:
        UserError: ``"<what> '<path>' <why>. <hint>"``.
    """
    problem = input_file_problem(path)
    if problem is None:
        return Path(path)
    hint = if_missing if problem == NOT_FOUND else if_folder if problem == IS_FOLDER else ""
    raise UserError(f"{what} '{path}' {problem}." + (f" {hint}" if hint else ""))
