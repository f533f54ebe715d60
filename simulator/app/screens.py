"""Full-window overlays: the controls (F1 / pause) and the end-of-attempt score screen.

The controls list is generated from the bindings in use, so it always tells the truth; the
same table (:func:`controls_rows`) is written to ``simulator/app/CONTROLS.md``.
"""

from __future__ import annotations

import pygame

from simulator.app.bindings import AXES, COMMANDS, key_name
from simulator.app.draw import ACCENT, DIM, LEVEL_COLOURS, TEXT, Text
from simulator.slow_wait import SLOW_S

GROUPS = (
    ("Needle", ("aim_yaw", "aim_pitch", "advance", "retract", "twist", "flip_bevel",
                "place_needle", "entry_forward", "entry_sideways", "withdraw", "fine")),
    ("Syringe", ("aspirate", "inject", "next_syringe")),
    ("Ultrasound probe", ("probe_along", "probe_across", "probe_rotate", "probe_tilt",
                          "probe_rock", "depth_up", "depth_down", "gain_up", "gain_down",
                          "frequency_up", "frequency_down")),
    ("Doppler and pressure", ("press", "doppler", "box_left", "box_right", "box_up",
                              "box_down", "box_narrower", "box_wider", "box_shorter",
                              "box_taller", "scale_down", "scale_up", "colour_gain_down",
                              "colour_gain_up")),
    ("C-arm", ("carm_orbital", "carm_cranial", "carm_lateral", "carm_superior", "shot",
               "fluoro_live", "collimate_in", "collimate_out", "low_dose")),
    ("Procedure", ("next_step", "step_positioning", "switch_side", "step_skin_prep",
                   "cover_probe", "step_time_out", "time_out_allergy", "local_anaesthetic",
                   "step_imaging", "step_completion")),
    ("Views and app", ("switch_tool", "switch_view", "overlays", "instructions", "help",
                       "pause", "restart", "end_attempt", "debrief", "screenshot",
                       "quit")),
)
AXIS_TEXT = {
    "aim_yaw": "aim left / right", "aim_pitch": "aim tip down / up",
    "advance": "advance", "retract": "pull back", "twist": "turn the bevel",
    "entry_forward": "move the entry point back / forward (fluoroscopy: down / up on the "
                     "image; before puncture)",
    "entry_sideways": "move the entry point left / right (before puncture)",
    "inject": "inject while held",
    "probe_along": "slide along the probe's long axis", "probe_across": "slide across (sweep)",
    "probe_rotate": "rotate", "probe_tilt": "tilt (fan)",
    "probe_rock": "rock heel-to-toe (tendons bright again)",
    "carm_orbital": "orbit (LAO / RAO)", "carm_cranial": "caudal / cranial tilt",
    "carm_lateral": "table left / right", "carm_superior": "table foot / head",
}
PRETTY = {"return": "Enter", "escape": "Esc", "left shift": "Shift", "right shift": "R-Shift",
          "left ctrl": "Ctrl", "page up": "PgUp", "page down": "PgDn", "backspace": "Backspace",
          "space": "Space", "up": "Up", "down": "Down", "left": "Left", "right": "Right",
          **{f"[{n}]": f"Keypad {n}" for n in range(10)}}
PAD_PRETTY = {"left_x": "left stick x", "left_y": "left stick y", "right_x": "right stick x",
              "right_y": "right stick y", "left_trigger": "LT", "right_trigger": "RT",
              "lb": "LB", "rb": "RB", "a": "A", "b": "B", "x": "X", "y": "Y", "back": "Back",
              "start": "Start", "l3": "L3", "r3": "R3", "dpad_up": "D-pad up",
              "dpad_down": "D-pad down", "dpad_left": "D-pad left",
              "dpad_right": "D-pad right"}


def pretty_key(code: int) -> str:
    name = key_name(code)
    if name in PRETTY:
        return PRETTY[name]
    return name.upper() if len(name) == 1 or name[0] == "f" and name[1:].isdigit() \
        else name.title()


