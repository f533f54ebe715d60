"""Attempts: skin punctures, needle passes, redirections, bone contacts."""

from __future__ import annotations

from scoring.metrics.base import EventCount, Metric
from simulator import events as ev

PASS_AFTER_RETRACT_MM = 5.0


class _EventCount(EventCount):
    step = "needle_placement"


class SkinPunctures(_EventCount):
    key = "skin_punctures"
    label = "Skin punctures"
    help = "How many times the needle went through the skin. Ideally once."
    unit = "count"
    kind = ev.SKIN_PUNCTURE


class Redirections(_EventCount):
    key = "redirections"
    label = "Needle redirections"
    help = "Times the needle was pulled back and steered in a new direction."
    unit = "count"
    kind = ev.REDIRECT


class BoneContacts(_EventCount):
    key = "bone_contacts"
    label = "Bone contacts"
    help = ("Times the tip struck bone. Gentle contact at the target is expected; repeated "
            "contact means searching.")
    unit = "count"
    kind = ev.BONE_CONTACT


class NeedlePasses(Metric):
    """Forward passes: each skin puncture, and each re-advance after pulling back >= 5 mm."""

    key = "needle_passes"
    label = "Needle passes"
    help = ("Forward passes of the needle: each skin puncture and each re-advance after pulling "
            "back at least 5 mm.")
    unit = "count"
    step = "needle_placement"
    watches = ("needle",)

    def __init__(self, world):
        super().__init__(world)
        self._passes = 0
        self._pulled_back = 0.0

    def update(self, prev, state, action, events):
        a, b = prev.needle, state.needle
        if b.in_skin and not a.in_skin:
            self._passes += 1
            self._pulled_back = 0.0
        elif a.in_skin and b.in_skin:
            change = b.depth_mm - a.depth_mm
            if change < 0.0:
                self._pulled_back -= change
            elif change > 0.0:
                if self._pulled_back >= PASS_AFTER_RETRACT_MM:
                    self._passes += 1
                self._pulled_back = 0.0

    def value(self):
        return float(self._passes)
