"""The metric protocol: small objects fed one tick at a time, live or on replay.

As in Perk Tutor's metric plugins, the same code scores a session while it runs (as a session
observer) and afterwards (fed by a replay), so live feedback and reports always agree.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import replace

from simulator.events import Event
from simulator.state import Action, SimState
from simulator.world import World


class Metric(ABC):
    """Base class: override ``update`` and ``value``.

    Class attributes
    ----------------
    key : str
        Identifier used by rubrics (``tip_to_target_mm``).
    label : str
        Plain-language name for people.
    help : str
        One or two sentences saying what it measures and how to read it (report tables).
    unit : str
    step : str
        Procedure step the metric belongs to, for per-step results.
    lower_is_better : bool
        Direction of "good", for benchmarks and strengths/weaknesses wording.
    modality : str or None
        'ultrasound' or 'fluoroscopy' when the metric only applies to that guidance.
    every_tick : bool
        Needs every tick; otherwise it is only fed ticks where something changed.
    watches : tuple of str or None
        The state fields (``SimState`` names) that, besides the events, are all its
        ``update`` reads: on a tick without events where none of them is a new object the
        update would change nothing, so the Scorer leaves it out (``()``: events only;
        ``None``: fed every tick where anything changed).
    """

    key = ""
    label = ""
    help = ""
    unit = ""
    step = ""
    lower_is_better = True
    modality: str | None = None
    every_tick = False
    watches: tuple[str, ...] | None = None

    def __init__(self, world: World):
        self.world = world

    @abstractmethod
    def update(self, prev: SimState, state: SimState, action: Action,
               events: tuple[Event, ...]) -> None:
        """Take in one tick: the state before and after, the action and the events."""

    @abstractmethod
    def value(self) -> float | None:
        """The metric's value now (``None`` when it does not apply, e.g. never reached)."""

    def sub_values(self) -> dict[str, float]:
        """Named parts (``danger_contacts.femoral_artery``) for metrics that have them."""
        return {}

    def quiet(self, prev: SimState, state: SimState, action: Action, ticks: int) -> None:
        """Take in ``ticks`` quiet ticks at once (``simulator.step.quiet_ticks``: from
        ``prev`` to ``state`` only the tick changed, no events). Only ``every_tick`` metrics
        are told of quiet ticks; one that integrates over time overrides this with a single
        step giving exactly what ``ticks`` updates would. This default feeds the ticks one
        by one."""
        before = prev
        for tick in range(prev.tick + 1, prev.tick + ticks + 1):
            after = state if tick == state.tick else replace(prev, tick=tick)
            self.update(before, after, action, ())
            before = after


class DepositMetric(Metric):
    """Base for metrics about where the injectate went (reads the state's deposits)."""

    step = "injection"
    watches = ("deposits",)

    def __init__(self, world: World):
        super().__init__(world)
        self._deposits = ()

    def update(self, prev, state, action, events) -> None:
        self._deposits = state.deposits

    def volume(self, compartments=None) -> float:
        """mL deposited (in the given compartments, or anywhere)."""
        return float(sum(d.volume_ml for d in self._deposits
                         if compartments is None or d.compartment in compartments))

    def share(self, compartments) -> float | None:
        """Share of the deposited volume in ``compartments``; None before anything was
        injected (there is no share of nothing: 0 would read as "all of it went elsewhere")."""
        total = self.volume()
        return self.volume(compartments) / total if total > 0.0 else None


class EventCount(Metric):
    """Base for metrics that count the events of the ``kinds`` they name."""

    kinds: tuple[str, ...] = ()
    watches = ()

    def __init__(self, world: World):
        super().__init__(world)
        self._n = 0

    def update(self, prev, state, action, events) -> None:
        if events:
            self._n += count_events(events, self.kinds)

    def value(self) -> float:
        return float(self._n)


def count_events(events, kinds: tuple[str, ...]) -> int:
    return sum(1 for e in events if e.kind in kinds)


def withdrawing(prev: SimState, state: SimState) -> bool:
    """True while the needle is being pulled back along its track.

    A structure re-entered on the way out is the same track, not a new contact.
    """
    return state.needle.depth_mm < prev.needle.depth_mm
