"""The one stateful shell around the pure step: the app, replay and policies all drive it."""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from simulator.events import Event
from simulator.log import LogWriter, make_header
from simulator.signing import site_signer
from simulator.state import NOOP, Action, SimState
from simulator.step import initial_state, quiet_ticks, skip_quiet, step
from simulator.world import World

Observer = Callable[[SimState, SimState, Action, tuple[Event, ...]], None]
Policy = Callable[[World, SimState], Action]
SITE_KEY = object()  # Session's default signer: the configured site key, if any


class Session:
    """Holds the current state, steps it, records the log and tells observers.

    Parameters
    ----------
    world : World
    seed : int, optional
        Recorded in the log; seeds per-frame imaging noise. Defaults to the seed the world
        was built for (which drew the patient).
    log_path : path, optional
        Where to write the session log (JSON Lines). Without it nothing is written.
    observers : iterable of callables ``(prev_state, state, action, events)``
        Called after every tick (live metrics, the HUD).
    signer : simulator.signing.Signer or None, optional
        Seals the log's end record. Defaults to the site key when one is configured
        (``simulator.signing.site_signer``); ``None`` writes a chained but unsigned log.
    """

    def __init__(self, world: World, *, seed: int | None = None, log_path: str | Path | None = None,
                 trainee: str = "", run_id: str | None = None, mode: str = "learning",
                 scenario_path: str | Path = "", observers: Iterable[Observer] = (),
                 signer=SITE_KEY):
        self.world = world
        self.seed = world.seed if seed is None else seed
        self.observers = list(observers)
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.state = initial_state(world)
        self.log: LogWriter | None = None
        if log_path is not None:
            header = make_header(
                scenario_id=world.scenario.id, scenario_sha256=world.scenario.digest(),
                scenario_path=str(scenario_path), seed=self.seed, dt_s=world.dt_s,
                trainee=trainee,
                run_id=self.run_id, mode=mode,
                started=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))
            if signer is SITE_KEY:
                signer = site_signer()
            self.log = LogWriter(log_path, header, heartbeat_ticks=round(1.0 / world.dt_s),
                                 signer=signer)

    @property
    def ended(self) -> bool:
        return self.state.ended

    def step(self, action: Action = NOOP) -> tuple[SimState, tuple[Event, ...]]:
        prev = self.state
        state, events = step(self.world, prev, action)
        if self.log is not None:
            self.log.record(prev.tick, action, events)
        for observer in self.observers:
            observer(prev, state, action, events)
        self.state = state
        return state, events

    def step_quiet(self, action: Action, most: int) -> int:
        """Take up to ``most`` ticks of ``action`` while they are quiet (only the tick
        changes: ``simulator.step.quiet_ticks``), in one jump when no log is written and
        every observer has a ``quiet(prev, state, action, ticks)`` method, else one by one;
        returns how many ticks were taken (0: the next tick is not quiet)."""
        ticks = quiet_ticks(self.world, self.state, action, most)
        if self.log is not None or not all(hasattr(o, "quiet") for o in self.observers):
            for _ in range(ticks):
                self.step(action)
            return ticks
        if ticks:
            prev, self.state = self.state, skip_quiet(self.state, ticks)
            for observer in self.observers:
                observer.quiet(prev, self.state, action, ticks)
        return ticks

    def close(self, summary: dict | None = None) -> None:
        """Write the end record (if logging) and close the log."""
        if self.log is not None:
            self.log.finish(self.state.tick, summary or {})
            self.log = None


def run_policy(session: Session, policy: Policy, max_ticks: int | None = None) -> SimState:
    """Step ``session`` with ``policy`` until the session ends (or ``max_ticks``)."""
    n = 0
    while not session.ended and (max_ticks is None or n < max_ticks):
        session.step(policy(session.world, session.state))
        n += 1
    return session.state
