"""Checked command-line options: the one place every numeric and path flag is validated.

``parser.add_argument("--lr", type=positive(float))`` makes argparse refuse ``--lr nan``,
``--lr -1`` or ``--lr abc`` with ``error: argument --lr: ...`` (exit status 2) before any work
starts, and the value a command receives is always finite and in range.
"""
from __future__ import annotations

import argparse
import math
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

# What argparse takes for a negative number (a value, not an option): its own -5 and -.5, and also
# -1e-3, -inf and -nan, which it took for unknown options ("expected one argument").
NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|infinity|nan)$", re.IGNORECASE)


class ArgumentParser(argparse.ArgumentParser):
    """Every command's parser: argparse's, reading ``--lr -1e-3`` or ``--threshold -inf`` as values
    (which the flag's type then refuses with its range), and saying how to pass a value that starts
    with '-' (``--label=-x``) instead of a bare "expected one argument"."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = NEGATIVE_NUMBER     # argparse's own check (Python 3.11), widened
        self._words: list[str] = []

    def parse_known_args(self, args=None, namespace=None):
        self._words = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str):
        flag = re.match(r"argument (\S+): expected one argument$", message)
        names = flag.group(1).split("/") if flag else []
        given = [(word, value) for word, value in zip(self._words, self._words[1:]) if word in names]
        if given and given[0][1].startswith("-") and given[0][1].split("=")[0] not in self._option_string_actions:
            word, value = given[0]          # a value that looks like an option, not a missing value
            message += f" ('{value}' looks like an option: give a value that starts with '-' as {word}={value})"
        super().error(message)


def number(kind: type = float, low: float | None = None, high: float | None = None, low_inclusive: bool = True,
           high_inclusive: bool = True) -> Callable[[str], float | int]:
    """An argparse ``type`` for a finite ``kind`` (int or float) in [low, high] (bounds optional)."""
    def describe() -> str:
        if low is not None and high is not None:
            return (f"between {low:g} and {high:g}" + ("" if low_inclusive and high_inclusive else
                    f" ({'>=' if low_inclusive else '>'} {low:g}, {'<=' if high_inclusive else '<'} {high:g})"))
        if low is not None:
            return f"{'at least' if low_inclusive else 'greater than'} {low:g}"
        if high is not None:
            return f"{'at most' if high_inclusive else 'less than'} {high:g}"
        return "a finite number"

    def parse(text: str) -> float | int:
        noun = "a whole number" if kind is int else "a number"
        try:
            value = kind(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"expected {noun} {describe()}, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected {noun} {describe()}, got {text!r}")
        too_low = low is not None and (value < low if low_inclusive else value <= low)
        too_high = high is not None and (value > high if high_inclusive else value >= high)
        if too_low or too_high:
            raise argparse.ArgumentTypeError(f"must be {describe()}, got {text}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


def positive(kind: type = float) -> Callable[[str], float | int]:
    """> 0 (for ints: >= 1)."""
    return number(kind, 1 if kind is int else 0.0, low_inclusive=kind is int)


def non_negative(kind: type = float) -> Callable[[str], float | int]:
    """>= 0."""
    return number(kind, 0)


def fraction(low_inclusive: bool = True, high_inclusive: bool = True) -> Callable[[str], float]:
    """A share in [0, 1] (bounds optionally open)."""
    return number(float, 0.0, 1.0, low_inclusive, high_inclusive)


NAME_BYTES_MAX = 255     # one name in a path, on every common file system (ext4, XFS, Btrfs, APFS, NTFS)
PATH_BYTES_MAX = 4095    # a whole path, as Linux takes it


def path_too_long(text: str) -> str | None:
    """Why no file system could hold ``text`` as a path (a name over 255 bytes, a path over 4095),
    or None. Checked before the path is used: Python's ``exists()`` raises for such a path."""
    size = len(os.fsencode(text))
    if size > PATH_BYTES_MAX:
        return f"the path is {size} bytes long; file systems take at most {PATH_BYTES_MAX}"
    longest = max(text.split("/"), key=lambda part: len(os.fsencode(part)))
    size = len(os.fsencode(longest))
    if size > NAME_BYTES_MAX:
        return (f"the name '{longest[:40]}...' in it is {size} bytes long; file systems take at most "
                f"{NAME_BYTES_MAX} in one name")
    return None


def path_text(text: str) -> str:
    """An argparse ``type`` for a file or folder name: refuses an empty one, which would otherwise
    mean the current folder or "not given" (``--out "$DIR"`` with DIR unset), and one too long
    for any file system."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty path (an unset shell variable?); give a file or folder name")
    problem = path_too_long(text)
    if problem:
        raise argparse.ArgumentTypeError(f"{problem}. Check the path (a pasted text instead of a file name?)")
    return text


def path_value(text: str) -> Path:
    """:func:`path_text` as a ``Path``."""
    return Path(path_text(text))


def output_file(text: str) -> Path:
    """An argparse ``type`` for a file to write: :func:`path_text`, and a name that ends with a
    slash is refused (it names a folder; ``Path`` would drop the slash and write a file called
    like the folder: ``--json results/`` wrote a file named ``results``), and so is ``-``, which by
    custom means standard output (``--json - | jq`` wrote a file called ``-``; the commands print their
    own lines there)."""
    text = path_text(text)
    if text.strip() == "-":
        raise argparse.ArgumentTypeError("'-' would mean standard output, where this command prints its own lines; "
                                         "give a file name (e.g. results.json) and read the results from it")
    if text.endswith(("/", os.sep)):
        raise argparse.ArgumentTypeError(f"'{text}' ends with '/', so it names a folder; give a file name inside it "
                                         f"('{text}<name>')")
    return Path(text)


class CommaJoined(argparse.Action):
    """A comma-separated list option that also takes its items as separate words (use with
    ``nargs="+"``): ``--classes 0 1 2`` is ``--classes 0,1,2`` (it was "unrecognized arguments: 1 2")."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: list[str],
                 option_string: str | None = None) -> None:
        setattr(namespace, self.dest, ",".join(values))