def pretty_pad(p) -> str:
    text = PAD_PRETTY[p.control]
    # sticks: the two directions in the row's order (the "minus" way, then the "plus" way)
    if p.control in ("left_x", "right_x"):
        text = text[:-2] + (" left / right" if p.sign > 0 else " right / left")
    elif p.control in ("left_y", "right_y"):  # y is +1 pushed down
        text = text[:-2] + (" up / down" if p.sign > 0 else " down / up")
    return f"{PAD_PRETTY[p.modifier]} + {text}" if p.modifier else text


def controls_rows(bindings) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """``[(group, [(what, keyboard, gamepad), ...]), ...]`` for the bindings in use."""
    out = []
    for group, names in GROUPS:
        rows = []
        for name in names:
            if name in AXES:
                b = bindings.axes.get(name)
                if b is None:
                    continue
                keys = " / ".join(filter(None, [
                    ", ".join(pretty_key(k) for k in b.minus),
                    ", ".join(pretty_key(k) for k in b.plus)]))
                pads = ", ".join(dict.fromkeys(pretty_pad(p) for p in b.pad))
                what = AXIS_TEXT[name]
            else:
                c = bindings.commands.get(name)
                if c is None:
                    continue
                keys = ", ".join(pretty_key(k) for k in c.keys)
                pads = ", ".join(pretty_pad(p) for p in c.pad)
                what = COMMANDS[name]
            rows.append((what, keys or "-", pads or "-"))
        out.append((group, rows))
    return out


def controls_markdown(bindings) -> str:
    lines = ["| Action | Keyboard | Gamepad |", "| --- | --- | --- |"]
    for group, rows in controls_rows(bindings):
        lines.append(f"| **{group}** | | |")
        for what, keys, pads in rows:
            keys = keys.replace("\\", "\\\\").replace("`", "\\`")  # literal in Markdown
            lines.append(f"| {what} | {keys} | {pads} |")
    lines.append("| **Mouse** | | |")
    lines.append("| orbit the 3D camera / zoom | drag on the 3D view / wheel | - |")
    return "\n".join(lines) + "\n"


def key_label(bindings, command: str) -> str:
    c = bindings.commands.get(command)
    return pretty_key(c.keys[0]) if c is not None and c.keys else ""


def pad_label(bindings, command: str) -> str:
    c = bindings.commands.get(command)
    return pretty_pad(c.pad[0]) if c is not None and c.pad else ""


def footer(bindings, *pairs: tuple[str, str]) -> str:
    """``"F5 / LB + Start: restart    ..."`` for ``(command, what)`` pairs."""
    parts = []
    for command, what in pairs:
        keys = " / ".join(filter(None, (key_label(bindings, command),
                                        pad_label(bindings, command))))
        parts.append(f"{keys}: {what}")
    return "    ".join(parts)


def _dim(surf: pygame.Surface, alpha: int = 215) -> None:
    shade = pygame.Surface(surf.get_size(), pygame.SRCALPHA)
    shade.fill((8, 9, 12, alpha))
    surf.blit(shade, (0, 0))


