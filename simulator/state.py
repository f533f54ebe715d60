"""Simulation state and actions: frozen values, the only things that change between ticks.

All positions are RAS millimetres, angles radians. Tuples rather than arrays keep every state
hashable, comparable with ``==`` and trivially serialisable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from simulator.geometry import Vec3


@dataclass(frozen=True, slots=True)
class Needle:
    """The needle: where it enters the skin, where it points and how deep it is.

    Attributes
    ----------
    entry_mm : Vec3 or None
        Skin entry point; ``None`` while the needle is still on the tray.
    direction : Vec3
        Unit direction from the entry point to the tip (the aim before insertion).
    depth_mm : float
        Distance from the entry point to the tip (0 = tip resting on the skin).
    in_skin : bool
        The skin has been punctured and the tip is in tissue.
    bevel_rad : float
        Bevel orientation about the shaft; the tip drifts toward ``bevel_direction``.
    tent_mm : float
        How far the tip presses a membrane it has not yet punctured.
    tip_label : int
        Structure label holding the tip (0 = outside the body).
    bone_contact : bool
        The tip rests on cortical bone.
    heading : Vec3 or None
        Direction the tip cuts in; bevel forces curve it away from ``direction`` as the
        needle advances (``None``: along ``direction``).
    """

    entry_mm: Vec3 | None = None
    direction: Vec3 = (0.0, -1.0, 0.0)
    depth_mm: float = 0.0
    in_skin: bool = False
    bevel_rad: float = 0.0
    tent_mm: float = 0.0
    tip_label: int = 0
    bone_contact: bool = False
    heading: Vec3 | None = None

    @property
    def tip_mm(self) -> Vec3 | None:
        if self.entry_mm is None:
            return None
        e, d, s = self.entry_mm, self.direction, self.depth_mm
        return (e[0] + d[0] * s, e[1] + d[1] * s, e[2] + d[2] * s)


@dataclass(frozen=True, slots=True)
class Probe:
    """Ultrasound probe held on the skin, and the scanner settings.

    Attributes
    ----------
    contact_mm : Vec3
        Skin point under the centre of the probe face.
    normal : Vec3
        Outward skin normal at the contact point.
    rotation_rad : float
        Long axis angle in the skin plane from the head-foot line (positive: upper end medial).
    tilt_rad : float
        Fan tilt of the beam about the long axis.
    pressure, doppler_mode ... wall_filter_cm_s
        Probe pressure and the Doppler controls (``simulator.imaging.ultrasound.doppler``):
        ``pressure`` 0 (resting on the skin) .. 1 (a firm press: veins collapse);
        ``doppler_mode`` 0 off, 1 colour, 2 power; the colour box's centre (along the
        array from the image centre, and depth) and size in mm; the velocity scale (the
        Nyquist velocity, which sets the PRF), colour gain and wall filter.
    rock_rad : float
        Heel-to-toe rocking: the beam turned in the image plane about the elevation axis
        (positive: toward the long axis's upper end), to bring a tendon square to the beam.
    """

    contact_mm: Vec3
    normal: Vec3
    rotation_rad: float
    tilt_rad: float = 0.0
    depth_mm: float = 90.0
    gain_db: float = 0.0
    frequency_mhz: float = 3.5
    focus_mm: float = 50.0
    tgc_db: tuple[float, ...] = (0.0,) * 8
    # -- probe pressure and Doppler (issue 12) --
    pressure: float = 0.0
    doppler_mode: int = 0
    box_lateral_mm: float = 0.0
    box_depth_mm: float = 25.0
    box_width_mm: float = 25.0
    box_height_mm: float = 20.0
    doppler_scale_cm_s: float = 40.0
    doppler_gain_db: float = 0.0
    wall_filter_cm_s: float = 3.0
    # -- heel-to-toe rocking (issue 12 item 3); last, so positional construction holds --
    rock_rad: float = 0.0


@dataclass(frozen=True, slots=True)
class CArm:
    """C-arm pose and exposure settings.

    Attributes
    ----------
    orbital_rad, cranial_rad : float
        Rotation about the patient's long axis (positive toward the injected side) and
        cranial (+) / caudal (-) tilt, both about the isocentre.
    isocentre_mm : Vec3
        Isocentre in patient coordinates (moving the table shifts it).
    field_mm : float
        Collimated field width at the detector.
    beam_on : bool
        Pedal held: pulsed fluoroscopy running.
    pulse_clock_s : float
        Time since the pedal was pressed; a pulse fires at 0, 1/rate, 2/rate, ...
    low_dose : bool
        256-pixel low-dose mode.
    """

    orbital_rad: float
    cranial_rad: float
    isocentre_mm: Vec3
    field_mm: float
    beam_on: bool = False
    low_dose: bool = False
    pulse_clock_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Dose:
    """Radiation bookkeeping, shown live and scored."""

    fluoro_time_s: float = 0.0
    frames: int = 0
    spots: int = 0
    kerma_mgy: float = 0.0
    kap_ugym2: float = 0.0
    last_frame_tick: int = -1


@dataclass(frozen=True, slots=True)
class Deposit:
    """Injectate delivered at one place in one bolus."""

    syringe: int
    compartment: str
    structure: int
    position_mm: Vec3
    volume_ml: float
    first_tick: int
    peak_pressure_kpa: float


@dataclass(frozen=True, slots=True)
class SimState:
    """Everything that changes between ticks.

    The procedure's acts (``simulator.procedure``): ``side`` is the side of the patient the
    trainee works at ("left" / "right"; ``None``: the requested side, as the room was set
    up); ``prepped_mm`` the centres of the antiseptic preps; ``probe_covered`` the sterile
    probe cover; ``anaesthetised_mm`` skin points given local anaesthetic;
    ``time_out_problems`` what the last time-out got wrong (``()``: all correct, ``None``:
    no time-out yet).
    """

    tick: int
    needle: Needle
    probe: Probe | None
    carm: CArm | None
    dose: Dose = Dose()
    syringe: int = 0
    injected_ml: tuple[float, ...] = ()
    deposits: tuple[Deposit, ...] = ()
    injecting: bool = False
    steps_done: tuple[str, ...] = ()
    pass_direction: Vec3 | None = None
    retracted_mm: float = 0.0
    target_reached: bool = False
    ended: bool = False
    side: str | None = None
    prepped_mm: tuple[Vec3, ...] = ()
    probe_covered: bool = False
    anaesthetised_mm: tuple[Vec3, ...] = ()
    time_out_problems: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Action:
    """What the trainee (or a policy) does during one tick.

    Continuous fields are rates held for the tick; the others happen once. The procedure's
    acts: ``choose_side`` go to that side of the patient ("left" / "right");
    ``prep_skin`` antiseptic prep around this skin point (RAS mm); ``cover_probe`` put the
    sterile cover on the probe; ``time_out`` (side confirmed, "the patient is allergic to a
    drug on the tray"); ``local_anaesthetic`` a skin wheal where the needle rests.
    """

    advance_mm_s: float = 0.0
    steer_rad_s: tuple[float, float] = (0.0, 0.0)
    twist_rad_s: float = 0.0
    entry_slide_mm_s: tuple[float, float] = (0.0, 0.0)
    probe_slide_mm_s: tuple[float, float] = (0.0, 0.0)
    probe_rotate_rad_s: float = 0.0
    probe_tilt_rad_s: float = 0.0
    probe_rock_rad_s: float = 0.0
    carm_rotate_rad_s: tuple[float, float] = (0.0, 0.0)
    carm_shift_mm_s: tuple[float, float, float] = (0.0, 0.0, 0.0)
    inject_ml_s: float = 0.0
    beam_on: bool = False
    place_needle: tuple[Vec3, Vec3] | None = None
    place_probe: tuple[Vec3, Vec3, float, float] | None = None
    probe_settings: tuple[tuple[str, float], ...] = ()
    carm_settings: tuple[tuple[str, float], ...] = ()
    withdraw: bool = False
    aspirate: bool = False
    shot: bool = False
    flip_bevel: bool = False
    select_syringe: int | None = None
    mark: str | None = None
    choose_side: str | None = None
    prep_skin: Vec3 | None = None
    cover_probe: bool = False
    time_out: tuple[str, bool] | None = None
    local_anaesthetic: bool = False
    end: bool = False

    def to_json(self) -> dict:
        """Non-default fields only, as plain JSON values."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value != f.default:
                out[f.name] = _jsonable(value)
        return out

    @classmethod
    def from_json(cls, data: dict) -> Action:
        """Inverse of :meth:`to_json`; raises ``ValueError`` on unknown or malformed fields,
        and on numbers that are not finite or beyond ``MAX_ACTION_VALUE``."""
        if not isinstance(data, dict):
            raise ValueError("an action must be a JSON object")
        kwargs = {}
        for key, value in data.items():
            if key not in _ACTION_SHAPES:
                raise ValueError(f"unknown action field {key!r}")
            kwargs[key] = _parse(value, _ACTION_SHAPES[key], key)
        return cls(**kwargs)


NOOP = Action()


def replacer(cls):
    """``replace(obj, **changes)`` for the frozen, slotted dataclass ``cls``: the same new
    value as ``dataclasses.replace``, two to three times sooner. ``step`` makes a few new
    states every tick, and ``dataclasses.replace`` (which looks the fields up and re-runs
    the frozen ``__init__`` by keyword each time) was a quarter of its time. Generated once
    per class, the way ``dataclasses`` generates ``__init__``; an unknown field is a
    ``TypeError`` as there. Only for classes whose fields are all ``__init__`` arguments
    and that have no ``__post_init__``."""
    names = [f.name for f in fields(cls)]
    if not all(f.init for f in fields(cls)) or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: replacer needs plain init fields")
    lines = [f"def replace(obj, *, {', '.join(f'{n}=_KEEP' for n in names)}):",
             "    new = _new(_cls)"]
    lines += [f"    _set(new, {n!r}, obj.{n} if {n} is _KEEP else {n})" for n in names]
    lines.append("    return new")
    namespace = {"_KEEP": object(), "_new": object.__new__, "_set": object.__setattr__,
                 "_cls": cls}
    exec("\n".join(lines), namespace)  # noqa: S102 - code built above from field names
    replace = namespace["replace"]
    replace.__doc__ = f"A copy of a {cls.__name__} with the given fields changed."
    return replace


replace_state = replacer(SimState)
replace_needle = replacer(Needle)
replace_probe = replacer(Probe)

# Bound on every number an action read from a file may hold (rates, positions in mm, angles):
# far beyond anything a hand or a policy does, small enough that no step overflows.
MAX_ACTION_VALUE = 1e6
_MAX_SETTINGS = 32
_MAX_TEXT = 200
SIDES = ("left", "right")

# The JSON shape of each Action field: "f" number, "b" bool, "i" int, "s" text, "d" a
# direction (three numbers, not all zero), "side" one of SIDES, a tuple of shapes (a list
# of that length), ("?", shape) (null or shape), ("*", shape) (a short list).
_V3 = ("f", "f", "f")
_ACTION_SHAPES = {
    "advance_mm_s": "f", "steer_rad_s": ("f", "f"), "twist_rad_s": "f",
    "entry_slide_mm_s": ("f", "f"), "probe_slide_mm_s": ("f", "f"), "probe_rotate_rad_s": "f",
    "probe_tilt_rad_s": "f", "probe_rock_rad_s": "f", "carm_rotate_rad_s": ("f", "f"),
    "carm_shift_mm_s": _V3,
    "inject_ml_s": "f", "beam_on": "b", "place_needle": ("?", (_V3, "d")),
    "place_probe": ("?", (_V3, "d", "f", "f")), "probe_settings": ("*", ("s", "f")),
    "carm_settings": ("*", ("s", "f")), "withdraw": "b", "aspirate": "b", "shot": "b",
    "flip_bevel": "b", "select_syringe": ("?", "i"), "mark": ("?", "s"), "end": "b",
    "choose_side": ("?", "side"), "prep_skin": ("?", _V3), "cover_probe": "b",
    "time_out": ("?", ("side", "b")), "local_anaesthetic": "b",
}


def _parse(value, shape, name: str):
    """``value`` (plain JSON) checked against ``shape``, lists turned into tuples."""
    if shape == "f":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{name} must be a number")
        if not math.isfinite(value) or abs(value) > MAX_ACTION_VALUE:
            raise ValueError(f"{name} = {value!r} is not a finite number within "
                             f"+-{MAX_ACTION_VALUE:g}")
        return float(value)
    if shape == "b":
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if shape == "i":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1000:
            raise ValueError(f"{name} must be a whole number from 0 to 999")
        return value
    if shape == "s":
        if not isinstance(value, str) or len(value) > _MAX_TEXT:
            raise ValueError(f"{name} must be text of at most {_MAX_TEXT} characters")
        return value
    if shape == "side":
        if value not in SIDES:
            raise ValueError(f"{name} must be one of {', '.join(SIDES)}")
        return value
    if shape == "d":
        direction = _parse(value, _V3, name)
        if math.hypot(*direction) < 1e-9:
            raise ValueError(f"{name} has a zero-length direction")
        return direction
    if shape[0] == "?":
        return None if value is None else _parse(value, shape[1], name)
    if not isinstance(value, list):
        raise ValueError(f"{name} must be a list")
    if shape[0] == "*":
        if len(value) > _MAX_SETTINGS:
            raise ValueError(f"{name} holds more than {_MAX_SETTINGS} entries")
        return tuple(_parse(v, shape[1], name) for v in value)
    if len(value) != len(shape):
        raise ValueError(f"{name} must be a list of {len(shape)}")
    return tuple(_parse(v, s, name) for v, s in zip(value, shape, strict=True))


def _jsonable(value):
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


__all__ = ["Action", "CArm", "Deposit", "Dose", "NOOP", "Needle", "Probe", "SimState", "replacer",
           "replace_needle", "replace_probe", "replace_state"]
