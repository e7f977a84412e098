"""The one exception type for user mistakes, SIGTERM as an interruption, and the helper that turns
both (and Ctrl-C) into a clean exit."""
from __future__ import annotations

import codecs
import contextlib
import errno
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")


class UserError(Exception):
    """A problem the user can fix (bad path, bad file, bad option).

    CLIs print its message on one line and exit with status 2; no traceback.
    """


class Terminated(KeyboardInterrupt):
    """SIGTERM (a batch scheduler's time limit, ``timeout``, ``docker stop``, ``kill``) raised in the
    main thread. It is a KeyboardInterrupt, so every path that keeps finished work on Ctrl-C
    (trained epochs, classified or extracted videos, a live recording) keeps it on SIGTERM too."""


def raise_terminated(signum, frame) -> None:  # noqa: ARG001 (a signal handler's signature)
    raise Terminated()


def raise_terminated_on_sigterm() -> None:
    """From now on SIGTERM raises :class:`Terminated` (a worker process's initializer)."""
    signal.signal(signal.SIGTERM, raise_terminated)


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """While active, SIGTERM raises :class:`Terminated` in the main thread (outside it: unchanged)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _leave_quietly(signum, frame) -> None:  # noqa: ARG001 (a signal handler's signature)
    """Leave at once: nothing has started, and an exception raised inside a C extension's import
    (MediaPipe's pybind11 module) would abort the process with a C++ error instead."""
    print("interrupted while starting", file=sys.stderr, flush=True)
    sys.stdout.flush()
    os._exit(130)


def quiet_interrupts_while_starting() -> None:
    """``python -m <command>``: a Ctrl-C while the command still imports its libraries (PyTorch,
    OpenCV, MediaPipe: a few seconds in which nothing has started) ends it with one line and
    status 130 instead of a traceback from inside an import.

    Called by the package ``__init__`` files, which Python runs before the command's module; it
    acts only then (``sys.argv[0]`` is ``-m`` while Python locates the module), never when the
    packages are imported as a library. :func:`run_cli` gives Ctrl-C back to the command, whose
    KeyboardInterrupt paths keep finished work.
    """
    if (sys.argv[:1] == ["-m"] and threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
        signal.signal(signal.SIGINT, _leave_quietly)


def run_cli(main: Callable[[], T]) -> T:
    """Run a CLI ``main``; print ``UserError`` as ``error: ...`` and exit 2; Ctrl-C exits with 130
    and SIGTERM with 143, each after the command kept what it had finished.

    Standard output never fails on a file name: on a UTF-8 terminal a name that is not UTF-8 is
    written with its own bytes (a strict locale raised UnicodeEncodeError at the first table row
    naming it), on any other (``PYTHONIOENCODING=ascii``, a Latin-1 console) what it cannot show is
    written as ``\\xe9``-style escapes; before, the table row of ``café.mp4`` stopped the command
    before its --json was written.
    """
    if signal.getsignal(signal.SIGINT) is _leave_quietly:     # start-up is over: Ctrl-C keeps work again
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if getattr(sys.stdout, "errors", None) == "strict" and hasattr(sys.stdout, "reconfigure"):
        utf8 = codecs.lookup(sys.stdout.encoding or "ascii").name == "utf-8"
        sys.stdout.reconfigure(errors="surrogateescape" if utf8 else "backslashreplace")
    try:
        with sigterm_interrupts():
            return main()
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except BrokenPipeError:  # output piped into `head`: not an error
        sys.stderr.close()
        raise SystemExit(0) from None
    except OSError as exc:
        if exc.errno != errno.ENAMETOOLONG:
            raise
        # a path no file system takes, from wherever it came (the options are checked first)
        print(f"error: '{str(exc.filename)[:60]}...' is too long for the file system ({exc.strerror}): at most 255 "
              "bytes in one name, 4095 in a path. Use a shorter name.", file=sys.stderr)
        raise SystemExit(2) from None
    except Terminated:
        print("terminated (SIGTERM)", file=sys.stderr)
        raise SystemExit(143) from None
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None
