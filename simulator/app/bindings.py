"""Controls as data: which keys and gamepad inputs drive which simulator controls.

The documented default lives in ``default_bindings.yaml`` beside this module; a user's file
(``jointsim run --bindings FILE``) overrides entries of it. Every mistake in a bindings file
is one :class:`~simulator.errors.InputError` naming the file, the field and the fix.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from simulator.errors import InputError
from simulator.yamlfile import read_yaml

DEFAULT_PATH = Path(__file__).with_name("default_bindings.yaml")

# Continuous controls: name -> (unit shown in the help, what it does).
AXES = {
    "aim_yaw": ("deg/s", "aim the needle left / right (out of the image plane)"),
    "aim_pitch": ("deg/s", "aim the needle tip down / up"),
    "advance": ("mm/s", "advance the needle"),
    "retract": ("mm/s", "pull the needle back"),
    "twist": ("deg/s", "turn the bevel"),
    "entry_forward": ("mm/s", "slide the entry point forward / back (before puncture)"),
    "entry_sideways": ("mm/s", "slide the entry point sideways (before puncture)"),
    "inject": ("mL/s", "inject (press the plunger) while held"),
    "probe_along": ("mm/s", "slide the probe along its long axis"),
    "probe_across": ("mm/s", "slide the probe across (sweep the image plane)"),
    "probe_rotate": ("deg/s", "rotate the probe"),
    "probe_tilt": ("deg/s", "tilt (fan) the probe"),
    "probe_rock": ("deg/s", "rock the probe heel-to-toe (square a tendon to the beam)"),
    "carm_orbital": ("deg/s", "orbit the C-arm (LAO / RAO)"),
    "carm_cranial": ("deg/s", "tilt the C-arm caudal / cranial"),
    "carm_lateral": ("mm/s", "move the table left / right"),
    "carm_superior": ("mm/s", "move the table toward the feet / head"),
}

# Commands: name -> what it does. HELD commands act while held, the others once per press.
COMMANDS = {
    "fine": "slow, precise movement while held",
    "fluoro_live": "pulsed fluoroscopy while held (the pedal)",
    "shot": "take one spot fluoroscopy image",
    "aspirate": "aspirate (pull back on the plunger)",
    "place_needle": "put the needle on the skin at the probe's end, in plane, bevel set "
                    "to keep it there (fluoroscopy: on the beam centre, along the beam)",
    "withdraw": "pull the needle out of the skin",
    "flip_bevel": "flip the bevel 180 degrees",
    "next_syringe": "pick up the next syringe",
    "depth_down": "image deeper", "depth_up": "image shallower",
    "gain_up": "more gain", "gain_down": "less gain",
    "frequency_up": "higher frequency", "frequency_down": "lower frequency",
    "collimate_in": "narrower fluoroscopy field", "collimate_out": "wider fluoroscopy field",
    "low_dose": "toggle low-dose fluoroscopy",
    "switch_tool": "control the probe or the C-arm (and show its image)",
    "switch_view": "show the ultrasound or the fluoroscopy image",
    "next_step": "confirm the next checklist step",
    "step_positioning": "checklist: patient positioned",
    "step_skin_prep": "skin prep and drape round where the needle will enter (beside the "
                      "probe, under the beam)",
    "step_time_out": "time-out: confirm patient, the side you are at, site and drug, "
                     "no allergy to them",
    "time_out_allergy": "time-out, reporting that the patient is allergic to a drug on the "
                        "tray (do not inject it)",
    "cover_probe": "sterile cover on the probe (ultrasound)",
    "local_anaesthetic": "local anaesthetic to the skin where the needle rests",
    "switch_side": "go to the patient's other side (before the needle is in)",
    "step_imaging": "checklist: imaging set up",
    "step_completion": "checklist: needle out, dressing on (ends the attempt)",
    "overlays": "show / hide anatomy in the 3D view (learning mode)",
    "instructions": "show the task (the scenario's instructions) in full",
    "help": "show the controls",
    "pause": "pause / resume (score screen: new attempt)",
    "restart": "start the attempt again",
    "end_attempt": "end the attempt now and see the score",
    "debrief": "score screen (learning mode): replay the attempt's key moments, mistakes "
               "marked (Up / Down to choose)",
    "screenshot": "save a screenshot of the window",
    "quit": "quit (pause and score screens)",
    # ultrasound probe pressure and Doppler
    "press": "press the probe into the skin while held (veins collapse, arteries do not)",
    "doppler": "Doppler: off / colour / power",
    "box_left": "colour box left", "box_right": "colour box right",
    "box_up": "colour box shallower", "box_down": "colour box deeper",
    "box_narrower": "colour box narrower", "box_wider": "colour box wider",
    "box_shorter": "colour box shorter", "box_taller": "colour box taller",
    "scale_down": "Doppler velocity scale (PRF) down",
    "scale_up": "Doppler velocity scale (PRF) up",
    "colour_gain_down": "less colour gain", "colour_gain_up": "more colour gain",
}
HELD = frozenset({"fine", "fluoro_live", "press"})

STICKS = ("left_x", "left_y", "right_x", "right_y")
TRIGGERS = ("left_trigger", "right_trigger")
BUTTONS = ("a", "b", "x", "y", "lb", "rb", "back", "start", "l3", "r3",
           "dpad_up", "dpad_down", "dpad_left", "dpad_right")
PAD_CONTROLS = STICKS + TRIGGERS + BUTTONS

_GAMEPAD_LIMITS = {"stick_dead_zone": (0.0, 0.9), "trigger_dead_zone": (0.0, 0.9),
                   "response_curve": (0.5, 5.0), "sensitivity": (0.05, 10.0)}


@dataclass(frozen=True)
class PadInput:
    """One gamepad input: ``control`` times ``sign``, only while ``modifier`` is (not) held."""

    control: str
    sign: float = 1.0
    modifier: str | None = None

    def __str__(self) -> str:
        return f"{self.modifier + '+' if self.modifier else ''}" \
               f"{'-' if self.sign < 0 else ''}{self.control}"


@dataclass(frozen=True)
class AxisBinding:
    name: str
    rate: float
    minus: tuple[int, ...] = ()
    plus: tuple[int, ...] = ()
    pad: tuple[PadInput, ...] = ()


@dataclass(frozen=True)
class CommandBinding:
    name: str
    keys: tuple[int, ...] = ()
    pad: tuple[PadInput, ...] = ()


@dataclass(frozen=True)
class GamepadSettings:
    stick_dead_zone: float = 0.15
    trigger_dead_zone: float = 0.05
    response_curve: float = 1.8
    sensitivity: float = 1.0
    rumble: bool = True
    layout: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Bindings:
    """Everything the input layer needs; build with :func:`load_bindings`."""

    gamepad: GamepadSettings
    fine_factor: float
    axes: dict[str, AxisBinding]
    commands: dict[str, CommandBinding]
    source: str = "default"

    def modifiers(self) -> frozenset[str]:
        """Pad buttons used as modifiers (their plain bindings pause while they are held)."""
        mods = {p.modifier for a in self.axes.values() for p in a.pad if p.modifier}
        mods |= {p.modifier for c in self.commands.values() for p in c.pad if p.modifier}
        return frozenset(mods)


def key_code(name: str) -> int:
    """pygame key code for a key name; ``ValueError`` if pygame does not know the name."""
    import pygame

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # key_code works before pygame.init()
        return pygame.key.key_code(name)


def key_name(code: int) -> str:
    import pygame

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pygame.key.name(code)


def load_bindings(path: str | Path | None = None) -> Bindings:
    """The default bindings, with the entries of ``path`` (a YAML file) laid over them."""
    default = _read(DEFAULT_PATH)
    data = default
    source = "default"
    if path is not None:
        user = _read(Path(path))
        data = _merge(default, user, Path(path))
        source = str(path)
    return _build(data, Path(path) if path is not None else DEFAULT_PATH, source)


def _read(path: Path) -> dict:
    if not path.is_file():
        raise InputError("bindings file not found; give the path of a YAML file like "
                         f"{DEFAULT_PATH.name}", path=path)
    data = read_yaml(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError("expected a mapping with gamepad, axes and commands", path=path)
    return data


def _suggest(name: str, valid) -> str:
    close = difflib.get_close_matches(str(name), list(valid), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else f"valid: {', '.join(valid)}"


TOP_LEVEL = ("version", "gamepad", "fine_factor", "axes", "commands")


def _merge(default: dict, user: dict, path: Path) -> dict:
    for key in user:
        if key not in TOP_LEVEL:
            raise InputError(f"unknown field; {_suggest(key, TOP_LEVEL)}", path=path,
                             field=str(key))
    out = dict(default)
    for key in ("version", "fine_factor"):
        if key in user:
            out[key] = user[key]
    for key in ("gamepad", "axes", "commands"):
        if key in user:
            if not isinstance(user[key], dict):
                raise InputError("expected a mapping", path=path, field=key)
            out[key] = {**default.get(key, {}), **user[key]}
    return out


def _build(data: dict, path: Path, source: str) -> Bindings:
    def fail(field_path: str, message: str):
        raise InputError(message, path=path, field=field_path)

    for key in data:
        if key not in TOP_LEVEL:
            fail(str(key), f"unknown field; {_suggest(key, TOP_LEVEL)}")
    if data.get("version", 1) != 1:
        fail("version", "unsupported bindings version; use 1")
    pad = data.get("gamepad") or {}
    if not isinstance(pad, dict):
        fail("gamepad", "expected a mapping of gamepad settings")
    settings = {}
    for key, value in pad.items():
        if key in _GAMEPAD_LIMITS:
            lo, hi = _GAMEPAD_LIMITS[key]
            settings[key] = _number(value, lo, hi, f"gamepad.{key}", fail)
        elif key == "rumble":
            if not isinstance(value, bool):
                fail("gamepad.rumble", "expected true or false")
            settings[key] = value
        elif key == "layout":
            settings[key] = _layout(value or {}, fail)
        else:
            fail(f"gamepad.{key}", "unknown field; "
                 + _suggest(key, [*_GAMEPAD_LIMITS, "rumble", "layout"]))
    fine = _number(data.get("fine_factor", 0.3), 0.01, 1.0, "fine_factor", fail)

    axes = {}
    for name, entry, where in _entries(data, "axes", "axis", AXES, ("rate", "minus", "plus", "pad"),
                                       "{rate: 10, minus: [a], plus: [d], pad: [left_x]}", fail):
        if "rate" not in entry:
            fail(f"{where}.rate", f"missing; give the speed at full deflection in {AXES[name][0]}")
        axes[name] = AxisBinding(
            name, _number(entry["rate"], 0.0, 1000.0, f"{where}.rate", fail),
            _keys(entry.get("minus"), f"{where}.minus", fail),
            _keys(entry.get("plus"), f"{where}.plus", fail),
            _pads(entry.get("pad"), f"{where}.pad", fail))
    commands = {}
    for name, entry, where in _entries(data, "commands", "command", COMMANDS, ("keys", "pad"),
                                       "{keys: [r], pad: [a]}", fail):
        commands[name] = CommandBinding(name, _keys(entry.get("keys"), f"{where}.keys", fail),
                                        _pads(entry.get("pad"), f"{where}.pad", fail))
    return Bindings(GamepadSettings(**settings), fine, axes, commands, source)


def _entries(data: dict, section: str, what: str, names, fields: tuple[str, ...],
             example: str, fail):
    """Yield ``(name, entry, field path)`` for each entry of the ``section`` mapping, after
    checking the name is one of ``names`` (each a ``what``) and the entry a mapping of
    ``fields`` only."""
    raw = data.get(section) or {}
    if not isinstance(raw, dict):
        fail(section, f"expected a mapping of {what} name -> {{{', '.join(fields)}}}")
    for name, entry in raw.items():
        where = f"{section}.{name}"
        if name not in names:
            fail(where, f"unknown {what}; {_suggest(name, names)}")
        if not isinstance(entry, dict):
            fail(where, f"expected a mapping like {example}")
        for key in entry:
            if key not in fields:
                fail(f"{where}.{key}", f"unknown field; {_suggest(key, fields)}")
        yield name, entry, where


def _number(value, lo: float, hi: float, where: str, fail) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        fail(where, f"expected a number between {lo:g} and {hi:g}")
    if not lo <= value <= hi:
        fail(where, f"{value} is out of range; use a number between {lo:g} and {hi:g}")
    return float(value)


def _list(value, where: str, fail) -> list:
    if value is None:
        return []
    if isinstance(value, str | int):
        return [value]
    if not isinstance(value, list):
        fail(where, "expected a list, e.g. [a, left shift]")
    return value


def _keys(value, where: str, fail) -> tuple[int, ...]:
    codes = []
    for n, name in enumerate(_list(value, where, fail)):
        text = str(name).strip().lower()
        try:
            codes.append(key_code(text))
        except ValueError:
            fail(f"{where}.{n}", f"unknown key {name!r}; use a pygame key name such as "
                 "'a', 'space', 'left shift', 'page up', 'f1' or '['")
    return tuple(codes)


def _pads(value, where: str, fail) -> tuple[PadInput, ...]:
    out = []
    for n, text in enumerate(_list(value, where, fail)):
        spec = str(text).strip().lower().replace(" ", "")
        modifier = None
        if "+" in spec:
            modifier, spec = spec.split("+", 1)
            if modifier not in BUTTONS:
                fail(f"{where}.{n}", f"unknown modifier button {modifier!r} in {text!r}; "
                     f"{_suggest(modifier, BUTTONS)}")
        sign = 1.0
        if spec.startswith("-"):
            sign, spec = -1.0, spec[1:]
        if spec not in PAD_CONTROLS:
            fail(f"{where}.{n}", f"unknown gamepad control {spec!r}; "
                 f"{_suggest(spec, PAD_CONTROLS)}")
        if spec == modifier:
            fail(f"{where}.{n}", f"{text!r} uses {spec} as its own modifier")
        out.append(PadInput(spec, sign, modifier))
    return tuple(out)


def _layout(value, fail) -> dict:
    if not isinstance(value, dict):
        fail("gamepad.layout", "expected a mapping like {left_trigger: a2, a: b0}")
    out = {}
    for name, raw in value.items():
        if name not in PAD_CONTROLS:
            fail(f"gamepad.layout.{name}", f"unknown gamepad control; "
                 f"{_suggest(name, PAD_CONTROLS)}")
        spec = str(raw).strip()
        from simulator.app.gamepad import parse_input

        try:
            parse_input(spec)
        except ValueError:
            fail(f"gamepad.layout.{name}", f"cannot read {raw!r}; use aN (axis), bN (button) "
                 "or hN.M (hat N, direction 1 up, 2 right, 4 down, 8 left)")
        out[name] = spec
    return out
