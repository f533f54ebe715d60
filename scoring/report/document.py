"""A report as plain data: sections of blocks that the HTML and PDF writers both render.

Building a report (session or cohort) means building a ``Document``; the writers never look
at scores or logs, so the HTML and the PDF always say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Row tones: how a table row or a bullet list is coloured.
GOOD, FAIR, POOR, NEUTRAL = "good", "fair", "poor", ""


@dataclass
class Text:
    text: str
    note: bool = False  # small grey print


@dataclass
class Bullets:
    items: list[str]
    tone: str = NEUTRAL
    empty: str = "None."


@dataclass
class Verdict:
    """The headline box: PASS or FAIL, the score and the reasons."""

    passed: bool
    headline: str
    reasons: list[str] = field(default_factory=list)


@dataclass
class Facts:
    """Label/value pairs shown as a compact grid (trainee, scenario, date...)."""

    pairs: list[tuple[str, str]]


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    tones: list[str] = field(default_factory=list)
    widths: list[float] | None = None  # relative column widths
    kind: str = ""  # a CSS class name, e.g. "metrics"
    notes: list[str] = field(default_factory=list)  # small print under each row's first cell


@dataclass
class Figure:
    png: bytes
    caption: str
    width: float = 1.0  # share of the text width
    title: str = ""


@dataclass
class FigureRow:
    """Figures side by side (key frames)."""

    figures: list[Figure]


@dataclass
class Section:
    title: str
    blocks: list = field(default_factory=list)


@dataclass
class Document:
    title: str
    subtitle: str
    sections: list[Section]
    footer: str = ""
