"""Output files: checked before the work starts, written atomically, never replaced silently.

Every command that writes a result goes through these helpers, so an interrupted or failed run
never leaves half a file under the final name, and a wrong path is reported before minutes of
work instead of after them.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from training.cli_types import NAME_BYTES_MAX, path_too_long
from training.errors import UserError


def name_max(folder: Path) -> int:
    """The longest file name (bytes) the file system of ``folder`` (or its nearest existing parent) takes."""
    existing = next((p for p in [Path(folder), *Path(folder).parents] if p.is_dir()), Path("."))
    try:
        return int(os.pathconf(existing, "PC_NAME_MAX"))
    except (OSError, ValueError):
        return NAME_BYTES_MAX


def cut_to_bytes(text: str, limit: int) -> str:
    """``text`` without its last characters until its file-system encoding is at most ``limit`` bytes."""
    while text and len(os.fsencode(text)) > limit:
        text = text[:-1]
    return text


def fit_in_name(text: str, folder: Path, other_bytes: int) -> str:
    """``text`` cut so that, with ``other_bytes`` more bytes around it, it makes one valid file name
    in ``folder``: a name the command builds from a legal long one (a temporary name, a ``-2``
    beside a taken one, an annotated copy's) must not fail at the end of the work."""
    return cut_to_bytes(text, max(0, name_max(folder) - other_bytes))


def new_partial_file(path: Path) -> Path:
    """Create an empty temporary file beside ``path`` (``.<stem>.XXXXXXXX.partial<suffix>``: hidden,
    the suffix kept for writers that choose a format by it), its name cut to fit; raises OSError."""
    suffix = f".partial{path.suffix}"
    stem = fit_in_name(path.stem, path.parent, len(".") + len(".") + 8 + len(os.fsencode(suffix)))
    fd, name = tempfile.mkstemp(prefix=f".{stem}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    return Path(name)


def check_name_length(path: Path, flag: str) -> None:
    """Refuse a path no file system takes (see :func:`training.cli_types.path_too_long`), also one
    the command made from the user's (an annotated copy's name, a label map beside a pickle)."""
    problem = path_too_long(str(path))
    if problem:
        raise UserError(f"{flag}: {problem}. Choose a shorter name.")


EXAMPLE_SUFFIXES = {"--json": ".json", "--csv": ".csv"}   # what a folder given as the file is told to add


def check_output_file(path: Path | None, flag: str, overwrite: bool = False, suffixes: tuple[str, ...] = ()) -> None:
    """Refuse an output file that cannot or must not be written, before any work is done.

    Args:
        path: the file the user asked for (None: not asked; nothing to check).
        flag: the option's name, for the message (e.g. ``--json``).
        overwrite: whether an existing file may be replaced.
        suffixes: accepted suffixes (lower case, with the dot); empty: any.

    Raises:
        UserError: an existing file without ``overwrite``, a folder, a device or pipe (also
            through a link), a missing or unwritable parent folder, a wrong suffix or a name too
            long; the message says how to fix it.
    """
    if path is None:
        return
    given = Path(path)
    check_name_length(given, flag)
    if given.exists() and not given.is_file() and not given.is_dir():   # a device, or a link to one (/dev/stdout)
        raise UserError(not_a_regular_file(given, flag))
    path = through_link(given, flag)
    if path.is_dir():
        example = path / ("out" + (suffixes[0] if suffixes else EXAMPLE_SUFFIXES.get(flag, ".txt")))
        raise UserError(f"{flag} '{path}' is a folder; give a file name inside it, e.g. '{example}'.")
    if suffixes and path.suffix.lower() not in suffixes:
        raise UserError(f"{flag} '{path}': use a file name ending in {' or '.join(suffixes)}.")
    if path.exists() and not overwrite:
        raise UserError(f"{flag} '{path}' exists; choose another name or add --overwrite.")
    parent = path.parent
    if not parent.is_dir():
        in_the_way = next((p for p in (parent, *parent.parents) if p.exists() and not p.is_dir()), None)
        if in_the_way is not None:     # a file where a folder would have to be: mkdir -p cannot help
            raise UserError(f"{flag} '{path}': '{in_the_way}' is a file, not a folder. Choose another path.")
        raise UserError(f"{flag} '{path}': folder '{parent}' does not exist. Create it first (mkdir -p '{parent}') "
                        "or choose another path.")
    if not can_create_in(parent):
        raise UserError(f"{flag} '{path}': folder '{parent}' is not writable. Choose another path.")


def not_a_regular_file(path: Path, flag: str = "") -> str:
    """The message for an output path that exists but is a device, pipe or socket (``/dev/null``)."""
    return (f"{flag + ' ' if flag else ''}'{path}' is not a regular file (a device, pipe or socket): results are "
            "written to a new file and renamed into place, which would replace it. Give a file path.")


def through_link(path: Path, flag: str = "") -> Path:
    """Where an output path leads: a symbolic link's target (also one that does not exist yet), so
    results are written through the link and the link stays; any other path unchanged.

    Raises:
        UserError: the link leads in a loop (``a -> b -> a``).
    """
    path = Path(path)
    if not path.is_symlink():
        return path
    target = Path(os.path.realpath(path))
    if target.is_symlink():
        raise UserError(f"{flag + ' ' if flag else ''}'{path}' is a symbolic link that leads in a loop; "
                        "remove it or give another path.")
    return target


def check_outputs_apart(outputs: list[tuple[str, str | Path | None]], inputs: list[str | Path]) -> None:
    """Refuse, before any work, outputs that name one file twice or name a file the command reads.

    ``--overwrite`` lets a command replace an earlier result, never its own input: a --json that
    points at the video being classified, or --json and --csv at one file, would lose data.

    Args:
        outputs: (flag, path) for every file the command will write; None where not asked.
        inputs: the files it reads (videos, data, label map, checkpoint); non-files are ignored.
    """
    read = {Path(p).resolve(): Path(p) for p in inputs if isinstance(p, (str, Path)) and Path(p).is_file()}
    written: dict[Path, str] = {}
    for flag, path in outputs:
        if path is None:
            continue
        key = through_link(Path(path), flag).resolve()
        if key in written:
            raise UserError(f"{written[key]} and {flag} both name '{path}'; give each its own file.")
        if key in read:
            raise UserError(f"{flag} '{path}' is a file this command reads ('{read[key]}'); choose another name "
                            "(--overwrite replaces earlier results, never an input).")
        written[key] = flag


def can_create_in(folder: Path) -> bool:
    """Try it: create and remove a file there (permission bits do not tell for root or read-only mounts)."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            return True
    except OSError:
        return False


# A new output folder named like one of these files was meant as a file: ``realtime.video clip.mp4
# --save out.mp4`` (argparse reads --save as --save-dir) made a folder "out.mp4" holding the video.
FILE_LIKE_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".gif", ".png", ".jpg", ".jpeg", ".json", ".csv",
                      ".pkl", ".pt", ".txt")


def check_output_dir(path: Path | None, flag: str) -> None:
    """An output folder: created if missing; refused if it is a file, cannot be written, or is new and
    named like a file (``out.mp4``: a folder of that name was not what was meant)."""
    if path is None:
        return
    path = through_link(Path(path), flag)
    if path.exists() and not path.is_dir():
        raise UserError(f"{flag} '{path}' is a file, not a folder. Choose a folder name.")
    if not path.exists() and path.suffix.lower() in FILE_LIKE_SUFFIXES:
        raise UserError(f"{flag} takes a folder, and '{path}' is named like a {path.suffix} file; the outputs are "
                        f"written inside the folder under names of their own. Give a folder name, e.g. {flag} "
                        f"{path.with_suffix('')}/")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{flag} '{path}' cannot be created ({exc.strerror or exc}). Choose another folder.") from None
    if not can_create_in(path):
        raise UserError(f"{flag} '{path}' is not writable. Choose another folder.")


class atomic_path:  # noqa: N801 (used like a function: ``with atomic_path(path) as tmp``)
    """A temporary file name beside ``path``, renamed to ``path`` only if the ``with`` block succeeds.

    The temporary name keeps the suffix (writers that choose a format by suffix still work) and
    is removed when the block fails, so ``path`` is either the old file or the complete new one.
    A symbolic link is written through (its target is replaced, the link stays); a device, pipe
    or socket is refused (the rename would replace it with a plain file).

    ``replace=False`` (an output the user did not allow to be replaced, checked free at the start):
    when another process created ``path`` while this one worked (two runs given one ``--json``),
    the result goes to the first free ``<stem>-2<suffix>``, ``-3``, ... instead and a note says so.
    :attr:`final` is where the file went.
    """

    def __init__(self, path: Path, replace: bool = True) -> None:
        self.path = through_link(Path(path))
        self.replace = replace
        self.final = self.path
        self._tmp: Path | None = None

    def __enter__(self) -> Path:
        path = self.path
        if path.exists() and not path.is_file():
            raise UserError(not_a_regular_file(path))
        try:
            self._tmp = new_partial_file(path)
        except OSError as exc:   # the folder went away or became read-only during the work
            raise UserError(f"Cannot write '{path}': {exc.strerror or exc}. Nothing was written under that name; "
                            "choose another path.") from None
        return self._tmp

    def __exit__(self, kind, value, traceback) -> None:
        tmp = self._tmp
        try:
            if kind is None:
                self.final = publish(tmp, self.path, self.replace)
            elif issubclass(kind, OSError):   # the writer in the block failed: said as below
                raise value
        except OSError as exc:   # the disk filled up, the folder went away, ...
            raise UserError(f"Cannot write '{self.path}': {exc.strerror or exc}. Nothing was written under that "
                            "name; free some space or choose another path.") from None
        finally:
            if tmp.exists():
                tmp.unlink()


def default_file_mode() -> int:
    """The mode a newly created file gets here (0o666 less the umask; read without changing it)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o644


def publish(tmp: Path, path: Path, replace: bool = True) -> Path:
    """Rename a finished temporary file to ``path``, with the permissions ``path`` would have had
    (temporary files are private: 0600), or keeps, when it is replaced; returns where it went.

    ``replace=False``: an existing ``path`` (made by another process meanwhile) is never replaced;
    the file goes to the first free ``<stem>-2<suffix>``, ``-3``, ... and a note on stderr says so.
    """
    mode = path.stat().st_mode & 0o7777 if path.is_file() else default_file_mode()
    os.chmod(tmp, mode)
    if replace:
        os.replace(tmp, path)
        return path
    target, n = path, 1
    while True:
        try:
            os.link(tmp, target)          # atomic and never replaces: fails if the name is taken
        except FileExistsError:
            pass
        except OSError:                   # no hard links on this file system (FAT, some network shares)
            if not target.exists():
                os.replace(tmp, target)
                break
        else:
            tmp.unlink()
            break
        n += 1
        target = path.with_name(fit_in_name(path.stem, path.parent, len(os.fsencode(path.suffix)) + 8)
                                + f"-{n}{path.suffix}")
    if target != path:
        print(f"note: '{path}' was created by another process while this one worked; it is kept, and these "
              f"results are in '{target}'", file=sys.stderr, flush=True)
    return target


def write_text_atomic(path: Path, text: str, replace: bool = True) -> Path:
    """Write ``text`` to ``path`` through :func:`atomic_path`; returns where it went."""
    writer = atomic_path(path, replace)
    with writer as tmp:
        tmp.write_text(text, encoding="utf-8")
    return writer.final


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (read in 1 MB blocks)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def publish_or_rescue(publish: Callable[[], None], write_into: Callable[[Path], None], target: str, what: str,
                      prefix: str) -> None:
    """``publish()`` the results; when that fails (the disk filled up after hours of work), write the
    same results with ``write_into(folder)`` into a new folder of the system's temporary directory
    instead, so the work is not thrown away, and say where.

    Args:
        publish: writes the results where the user asked.
        write_into: writes the same results into a given folder.
        target: what could not be written, for the message (``"the run to 'runs/x'"``).
        what: the results, with their verb (``"The trained run was"``).
        prefix: name prefix of the rescue folder.

    Raises:
        UserError: ``publish`` failed; the message names the rescued copy (or says that none
            could be written).
    """
    try:
        publish()
        return
    except UserError as exc:
        lead = str(exc)
    except OSError as exc:
        lead = f"Cannot write {target} ({exc.strerror or exc})."
    except RuntimeError as exc:              # torch.save says "unexpected pos ..." when the disk is full
        lead = f"Cannot write {target} ({str(exc).splitlines()[0]}: is the disk full?)."
    rescue = Path(tempfile.mkdtemp(prefix=fit_in_name(prefix, Path(tempfile.gettempdir()), 20)))
    try:
        write_into(rescue)
    except (OSError, RuntimeError, UserError):
        shutil.rmtree(rescue, ignore_errors=True)
        raise UserError(f"{lead} Nor could it be written to the temporary folder: nothing was saved. Free some "
                        "space and run again.") from None
    raise UserError(f"{lead} {what} saved to '{rescue}' instead: move it where you want it.")
