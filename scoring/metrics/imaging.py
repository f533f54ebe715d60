"""Imaging discipline: advancing with the tip in the ultrasound beam; fluoroscopy dose."""

from __future__ import annotations

from scoring.metrics.base import Metric
from simulator.geometry import invert
from simulator.imaging.ultrasound.tip_visibility import tip_visible
from simulator.probe import world_from_probe


class TipInBeamShare(Metric):
    """Share of needle advancement (in tissue) made with the tip visible in the image.

    From the image's physics, not geometry (``tip_visibility.tip_visible``, the renderer's
    own needle echo): the shaft must show up to the tip, or the bevel's dot stand clear of
    the speckle, as on the screen. A steep needle whose shaft has faded (at the hip, 40 deg
    and steeper to the probe face) or a tip merely inside the slab, too far off the plane for
    its echo to show, is not in view.
    """

    key = "tip_in_beam_share"
    label = "Advancement with the needle tip in view"
    help = ("Share of needle advancement made with the tip visible in the ultrasound image "
            "(the shaft showing up to the tip, or the tip's bright dot). Advancing without "
            "seeing the tip is the commonest novice error.")
    unit = "fraction"
    step = "needle_placement"
    lower_is_better = False
    modality = "ultrasound"
    watches = ("needle",)   # a probe move alone advances nothing

    def __init__(self, world):
        super().__init__(world)
        self._seen = 0.0
        self._total = 0.0
        self._ultrasound = world.scenario.probe is not None
        self._probe = None
        self._probe_from_world = None

    def update(self, prev, state, action, events):
        a, b = prev.needle, state.needle
        if not self._ultrasound or not (a.in_skin and b.in_skin):
            return
        advanced = b.depth_mm - a.depth_mm
        if advanced <= 0.0:
            return
        self._total += advanced
        if state.probe is not self._probe:  # the probe object only changes when it moves
            self._probe = state.probe
            self._probe_from_world = invert(world_from_probe(self.world, state.probe))
        if tip_visible(self.world, state.probe, self._probe_from_world, b):
            self._seen += advanced

    def value(self):
        if not self._ultrasound:
            return None
        return self._seen / self._total if self._total > 0 else 0.0

    def blind_mm(self) -> float:
        return self._total - self._seen


class BlindAdvance(TipInBeamShare):
    key = "blind_advance_mm"
    label = "Needle advanced with the tip out of view"
    help = "Distance the needle was advanced with its tip outside the ultrasound image."
    unit = "mm"
    lower_is_better = True

    def value(self):
        return self.blind_mm() if self._ultrasound else None


class _Dose(Metric):
    field = ""
    step = "needle_placement"
    modality = "fluoroscopy"
    watches = ("dose",)

    def __init__(self, world):
        super().__init__(world)
        self._dose = None

    def update(self, prev, state, action, events):
        self._dose = state.dose

    def value(self):
        if self.world.scenario.carm is None:
            return None
        return float(getattr(self._dose, self.field)) if self._dose else 0.0


class FluoroTime(_Dose):
    key = "fluoro_time_s"
    label = "Fluoroscopy time"
    help = "Total time the X-ray beam was on (pulsed fluoroscopy)."
    unit = "s"
    field = "fluoro_time_s"


class FluoroShots(_Dose):
    key = "fluoro_shots"
    label = "Fluoroscopy spot images"
    help = "Single spot X-ray images taken."
    unit = "count"
    field = "spots"


class FluoroFrames(_Dose):
    key = "fluoro_frames"
    label = "Fluoroscopy frames"
    help = "X-ray frames acquired in total (fluoroscopy and spot images)."
    unit = "count"
    field = "frames"


class DoseAreaProduct(_Dose):
    key = "kap_ugym2"
    label = "Dose-area product (KAP)"
    help = "Kerma-area product: the patient's radiation dose times the exposed area."
    unit = "uGy.m2"
    field = "kap_ugym2"


class AirKerma(_Dose):
    key = "kerma_mgy"
    label = "Reference air kerma"
    help = "Radiation dose at the reference point (entrance skin dose indicator)."
    unit = "mGy"
    field = "kerma_mgy"
