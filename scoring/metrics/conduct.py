"""Conduct a clinician is held to whatever the score: the time-out, asepsis, the right side,
allergies, nerves, the full dose.

These feed the hard fails every scenario carries (``scoring.clinical_rules``).
"""

from __future__ import annotations

from abc import abstractmethod

import numpy as np

from scoring.metrics.base import DepositMetric, Metric, withdrawing
from simulator import events as ev
from simulator.procedure import requested_side, working_side


class TimeOutBeforePuncture(Metric):
    """1 if a time-out that found nothing wrong (patient, side, site, drug, allergies) was
    the last one done before the skin was first punctured; 0 if the skin was punctured
    first, the time-out got the side or an allergy wrong, or it was never done."""

    key = "time_out_before_puncture"
    help = ("Whether a correct time-out (patient, side, site, drug, allergies) was done "
            "before the skin was first punctured.")
    label = "Correct time-out done before the skin puncture"
    unit = "yes/no"
    step = "time_out"
    lower_is_better = False
    watches = ("time_out_problems",)

    def __init__(self, world):
        super().__init__(world)
        self._ok = False
        self._at_puncture: bool | None = None

    def update(self, prev, state, action, events):
        self._ok = state.time_out_problems == ()
        if self._at_puncture is None and any(e.kind == ev.SKIN_PUNCTURE for e in events):
            self._at_puncture = self._ok

    def value(self):
        return 1.0 if (self._ok if self._at_puncture is None else self._at_puncture) else 0.0


class SterilityBreaches(Metric):
    """Skin punctures that broke asepsis: outside every prepped area of the side worked
    on (or with no prep at all) and, under ultrasound, with the probe uncovered."""

    key = "sterility_breaches"
    help = ("Skin punctures outside the prepped area, or with the ultrasound probe "
            "uncovered.")
    label = "Asepsis breaches at skin punctures"
    unit = "count"
    step = "skin_prep"
    watches = ()

    def __init__(self, world):
        super().__init__(world)
        self._radius_mm = world.scenario.site_check.prep_radius_mm
        self._by = {"outside_prep": 0, "probe_uncovered": 0}

    def update(self, prev, state, action, events):
        for e in events:
            if e.kind != ev.SKIN_PUNCTURE:
                continue
            entry = np.asarray(e.data["entry_mm"], float)
            if not any(np.linalg.norm(entry - np.asarray(c)) <= self._radius_mm
                       for c in state.prepped_mm):
                self._by["outside_prep"] += 1
            if state.probe is not None and not state.probe_covered:
                self._by["probe_uncovered"] += 1

    def value(self):
        return float(sum(self._by.values()))

    def sub_values(self):
        return {k: float(n) for k, n in self._by.items() if n}


class LocalAnaestheticAtEntry(Metric):
    """Share of skin punctures made through skin given local anaesthetic (within 10 mm)."""

    key = "local_anaesthetic_at_entry"
    help = ("Whether local anaesthetic was given to the skin where the needle went in "
            "(optional).")
    label = "Skin punctures through local anaesthetic"
    unit = "fraction"
    step = "skin_prep"
    lower_is_better = False
    RADIUS_MM = 10.0
    watches = ()

    def __init__(self, world):
        super().__init__(world)
        self._punctures = 0
        self._numb = 0

    def update(self, prev, state, action, events):
        for e in events:
            if e.kind == ev.SKIN_PUNCTURE:
                self._punctures += 1
                entry = np.asarray(e.data["entry_mm"], float)
                self._numb += any(np.linalg.norm(entry - np.asarray(p)) <= self.RADIUS_MM
                                  for p in state.anaesthetised_mm)

    def value(self):
        return self._numb / self._punctures if self._punctures else None


class _InjectedWhile(Metric):
    """Volume injected (mL) while ``counts(state)`` holds for the syringe in use."""

    unit = "mL"
    step = "injection"
    watches = ("injected_ml",)

    def __init__(self, world):
        super().__init__(world)
        self._ml = 0.0

    @abstractmethod
    def counts(self, state) -> bool:
        """Whether injecting now counts."""

    def update(self, prev, state, action, events):
        given = state.injected_ml[state.syringe] - prev.injected_ml[state.syringe]
        if given > 0.0 and self.counts(state):
            self._ml += given

    def value(self):
        return self._ml


class WrongSideInjection(_InjectedWhile):
    """Volume injected at the side of the patient the request does not name."""

    key = "wrong_side_injection_ml"
    help = "Volume injected on the side the request did not name."
    label = "Volume injected on the wrong side"

    def counts(self, state):
        return working_side(self.world, state) != requested_side(self.world)


class AllergenInjection(_InjectedWhile):
    """Volume injected from syringes holding something the patient is allergic to."""

    key = "allergen_injection_ml"
    help = "Volume injected of a drug the patient is allergic to."
    label = "Volume injected of a drug the patient is allergic to"

    def __init__(self, world):
        super().__init__(world)
        sc = world.scenario
        self._allergens = frozenset(sc.site_check.allergens(sc.syringes))

    def counts(self, state):
        return state.syringe in self._allergens


class NerveContacts(Metric):
    """Times the tip entered any nerve on the way in (not on withdrawal through its track)."""

    key = "nerve_contacts"
    help = ("Times the tip entered a nerve, the lateral femoral cutaneous nerve included; "
            "any contact fails the attempt.")
    label = "Nerve contacts"
    unit = "count"
    step = "needle_placement"
    watches = ()

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
    help = "Share of the prescribed volume that was injected."
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
