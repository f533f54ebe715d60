"""Helpers shared by CLI commands: progress output and atomic output folders."""

from __future__ import annotations

import shutil
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

from simulator.errors import InputError

DEFAULT_SCENARIO = "hip_anterior_us"   # the scenario commands use when none is given


def say(message: str) -> None:
    """Progress and status lines go to stderr, so stdout stays machine-readable."""
    print(message, file=sys.stderr, flush=True)


def not_replayed(log: Path, tick: int) -> InputError:
    """The error for a log whose replay differs from what it recorded (from ``tick`` on)."""
    return InputError(f"log does not replay identically (first difference at tick {tick}); "
                      "it was edited or recorded by different mechanics", path=log)


def verdict(scored) -> str:
    """First line of a score summary (a ``ScoredSession``): scenario, PASS / FAIL (or
    ABANDONED), score and pass mark."""
    sid = scored.identity.scenario
    if scored.abandoned:
        return (f"{sid}: ABANDONED (ended before the procedure was finished; not a pass or a "
                f"fail)  score so far {scored.score:.1f} / 100")
    return (f"{sid}: {scored.headline}  score {scored.score:.1f} / 100 (pass mark "
            f"{scored.pass_score:.0f})")


def progress_bar(total: int, desc: str, unit: str = "tick"):
    """A tqdm bar on stderr (quiet when stderr is not a terminal and total is small)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, file=sys.stderr, leave=False, unit=unit,
                disable=None, mininterval=0.5)


@contextmanager
def staged_dir(out: Path):
    """Write into a hidden sibling folder, then move the files into ``out`` on success.

    A failure leaves ``out`` as it was: no half-written results.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = out.parent / f".{out.name}.{uuid.uuid4().hex[:8]}.partial"
    stage.mkdir()
    try:
        yield stage
        out.mkdir(parents=True, exist_ok=True)
        for item in stage.iterdir():
            target = out / item.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            item.replace(target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
