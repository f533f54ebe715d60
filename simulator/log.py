"""The session log: JSON Lines, append-only, flushed as written, hash-chained and sealed.

Line 1 is the header. Then records, each with the tick ``t`` they belong to:

- ``{"t": 12, "a": {...}}``: the action from tick 12 on (written only when it changes; a
  replay holds the last action until the next ``a`` record);
- ``{"t": 12, "e": [[kind, data], ...]}``: events tick 12 emitted;
- ``{"t": 600}``: a heartbeat once per simulated second, so a cut-off log still says how far
  the session ran;
- ``{"t": 9000, "end": {...}}``: the last line of a finished session.

Every line (header included) is canonical JSON (sorted keys, no spaces, ASCII) and carries
``h``, the SHA-256 of the previous line's ``h`` and this line without ``h``: adding, removing,
reordering or editing any line breaks the chain at that line. The end record may carry
``sig``, an Ed25519 signature of its ``h`` by the site key (see ``simulator.signing``).

A log cut off mid-line loads up to its last complete line and is *incomplete*. Format 1 logs
(before the chain) still load and replay, as *unsealed (legacy format)*.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from simulator import __version__
from simulator.errors import InputError
from simulator.events import Event
from simulator.state import Action

LOG_FORMAT = 2
LEGACY_FORMATS = (1,)   # read and replayed, but carry no chain: never verified as complete
# Bumped whenever step() changes behaviour: logs only replay under the mechanics they were
# recorded with.
MECHANICS_VERSION = 1
# An attempt's status in its end record: the procedure finished (or the clock ran out), or the
# trainee restarted, ended early or closed the window (kept, but not a failure).
COMPLETED, ABANDONED = "completed", "abandoned"


def attempt_status(end: dict | None) -> str:
    """The status an end record gives its attempt (``COMPLETED`` when it says none, as logs
    written before abandoned attempts were told apart)."""
    status = (end or {}).get("status", COMPLETED)
    if status not in (COMPLETED, ABANDONED):
        raise InputError(f"the end record's status is {status!r}; it must be {COMPLETED!r} or "
                         f"{ABANDONED!r}", field="end.status")
    return status
CHAIN_START = "jointsim-log-2"   # the "previous hash" of the header line
# Loose bound on ticks before the scenario is known (2 h at the smallest time step, 2 ms);
# replay then holds a log to its scenario's own time limit.
MAX_TICKS = 4_000_000
_MAX_TEXT = 1000
_MAX_ID = 100   # a scenario id names a file: keep it far below file-name limits
_SCENARIO_ID = re.compile(r"[a-z][a-z0-9_]*")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class TamperedLog(InputError):
    """The log's hash chain or seal does not hold: it was edited after it was written."""


@dataclass
class LogData:
    """A log read back from disk.

    ``format`` is the header's format number; ``chain_hash`` the ``h`` of the last complete
    line (format 2); ``seal`` the end record's ``sig`` (or ``None``); ``tick_line`` the line
    number of the record that set ``ticks`` (for messages).
    """

    path: Path
    header: dict
    actions: dict[int, Action] = field(default_factory=dict)
    events: dict[int, tuple[Event, ...]] = field(default_factory=dict)
    last_tick: int = -1
    end: dict | None = None
    truncated: bool = False
    format: int = LOG_FORMAT
    chain_hash: str = ""
    seal: dict | None = None
    tick_line: int = 1

    @property
    def ticks(self) -> int:
        """Number of ticks the session ran (to the end record, or the last tick seen)."""
        if self.end is not None:
            return int(self.end["ticks"])
        return self.last_tick + 1

    @property
    def legacy(self) -> bool:
        return self.format in LEGACY_FORMATS


def make_header(*, scenario_id: str, scenario_sha256: str, scenario_path: str, seed: int,
                dt_s: float, trainee: str, run_id: str, mode: str, started: str) -> dict:
    return {"jointsim_log": LOG_FORMAT, "simulator_version": __version__,
            "mechanics_version": MECHANICS_VERSION, "scenario_id": scenario_id,
            "scenario_sha256": scenario_sha256, "scenario_path": scenario_path, "seed": seed,
            "dt_s": dt_s, "trainee": trainee, "run_id": run_id, "mode": mode,
            "started_utc": started}


def canonical(record: dict) -> bytes:
    """The one byte form of a record: sorted keys, no spaces, ASCII, finite numbers."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False).encode("ascii")


def chain_hash(previous: str, record: dict) -> str:
    """``h`` of a record (given without ``h`` and ``sig``) following a line whose ``h`` is
    ``previous``."""
    return hashlib.sha256(previous.encode("ascii") + b"\n" + canonical(record)).hexdigest()


class LogWriter:
    """Append-only writer: every record is one chained line, flushed at once.

    ``signer`` (a ``simulator.signing.Signer``, optional) seals the end record.
    """

    def __init__(self, path: str | Path, header: dict, heartbeat_ticks: int, signer=None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "wb")  # noqa: SIM115 - long-lived
        self._heartbeat = max(1, heartbeat_ticks)
        self._last_action: Action | None = None
        self._hash = CHAIN_START
        self._signer = signer
        self._write(header)

    def _write(self, record: dict, seal: bool = False) -> None:
        self._hash = chain_hash(self._hash, record)
        record = {**record, "h": self._hash}
        if seal:
            record["sig"] = self._signer.seal(self._hash)
        self._file.write(canonical(record) + b"\n")
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
        self._write({"t": ticks, "end": {"ticks": ticks, **summary}},
                    seal=self._signer is not None)
        self.close()

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()


def read_log(path: str | Path) -> LogData:
    """Read and check a log.

    A final partial line is dropped (``truncated``). A broken chain raises
    :class:`TamperedLog` naming the first bad line; other damage, and any number that is not
    finite or out of bounds, raises ``InputError`` naming the line.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("log file not found", path=path)
    lines = path.read_bytes().split(b"\n")
    complete, tail = lines[:-1], lines[-1]
    if not complete:
        raise InputError("log is empty or has no complete header line; it is not a jointsim "
                         "session log", path=path)
    try:
        header = _loads(complete[0])
    except (ValueError, RecursionError):
        raise InputError("line 1 is not a JSON header; this is not a jointsim session log",
                         path=path) from None
    fmt = header.get("jointsim_log") if isinstance(header, dict) else None
    if fmt not in (LOG_FORMAT, *LEGACY_FORMATS) or isinstance(fmt, bool):
        raise InputError(f"not a jointsim session log (format {LOG_FORMAT} header expected "
                         "on line 1)", path=path, field="line 1")
    data = LogData(path, header, truncated=bool(tail.strip()), format=fmt)
    if data.legacy:
        _check_header(data, header)
        _read_legacy(data, complete)
    else:
        _read_chained(data, complete, tail)
    return data


