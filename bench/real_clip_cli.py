"""The command line shared by the studies that compare checkpoints on the shared real clips
(``bench.switches``, ``bench.mirror``): ``--checkpoint`` (repeatable) and ``--videos``."""
from __future__ import annotations

import argparse
from pathlib import Path

from bench.trust import SHARED
from training.checkpoint import LoadedCheckpoint, load_checkpoint, resolve_checkpoint
from training.cli_types import ArgumentParser
from training.errors import UserError


def parse_study_arguments(prog: str, description: str, argv: list[str] | None
                          ) -> tuple[Path, list[tuple[Path, LoadedCheckpoint]]]:
    """The videos folder and every checkpoint asked for, each loaded (so checked) before any work.

    Raises:
        UserError: no ``realworld/`` folder under the videos folder, or a checkpoint that cannot be read.
    """
    p = ArgumentParser(prog=f"python -m {prog}", description=description,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=f"examples:\n  python -m {prog} --checkpoint default\n"
                                       f"  python -m {prog} --checkpoint a/model.pt --checkpoint b/model.pt\n")
    p.add_argument("--checkpoint", action="append", metavar="default|latest|PATH",
                   help="model(s) to compare (repeat the flag; without it: as the other commands choose)")
    p.add_argument("--videos", type=Path, default=SHARED / "videos", help="the shared videos folder")
    a = p.parse_args(argv)
    if not (a.videos / "realworld").is_dir():
        raise UserError(f"No real-world clips under '{a.videos}/realworld'; pass --videos FOLDER.")
    paths = [resolve_checkpoint(option)[0] for option in a.checkpoint or [None]]
    return a.videos, [(path, load_checkpoint(path)) for path in paths]
