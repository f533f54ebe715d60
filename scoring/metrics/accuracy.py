"""Accuracy: where the tip ended up and where the injectate went."""

from __future__ import annotations

import numpy as np

from scoring.metrics.base import DepositMetric, Metric
from simulator import events as ev


def _therapeutic_start(events):
    """True on a tick where a non-contrast injection starts."""
    for e in events:
        if e.kind == ev.INJECTION_STARTED and e.data.get("contents") != "contrast":
            return True
    return False


class TipToTarget(Metric):
    """Tip-to-target distance when the (therapeutic) injection starts, else at the end."""

    key = "tip_to_target_mm"
    label = "Tip-to-target distance"
    help = ("How far the needle tip was from the planned target point when the injection "
            "started (or at the end, if there was no injection).")
    unit = "mm"
    step = "needle_placement"
    watches = ("needle",)

    def __init__(self, world):
        super().__init__(world)
        self._at_injection = None
        self._last = None

    def update(self, prev, state, action, events):
        n = state.needle
        if n.in_skin and n is not prev.needle:
            self._last = n.tip_mm
        if self._at_injection is None and _therapeutic_start(events):
            self._at_injection = n.tip_mm

    def value(self):
        tip = self._at_injection or self._last
        if tip is None:
            return None
        return float(np.linalg.norm(np.asarray(tip) - self.world.target_point))


class InsideTargetAtInjection(Metric):
    """1 if the tip was in the target (or within tolerance) when injecting began, else 0."""

    key = "inside_target_at_injection"
    label = "Tip inside the target at injection"
    help = "Whether the tip was inside the joint target when the injection began."
    unit = "yes/no"
    step = "injection"
    lower_is_better = False
    watches = ()

    def __init__(self, world):
        super().__init__(world)
        self._value = 0.0

    def update(self, prev, state, action, events):
        if _therapeutic_start(events) and self._value == 0.0:
            n = state.needle
            near = np.linalg.norm(np.asarray(n.tip_mm) - self.world.target_point)
            inside = n.tip_label == self.world.target_label
            self._value = 1.0 if inside or near <= self.world.target_tolerance_mm else 0.0

    def value(self):
        return self._value


class IntraArticularFraction(DepositMetric):
    """Share of the injected volume that went into the joint."""

    key = "intra_articular_fraction"
    label = "Injectate delivered into the joint"
    help = "Share of the injected volume that ended up inside the joint."
    unit = "fraction"
    lower_is_better = False

    def value(self):
        return self.share(("intra_articular",))


class TargetFraction(DepositMetric):
    """Share of the injected volume that went into the target's space: the joint for an
    intra-articular target, the bursa for a bursal one."""

    key = "target_fraction"
    help = "Share of the injected volume that ended up in the target structure itself."
    label = "Injectate delivered into the target space"
    unit = "fraction"
    lower_is_better = False

    def __init__(self, world):
        super().__init__(world)
        from simulator.injection import target_compartment

        self._compartment = target_compartment(world)

    def value(self):
        return self.share((self._compartment,))


class InjectedVolume(DepositMetric):
    key = "injected_ml"
    label = "Volume injected"
    help = "Total volume pushed from the syringes."
    unit = "mL"
    lower_is_better = False

    def value(self):
        return self.volume()
