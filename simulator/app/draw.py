"""Drawing helpers: window layout, cached text, colours."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pygame

BG = (16, 18, 22)
PANEL = (26, 29, 35)
EDGE = (55, 60, 70)
TEXT = (225, 228, 232)
DIM = (140, 146, 156)
ACCENT = (90, 170, 255)
LEVEL_COLOURS = {"info": (200, 210, 225), "good": (110, 220, 130), "warn": (255, 190, 70),
                 "danger": (255, 80, 70)}


@dataclass(frozen=True)
class Layout:
    """Panel rectangles for a window size (designed for 1280 x 720)."""

    size: tuple[int, int]
    prompts_height: int = 150   # coaching, prompts and the task: room for 7 lines

    @property
    def top(self) -> pygame.Rect:
        return pygame.Rect(0, 0, self.size[0], 34)

    @property
    def imaging(self) -> pygame.Rect:
        w, h = self.size
        return pygame.Rect(0, 34, w // 2, h - 34 - self.prompts_height)

    @property
    def prompts(self) -> pygame.Rect:
        w, h = self.size
        return pygame.Rect(0, h - self.prompts_height, w // 2, self.prompts_height)

    @property
    def scene(self) -> pygame.Rect:
        w, h = self.size
        return pygame.Rect(w // 2, 34, w - w // 2, (h - 34) // 2)

    @property
    def hud(self) -> pygame.Rect:
        w, h = self.size
        s = self.scene
        return pygame.Rect(w // 2, s.bottom, w - w // 2, h - s.bottom)


class Text:
    """Renders text with a small cache (HUD lines repeat from frame to frame)."""

    def __init__(self):
        self._fonts: dict[tuple[int, bool], pygame.font.Font] = {}
        self._cache: dict[tuple, pygame.Surface] = {}
        self._wrapped: dict[tuple, list[str]] = {}

    def font(self, size: int, bold: bool = False) -> pygame.font.Font:
        key = (size, bold)
        if key not in self._fonts:
            f = pygame.font.Font(None, size)
            f.set_bold(bold)
            self._fonts[key] = f
        return self._fonts[key]

    def render(self, text: str, size: int = 20, color=TEXT, bold: bool = False) -> pygame.Surface:
        key = (text, size, color, bold)
        surf = self._cache.get(key)
        if surf is None:
            if len(self._cache) > 2000:
                self._cache.clear()
            surf = self.font(size, bold).render(text, True, color)
            self._cache[key] = surf
        return surf

    def draw(self, target: pygame.Surface, text: str, pos, size: int = 20, color=TEXT,
             bold: bool = False, anchor: str = "topleft") -> pygame.Rect:
        surf = self.render(text, size, color, bold)
        rect = surf.get_rect(**{anchor: pos})
        target.blit(surf, rect)
        return rect

    def wrap(self, text: str, width: int, size: int = 20) -> list[str]:
        """``text`` broken into lines no wider than ``width`` pixels (cached: the prompts
        are wrapped again every frame)."""
        key = (text, width, size)
        lines = self._wrapped.get(key)
        if lines is None:
            if len(self._wrapped) > 2000:
                self._wrapped.clear()
            lines = self._wrapped[key] = self._wrap(text, width, size)
        return list(lines)

    def _wrap(self, text: str, width: int, size: int) -> list[str]:
        font = self.font(size)
        words, lines, line = text.split(), [], ""
        for word in words:
            trial = f"{line} {word}".strip()
            if font.size(trial)[0] <= width or not line:
                line = trial
            else:
                lines.append(line)
                line = word
        if line:
            lines.append(line)
        return lines


def panel(target: pygame.Surface, rect: pygame.Rect, color=PANEL) -> None:
    pygame.draw.rect(target, color, rect)
    pygame.draw.rect(target, EDGE, rect, 1)


def bar(target: pygame.Surface, rect: pygame.Rect, fraction: float, color) -> None:
    pygame.draw.rect(target, (45, 49, 58), rect)
    filled = rect.copy()
    filled.width = int(rect.width * max(0.0, min(1.0, fraction)))
    pygame.draw.rect(target, color, filled)
    pygame.draw.rect(target, EDGE, rect, 1)


def doppler_legend(target: pygame.Surface, text: Text, frame) -> pygame.Surface:
    """An ultrasound image surface with the Doppler colour bar, its velocity scale, PRF,
    wall filter and colour gain (top left, under the view's title; the depth scale is on
    the right), and "PROBE PRESSED" while the probe is pressed in (bottom left):
    ``target`` itself, or a colour copy of a grey one. ``frame`` is an
    ``UltrasoundFrame``."""
    d = frame.doppler
    if d is None and frame.probe.pressure <= 0.0:
        return target
    if target.get_bitsize() == 8:   # a grey palette image: draw in colour on a copy
        rgb = pygame.Surface(target.get_size(), 0, 24)
        rgb.blit(target, (0, 0))
        target = rgb
    h = target.get_height()
    if frame.probe.pressure > 0.0:
        text.draw(target, "PROBE PRESSED", (8, h - 8), 18, LEVEL_COLOURS["warn"], True,
                  "bottomleft")
    if d is None:
        return target
    bar = pygame.Rect(14, 48, 12, 120)
    target.blit(_legend_panel(d.mode, bar.size), (4, bar.y - 22))
    x = bar.right + 4
    if d.mode == "colour":
        text.draw(target, f"+{d.scale_cm_s:.0f}", (x, bar.y - 2), 16, TEXT)
        text.draw(target, f"-{d.scale_cm_s:.0f}", (x, bar.bottom - 12), 16, TEXT)
        text.draw(target, "cm/s", (x, bar.centery - 6), 14, DIM)
        text.draw(target, "CFM", (bar.centerx, bar.y - 4), 16, TEXT, True, "midbottom")
    else:
        text.draw(target, "PDI", (bar.centerx, bar.y - 4), 16, TEXT, True, "midbottom")
    lines = [f"PRF {d.prf_khz:.1f} kHz", f"WF {d.wall_filter_cm_s:.0f} cm/s",
             f"CG {d.gain_db:+.0f} dB"]
    for n, line in enumerate(lines):
        text.draw(target, line, (8, bar.bottom + 6 + 15 * n), 15, TEXT)
    return target


@lru_cache(maxsize=4)
def _legend_panel(mode: str, bar_size: tuple[int, int]) -> pygame.Surface:
    """The legend's shaded panel with the colour bar (drawn once per mode): the bar's
    top-left is at ``(10, 22)``; ``mode`` is ``"colour"`` or ``"power"``."""
    from simulator.imaging.ultrasound.doppler_colours import power_lut, velocity_lut

    bw, bh = bar_size
    panel_surf = pygame.Surface((104, bh + 82), pygame.SRCALPHA)
    panel_surf.fill((0, 0, 0, 150))       # readable over a linear probe's full-width image
    bar_rect = pygame.Rect(10, 22, bw, bh)
    lut = velocity_lut() if mode == "colour" else power_lut()
    for y in range(bh):
        f = 1.0 - y / (bh - 1)
        colour = tuple(int(c) for c in lut[int(round(f * 255))])
        if mode == "colour" and abs(f - 0.5) < 0.5 / bh:
            colour = (0, 0, 0)   # zero velocity
        pygame.draw.line(panel_surf, colour + (255,), (bar_rect.x, bar_rect.y + y),
                         (bar_rect.right - 1, bar_rect.y + y))
    pygame.draw.rect(panel_surf, EDGE, bar_rect, 1)
    return panel_surf
