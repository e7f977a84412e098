"""The one exception type for user mistakes, and a helper that turns it into a clean exit."""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class UserError(Exception):
    """A problem the user can fix (bad path, bad file, bad option).

    CLIs print its message on one line and exit with status 2; no traceback.
    """


def run_cli(main: Callable[[], T]) -> T:
    """Run a CLI ``main``; print ``UserError`` as ``error: ...`` and exit 2.

    Standard output writes a file name that is not UTF-8 with its own bytes instead of failing
    (a strict UTF-8 locale would raise UnicodeEncodeError at the first table row naming it).
    """
    if getattr(sys.stdout, "errors", None) == "strict" and hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="surrogateescape")
    try:
        return main()
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except BrokenPipeError:  # output piped into `head`: not an error
        sys.stderr.close()
        raise SystemExit(0) from None
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None
