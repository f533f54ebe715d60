"""The debrief after an attempt (learning mode): its key moments, replayed from the log.

:func:`key_moments` replays a session log through the pure step (``simulator.replay``) and
keeps the state at each key moment: the skin puncture, the first bone contact, every danger
or nerve contact, reaching the target, each injection, and the mistakes (a wrong time-out, a
puncture outside the prepped skin or with a bare probe, blood on aspiration, an injection
without aspiration, outside the target, on the wrong side or of an allergen, steps out of
order, each stretch of advancing with the tip out of view on ultrasound) and, at the end,
every hard fail and every scored measure that earned no marks, so nothing that failed or cost
the attempt goes unmarked. :class:`DebriefScreen` lists them, mistakes marked, and shows the
image at each one with the learning-mode marks. No drawing happens in :func:`key_moments`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pygame

from scoring.verdicts import fmt
from simulator import events as ev
from simulator.app.draw import ACCENT, DIM, LEVEL_COLOURS, TEXT, Text
from simulator.app.imaging import fit, gray_surface, load_renderer
from simulator.geometry import invert
from simulator.imaging.ultrasound.tip_visibility import tip_visible
from simulator.injection import COMPARTMENT_OF_ROLE
from simulator.log import read_log
from simulator.probe import world_from_probe
from simulator.procedure import requested_side, working_side
from simulator.replay import replay
from simulator.state import SimState
from simulator.world import World

if TYPE_CHECKING:
    from scoring.scored import ScoredSession

MAX_MOMENTS = 40   # a long, messy attempt: the first 40 moments
GOOD = (110, 220, 130)


@dataclass(frozen=True)
class Moment:
    """One key moment: when, what, and whether it was a mistake."""

    tick: int
    title: str
    mistake: bool = False


def _pretty(name) -> str:
    return str(name).replace("_", " ")


class _Collector:
    """Session observer turning replayed events into moments, with the state of each."""

    def __init__(self, world: World):
        self.world = world
        sc = world.scenario
        self.target_compartment = COMPARTMENT_OF_ROLE.get(world.role(world.target_label))
        self.allergens = set(sc.site_check.allergens(sc.syringes))
        self.moments: list[tuple[Moment, SimState]] = []
        self._bone_seen = False
        self._aspirated = False
        self._punctures = 0
        self._dangers: set[str] = set()   # danger structures contacted this tick
        self._missing_told: set[tuple] = set()
        self._blind = False          # advancing with the tip out of view (ultrasound)
        self._probe_key = None
        self._probe_from_world = None

    def _add(self, tick: int, title: str, mistake: bool, state: SimState) -> None:
        if len(self.moments) < MAX_MOMENTS:
            self.moments.append((Moment(tick, title, mistake), state))

    def __call__(self, prev: SimState, state: SimState, action, events) -> None:
        self._dangers = {e.data["structure"] for e in events if e.kind == ev.DANGER_CONTACT}
        for e in events:
            for title, mistake in self._titles(e, state):
                self._add(state.tick - 1, title, mistake, state)
        self._watch_tip(prev, state)

    def _watch_tip(self, prev: SimState, state: SimState) -> None:
        """A mistake where a stretch of advancing with the tip out of view begins: the rule
        of the "tip in view" measure (``tip_visible`` while the needle advances in tissue)."""
        a, b = prev.needle, state.needle
        if state.probe is None or not (a.in_skin and b.in_skin) or b.depth_mm <= a.depth_mm:
            return
        if state.probe is not self._probe_key:  # the probe object changes only when it moves
            self._probe_key = state.probe
            self._probe_from_world = invert(world_from_probe(self.world, state.probe))
        seen = tip_visible(self.world, state.probe, self._probe_from_world, b)
        if not seen and not self._blind:
            self._add(state.tick - 1, "Advancing with the tip out of view (blind)", True,
                      state)
        self._blind = not seen

    def _titles(self, e, state: SimState) -> list[tuple[str, bool]]:
        w, d, k = self.world, e.data, e.kind
        if k == ev.TIME_OUT and d["problems"]:
            return [(f"Time-out wrong: {p}", True) for p in d["problems"]]
        if k == ev.SKIN_PUNCTURE:
            self._aspirated = False
            self._punctures += 1
            out = [(f"Skin puncture {self._punctures}", False)]
            entry = np.asarray(d["entry_mm"], float)
            radius = w.scenario.site_check.prep_radius_mm
            if not any(np.linalg.norm(entry - np.asarray(c)) <= radius
                       for c in state.prepped_mm):
                out.append(("Puncture outside the prepped skin", True))
            if state.probe is not None and not state.probe_covered:
                out.append(("Puncture with the probe uncovered", True))
            return out
        if k == ev.REDIRECT:
            self._aspirated = False
            return []
        if k == ev.BONE_CONTACT and not self._bone_seen:
            self._bone_seen = True
            return [(f"First bone contact: {_pretty(d['structure'])}", False)]
        if k == ev.DANGER_CONTACT:
            return [(f"Needle in the {_pretty(d['structure'])}", True)]
        if k == ev.STRUCTURE_ENTERED and d.get("tissue") == "nerve" \
                and d["structure"] not in self._dangers:  # a danger says so itself
            return [(f"Needle in a nerve: {_pretty(d['structure'])}", True)]
        if k == ev.TARGET_REACHED:
            return [(f"Tip at the target ({_pretty(d['structure'])})", False)]
        if k == ev.ASPIRATION:
            self._aspirated = True
            blood = "blood" in d["result"]
            return [(f"Aspiration: {_pretty(d['result'])}", blood)]
        if k == ev.INJECTION_STARTED:
            return self._injection(d, state)
        if k == ev.INJECTION_REFUSED:
            return [("High resistance: the plunger would not move", True)]
        if k == ev.STEP_OUT_OF_ORDER and tuple(d["missing"]) not in self._missing_told:
            self._missing_told.add(tuple(d["missing"]))  # once for the same missing steps
            missing = ", ".join(_pretty(m) for m in d["missing"])
            return [(f"{_pretty(d['step']).capitalize()} before {missing}", True)]
        return []

    def _injection(self, d: dict, state: SimState) -> list[tuple[str, bool]]:
        w = self.world
        where = _pretty(d["compartment"]).replace("intra articular", "intra-articular")
        name = w.scenario.syringes[d["syringe"]].name
        out = [(f"Injection ({name}) into the {where} space",
                d["compartment"] != self.target_compartment)]
        if w.scenario.procedure.require_aspiration and not self._aspirated:
            out.append(("Injected without aspirating first", True))
        if working_side(w, state) != requested_side(w):
            out.append(("Injected on the wrong side", True))
        if d["syringe"] in self.allergens:
            out.append(("Injected a drug the patient is allergic to", True))
        return out


def key_moments(world: World, log_path: str | Path,
                doc: ScoredSession | None = None) -> list[tuple[Moment, SimState]]:
    """The key moments of the attempt logged at ``log_path`` (replayed in ``world``), each
    with the state right after it, in time order; with its score ``doc``, ending with a
    marked moment for each hard fail and each scored measure that earned no marks."""
    collector = _Collector(world)
    result = replay(read_log(log_path), world, observers=[collector], verify=False)
    moments = collector.moments
    if doc is not None:
        end = result.final_state
        moments += [(Moment(end.tick, title, True), end) for title in score_mistakes(doc)]
    return moments


def score_mistakes(doc: ScoredSession) -> list[str]:
    """The debrief's title of each hard fail of ``doc`` and each scored measure that earned
    no marks (not already a hard fail)."""
    failed = {h.metric for h in doc.hard_fails}
    titles = [f"Hard fail: {h.reason}" for h in doc.hard_fails]
    titles += [f"No marks: {c.label}: {fmt(c.value, c.unit)}; aim for {fmt(c.best, c.unit)}"
               for c in doc.criteria if c.fraction <= 0.0 and c.metric not in failed]
    return titles


class DebriefScreen:
    """The debrief: the moments on the left (Up / Down to choose), the image at the chosen
    one on the right, drawn with the learning-mode marks of ``overlay``."""

    def __init__(self, world: World, log_path: str | Path, overlay, text: Text,
                 doc: ScoredSession | None):
        self.world, self.overlay, self.text = world, overlay, text
        self.moments = key_moments(world, log_path, doc)
        self.hard_fails = [h.reason for h in doc.hard_fails] if doc is not None else []
        self.index = next((n for n, (m, _) in enumerate(self.moments) if m.mistake), 0)
        self.modality = "ultrasound" if world.scenario.uses_ultrasound else "fluoroscopy"
        self._render = load_renderer(self.modality)
        self._frames: dict[int, object] = {}

    def key(self, key: int) -> bool:
        """Up / Down (or Left / Right) choose a moment; False for any other key."""
        step = {pygame.K_UP: -1, pygame.K_LEFT: -1, pygame.K_DOWN: 1,
                pygame.K_RIGHT: 1}.get(key)
        if step is None or not self.moments:
            return False
        self.index = min(max(self.index + step, 0), len(self.moments) - 1)
        return True

    def _frame(self, n: int):
        if n not in self._frames:
            state = self.moments[n][1]
            self._frames[n] = self._render(self.world, state, tick=state.tick)
        return self._frames[n]

    def draw(self, surf: pygame.Surface, footer: str) -> None:
        t = self.text
        surf.fill((14, 16, 20))
        width, height = surf.get_size()
        mistakes = sum(m.mistake for m, _ in self.moments)
        t.draw(surf, f"Debrief: {len(self.moments)} key moments, {mistakes} mistakes "
               "(red)", (20, 14), 26, TEXT, True)
        t.draw(surf, "Up / Down: the moment to replay", (width - 20, 22), 18, DIM,
               anchor="midright")
        x, y = 20, 56
        for n, (m, _) in enumerate(self.moments):
            if y > height - 150:
                t.draw(surf, "...", (x, y), 18, DIM)
                break
            colour = LEVEL_COLOURS["danger"] if m.mistake else TEXT
            seconds = m.tick * self.world.dt_s
            line = f"{int(seconds // 60):02d}:{seconds % 60:04.1f}  " \
                   f"{'X ' if m.mistake else ''}{m.title}"
            if n == self.index:
                pygame.draw.rect(surf, (40, 46, 58), (x - 6, y - 2, 560, 22))
            t.draw(surf, _clip(t, line, 550, 18), (x, y), 18, colour, n == self.index)
            y += 22
        y = max(y, height - 140) + 8
        t.draw(surf, "Why the attempt failed:" if self.hard_fails else
               "No hard fail in this attempt.", (x, y), 18, ACCENT if self.hard_fails else GOOD,
               True)
        for reason in self.hard_fails[:4]:
            y += 21
            t.draw(surf, _clip(t, f"- {reason}", 580, 18), (x, y), 18, LEVEL_COLOURS["danger"])
        if self.moments:
            self._draw_image(surf, pygame.Rect(610, 56, width - 630, height - 130))
        else:
            t.draw(surf, "Nothing happened in this attempt.", (640, 80), 20, DIM)
        t.draw(surf, footer, (width // 2, height - 16), 18, DIM, anchor="center")

    def _draw_image(self, surf: pygame.Surface, box: pygame.Rect) -> None:
        moment, state = self.moments[self.index]
        frame = self._frame(self.index)
        image = gray_surface(frame.image)
        size = fit(image.get_size(), (box.width, box.height - 60))
        image = pygame.transform.smoothscale(image.convert(), size)
        where = image.get_rect(midtop=(box.centerx, box.y + 40))
        surf.blit(image, where)
        if self.modality == "ultrasound":
            self.overlay.ultrasound(surf, frame, where, state)
        else:
            self.overlay.fluoroscopy(surf, frame, where, state, state)
        colour = LEVEL_COLOURS["danger"] if moment.mistake else GOOD
        self.text.draw(surf, _clip(self.text, moment.title, box.width, 22),
                       (box.x, box.y + 4), 22, colour, True)
        self.overlay.draw_lines(surf, pygame.Rect(box.x, where.y, box.width,
                                                  box.bottom - where.y))


def _clip(text: Text, line: str, width: int, size: int) -> str:
    """``line`` cut with "..." to fit ``width`` pixels."""
    font = text.font(size)
    if font.size(line)[0] <= width:
        return line
    while line and font.size(line + "...")[0] > width:
        line = line[:-1]
    return line + "..."
