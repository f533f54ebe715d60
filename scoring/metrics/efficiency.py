"""Efficiency: time, time to target, time and path in tissue, tissue damage."""

from __future__ import annotations

import math

import numpy as np

from scoring.metrics.base import Metric
from simulator import events as ev


class TotalTime(Metric):
    key = "total_time_s"
    label = "Total procedure time"
    help = "From the start of the session to its end, including preparation."
    unit = "s"
    step = "completion"
    every_tick = True

    def __init__(self, world):
        super().__init__(world)
        self._ticks = 0

    def update(self, prev, state, action, events):
        self._ticks = state.tick

    def quiet(self, prev, state, action, ticks):
        self._ticks = state.tick

    def value(self):
        return self._ticks * self.world.dt_s


class TimeToTarget(Metric):
    """From the first skin puncture to the tip first reaching the target."""

    key = "time_to_target_s"
    label = "Time from skin puncture to target"
    help = "From the first skin puncture to the tip first reaching the target."
    unit = "s"
    step = "needle_placement"
    watches = ()

    def __init__(self, world):
        super().__init__(world)
        self._puncture = None
        self._reached = None

    def update(self, prev, state, action, events):
        for e in events:
            if e.kind == ev.SKIN_PUNCTURE and self._puncture is None:
                self._puncture = prev.tick
            elif e.kind == ev.TARGET_REACHED and self._reached is None:
                self._reached = prev.tick

    def value(self):
        if self._reached is None or self._puncture is None:
            return None
        return (self._reached - self._puncture + 1) * self.world.dt_s


class TimeInTissue(Metric):
    """Needle insertion time: how long the tip was under the skin."""

    key = "time_in_tissue_s"
    label = "Time with the needle in tissue"
    help = "How long the needle tip was under the skin."
    unit = "s"
    step = "needle_placement"
    every_tick = True

    def __init__(self, world):
        super().__init__(world)
        self._ticks = 0

    def update(self, prev, state, action, events):
        if state.needle.in_skin:
            self._ticks += 1

    def quiet(self, prev, state, action, ticks):
        if state.needle.in_skin:  # the needle does not move on quiet ticks
            self._ticks += ticks

    def value(self):
        return self._ticks * self.world.dt_s


class PathInTissue(Metric):
    """Length of the path the tip travelled inside tissue (Perk Tutor 'Path in Tissue')."""

    key = "path_in_tissue_mm"
    label = "Needle tip path in tissue"
    help = ("Length of the path the tip travelled inside tissue; probing and re-insertions make "
            "it longer.")
    unit = "mm"
    step = "needle_placement"
    watches = ("needle",)

    def __init__(self, world):
        super().__init__(world)
        self._mm = 0.0

    def update(self, prev, state, action, events):
        a, b = prev.needle, state.needle
        if a.in_skin and b.in_skin and a is not b:
            self._mm += math.dist(a.tip_mm, b.tip_mm)

    def value(self):
        return self._mm


class TissueDamage(Metric):
    """Area swept by the shaft inside tissue (Perk Tutor 'Tissue Damage', mm2).

    For consecutive ticks with the tip in tissue: area of triangles (tip_now, tip_before,
    entry_now) and (entry_now, entry_before, tip_before). Straight advances sweep nothing;
    sideways levering of the shaft does.
    """

    key = "tissue_damage_mm2"
    label = "Tissue damage (area swept by the shaft)"
    help = ("Area swept sideways by the needle shaft inside tissue; grows with levering and "
            "windscreen-wiper movements.")
    unit = "mm2"
    step = "needle_placement"
    watches = ("needle",)

    def __init__(self, world):
        super().__init__(world)
        self._area = 0.0
        self._needle, self._tip_mm = None, None   # the last needle fed, and its tip

    def update(self, prev, state, action, events):
        a, b = prev.needle, state.needle
        if not (a.in_skin and b.in_skin) or a is b:
            return
        t0 = self._tip_mm if a is self._needle else a.tip_mm
        t1 = b.tip_mm
        self._needle, self._tip_mm = b, t1
        e0, e1 = a.entry_mm, b.entry_mm
        self._area += _triangle_area(t0, t1, e1)
        self._area += _triangle_area(e0, e1, t0)

    def value(self):
        return float(self._area)


def _triangle_area(p, o, q) -> float:
    """Area of the triangle ``(p, o, q)`` (3-tuples, mm): half the norm of ``cross(p - o,
    q - o)``, computed operation for operation as ``0.5 * np.linalg.norm(geometry.cross(..))``
    (the same float subtractions and products, and NumPy's own dot for the squared norm) so
    re-scored logs keep their exact figures, without four small arrays per triangle."""
    u0, u1, u2 = p[0] - o[0], p[1] - o[1], p[2] - o[2]
    w0, w1, w2 = q[0] - o[0], q[1] - o[1], q[2] - o[2]
    c = np.array((u1 * w2 - u2 * w1, u2 * w0 - u0 * w2, u0 * w1 - u1 * w0))
    return 0.5 * math.sqrt(c.dot(c))
