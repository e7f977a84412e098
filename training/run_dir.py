"""Run directories: checked before training, filled in a staging folder, published only when complete.

A run is written into a hidden staging folder beside its destination and moved into place at
the very end, so a failed or interrupted training leaves no run directory (and ``runs/latest``
never points at half a run); a non-empty ``--out`` is replaced only with ``--overwrite``.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from training.errors import UserError
from training.outputs import can_create_in, check_name_length, fit_in_name, publish_or_rescue, through_link


def choose_run_dir(out: str | None, overwrite: bool, runs_root: str = "runs") -> Path:
    """The run directory to publish to, checked without creating anything.

    ``out=None`` means ``runs/<YYYYmmdd-HHMMSS>`` (with a suffix if taken).

    Raises:
        UserError: ``--out`` is a file, a non-empty folder without ``overwrite``, a name longer than
            its file system takes, or its parent cannot be written.
    """
    if out is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path, n = Path(runs_root) / stamp, 1
        while path.exists():
            n += 1
            path = Path(runs_root) / f"{stamp}-{n}"
    else:
        check_name_length(Path(out), "--out")
        path = through_link(Path(out), "--out")
    if path.exists() and not path.is_dir():
        raise UserError(f"--out '{path}' is a file; pass a directory.")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise UserError(f"--out '{path}' already holds results; pass another --out or add --overwrite.")
    existing = next((p for p in [path, *path.parents] if p.exists()), Path("."))
    if not existing.is_dir() or not can_create_in(existing):
        raise UserError(f"Cannot write to --out '{path}' ('{existing}' is not a writable folder). "
                        "Choose a writable directory.")
    return path


@contextlib.contextmanager
def staged_run_dir(final: Path) -> Iterator[Path]:
    """Yield a new staging folder beside ``final``; whatever is left in it afterwards is removed."""
    final = Path(final)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        name = fit_in_name(final.name, final.parent, len(".") + len(".partial-") + 8)
        stage = Path(tempfile.mkdtemp(prefix=f".{name}.partial-", dir=final.parent))
    except OSError as exc:
        raise UserError(f"Cannot write to --out '{final}' ({exc.strerror or exc}). Choose a writable directory.") from None
    try:
        yield stage
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


def place_stage(stage: Path, final: Path, overwrite: bool) -> Path:
    """Move a complete staged run to ``final`` and return where it went.

    Files already in ``final`` (allowed with ``--overwrite``) that the run does not write are kept.
    Without ``overwrite``, a ``final`` that another run filled while this one trained (two trainings
    started in the same second share a default ``runs/<time>`` name; two terminals, one ``--out``)
    is left alone and this run goes to the first free ``<final>-2``, ``-3``, ...
    """
    if final.is_dir() and any(final.iterdir()) and not overwrite:
        n = 2
        while final.with_name(f"{final.name}-{n}").exists():
            n += 1
        final = final.with_name(f"{final.name}-{n}")
    if not final.exists():
        os.replace(stage, final)
        return final
    for item in stage.iterdir():
        target = final / item.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        os.replace(item, target)
    stage.rmdir()
    return final


def publish_run(final: Path, write: Callable[[Path], None], overwrite: bool = False) -> Path:
    """``write(folder)`` the run's files into a staging folder and publish it as ``final`` (see
    :func:`place_stage`); returns the folder the run is in. When the disk filled up during a long
    training, the run goes to the temporary folder instead (:func:`training.outputs.publish_or_rescue`:
    the error says where).

    Raises:
        UserError: the run could not be published at ``final``.
    """
    published = [final]

    def publish() -> None:
        with staged_run_dir(final) as stage:
            write(stage)
            published[0] = place_stage(stage, Path(final), overwrite)

    publish_or_rescue(publish, write, f"the run to '{final}'", "The trained run was", f"{final.name}-rescued-")
    return published[0]


def point_latest(run_dir: Path) -> Path | None:
    """Make ``<parent>/latest`` a symlink to ``run_dir`` (atomically); None where links fail.

    Only a link this function could have made is replaced: one naming a sibling folder that is a
    run (holds ``model.pt``) or is gone. A user's own file, folder or link called ``latest`` (in a
    folder given as ``--out``'s parent) is left alone.
    """
    link = run_dir.parent / "latest"
    if link.is_symlink():
        target = os.readlink(link)
        sibling = link.parent / target
        if os.sep in target or (sibling.exists() and not (sibling / "model.pt").is_file()):
            return None  # the user's own link
    elif link.exists():
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
