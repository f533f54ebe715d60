"""What a report needs from a replay besides the score: the tip's path and tissue over time
(the states at the key moments are the Scorer's, ``Scorer.key_frames``).

``Timeline`` is a Session observer, so it rides along the same replay that scores the log.
"""

from __future__ import annotations

import numpy as np

from simulator import events as ev
from simulator.state import SimState
from simulator.world import World

# Events marked on the timeline plot, with a short label.
MARKED_EVENTS = {
    ev.SKIN_PUNCTURE: "skin puncture",
    ev.TARGET_REACHED: "target reached",
    ev.BONE_CONTACT: "bone contact",
    ev.DANGER_CONTACT: "danger contact",
    ev.REDIRECT: "redirect",
    ev.WITHDRAW: "withdrawn",
    ev.ASPIRATION: "aspiration",
    ev.INJECTION_STARTED: "injection",
}


class Timeline:
    """Session observer collecting the needle tip's depth, position and tissue per tick.

    Only ticks where the needle changed (or an event happened) are stored, so a long quiet
    session costs almost nothing.
    """

    def __init__(self, world: World):
        self.world = world
        self._t: list[int] = []
        self._depth: list[float] = []
        self._label: list[int] = []
        self._tip: list[tuple] = []
        self.events: list[tuple[int, str, dict]] = []
        self.final_state: SimState | None = None

    def __call__(self, prev: SimState, state: SimState, action, events) -> None:
        self.final_state = state
        if prev.needle is not state.needle or events:
            n = state.needle
            self._t.append(prev.tick)
            self._depth.append(n.depth_mm if n.in_skin else np.nan)
            self._label.append(n.tip_label if n.in_skin else 0)
            self._tip.append(n.tip_mm if n.in_skin else (np.nan, np.nan, np.nan))
        for e in events:
            if e.kind in MARKED_EVENTS:
                self.events.append((prev.tick, e.kind, e.data))

    # -- results ----------------------------------------------------------------------------
    @property
    def times_s(self) -> np.ndarray:
        """``(n,)`` seconds of each stored sample."""
        return np.asarray(self._t, float) * self.world.dt_s

    @property
    def depth_mm(self) -> np.ndarray:
        """``(n,)`` insertion depth (NaN while the needle is out of the skin)."""
        return np.asarray(self._depth, float)

    @property
    def labels(self) -> np.ndarray:
        """``(n,)`` structure label holding the tip (0 = outside the body)."""
        return np.asarray(self._label, int)

    @property
    def tip_mm(self) -> np.ndarray:
        """``(n, 3)`` tip positions (NaN rows while out of the skin)."""
        return np.asarray(self._tip, float).reshape(-1, 3)
