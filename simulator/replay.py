"""Replaying a session log through the same Session, and verifying it reproduces its events.

The scenario a log is graded with is the assessor's, never the log's: it is looked up by the
header's scenario id among the assessor's scenario files (``--scenarios DIR``, default the
shipped ones) or given as a file (``--scenario``), and its checksum must equal the header's.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path

from simulator.errors import InputError
from simulator.events import Event
from simulator.loading import world_for
from simulator.log import MECHANICS_VERSION, LogData, read_log
from simulator.paths import data_root, scenario_path
from simulator.scenario import Scenario, load_scenario, parse_scenario
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
    """``end_mismatch``: why the end record's claims differ from the replay (or ``""``)."""

    log: LogData
    final_state: SimState
    ticks: int
    mismatch: Mismatch | None
    end_mismatch: str = ""


def max_ticks(scenario: Scenario) -> int:
    """Most ticks a log of ``scenario`` can hold: its time limit plus one second."""
    dt = scenario.sim.dt_s
    return math.ceil(scenario.limits.time_s / dt) + round(1.0 / dt)


def check_ticks(log: LogData, scenario: Scenario) -> None:
    """Refuse a log claiming more ticks than the scenario's time limit allows."""
    limit = max_ticks(scenario)
    if log.ticks > limit:
        raise InputError(f"the log claims {log.ticks} ticks, more than scenario "
                         f"{scenario.id!r} allows ({limit}: its {scenario.limits.time_s:g} s "
                         "time limit plus 1 s); the log was edited or damaged", path=log.path,
                         field=f"line {log.tick_line}")


def assessor_scenario(log: LogData, scenario: str | Path | None = None,
                      scenarios: str | Path | None = None) -> tuple[Scenario, Path]:
    """The assessor's copy of the log's scenario: ``scenario`` (a file or shipped name) or,
    by the header's id, a file in ``scenarios`` (default: the shipped scenarios) whose
    checksum is the header's. Raises ``InputError`` naming both checksums otherwise.

    A copy found is remembered (per process) while its file is unchanged: an assessment
    run grades hundreds of logs of one scenario, and reading and checking it (its YAML and
    its mesh set's manifest) cost a tenth of a second each time."""
    key = (str(scenario), str(scenarios), log.header["scenario_id"],
           log.header["scenario_sha256"])
    found = _FOUND.get(key)
    if found is not None and found[0] == _file_key(found[2]):
        return found[1], found[2]
    loaded, path = _find_assessor_scenario(log, scenario, scenarios)
    if len(_FOUND) >= 64:
        _FOUND.pop(next(iter(_FOUND)))
    _FOUND[key] = (_file_key(path), loaded, path)
    return loaded, path


# (scenario, scenarios, id, checksum) -> (file key, Scenario, path) of copies found
_FOUND: dict[tuple, tuple] = {}


def _file_key(path: Path) -> tuple:
    st = path.stat()
    return st.st_mtime_ns, st.st_size, st.st_ino


def _find_assessor_scenario(log: LogData, scenario: str | Path | None,
                            scenarios: str | Path | None) -> tuple[Scenario, Path]:
    sid, digest = log.header["scenario_id"], log.header["scenario_sha256"]
    if scenario is not None:
        path = scenario_path(str(scenario))
        if not path.is_file():
            raise InputError("scenario file not found", path=path, field="--scenario")
        candidates = [path]
    else:
        folder = Path(scenarios) if scenarios is not None else data_root("scenarios")
        if not folder.is_dir():
            raise InputError("not a folder of scenario files", path=folder, field="--scenarios")
        own = folder / f"{sid}.yaml"
        others = sorted(p for p in folder.glob("*.yaml") if p != own)
        candidates = ([own] if own.is_file() else []) + others
    seen = []
    for path in candidates:
        loaded = load_scenario(path) if scenario is not None else _parsed(path)
        if loaded is None or (scenario is None and loaded.id != sid):
            continue
        if loaded.digest() == digest:
            return loaded, path
        seen.append(f"{path} has {loaded.digest()[:12]}")
    if not seen:
        where = scenarios if scenarios is not None else "the shipped scenarios"
        raise InputError(f"scenario {sid!r} is not among the assessor's scenarios ({where}); "
                         "give the folder holding it with --scenarios DIR", path=log.path,
                         field="scenario_id")
    raise InputError(f"scenario {sid!r} differs from the assessor's copy: the log was "
                     f"recorded with checksum {digest[:12]}, but {'; '.join(seen)}; grade "
                     "it only with the scenario it was recorded with (--scenarios DIR)",
                     path=log.path, field="scenario_sha256")