def _read_chained(data: LogData, complete: list[bytes], tail: bytes) -> None:
    for number, line in enumerate(complete, start=1):
        where = f"line {number}"
        if data.end is not None:
            raise TamperedLog("a record follows the end record; lines were added after the "
                              "log was finished", path=data.path, field=where)
        try:
            record = _loads(line)
            if not isinstance(record, dict) or not isinstance(record.get("h"), str):
                raise ValueError("not a chained record")
            same = canonical(record) == line
        except (ValueError, RecursionError) as exc:
            raise _damaged(data, where, exc) from None
        if not same:
            raise TamperedLog("the line is not in the form jointsim writes; the log was edited",
                              path=data.path, field=where)
        seal = record.pop("sig", None) if "end" in record else None
        claimed = record.pop("h")
        if chain_hash(data.chain_hash or CHAIN_START, record) != claimed:
            raise TamperedLog("hash chain broken: this line, or one before it, was edited, "
                              "added, removed or moved", path=data.path, field=where)
        data.chain_hash, data.seal = claimed, seal
        try:
            if number == 1:
                _check_header(data, record)
            else:
                _apply(data, record, number)
        except (ValueError, KeyError, TypeError) as exc:
            raise _damaged(data, where, exc) from None
    if data.end is not None and tail.strip():
        raise TamperedLog("text follows the end record; the log was edited", path=data.path,
                          field=f"line {len(complete) + 1}")


def _read_legacy(data: LogData, complete: list[bytes]) -> None:
    for number, line in enumerate(complete[1:], start=2):
        if not line.strip():
            continue
        try:
            _apply(data, _loads(line), number)
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            if number == len(complete) and data.end is None:
                data.truncated = True  # damaged last line: keep what came before
                break
            raise _damaged(data, f"line {number}", exc) from None


def _damaged(data: LogData, where: str, exc: Exception) -> InputError:
    why = str(exc) if isinstance(exc, ValueError) and str(exc) else exc.__class__.__name__
    return InputError(f"corrupted record ({why}); the log was edited or damaged",
                      path=data.path, field=where)


def _loads(line: bytes):
    """JSON with every number finite (NaN, Infinity and overflowing literals refused)."""
    return json.loads(line, parse_constant=_no_constant, parse_float=_finite)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a finite number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a finite number")
    return value


def _check_header(data: LogData, header: dict) -> None:
    """The header fields replay and scoring use: present, of the right type, in bounds."""
    def bad(name: str, what: str):
        return InputError(f"header field {name!r} {what}; the log was edited or damaged",
                          path=data.path, field=f"line 1: {name}")

    for name in ("scenario_id", "scenario_sha256", "trainee", "run_id", "mode", "started_utc",
                 "simulator_version"):
        value = header.get(name, "")
        if not isinstance(value, str) or len(value) > _MAX_TEXT:
            raise bad(name, f"must be text of at most {_MAX_TEXT} characters")
    sid = header.get("scenario_id", "")
    if len(sid) > _MAX_ID or not _SCENARIO_ID.fullmatch(sid):
        raise bad("scenario_id", f"must be a scenario id (lower case letters, digits, _; at "
                  f"most {_MAX_ID} characters)")
    if not _SHA256.fullmatch(header.get("scenario_sha256", "")):
        raise bad("scenario_sha256", "must be 64 hex digits")
    seed = header.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise bad("seed", "must be a whole number from 0 to 2**63 - 1")


def _apply(data: LogData, record: dict, number: int) -> None:
    if not isinstance(record, dict) or not set(record) <= {"t", "a", "e", "end"}:
        raise ValueError("unknown record fields")
    tick = record["t"]
    if isinstance(tick, bool) or not isinstance(tick, int) or not 0 <= tick <= MAX_TICKS:
        raise ValueError(f"tick t = {tick!r} is out of range (a whole number from 0 to "
                         f"{MAX_TICKS} expected)")
    if tick < data.last_tick:
        raise ValueError(f"tick t = {tick} goes back in time (after t = {data.last_tick})")
    if tick > data.last_tick:
        data.last_tick, data.tick_line = tick, number
    if "a" in record:
        data.actions[tick] = Action.from_json(record["a"])
    if "e" in record:
        if not isinstance(record["e"], list):
            raise ValueError("events must be a list")
        data.events[tick] = tuple(Event.from_json(e) for e in record["e"])
    if "end" in record:
        end = record["end"]
        if not isinstance(end, dict) or end.get("ticks") != tick:
            raise ValueError("the end record's ticks must equal its t")
        data.end, data.tick_line = dict(end), number
