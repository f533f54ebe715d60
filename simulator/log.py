"""The session log: JSON Lines, append-only, flushed as written.

Line 1 is the header. Then records, each with the tick ``t`` they belong to:

- ``{"t": 12, "a": {...}}``: the action from tick 12 on (written only when it changes; a
  replay holds the last action until the next ``a`` record);
- ``{"t": 12, "e": [[kind, data], ...]}``: events tick 12 emitted;
- ``{"t": 600}``: a heartbeat once per simulated second, so a cut-off log still says how far
  the session ran;
- ``{"t": 9000, "end": {...}}``: the last line of a finished session.

A log cut off mid-line loads up to its last complete line.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from simulator import __version__
from simulator.errors import InputError
from simulator.events import Event
from simulator.state import Action

LOG_FORMAT = 1
# Bumped whenever step() changes behaviour: logs only replay under the mechanics they were
# recorded with.
MECHANICS_VERSION = 1


@dataclass
class LogData:
    """A log read back from disk."""

    path: Path
    header: dict
    actions: dict[int, Action] = field(default_factory=dict)
    events: dict[int, tuple[Event, ...]] = field(default_factory=dict)
    last_tick: int = -1
    end: dict | None = None
    truncated: bool = False

    @property
    def ticks(self) -> int:
        """Number of ticks the session ran (to the end record, or the last tick seen)."""
        if self.end is not None:
            return int(self.end["ticks"])
        return self.last_tick + 1


def make_header(*, scenario_id: str, scenario_sha256: str, scenario_path: str, seed: int,
                dt_s: float, trainee: str, run_id: str, mode: str, started: str) -> dict:
    return {"jointsim_log": LOG_FORMAT, "simulator_version": __version__,
            "mechanics_version": MECHANICS_VERSION, "scenario_id": scenario_id,
            "scenario_sha256": scenario_sha256, "scenario_path": scenario_path, "seed": seed,
            "dt_s": dt_s, "trainee": trainee, "run_id": run_id, "mode": mode,
            "started_utc": started}


class LogWriter:
    """Append-only writer: every record is one line, flushed at once."""

    def __init__(self, path: str | Path, header: dict, heartbeat_ticks: int):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - long-lived
        self._heartbeat = max(1, heartbeat_ticks)
        self._last_action: Action | None = None
        self._write(header)

    def _write(self, record: dict) -> None:
        self._file.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._file.flush()

    def record(self, tick: int, action: Action, events) -> None:
        if action != self._last_action:
            self._write({"t": tick, "a": action.to_json()})
            self._last_action = action
        if events:
            self._write({"t": tick, "e": [e.to_json() for e in events]})
        elif tick % self._heartbeat == 0:
            self._write({"t": tick})

    def finish(self, ticks: int, summary: dict) -> None:
        self._write({"t": ticks, "end": {"ticks": ticks, **summary}})
        self.close()

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()


def read_log(path: str | Path) -> LogData:
    """Read a log; a final partial line is dropped (``truncated``), other damage is an error."""
    path = Path(path)
    if not path.is_file():
        raise InputError("log file not found", path=path)
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    complete = lines[:-1]
    tail = lines[-1]
    if not complete:
        raise InputError("log is empty or has no complete header line; it is not a jointsim "
                         "session log", path=path)
    try:
        header = json.loads(complete[0])
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError("line 1 is not a JSON header; this is not a jointsim session log",
                         path=path) from None
    if not isinstance(header, dict) or header.get("jointsim_log") != LOG_FORMAT:
        raise InputError(f"not a jointsim session log (format {LOG_FORMAT} header expected "
                         "on line 1)", path=path, field="line 1")
    data = LogData(path, header, truncated=bool(tail.strip()))
    for number, line in enumerate(complete[1:], start=2):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            _apply(data, record)
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            if number == len(complete) and data.end is None:
                data.truncated = True  # damaged last line: keep what came before
                break
            raise InputError(f"corrupted record ({exc.__class__.__name__}); the log was "
                             "edited or damaged", path=path, field=f"line {number}") from None
    return data


def _apply(data: LogData, record: dict) -> None:
    tick = int(record["t"])
    if tick < 0:
        raise ValueError("negative tick")
    data.last_tick = max(data.last_tick, tick)
    if "a" in record:
        data.actions[tick] = Action.from_json(record["a"])
    if "e" in record:
        data.events[tick] = tuple(Event.from_json(e) for e in record["e"])
    if "end" in record:
        data.end = dict(record["end"])