def _parsed(path: Path) -> Scenario | None:
    try:
        scenario, problems = parse_scenario(path)
    except InputError:
        return None
    return None if problems else scenario


def open_log(path: str | Path, scenario: str | Path | None = None, progress=None, *,
             scenarios: str | Path | None = None) -> tuple[LogData, World, Path]:
    """Read a log and load the world it was recorded in, with the assessor's scenario
    (see :func:`assessor_scenario`); check its ticks are within the scenario's limit."""
    log = read_log(path)
    header = log.header
    if header.get("mechanics_version") != MECHANICS_VERSION:
        raise InputError(f"log recorded with simulator mechanics v"
                         f"{header.get('mechanics_version')} (jointsim "
                         f"{header.get('simulator_version')}); this jointsim replays v"
                         f"{MECHANICS_VERSION} logs only: replay it with the version that "
                         "recorded it", path=path, field="mechanics_version")
    loaded, spath = assessor_scenario(log, scenario, scenarios)
    check_ticks(log, loaded)
    seed = header.get("seed", 0)
    # the world of a scenario file and seed, kept like the scenario (see assessor_scenario):
    # world_for reads the mesh set's manifest to find it again
    key = (loaded.digest(), str(spath), seed)
    known = _WORLDS.get(key)
    if known is not None and known[0] == _file_key(spath):
        return log, known[1], spath
    world = world_for(loaded, spath, seed=seed, progress=progress)
    if len(_WORLDS) >= 8:
        _WORLDS.pop(next(iter(_WORLDS)))
    _WORLDS[key] = (_file_key(spath), world)
    return log, world, spath


_WORLDS: dict[tuple, tuple] = {}   # (checksum, scenario file, seed) -> (file key, World)


def replay(log: LogData, world: World, *, observers=(), verify: bool = True,
           progress=None, quiet_jumps: bool = True) -> ReplayResult:
    """Re-run the log's actions tick by tick; with ``verify`` find the first event mismatch
    and check the end record's tick count against where the replayed session ended.

    With ``quiet_jumps`` a run of quiet ticks (nothing held, nothing moving: see
    ``simulator.step.quiet_ticks``) is taken in one jump where the observers allow it
    (``Session.step_quiet``): the same final state, events and scores, sooner.
    """
    check_ticks(log, world.scenario)  # no loop runs past the scenario's time limit
    session = Session(world, observers=observers)
    action = NOOP
    mismatch = None
    ticks = log.ticks
    ended_at = None
    # Without an end record the last tick seen may have lost its events line in the crash.
    verified_ticks = ticks if log.end is not None else ticks - 1
    recorded_ticks = sorted(t for t, events in log.events.items() if events)
    # runs of ticks holding one action (NOOP until the first action record)
    starts = [0, *sorted(t for t in log.actions if 0 < t < ticks)]
    for start, end in zip(starts, [*starts[1:], ticks], strict=True):
        action = log.actions.get(start, NOOP)
        idle = quiet_jumps and action == NOOP
        tick = start
        while tick < end:
            if idle or (quiet_jumps and session.ended):
                jumped = session.step_quiet(action, end - tick)
                if jumped:
                    if verify and mismatch is None:
                        mismatch = _recorded_in(log, recorded_ticks, tick,
                                                min(tick + jumped, verified_ticks))
                    if progress and (tick + jumped - 1) // 600 > (tick - 1) // 600:
                        progress((tick + jumped - 1) // 600 * 600, ticks)
                    tick += jumped
                    continue
            state, events = session.step(action)
            if ended_at is None and state.ended:
                ended_at = tick
            if verify and mismatch is None and tick < verified_ticks:
                recorded = log.events.get(tick, ())
                if events != recorded:
                    mismatch = Mismatch(tick, recorded, events)
            if progress and tick % 600 == 0:
                progress(tick, ticks)
            tick += 1
    end_mismatch = ""
    if verify and log.end is not None and ended_at is not None and ticks != ended_at + 1:
        end_mismatch = (f"the end record claims {ticks} ticks, but the session ended after "
                        f"{ended_at + 1}")
    return ReplayResult(log, session.state, ticks, mismatch, end_mismatch)


def _recorded_in(log: LogData, recorded_ticks: list[int], first: int,
                 stop: int) -> Mismatch | None:
    """The first tick in ``first .. stop-1`` with recorded events (quiet ticks replay none)."""
    k = bisect_left(recorded_ticks, first)
    if k < len(recorded_ticks) and recorded_ticks[k] < stop:
        tick = recorded_ticks[k]
        return Mismatch(tick, log.events[tick], ())
    return None
