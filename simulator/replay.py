"""Replaying a session log through the same Session, and verifying it reproduces its events."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from simulator.errors import InputError
from simulator.events import Event
from simulator.loading import world_for
from simulator.log import MECHANICS_VERSION, LogData, read_log
from simulator.paths import scenario_path
from simulator.scenario import load_scenario
from simulator.session import Session
from simulator.state import NOOP, SimState
from simulator.world import World


@dataclass
class Mismatch:
    """The first tick where the replayed events differ from the recorded ones."""

    tick: int
    recorded: tuple[Event, ...]
    replayed: tuple[Event, ...]


@dataclass
class ReplayResult:
    log: LogData
    final_state: SimState
    ticks: int
    mismatch: Mismatch | None


def open_log(path: str | Path, scenario: str | Path | None = None,
             progress=None) -> tuple[LogData, World, Path]:
    """Read a log and load the world it was recorded in, checking it is the same scenario."""
    log = read_log(path)
    header = log.header
    if header.get("mechanics_version") != MECHANICS_VERSION:
        raise InputError(f"log recorded with simulator mechanics v"
                         f"{header.get('mechanics_version')} (jointsim "
                         f"{header.get('simulator_version')}); this jointsim replays v"
                         f"{MECHANICS_VERSION} logs only: replay it with the version that "
                         "recorded it", path=path, field="mechanics_version")
    source = scenario or header.get("scenario_path") or header.get("scenario_id", "")
    spath = scenario_path(str(source))
    if not spath.is_file():
        raise InputError(f"the log's scenario {str(source)!r} was not found; pass the "
                         "scenario file with --scenario", path=path, field="scenario_path")
    loaded = load_scenario(spath)
    if loaded.digest() != header.get("scenario_sha256"):
        raise InputError(f"log was recorded with another scenario (or {spath} changed since): "
                         "scenario checksums differ; pass the scenario it was recorded with "
                         "via --scenario", path=path, field="scenario_sha256")
    seed = int(header.get("seed", 0))
    return log, world_for(loaded, spath, seed=seed, progress=progress), spath


def replay(log: LogData, world: World, *, observers=(), verify: bool = True,
           progress=None) -> ReplayResult:
    """Re-run the log's actions tick by tick; with ``verify`` find the first event mismatch."""
    session = Session(world, observers=observers)
    action = NOOP
    mismatch = None
    ticks = log.ticks
    # Without an end record the last tick seen may have lost its events line in the crash.
    verified_ticks = ticks if log.end is not None else ticks - 1
    for tick in range(ticks):
        action = log.actions.get(tick, action)
        _, events = session.step(action)
        if verify and mismatch is None and tick < verified_ticks:
            recorded = log.events.get(tick, ())
            if events != recorded:
                mismatch = Mismatch(tick, recorded, events)
        if progress and tick % 600 == 0:
            progress(tick, ticks)
    return ReplayResult(log, session.state, ticks, mismatch)
