"""Keyboard and gamepads read through the bindings: axis values, held and pressed commands.

Held keys are tracked from ``KEYDOWN`` / ``KEYUP`` events (not ``pygame.key.get_pressed``),
so synthetic events in tests behave exactly like real ones, and losing the window focus
releases everything.
"""

from __future__ import annotations

import pygame

from simulator.app.bindings import HELD, Bindings, PadInput
from simulator.app.gamepad import Gamepads, Pad


class Controls:
    """What the trainee's hands are doing right now."""

    def __init__(self, bindings: Bindings, notify=None):
        self.bindings = bindings
        self.pads = Gamepads(bindings.gamepad, notify)
        self.held_keys: set[int] = set()
        self.modifiers = bindings.modifiers()
        self._key_commands: dict[int, list[str]] = {}
        for name, c in bindings.commands.items():
            for key in c.keys:
                self._key_commands.setdefault(key, []).append(name)

    def handle(self, event) -> list[str]:
        """Update from one pygame event; returns the commands it pressed, in binding order."""
        t = event.type
        if t == pygame.KEYDOWN:
            self.held_keys.add(event.key)
            return [c for c in self._key_commands.get(event.key, ()) if c not in HELD]
        if t == pygame.KEYUP:
            self.held_keys.discard(event.key)
            return []
        if t == getattr(pygame, "WINDOWFOCUSLOST", -1):
            self.held_keys.clear()
            return []
        presses = self.pads.handle(event)
        out = []
        for instance_id, control in presses:
            pad = self.pads.pads[instance_id]
            for name, c in self.bindings.commands.items():
                if name in HELD or name in out:
                    continue
                if any(p.control == control and self._active(pad, p) for p in c.pad):
                    out.append(name)
        return out

    def release_all(self) -> None:
        self.held_keys.clear()

    def _active(self, pad: Pad, p: PadInput) -> bool:
        if p.modifier is not None:
            return pad.control(p.modifier) > 0.5
        return self.pads.modifier_held(pad, self.modifiers) is None

    def axis(self, name: str) -> float:
        """Value of a bound axis, -1 .. 1 (keyboard and every pad added up, then clamped)."""
        b = self.bindings.axes.get(name)
        if b is None:
            return 0.0
        v = float(any(k in self.held_keys for k in b.plus)) \
            - float(any(k in self.held_keys for k in b.minus))
        for pad in self.pads.pads.values():
            for p in b.pad:
                if self._active(pad, p):
                    v += p.sign * self.pads.shaped(pad, p.control)
        return max(-1.0, min(1.0, v))

    def held(self, command: str) -> bool:
        c = self.bindings.commands.get(command)
        if c is None:
            return False
        if any(k in self.held_keys for k in c.keys):
            return True
        return any(self._active(pad, p) and pad.control(p.control) > 0.5
                   for pad in self.pads.pads.values() for p in c.pad)