def draw_controls(surf: pygame.Surface, text: Text, bindings, title: str,
                  footer: str) -> list[tuple[str, pygame.Rect]]:
    """Every binding in two columns, labels wrapped (never cut); the font shrinks if the
    window is too small for it. Returns each row's label and the rectangle it took."""
    _dim(surf, 238)
    w, h = surf.get_size()
    text.draw(surf, title, (w // 2, 10), 30, TEXT, True, "midtop")
    groups = controls_rows(bindings)
    col_w = (w - 60) // 2
    what_w, keys_w = int(col_w * 0.56), int(col_w * 0.15)
    top, bottom = 46, h - 56
    for size in (17, 16, 15, 14, 13):
        step = size - 1
        laid = [(group, [(text.wrap(what, what_w - 8, size), keys, pads)
                         for what, keys, pads in rows]) for group, rows in groups]
        heights = [20 + 10 + step * sum(len(lines) for lines, _, _ in rows)
                   for _, rows in laid]
        split = min(range(1, len(laid)), key=lambda k: max(sum(heights[:k]),
                                                            sum(heights[k:])))
        if max(sum(heights[:split]), sum(heights[split:])) <= bottom - top:
            break
    drawn = []
    for k, column in enumerate((laid[:split], laid[split:])):
        x, y = 30 + k * (col_w + 20), top
        for group, rows in column:
            text.draw(surf, group, (x, y), 20, ACCENT, True)
            y += 20
            for lines, keys, pads in rows:
                row = text.draw(surf, keys, (x + what_w, y), size, (255, 220, 150))
                row = row.union(text.draw(surf, pads, (x + what_w + keys_w, y), size,
                                          (150, 210, 255)))
                for line in lines:
                    row = row.union(text.draw(surf, line, (x, y), size, TEXT))
                    y += step
                drawn.append((" ".join(lines), row))
            y += 10
    text.draw(surf, "Mouse: drag on the 3D view to orbit the camera, wheel to zoom.   "
              "Keys in yellow, gamepad in blue.", (w // 2, h - 50), 19, DIM, anchor="midtop")
    text.draw(surf, footer, (w // 2, h - 28), 21, TEXT, True, "midtop")
    return drawn


def draw_task(surf: pygame.Surface, text: Text, scenario,
              keys: str) -> list[tuple[str, pygame.Rect]]:
    """The scenario's instructions in full, wrapped to the window; returns the lines drawn
    and their rectangles."""
    _dim(surf, 238)
    w, h = surf.get_size()
    text.draw(surf, scenario.title, (w // 2, 24), 30, TEXT, True, "midtop")
    y, drawn = 80, []
    for line in text.wrap(scenario.instructions or "No instructions.", w - 200, 26):
        drawn.append((line, text.draw(surf, line, (100, y), 26, TEXT)))
        y += 30
    text.draw(surf, keys, (w // 2, h - 28), 21, TEXT, True, "midtop")
    return drawn


def draw_scoring(surf: pygame.Surface, text: Text, waited_s: float, stage: str) -> None:
    """The attempt is over and its score is being computed (on the scoring thread)."""
    _dim(surf, 200)
    w, h = surf.get_size()
    cx = w // 2
    text.draw(surf, "Scoring...", (cx, h // 2 - 70), 48, TEXT, True, "midtop")
    text.draw(surf, f"{stage}  ({waited_s:.0f} s)", (cx, h // 2 - 10), 24, DIM,
              anchor="midtop")
    track = pygame.Rect(cx - 200, h // 2 + 30, 400, 10)
    pygame.draw.rect(surf, (45, 49, 58), track)
    # an indeterminate bar: a block sweeping along the track while the work goes on
    x = track.x + int((waited_s * 0.6 % 1.0) * (track.width - 80))
    pygame.draw.rect(surf, ACCENT, pygame.Rect(x, track.y, 80, track.height))


def draw_end(surf: pygame.Surface, text: Text, scored, folder, trainee: str,
             keys: str) -> list[str]:
    """The end-of-attempt screen for a ``ScoredSession`` (``None``: it could not be scored);
    returns the lines of text it drew."""
    _dim(surf, 230)
    w, h = surf.get_size()
    cx = w // 2
    drawn = []

    def line(words, pos, size, colour, bold=False, anchor="topleft"):
        drawn.append(words)
        text.draw(surf, words, pos, size, colour, bold, anchor)

    line(f"Trainee: {trainee}", (20, 16), 20, DIM)
    if scored is None:
        line("Attempt ended", (cx, 120), 44, TEXT, True, "midtop")
        line("The score could not be computed; the log is saved.", (cx, 190), 24, DIM,
             anchor="midtop")
    else:
        colour = LEVEL_COLOURS["warn"] if scored.abandoned else \
            LEVEL_COLOURS["good"] if scored.passed else LEVEL_COLOURS["danger"]
        line(scored.headline, (cx, 60), 72, colour, True, "midtop")
        if scored.abandoned:
            line("Ended before the procedure was finished: recorded as abandoned, not as a "
                 "fail. The figures so far:", (cx, 130), 24, TEXT, True, "midtop")
        else:
            line(f"Score {scored.score:.0f} / 100   (pass mark {scored.pass_score:.0f})",
                 (cx, 130), 32, TEXT, True, "midtop")
        y = 172
        for words in text.wrap("   |   ".join(scored.summary()), w - 160, 20):
            line(words, (cx, y), 20, DIM, anchor="midtop")
            y += 22
        y += 6
        if not scored.abandoned:  # what an unfinished attempt did not reach would read as faults
            drawn += _verdict(surf, text, scored, colour, y)
    if folder is not None:
        line(f"Saved: {folder}", (cx, h - 80), 19, DIM, anchor="midtop")
    line(keys, (cx, h - 48), 24, TEXT, True, "midtop")
    return drawn


def _verdict(surf: pygame.Surface, text: Text, scored, colour, y: int) -> list[str]:
    """Hard fails, strengths and what to work on, from ``y`` down; returns the lines."""
    cx = surf.get_width() // 2
    drawn = []
    for hf in scored.hard_fails:
        drawn.append(f"Hard fail: {hf.reason}")
        text.draw(surf, drawn[-1], (cx, y), 22, colour, anchor="midtop")
        y += 26
    y += 10
    left, right = 80, cx + 20
    text.draw(surf, "Strengths", (left, y), 24, LEVEL_COLOURS["good"], True)
    text.draw(surf, "To work on", (right, y), 24, LEVEL_COLOURS["warn"], True)
    y0 = y + 32
    for x, items in ((left, scored.strengths[:3]),
                     (right, [s for s in scored.weaknesses if not s.startswith("Hard fail")][:3])):
        y = y0
        for item in items or ["nothing to report"]:
            for k, words in enumerate(text.wrap(item, cx - 110, 21)):
                drawn.append(("- " if k == 0 else "  ") + words)
                text.draw(surf, drawn[-1], (x, y), 21, TEXT)
                y += 22
            y += 6
    return drawn


def draw_banner(surf: pygame.Surface, text: Text, rect: pygame.Rect, message: str) -> None:
    shade = pygame.Surface(rect.size, pygame.SRCALPHA)
    shade.fill((0, 0, 0, 160))
    surf.blit(shade, rect.topleft)
    text.draw(surf, message, rect.center, 24, TEXT, True, "center")


FIRST_START_NOTE = "The first start after installing prepares the imaging and the needle (a " \
    "minute or more on a busy machine); later starts take seconds."


def draw_wait(surf: pygame.Surface, text: Text, banner: pygame.Rect, message: str,
              waited_s: float, note: str = "") -> None:
    """A start-up wait in ``banner``: the message, and once it has lasted ``SLOW_S``, the
    seconds so far and (wrapped below) why the first start is slow; ``note`` (if any) is
    wrapped below at once."""
    slow = waited_s >= SLOW_S
    draw_banner(surf, text, banner, f"{message} ({waited_s:.0f} s)" if slow else message)
    below = " ".join(part for part in (note, FIRST_START_NOTE if slow else "") if part)
    if below:   # on a shade of its own: it may lie over the image
        lines = text.wrap(below, banner.width - 40, 19)
        shade = pygame.Surface((banner.width, 22 * len(lines) + 8), pygame.SRCALPHA)
        shade.fill((0, 0, 0, 160))
        surf.blit(shade, (banner.x, banner.bottom))
        for k, line in enumerate(lines):
            text.draw(surf, line, (banner.centerx, banner.bottom + 4 + 22 * k), 19, DIM,
                      anchor="midtop")
