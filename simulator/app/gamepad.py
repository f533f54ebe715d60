"""Gamepads, hot-pluggable: kept in a dict keyed by SDL instance id, filled only from
``JOYDEVICEADDED`` / ``JOYDEVICEREMOVED`` events (pygame-ce ``examples/joystick.py``).

Each pad's state (axes, buttons, hats) is kept from its events, so a pad that disappears
simply stops contributing, and one that comes back carries on; nothing else is lost. Raw
joystick inputs are translated to standard names (``left_x``, ``right_trigger``, ``a``,
``dpad_up`` ...) through SDL's game-controller mapping when SDL knows the pad, else through
the common Xbox layout, with the bindings file's ``gamepad.layout`` laid over either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pygame

from simulator.app.bindings import BUTTONS, STICKS, TRIGGERS, GamepadSettings

# SDL game-controller names -> ours
_SDL_NAMES = {
    "leftx": "left_x", "lefty": "left_y", "rightx": "right_x", "righty": "right_y",
    "lefttrigger": "left_trigger", "righttrigger": "right_trigger",
    "a": "a", "b": "b", "x": "x", "y": "y", "back": "back", "start": "start",
    "leftshoulder": "lb", "rightshoulder": "rb", "leftstick": "l3", "rightstick": "r3",
    "dpup": "dpad_up", "dpdown": "dpad_down", "dpleft": "dpad_left", "dpright": "dpad_right",
}

# An Xbox-style pad as SDL's plain joystick API reports it on Linux (most common layout).
DEFAULT_LAYOUT = {
    "left_x": "a0", "left_y": "a1", "left_trigger": "a2", "right_x": "a3", "right_y": "a4",
    "right_trigger": "a5", "a": "b0", "b": "b1", "x": "b2", "y": "b3", "lb": "b4", "rb": "b5",
    "back": "b6", "start": "b7", "l3": "b9", "r3": "b10",
    "dpad_up": "h0.1", "dpad_right": "h0.2", "dpad_down": "h0.4", "dpad_left": "h0.8",
}

RUMBLE = {  # event kind -> (low-frequency strength, high-frequency strength, milliseconds)
    "skin_puncture": (0.25, 0.5, 120),
    "bone_contact": (0.8, 0.3, 220),
    "danger_contact": (1.0, 1.0, 450),
}


@dataclass(frozen=True)
class RawInput:
    kind: str        # "a" axis, "b" button, "h" hat
    index: int
    hat_mask: int = 0
    half: int = 0    # +1 / -1: only that half of the axis (SDL "+a2" / "-a2")
    invert: bool = False


def parse_input(spec: str) -> RawInput:
    """Read an SDL mapping input such as ``a2``, ``+a2``, ``a2~``, ``b0`` or ``h0.4``."""
    s = spec.strip()
    half = 0
    if s[:1] in "+-":
        half, s = (1 if s[0] == "+" else -1), s[1:]
    invert = s.endswith("~")
    s = s.rstrip("~")
    if not s or s[0] not in "abh":
        raise ValueError(spec)
    if s[0] == "h":
        hat, _, mask = s[1:].partition(".")
        return RawInput("h", int(hat), int(mask))
    return RawInput(s[0], int(s[1:]), 0, half, invert)


def sdl_layout(joystick) -> dict:
    """Standard-name layout from SDL's controller database, or ``{}`` if SDL does not know
    the pad (or the game-controller module is unavailable)."""
    try:
        from pygame._sdl2 import controller

        if not controller.get_init():
            controller.init()
        index = joystick.get_id()
        if not controller.is_controller(index):
            return {}
        mapping = controller.Controller(index).get_mapping()
    except Exception:  # noqa: BLE001 - no controller support: use the default layout
        return {}
    return {_SDL_NAMES[k]: v for k, v in mapping.items() if k in _SDL_NAMES}


@dataclass
class Pad:
    """One connected pad and the state its events have reported."""

    instance_id: int
    joystick: object
    name: str
    layout: dict[str, RawInput]
    axes: dict[int, float] = field(default_factory=dict)
    buttons: set[int] = field(default_factory=set)
    hats: dict[int, tuple[int, int]] = field(default_factory=dict)
    pressed: frozenset[str] = frozenset()

    def raw(self, r: RawInput) -> float:
        """Value of a raw input: axes -1..1 (0 if unseen), buttons and hats 0 / 1."""
        if r.kind == "b":
            return 1.0 if r.index in self.buttons else 0.0
        if r.kind == "h":
            x, y = self.hats.get(r.index, (0, 0))
            mask = (1 if y > 0 else 0) | (2 if x > 0 else 0) | (4 if y < 0 else 0) \
                | (8 if x < 0 else 0)
            return 1.0 if mask & r.hat_mask else 0.0
        v = self.axes.get(r.index)
        if v is None:
            return math.nan
        if r.invert:
            v = -v
        if r.half:
            v = max(0.0, v * r.half)
        return v

    def control(self, name: str) -> float:
        """Standard control value before dead zones: sticks -1..1, triggers 0..1, buttons 0/1."""
        r = self.layout.get(name)
        if r is None:
            return 0.0
        v = self.raw(r)
        if name in TRIGGERS:
            if math.isnan(v):
                return 0.0  # unseen trigger axes rest released
            if r.kind == "a" and not r.half:
                v = (v + 1.0) / 2.0  # full-range trigger axis: -1 released, +1 pressed
            return min(max(v, 0.0), 1.0)
        if math.isnan(v):
            return 0.0
        if name in BUTTONS and r.kind == "a":
            return 1.0 if v > 0.5 else 0.0
        return v

    def pressed_now(self) -> frozenset[str]:
        out = {b for b in BUTTONS if self.control(b) > 0.5}
        out |= {t for t in TRIGGERS if self.control(t) > 0.5}
        return frozenset(out)


class Gamepads:
    """The connected pads, maintained from pygame events only.

    ``handle(event)`` returns the standard controls newly pressed by that event (buttons,
    d-pad directions, triggers past half way), as ``[(instance_id, control), ...]``.
    """

    def __init__(self, settings: GamepadSettings, notify=None):
        self.settings = settings
        self.pads: dict[int, Pad] = {}
        self.notify = notify or (lambda message: None)

    def handle(self, event) -> list[tuple[int, str]]:
        t = event.type
        if t == pygame.JOYDEVICEADDED:
            self._added(event)
            return []
        if t == pygame.JOYDEVICEREMOVED:
            pad = self.pads.pop(event.instance_id, None)
            if pad is not None:
                self.notify(f"Gamepad disconnected: {pad.name}")
            return []
        if t not in (pygame.JOYAXISMOTION, pygame.JOYBUTTONDOWN, pygame.JOYBUTTONUP,
                     pygame.JOYHATMOTION):
            return []
        pad = self.pads.get(getattr(event, "instance_id", None))
        if pad is None:
            return []
        if t == pygame.JOYAXISMOTION:
            pad.axes[event.axis] = float(event.value)
        elif t == pygame.JOYBUTTONDOWN:
            pad.buttons.add(event.button)
        elif t == pygame.JOYBUTTONUP:
            pad.buttons.discard(event.button)
        else:
            pad.hats[event.hat] = tuple(event.value)
        now = pad.pressed_now()
        new = now - pad.pressed
        pad.pressed = now
        return [(pad.instance_id, c) for c in sorted(new)]

    def _added(self, event) -> None:
        try:
            joystick = pygame.joystick.Joystick(event.device_index)
        except pygame.error as exc:
            self.notify(f"Gamepad could not be opened: {exc}")
            return
        instance_id = joystick.get_instance_id()
        if instance_id in self.pads:
            return
        specs = {**(sdl_layout(joystick) or DEFAULT_LAYOUT), **self.settings.layout}
        layout = {name: parse_input(spec) for name, spec in specs.items()}
        pad = Pad(instance_id, joystick, joystick.get_name(), layout)
        for axis in range(joystick.get_numaxes()):
            value = joystick.get_axis(axis)
            if value:  # a real pad reports where its sticks and triggers are
                pad.axes[axis] = float(value)
        pad.pressed = pad.pressed_now()
        self.pads[instance_id] = pad
        self.notify(f"Gamepad connected: {pad.name}")

    # -- reading ----------------------------------------------------------------------------
    def modifier_held(self, pad: Pad, modifiers) -> str | None:
        for m in sorted(modifiers):
            if pad.control(m) > 0.5:
                return m
        return None

    def shaped(self, pad: Pad, control: str) -> float:
        """Control value after dead zone, response curve and sensitivity."""
        s = self.settings
        if control in STICKS:
            stick = control[:-2]
            x, y = pad.control(stick + "_x"), pad.control(stick + "_y")
            mag = math.hypot(x, y)
            if mag <= s.stick_dead_zone or mag == 0.0:
                return 0.0
            scaled = min((mag - s.stick_dead_zone) / (1.0 - s.stick_dead_zone), 1.0)
            v = (x if control.endswith("_x") else y) / mag * scaled ** s.response_curve
            return max(-1.0, min(1.0, v * s.sensitivity))
        if control in TRIGGERS:
            t = pad.control(control)
            if t <= s.trigger_dead_zone:
                return 0.0
            scaled = min((t - s.trigger_dead_zone) / (1.0 - s.trigger_dead_zone), 1.0)
            return min(1.0, scaled ** s.response_curve * s.sensitivity)
        return pad.control(control)

    def rumble(self, kind: str) -> int:
        """Rumble every pad that supports it for an event kind; returns how many did."""
        if not self.settings.rumble or kind not in RUMBLE:
            return 0
        low, high, ms = RUMBLE[kind]
        done = 0
        for pad in self.pads.values():
            try:
                if pad.joystick.rumble(low, high, ms):
                    done += 1
            except (pygame.error, AttributeError):
                continue
        return done
