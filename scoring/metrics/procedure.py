"""Procedure flow: steps done, skipped or done out of order."""

from __future__ import annotations

from scoring.metrics.base import EventCount, Metric
from simulator import events as ev


class StepsOutOfOrder(EventCount):
    key = "steps_out_of_order"
    help = "Procedure steps begun before the steps that should come first."
    label = "Steps begun before earlier steps were done"
    unit = "count"
    step = "completion"
    kinds = (ev.STEP_OUT_OF_ORDER,)


class StepsMissing(Metric):
    key = "steps_missing"
    help = "Procedure steps (for example the time-out) that were never done."
    label = "Expected steps never done"
    unit = "count"
    step = "completion"
    watches = ("steps_done",)

    def __init__(self, world):
        super().__init__(world)
        self._done = ()

    def update(self, prev, state, action, events):
        self._done = state.steps_done

    def value(self):
        return float(len(self.missing()))

    def missing(self) -> list[str]:
        return [s.value for s in self.world.scenario.procedure.steps if s.value not in self._done]
