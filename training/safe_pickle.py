"""A restricted unpickler for skeleton files: containers, numbers, strings and numpy arrays only.

Loading a pickle can run arbitrary code: a ``__reduce__`` can name any callable. This loader
resolves only the globals the MMAction2/PYSKL skeleton format needs and refuses everything else
*before* anything is called, so a hostile file never runs.
"""
from __future__ import annotations

import builtins
import collections
import codecs
import importlib
import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from training.errors import UserError
from training.input_files import check_input_file

_BUILTINS = {"dict", "list", "tuple", "set", "frozenset", "str", "bytes", "bytearray",
             "int", "float", "complex", "bool", "slice", "range"}


def _numpy_global(module: str, name: str) -> Any | None:
    """numpy's array/dtype/scalar reconstructors, for pickles written by numpy 1.x or 2.x."""
    allowed = {
        ("numpy", "ndarray"), ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
        ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    }
    if (module, name) not in allowed:
        return None
    if name in ("ndarray", "dtype"):
        return getattr(np, name)
    for candidate in (module, module.replace("numpy._core", "numpy.core"), module.replace("numpy.core", "numpy._core")):
        try:
            return getattr(importlib.import_module(candidate), name)
        except (ImportError, AttributeError):
            continue
    return None


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that allows builtins containers, numpy arrays/dtypes/scalars, nothing else."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins" and name in _BUILTINS:
            return getattr(builtins, name)
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "_codecs" and name == "encode":  # bytes in protocol-2 pickles
            return codecs.encode
        if module.startswith("numpy"):
            found = _numpy_global(module, name)
            if found is not None:
                return found
        raise pickle.UnpicklingError(f"refused to load '{module}.{name}'")


def what_it_is(head: bytes) -> str:
    """What a file that is not a pickle seems to be, from its first bytes, with what to do."""
    if head[:2] == b"\x1f\x8b":
        return "it is gzip-compressed: decompress it first, e.g. `gunzip -k FILE`"
    if head[:4] == b"PK\x03\x04":
        return ("it is a zip archive: a model.pt checkpoint goes to --checkpoint; a zipped pickle needs "
                "`unzip` first")
    if head[4:8] == b"ftyp" or head[:4] in (b"RIFF", b"\x1aE\xdf\xa3"):
        return ("it is a video: turn videos into skeletons first with `python -m realtime.extract VIDEOS "
                "--label NAME --out FILE.pkl`, or classify it with `python -m realtime.video`")
    if head.lstrip()[:1] in (b"{", b"["):
        return "it looks like JSON text"
    return "it does not start with a pickle header"


def safe_load_pickle(path: str | Path) -> Any:
    """Load a pickle with :class:`RestrictedUnpickler`.

    Raises:
        UserError: missing file, not a pickle, truncated, or a type outside the allowed set.
    """
    path = check_input_file(path, "Data file", if_folder="Pass the .pkl file inside it.",
                            if_missing=f"Download it with `python -m training.download --out {path}` or pass --data PATH.")
    try:
        with path.open("rb") as f:      # the header first: a 4 GB video given as --data is not read whole
            head = f.read(16)
            if head[:1] != b"\x80":
                raise UserError(f"Data file '{path}' is not a pickle ({what_it_is(head)}). "
                                "Expected the MMAction2/PYSKL skeleton file, e.g. ucf101_2d.pkl.")
            raw = head + f.read()
    except OSError as exc:
        raise UserError(f"Cannot read data file '{path}': {exc.strerror or exc}.") from None
    try:
        return RestrictedUnpickler(io.BytesIO(raw)).load()
    except pickle.UnpicklingError as exc:
        if "refused" in str(exc):
            raise UserError(f"Data file '{path}' was refused: {exc}. Skeleton files hold only dicts, lists, "
                            "numbers, strings and numpy arrays; this one asks to run other code, "
                            "so nothing in it was run.") from None
        raise UserError(f"Data file '{path}' is truncated or corrupt ({exc}). Download it again.") from None
    except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError, MemoryError) as exc:
        raise UserError(f"Data file '{path}' is truncated or corrupt ({type(exc).__name__}: {exc}). "
                        "Download it again.") from None
