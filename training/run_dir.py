"""Run directories: a new one per run, never overwritten silently, and the ``latest`` pointer."""
from __future__ import annotations

import os
import time
from pathlib import Path

from training.errors import UserError


def prepare_run_dir(out: str | None, overwrite: bool, runs_root: str = "runs") -> Path:
    """Create the output directory; refuse a non-empty one unless ``overwrite``.

    ``out=None`` makes ``runs/<YYYYmmdd-HHMMSS>`` (with a suffix if taken).
    """
    if out is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path, n = Path(runs_root) / stamp, 1
        while path.exists():
            n += 1
            path = Path(runs_root) / f"{stamp}-{n}"
    else:
        path = Path(out)
    if path.exists() and not path.is_dir():
        raise UserError(f"--out '{path}' is a file; pass a directory.")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise UserError(f"--out '{path}' already holds results; pass another --out or add --overwrite.")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write_test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"Cannot write to --out '{path}' ({exc.strerror or exc}). Choose a writable directory.") from None
    return path


def point_latest(run_dir: Path) -> Path | None:
    """Make ``<parent>/latest`` a symlink to ``run_dir`` (atomically); None where links fail."""
    link = run_dir.parent / "latest"
    if link.exists() and not link.is_symlink():
        return None  # a real file or folder called 'latest': leave it alone
    tmp = run_dir.parent / f".latest-{os.getpid()}"
    try:
        if tmp.is_symlink():
            tmp.unlink()
        tmp.symlink_to(run_dir.name, target_is_directory=True)
        os.replace(tmp, link)
    except OSError:
        return None
    return link
