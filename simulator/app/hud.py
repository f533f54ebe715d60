"""The HUD: top bar, needle / syringe / imaging readouts, the procedure checklist, prompts."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pygame

from simulator import needle as needle_model
from simulator.app.draw import ACCENT, DIM, LEVEL_COLOURS, TEXT, Layout, Text, bar, panel
from simulator.app.screens import key_label, pretty_key
from simulator.app.trainee import STEP_COMMANDS, STEP_LABELS
from simulator.probe import probe_axes
from simulator.procedure import MANUAL_STEPS, completed_steps, requested_side, working_side
from simulator.scenario import Step

STEP_HINTS = {  # what to do next and why; {command}: its key, {target}, {volume}, {drug}
    Step.patient_positioning: "Position the patient for the approach and the image, so you "
                              "can see the screen and reach the site",
    Step.skin_prep: {"ultrasound": "Scan to find the site, then prep the skin where the "
                                   "needle will enter ({step_skin_prep}: {radius} mm round the "
                                   "probe's end) and cover the probe ({cover_probe}): the "
                                   "needle may only cross prepped skin",
                     "fluoroscopy": "Centre the beam on the site, then prep the skin under it "
                                    "({step_skin_prep}: {radius} mm round the beam centre): "
                                    "the needle may only cross prepped skin"},
    Step.time_out: "Time-out: check the Request rows against the patient and where you stand. "
                   "All correct: {step_time_out}. Allergic to the drug ({drug}): "
                   "{time_out_allergy}. Wrong side: {switch_side}, then prep again",
    Step.imaging_setup: {"ultrasound": "Bring the target ({target}) into the scan plane: "
                                       "slide (arrows), rotate ({probe_rotate}), set the depth "
                                       "({depth_up} / {depth_down}), then confirm",
                         "fluoroscopy": "Centre the C-arm on the target ({target}) (arrows) "
                                        "and take an image ({shot}), then confirm"},
    Step.needle_placement: {"ultrasound": "Place the needle ({place_needle}) and advance "
                                          "({advance}) toward the {target}, keeping the whole "
                                          "shaft and the tip in the image (aim: W/A/S/D)",
                            "fluoroscopy": "Place the needle ({place_needle}), line it up "
                                           "with the target on the image and advance "
                                           "({advance}), checking with images ({shot})"},
    Step.aspiration: "Advance the tip into the {target} (the target), then aspirate "
                     "({aspirate}) before injecting, so you know the tip is not in a vessel",
    Step.injection: "Inject the {volume} mL (hold {inject}) and watch the fluid spread in "
                    "the joint: stop if you feel high resistance",
    Step.completion: "Needle out and dressing on, then confirm: this ends the attempt",
}
DOSE_HINTS = {  # after a first injection (e.g. contrast) while the drug is still due
    "switch": "Now the drug: pick up its syringe ({next_syringe}) and inject the {volume} mL "
              "(hold {inject}) before the needle comes out",
    "rest": "Inject the rest of the {volume} mL (hold {inject}) before the needle comes out",
}
COMMAND_OF_STEP = {step: command for command, step in STEP_COMMANDS.items()}


class _Keys(dict):
    """``str.format_map`` helper: ``{command}`` -> its first key (axes: the "plus" key)."""

    def __init__(self, bindings):
        super().__init__()
        self.bindings = bindings

    def __missing__(self, name: str) -> str:
        axis = self.bindings.axes.get(name)
        if axis is not None:
            return pretty_key(axis.plus[0]) if axis.plus else "?"
        return key_label(self.bindings, name) or "?"


def tip_place(world, needle) -> str:
    """Where the tip is, for the HUD: the structure's name, "between tissue layers" under the
    skin where no structure holds it (the thin seam between two surfaces, which the play-tester
    saw read as "outside" between capsule and cavity), "outside" out of the skin."""
    if needle.in_skin and not needle.tip_label:
        return "between tissue layers"
    return world.name(needle.tip_label).replace("_", " ")


@dataclass
class HudInfo:
    """What the HUD shows besides the state (filled by the app each frame)."""

    attempt: int
    mode: str
    fps: float
    show_fps: bool
    gamepads: int


class Hud:
    def __init__(self, world, text: Text, layout: Layout, bindings, *, learning: bool):
        self.world = world
        self.text = text
        self.layout = layout
        self.bindings = bindings
        self.learning = learning
        self._angle_key = None
        self._angle = math.nan
        self._hints: dict[tuple, list[str]] = {}   # coaching lines per (step, dose due)
        self._instructions: list[str] | None = None   # the scenario's task, wrapped once

    # -- readouts ---------------------------------------------------------------------------
    def angle_to_skin_deg(self, needle) -> float:
        if needle.entry_mm is None:
            return math.nan
        key = (needle.entry_mm, needle.direction)
        if key != self._angle_key:
            d = np.asarray(needle.direction)
            hit = self.world.skin_along(np.asarray(needle.entry_mm) - d * 60.0, d, 120.0)
            if hit is None:
                self._angle = math.nan
            else:
                cos = float(np.clip(-d @ hit.normal, -1.0, 1.0))
                self._angle = 90.0 - math.degrees(math.acos(cos))
            self._angle_key = key
        return self._angle

    def next_step(self, state) -> Step | None:
        done = completed_steps(state)
        for step in self.world.scenario.procedure.steps:
            if step.value not in done:
                return step
        return None

    # -- drawing ----------------------------------------------------------------------------
    def draw_top(self, surf: pygame.Surface, state, info: HudInfo) -> None:
        r = self.layout.top
        panel(surf, r, (22, 25, 31))
        t, sc = self.text, self.world.scenario
        t.draw(surf, sc.title, (10, r.centery), 22, TEXT, True, "midleft")
        mode_col = (110, 220, 130) if info.mode == "learning" else (255, 190, 70)
        elapsed = state.tick * self.world.dt_s
        right = f"{info.mode.upper()}   attempt {info.attempt}   " \
                f"{int(elapsed // 60):02d}:{int(elapsed % 60):02d} / " \
                f"{int(sc.limits.time_s // 60):02d}:00"
        if info.gamepads:
            right = f"gamepad x{info.gamepads}   " + right
        if info.show_fps:
            right = f"{info.fps:4.0f} fps   " + right
        help_key = key_label(self.bindings, "help")
        t.draw(surf, f"{help_key}: controls", (r.right - 10, r.centery), 20, DIM,
               anchor="midright")
        t.draw(surf, right, (r.right - 130, r.centery), 20, mode_col, anchor="midright")

    def draw_panel(self, surf: pygame.Surface, state, feedback) -> None:
        r = self.layout.hud
        panel(surf, r)
        t, w, sc = self.text, self.world, self.world.scenario
        x, y = r.x + 14, r.y + 10
        n = state.needle
        line = 22

        def row(label: str, value: str, color=TEXT):
            nonlocal y
            t.draw(surf, label, (x, y), 20, DIM)
            t.draw(surf, value, (x + 118, y), 20, color)
            y += line

        depth = f"{n.depth_mm:5.1f} mm" if n.in_skin else \
            ("on the skin" if n.entry_mm is not None else "on the tray")
        row("Needle depth", depth)
        angle = self.angle_to_skin_deg(n)
        row("Angle to skin", "--" if math.isnan(angle) else f"{angle:4.0f} deg")
        force = needle_model.force_n(w, n)
        t.draw(surf, "Force", (x, y), 20, DIM)
        bar(surf, pygame.Rect(x + 118, y + 3, 150, 12), force / 8.0,
            (255, 120, 80) if n.bone_contact else ACCENT)
        y += line
        syringe = sc.syringes[state.syringe]
        used = state.injected_ml[state.syringe] if state.injected_ml else 0.0
        row("Syringe", f"{syringe.name[:22]}")
        row("Injected", f"{used:.1f} / {syringe.volume_ml:.1f} mL",
            (110, 220, 130) if state.injecting else TEXT)
        row("Attempts", f"{feedback.punctures} punctures, {feedback.passes} passes")
        row("Contacts", f"{feedback.bone_contacts} bone, {feedback.danger_contacts} danger",
            LEVEL_COLOURS["danger"] if feedback.danger_contacts else TEXT)
        if state.carm is not None:
            d = state.dose
            row("Fluoro", f"{d.fluoro_time_s:5.1f} s, {d.spots} shots"
                + ("  BEAM" if state.carm.beam_on else ""),
                LEVEL_COLOURS["warn"] if state.carm.beam_on else TEXT)
            row("Dose", f"{d.kerma_mgy:.2f} mGy, {d.kap_ugym2:.1f} uGy.m2")
        if state.probe is not None:
            p = state.probe
            row("Scanner", f"{p.depth_mm / 10:.1f} cm, {p.gain_db:+.0f} dB, "
                f"{p.frequency_mhz:.1f} MHz")
        if self.learning and n.in_skin:
            tip = np.asarray(n.tip_mm)
            dist = float(np.linalg.norm(tip - w.target_point))
            row("Tip in", tip_place(w, n), (120, 200, 255))
            row("To target", f"{dist:5.1f} mm", (120, 200, 255))
            if state.probe is not None:
                _, elevation, _ = probe_axes(w, state.probe)
                off_mm = float((tip - np.asarray(state.probe.contact_mm)) @ elevation)
                off_deg = math.degrees(math.asin(np.clip(np.dot(n.direction, elevation),
                                                         -1.0, 1.0)))
                off_mm, off_deg = round(off_mm, 1) or 0.0, round(off_deg) or 0  # no "-0"
                row("Tip off plane", f"{off_mm:+5.1f} mm ({off_deg:+d} deg)",
                    (120, 200, 255) if abs(off_mm) < 2.0 else LEVEL_COLOURS["warn"])
        below = self._checklist(surf, state, r)
        self._site_rows(surf, state, r.x + 330, below + 6)

    def _site_rows(self, surf, state, x: int, y: int) -> None:
        """Under the checklist: the request the time-out checks (patient, side, site,
        allergies), where the trainee stands and the asepsis done; learning mode colours what
        is amiss. (The left column has no room left for them: its bottom rows were cut.)"""
        t = self.text

        def row(label: str, value: str, color=TEXT):
            nonlocal y
            t.draw(surf, label, (x, y), 18, DIM)
            t.draw(surf, value[:26], (x + 92, y), 18, color)
            y += 20

        w, check = self.world, self.world.scenario.site_check
        warn, good = LEVEL_COLOURS["warn"], (110, 220, 130)
        site = check.site or w.scenario.targets[0].structure.replace("_", " ")
        row("Request", f"{requested_side(w).upper()} {site}"[:30])
        if check.patient:
            row("Patient", check.patient[:30])
        row("Allergies", ", ".join(check.allergies)[:30] or "none known",
            warn if self.learning and check.allergens(w.scenario.syringes) else TEXT)
        at = working_side(w, state)
        row("You are at", f"patient's {at} side",
            warn if self.learning and at != requested_side(w) else TEXT)
        asepsis = ["prepped" if state.prepped_mm else "not prepped"]
        if state.probe is not None:
            asepsis.append("probe covered" if state.probe_covered else "probe bare")
        done = state.prepped_mm and (state.probe is None or state.probe_covered)
        row("Asepsis", ", ".join(asepsis), good if done else warn if self.learning else TEXT)
        if state.time_out_problems:
            if self.learning:
                wrong = ", ".join(p.split(":")[0] for p in state.time_out_problems)
                row("Time-out", f"{wrong} wrong: do it again", LEVEL_COLOURS["danger"])

    def _checklist(self, surf, state, r: pygame.Rect) -> int:
        """The procedure steps, ticked as done; returns the y below the list."""
        t = self.text
        x, y = r.x + 330, r.y + 10
        t.draw(surf, "Procedure", (x, y), 20, DIM, True)
        y += 24
        done = completed_steps(state)
        current = self.next_step(state)
        for step in self.world.scenario.procedure.steps:
            mark = "[x]" if step.value in done else "[ ]"
            color = (110, 220, 130) if step.value in done else \
                (TEXT if step is current else DIM)
            key = f" ({key_label(self.bindings, COMMAND_OF_STEP[step])})" \
                if step in COMMAND_OF_STEP else ""
            t.draw(surf, f"{mark} {STEP_LABELS[step]}{key}", (x, y), 20, color,
                   step is current)
            y += 21
        return y

    def dose_due(self, state) -> str | None:
        """After the first injection, while a therapeutic syringe is not yet (nearly) given:
        ``"switch"`` (it is not the one in hand) or ``"rest"``; else ``None``."""
        if Step.injection.value not in state.steps_done or not state.injected_ml:
            return None
        for k, s in enumerate(self.world.scenario.syringes):
            if s.contents == "therapeutic" and state.injected_ml[k] < 0.9 * s.volume_ml:
                return "rest" if k == state.syringe else "switch"
        return None

    def _hint(self, step: Step, due: str | None = None) -> str:
        """The coaching for ``step`` (learning mode); assessment mode names the step only."""
        if not self.learning:
            key = f" ({key_label(self.bindings, 'next_step')})" if step in MANUAL_STEPS else ""
            return STEP_LABELS[step] + key
        hint = DOSE_HINTS[due] if due else STEP_HINTS[step]
        sc = self.world.scenario
        if isinstance(hint, dict):
            view = "ultrasound" if sc.uses_ultrasound else "fluoroscopy"
            hint = hint[view]
        drugs = [s for s in sc.syringes if s.contents == "therapeutic"] or list(sc.syringes)
        keys = _Keys(self.bindings)
        keys.update(radius=f"{sc.site_check.prep_radius_mm:g}",
                    target=sc.targets[0].structure.replace("_", " "),
                    volume=f"{sum(s.volume_ml for s in drugs):g}",
                    drug=drugs[0].drug or drugs[0].name)
        if step is Step.injection and any(s.contents == "contrast" for s in sc.syringes):
            hint = "Inject a little contrast (hold {inject}) and take an image to see it " \
                   "outline the joint; then the next syringe ({next_syringe}): " \
                   + hint[0].lower() + hint[1:]
        hint = hint.format_map(keys)
        if step in MANUAL_STEPS and not due:
            hint += f" ({key_label(self.bindings, 'next_step')})"
        return hint

    def draw_prompts(self, surf: pygame.Surface, state, feedback,
                     now_s: float) -> list[tuple[str, pygame.Rect]]:
        """Next step's coaching, then the newest prompts, then as much of the task as fits
        (the whole task is one key away). Returns the lines drawn and their rectangles."""
        r = self.layout.prompts
        panel(surf, r, (20, 23, 28))
        t, width, x = self.text, r.width - 24, r.x + 12
        y, bottom, drawn = r.y + 6, r.bottom - 4, []

        def line(text: str, size: int, colour) -> None:
            nonlocal y
            if y + size <= bottom:  # never into the panel below
                drawn.append((text, t.draw(surf, text, (x, y), size, colour)))
            y += size

        step = self.next_step(state)
        due = self.dose_due(state) if self.learning else None
        if step is not None:
            if (step, due) not in self._hints:
                self._hints[step, due] = t.wrap(f"Next: {self._hint(step, due)}", width, 20)
            for text in self._hints[step, due]:
                line(text, 20, ACCENT)
        y += 2
        keys = _Keys(self.bindings)
        for p in feedback.current(now_s, state)[-2:]:
            for text in t.wrap(p.words(keys), width, 20):
                line(text, 20, LEVEL_COLOURS.get(p.level, TEXT))
        instructions = self.world.scenario.instructions
        if not instructions:
            return drawn
        if self._instructions is None:
            self._instructions = t.wrap("Task: " + instructions, width, 18)
        task = self._instructions
        room = max(0, (bottom - y) // 18)
        if room < len(task):
            more = f"  ({key_label(self.bindings, 'instructions')}: the whole task)"
            task = task[:room - 1] + [_fit(t, task[room - 1], more, width)] if room else []
        for text in task:
            line(text, 18, DIM)
        return drawn


def _fit(text: Text, line: str, suffix: str, width: int) -> str:
    """``line`` cut (with "...") so that ``suffix`` fits after it in ``width`` pixels."""
    font = text.font(18)
    while line and font.size(line + "..." + suffix)[0] > width:
        line = line[:-1]
    return line.rstrip() + "..." + suffix
