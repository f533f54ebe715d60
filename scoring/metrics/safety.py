"""Safety: danger-structure contacts, where injectate went wrong, aspiration, margins."""

from __future__ import annotations

import math

import numpy as np

from scoring.metrics.base import DepositMetric, Metric, withdrawing
from simulator import events as ev

PATH_SAMPLE_MM = 1.0


class DangerContacts(Metric):
    """Times the tip entered a danger structure (artery, vein, nerve or scenario danger) on
    the way in; leaving through the same track is not a second contact."""

    key = "danger_contacts"
    label = "Danger-structure contacts"
    help = ("Times the tip entered an artery, vein, nerve or other structure the scenario marks "
            "as dangerous.")
    unit = "count"
    step = "needle_placement"
    watches = ()

    def __init__(self, world):
        super().__init__(world)
        self._by = {name: 0 for name, _ in world.danger.values()}

    def update(self, prev, state, action, events):
        if withdrawing(prev, state):
            return
        for e in events:
            if e.kind == ev.DANGER_CONTACT:
                self._by[e.data["structure"]] = self._by.get(e.data["structure"], 0) + 1

    def value(self):
        return float(sum(self._by.values()))

    def sub_values(self):
        return {name: float(n) for name, n in self._by.items()}


class HardFailContacts(Metric):
    """Contacts with structures the scenario marks as 'hard_fail'."""

    key = "hard_fail_contacts"
    label = "Contacts with critical structures"
    help = ("Contacts with structures the scenario marks as critical (any contact fails the "
            "attempt).")
    unit = "count"
    step = "needle_placement"
    watches = ()

    def __init__(self, world):
        super().__init__(world)
        self._n = 0

    def update(self, prev, state, action, events):
        if withdrawing(prev, state):
            return
        for e in events:
            if e.kind == ev.DANGER_CONTACT and e.data["severity"] == "hard_fail":
                self._n += 1

    def value(self):
        return float(self._n)


class _InjectedInto(DepositMetric):
    compartments: tuple[str, ...] = ()
    unit = "mL"

    def value(self):
        return self.volume(self.compartments)


class IntravascularInjection(_InjectedInto):
    key = "intravascular_injection_ml"
    label = "Volume injected into a blood vessel"
    help = "Volume injected with the tip inside a blood vessel."
    compartments = ("intravascular",)


class IntraneuralInjection(_InjectedInto):
    key = "intraneural_injection_ml"
    label = "Volume injected into a nerve"
    help = "Volume injected with the tip inside a nerve."
    compartments = ("intraneural",)


class AspiratedBeforeInjection(Metric):
    """1 if the trainee aspirated with the needle where it then first injected."""

    key = "aspirated_before_injection"
    label = "Aspirated before injecting"
    help = ("Whether the trainee aspirated (pulled back on the syringe) at the injection site "
            "before injecting.")
    unit = "yes/no"
    step = "aspiration"
    lower_is_better = False
    watches = ("needle",)

    def __init__(self, world):
        super().__init__(world)
        self._aspirated_here = False
        self._value = None

    def update(self, prev, state, action, events):
        if state.needle.tip_mm != prev.needle.tip_mm:
            self._aspirated_here = False
        for e in events:
            if e.kind == ev.ASPIRATION:
                self._aspirated_here = True
            elif e.kind == ev.INJECTION_STARTED and self._value is None:
                self._value = 1.0 if self._aspirated_here else 0.0

    def value(self):
        return 0.0 if self._value is None else self._value


class ClosestDanger(Metric):
    """Closest the needle tip came to any danger structure (exact, from the meshes)."""

    key = "closest_danger_mm"
    label = "Closest approach to a danger structure"
    help = "Closest the needle tip came to any danger structure."
    unit = "mm"
    step = "needle_placement"
    lower_is_better = False
    watches = ("needle",)

    def __init__(self, world):
        super().__init__(world)
        self._points = []

    def update(self, prev, state, action, events):
        n = state.needle
        if not n.in_skin:
            return
        tip = n.tip_mm
        if not self._points or math.dist(tip, self._points[-1]) >= PATH_SAMPLE_MM:
            self._points.append(tip)

    def value(self):
        if not self._points:
            return None
        from simulator.danger_map import danger_distance_field

        pts = np.asarray(self._points)
        # screen on the voxel distance map; measure exactly only where the minimum can be
        approx = danger_distance_field(self.world).sample(pts)
        near = pts[approx <= approx.min() + 2.0]
        best = np.inf
        for name, _ in self.world.danger.values():
            best = min(best, float(self.world.anatomy.distance_to(name, near).min()))
        return max(best, 0.0)
