"""The JSON a study writes after minutes or hours of work: checked before the work, written at once.

Every bench command that writes a file asks for it the same way: a path option (``--json`` or
``--out``) and ``--overwrite``. The path is checked before any work (a missing folder, a folder
given for a file, an existing file without ``--overwrite``), so a long study never ends in a
traceback that loses it, and the file is written atomically, never replacing results another
run wrote meanwhile, or, when that fails at the end, to the temporary folder.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from training.cli_types import output_file
from training.outputs import check_output_file, publish_or_rescue, write_text_atomic


def add_result_file_argument(parser: argparse.ArgumentParser, flag: str, what: str,
                             default: Path | None = None) -> None:
    """``flag`` (a .json path, ``default`` when given) and ``--overwrite``."""
    parser.add_argument(flag, type=output_file, default=default, help=what)
    parser.add_argument("--overwrite", action="store_true", help=f"replace an existing {flag}")


def check_result_file(path: Path | None, flag: str, overwrite: bool) -> None:
    """Refuse, before the work, a result file that could not or must not be written."""
    check_output_file(path, flag, overwrite, suffixes=(".json",))


def write_result_file(path: Path | None, results: object, overwrite: bool) -> Path | None:
    """Write ``results`` as indented JSON (NaN and infinity as null); returns where it went.

    When it cannot be written where asked (its folder removed, the disk full after the study),
    it goes to a new folder of the system's temporary directory and the error says where.
    """
    if path is None:
        return None
    text = json.dumps(_finite(results), indent=2, allow_nan=False)
    written: list[Path] = []
    publish_or_rescue(lambda: written.append(write_text_atomic(path, text, replace=overwrite)),
                      lambda folder: written.append(write_text_atomic(folder / path.name, text)),
                      f"'{path}'", "The results were", "bench-results-rescued-")
    return written[0]


def _finite(value: object) -> object:
    """``value`` with every NaN or infinite float replaced by None (strict JSON)."""
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
