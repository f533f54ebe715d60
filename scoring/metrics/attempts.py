"""Attempts: skin punctures, needle passes, redirections, bone contacts."""

from __future__ import annotations

import math

from scoring.metrics.base import EventCount, Metric
from simulator import events as ev

# The fastest advance at which a bone contact is a deliberate touch: the app's "fine"
# advance is 3 mm/s (10 mm/s x fine_factor 0.3), a steady in-plane advance 2-3 mm/s; a
# blind push runs at 5 mm/s and faster. A design value, not a published one.
GENTLE_BONE_MM_S = 4.0


class _EventCount(EventCount):
    step = "needle_placement"


class SkinPunctures(_EventCount):
    key = "skin_punctures"
    label = "Skin punctures"
    help = "How many times the needle went through the skin. Ideally once."
    unit = "count"
    kinds = (ev.SKIN_PUNCTURE,)


class Redirections(_EventCount):
    key = "redirections"
    label = "Needle redirections"
    help = "Times the needle was pulled back and steered in a new direction."
    unit = "count"
    kinds = (ev.REDIRECT,)


class BoneContacts(_EventCount):
    key = "bone_contacts"
    label = "Bone contacts"
    help = ("Times the tip struck bone, for any reason (the scored measure is 'bone contacts "
            "beyond a gentle touch at the target').")
    unit = "count"
    kinds = (ev.BONE_CONTACT,)


class BoneStrikes(Metric):
    """Bone contacts that are errors: all but one gentle touch at the target.

    At the hip (``clinical.md`` s.1) the needle is advanced onto the bone of the head-neck
    junction and the capsule is entered there, so one deliberate contact at the target is
    technique, not a fault. A contact counts when the tip is away from the target (not in
    the target structure and beyond its tolerance), when the needle was pushed faster than
    ``GENTLE_BONE_MM_S``, or when the target's bone is touched again (searching).
    """

    key = "bone_strikes"
    label = "Bone contacts beyond a gentle touch at the target"
    help = ("Times the tip struck bone away from the target, struck it hard (advancing faster "
            "than 4 mm/s), or touched the target's bone again. One gentle touch at the target "
            "is correct technique and is not counted.")
    unit = "count"
    step = "needle_placement"
    watches = ()

    def __init__(self, world):
        super().__init__(world)
        self._n = 0
        self._touched_target = False

    def update(self, prev, state, action, events):
        for e in events:
            if e.kind != ev.BONE_CONTACT:
                continue
            tip = state.needle.tip_mm
            at_target = (state.needle.tip_label == self.world.target_label or
                         math.dist(tip, self.world.target_point)
                         <= self.world.target_tolerance_mm)
            if at_target and action.advance_mm_s <= GENTLE_BONE_MM_S and \
                    not self._touched_target:
                self._touched_target = True
            else:
                self._n += 1

    def value(self):
        return float(self._n)


class NeedlePasses(_EventCount):
    """Needle passes, counted as trajectories: each skin puncture and each redirection.

    As the needle-guidance studies count them: a redirection is the needle withdrawn at least
    5 mm and re-aimed at least 3 deg (the session's ``redirect`` event); backing off and
    re-advancing along the same track is the same pass."""

    key = "needle_passes"
    label = "Needle passes"
    help = ("Needle trajectories used: each skin puncture and each redirection (pulled back at "
            "least 5 mm and re-aimed). Backing off and advancing again on the same line is "
            "the same pass.")
    unit = "count"
    kinds = (ev.SKIN_PUNCTURE, ev.REDIRECT)
