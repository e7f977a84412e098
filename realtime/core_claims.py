"""Cores claimed by this project's pose models, across every process of the same user.

XNNPACK's threads spin while they wait for each other at every layer of the pose model. One
process with 2 pose threads on 2 cores runs the model 1.3-1.6x as fast as with one; but
two such processes side by side (two shards of a collection, ``realtime.cam`` while
``realtime.video`` runs) took **14x** as long as two one-thread processes (462 s instead of
34 s, measured). A busy machine of another kind hurts far less (a CPU hog or a 2-thread
training beside a 2-thread pose model: within 15% of one thread).

So a pose model claims the cores it runs on: one lock file per core in a folder of the user's
temporary directory, taken with ``flock`` (released by the kernel when the process ends, even if
it is killed). A model that may use several threads takes as many free cores as it may use and
runs that many threads, at least one; a second process finds them taken and runs one thread.
"""
from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path
from typing import IO


def claims_folder() -> Path:
    """``<tmp>/action-recogniser-<uid>/pose-cores``: shared by this user's processes."""
    return Path(tempfile.gettempdir()) / f"action-recogniser-{os.getuid()}" / "pose-cores"


class CoreClaim:
    """Up to ``wanted`` of ``cores`` lock files held until :meth:`release` (or the process ends).

    Args:
        wanted: how many cores to take at most (0: take none, hold nothing).
        cores: how many cores there are (one lock file each).
        folder: where the lock files live (default :func:`claims_folder`).
    """

    def __init__(self, wanted: int, cores: int, folder: Path | None = None) -> None:
        self._held: list[IO[bytes]] = []
        if wanted <= 0:
            return
        folder = folder or claims_folder()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return                       # nowhere to coordinate: claim nothing, run one thread
        for core in range(cores):
            if len(self._held) >= wanted:
                break
            try:
                handle = open(folder / f"core-{core}.lock", "ab")
            except OSError:
                continue
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()           # another process runs a pose thread on this one
                continue
            self._held.append(handle)

    @property
    def count(self) -> int:
        """How many cores this claim holds."""
        return len(self._held)

    def release(self) -> None:
        """Give the cores back (idempotent)."""
        for handle in self._held:
            handle.close()               # closing the file drops its flock
        self._held = []
