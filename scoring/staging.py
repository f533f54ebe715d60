"""One assessment run at a time per output folder, and no staging folder left behind.

``jointsim`` writes an output folder through a hidden staging folder beside it
(``.OUT.<8 hex>.partial``, see ``simulator.cli.common.staged_dir``) that is moved into place
at the end. A run that is killed leaves its staging folder; the next run on the same output
folder, holding the lock, knows no other run is using one and removes them.
"""

from __future__ import annotations

import fcntl
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def output_lock(out: Path, wait_message: Callable[[str], None] | None = None) -> Iterator[
        list[Path]]:
    """Hold the lock of output folder ``out`` (``.OUT.lock`` beside it, waiting for another
    run to finish) and remove stale staging folders; yields the folders removed."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f".{out.name}.lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if wait_message:
                wait_message(f"waiting for another run writing to {out} to finish")
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield remove_stale_stages(out)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def remove_stale_stages(out: Path) -> list[Path]:
    """Remove the staging folders of ``out`` (call only while holding its lock)."""
    pattern = re.compile(rf"\.{re.escape(out.name)}\.[0-9a-f]{{8}}\.partial")
    stale = [p for p in out.parent.iterdir() if p.is_dir() and pattern.fullmatch(p.name)]
    for p in stale:
        shutil.rmtree(p, ignore_errors=True)
    return stale
