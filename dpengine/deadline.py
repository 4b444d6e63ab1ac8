"""``--timeout``: a limit on how long a program may run under the engine.

The program runs in this process, in the main thread (the engine answers its RPCs inline), so the
limit is a ``SIGALRM`` timer whose handler raises :class:`ProgramTimeout` where the program is. It
derives from ``BaseException``: a program's own ``except Exception`` does not swallow it, and the
engine passes it on rather than reporting it as the program's failure.
"""

from __future__ import annotations

import signal
import threading
from argparse import ArgumentTypeError
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class ProgramTimeout(BaseException):
    """The program ran past ``--timeout``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the program did not finish within {seconds:g} s (--timeout)")
        self.seconds = seconds


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Raise :class:`ProgramTimeout` in the main thread when ``seconds`` pass inside the block
    (no limit for ``None`` or 0, off the main thread, or where there is no ``SIGALRM``)."""
    usable = (
        seconds
        and seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return
    assert seconds is not None

    def expire(signum: int, frame: Any) -> None:
        raise ProgramTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise ArgumentTypeError(f"must be more than 0 seconds (got {text})")
    return value
