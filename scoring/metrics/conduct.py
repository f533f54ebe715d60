"""Conduct a clinician is held to whatever the score: the time-out, nerves, the full dose.

These feed the hard fails every scenario carries (``scoring.clinical_rules``).
"""

from __future__ import annotations

from scoring.metrics.base import DepositMetric, Metric, withdrawing
from simulator import events as ev


class TimeOutBeforePuncture(Metric):
    """1 if the time-out (patient, side, site, drug, allergies) was done before the skin
    was first punctured; 0 if the skin was punctured first or it was never done."""

    key = "time_out_before_puncture"
    label = "Time-out done before the skin puncture"
    unit = "yes/no"
    step = "time_out"
    lower_is_better = False

    def __init__(self, world):
        super().__init__(world)
        self._done = False
        self._at_puncture: bool | None = None

    def update(self, prev, state, action, events):
        for e in events:
            if e.kind == ev.STEP_MARKED and e.data["step"] == "time_out":
                self._done = True
            elif e.kind == ev.SKIN_PUNCTURE and self._at_puncture is None:
                self._at_puncture = self._done

    def value(self):
        done = self._done if self._at_puncture is None else self._at_puncture
        return 1.0 if done else 0.0


class NerveContacts(Metric):
    """Times the tip entered any nerve on the way in (not on withdrawal through its track)."""

    key = "nerve_contacts"
    label = "Nerve contacts"
    unit = "count"
    step = "needle_placement"

    def __init__(self, world):
        super().__init__(world)
        self._by: dict[str, int] = {}

    def update(self, prev, state, action, events):
        if not events or withdrawing(prev, state):
            return
        for e in events:
            if e.kind == ev.STRUCTURE_ENTERED and e.data["tissue"] == "nerve":
                name = e.data["structure"]
                self._by[name] = self._by.get(name, 0) + 1

    def value(self):
        return float(sum(self._by.values()))

    def sub_values(self):
        return {name: float(n) for name, n in self._by.items()}


class PrescribedDoseShare(DepositMetric):
    """Share of the prescribed volume injected: the therapeutic syringes (or, in a scenario
    without one, every syringe but contrast)."""

    key = "prescribed_dose_share"
    label = "Share of the prescribed dose injected"
    unit = "fraction"
    lower_is_better = False

    def __init__(self, world):
        super().__init__(world)
        syringes = world.scenario.syringes
        chosen = [k for k, s in enumerate(syringes) if s.contents == "therapeutic"] or [
            k for k, s in enumerate(syringes) if s.contents != "contrast"]
        self._syringes = frozenset(chosen)
        self._prescribed_ml = sum(syringes[k].volume_ml for k in chosen)

    def value(self):
        if self._prescribed_ml <= 0.0:
            return None
        given = sum(d.volume_ml for d in self._deposits if d.syringe in self._syringes)
        return min(1.0, given / self._prescribed_ml)
