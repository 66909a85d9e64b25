"""How every command ends on bad input or an interruption: one line, and an exit code.

Exit codes: 0 success, 1 some work failed (a sweep's failed runs, a failing ``sim verify``
case), 2 bad input (a message naming file, field, value and what is allowed; never a
traceback), 130 interrupted (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import functools
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

import click

from sim.config.errors import InputError

__all__ = ["user_errors", "EXIT_WORK_FAILED", "EXIT_BAD_INPUT", "EXIT_INTERRUPTED"]

EXIT_WORK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class _Terminated(KeyboardInterrupt):
    """SIGTERM, delivered as an interrupt so that it unwinds like Ctrl-C."""


def _on_sigterm(_signum: int, _frame: Any) -> None:
    raise _Terminated


def user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn input errors into one line on stderr and exit code 2; Ctrl-C or SIGTERM into 130.

    A command that keeps something when interrupted (a sweep's store) says what in the
    interrupt's ``detail`` attribute; the default is "nothing was written".
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # Signal handlers can only be set from the main thread (not so under some test runners).
        main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _on_sigterm) if main_thread else None
        # A file-size limit (ulimit -f) would kill the process by SIGXFSZ in mid-write; ignored,
        # the write fails with EFBIG instead, and the command says so in one line.
        xfsz = getattr(signal, "SIGXFSZ", None) if main_thread else None
        previous_xfsz = signal.signal(xfsz, signal.SIG_IGN) if xfsz is not None else None
        try:
            return func(*args, **kwargs)
        except (InputError, FileExistsError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except KeyboardInterrupt as exc:
            how = "SIGTERM" if isinstance(exc, _Terminated) else "Ctrl-C"
            detail = getattr(exc, "detail", "nothing was written")
            click.echo(f"interrupted ({how}): {detail}", err=True)
            sys.exit(EXIT_INTERRUPTED)
        finally:
            if main_thread:
                signal.signal(signal.SIGTERM, previous)
            if xfsz is not None:
                signal.signal(xfsz, previous_xfsz)

    return wrapper
