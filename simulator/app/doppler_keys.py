"""What the Doppler keys change: each pressed command becomes probe settings (so a log
replays them). The pressure key is held: the trainee sends ``pressure`` 1 while it is down
and 0 once it is up."""

from __future__ import annotations

from simulator.state import Probe

BOX_STEP_MM = 3.0          # box moves this far per press
BOX_SIZE_STEP_MM = 4.0
SCALE_FACTOR = 1.25        # velocity scale steps (x or / per press)
COLOUR_GAIN_STEP_DB = 2.0

_STEPS = {
    "box_left": ("box_lateral_mm", -BOX_STEP_MM), "box_right": ("box_lateral_mm", BOX_STEP_MM),
    "box_up": ("box_depth_mm", -BOX_STEP_MM), "box_down": ("box_depth_mm", BOX_STEP_MM),
    "box_narrower": ("box_width_mm", -BOX_SIZE_STEP_MM),
    "box_wider": ("box_width_mm", BOX_SIZE_STEP_MM),
    "box_shorter": ("box_height_mm", -BOX_SIZE_STEP_MM),
    "box_taller": ("box_height_mm", BOX_SIZE_STEP_MM),
    "colour_gain_down": ("doppler_gain_db", -COLOUR_GAIN_STEP_DB),
    "colour_gain_up": ("doppler_gain_db", COLOUR_GAIN_STEP_DB),
}
DOPPLER_COMMANDS = frozenset({*_STEPS, "doppler", "scale_down", "scale_up"})


def doppler_settings(name: str, probe: Probe) -> tuple[tuple[str, float], ...]:
    """The probe settings a pressed Doppler command asks for."""
    if name == "doppler":
        return (("doppler_mode", float((probe.doppler_mode + 1) % 3)),)
    if name in ("scale_down", "scale_up"):
        factor = SCALE_FACTOR if name == "scale_up" else 1.0 / SCALE_FACTOR
        return (("doppler_scale_cm_s", probe.doppler_scale_cm_s * factor),)
    field, step = _STEPS[name]
    return ((field, getattr(probe, field) + step),)


def pressure_setting(pressed: bool, probe: Probe) -> tuple[tuple[str, float], ...]:
    """``(("pressure", 0 or 1),)`` when the press key's state differs from the probe's."""
    want = 1.0 if pressed else 0.0
    return () if probe.pressure == want else (("pressure", want),)
