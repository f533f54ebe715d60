"""Drawing helpers: window layout, cached text, colours."""

from __future__ import annotations

from dataclasses import dataclass

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
