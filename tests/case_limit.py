"""A wall-clock bound for one fuzz case, so a hang fails that case instead of the suite."""

from __future__ import annotations

import signal
from contextlib import contextmanager


class CaseTimeout(Exception):
    pass


@contextmanager
def time_limit(seconds: float):
    """Raise ``CaseTimeout`` in the block if it runs longer than ``seconds`` (main thread)."""
    def expire(signum, frame):
        raise CaseTimeout(f"case still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
