"""A Document as a PDF (reportlab): the same sections, tables and pictures as the HTML."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from scoring.report import document as d
from scoring.report.html import ACCENT

TONE_BG = {d.GOOD: "#e6f4ea", d.FAIR: "#fff4e0", d.POOR: "#fde8e8"}


@cache
def _fonts() -> tuple[str, str]:
    """DejaVu Sans (shipped with matplotlib, covers any trainee's name) or Helvetica."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    try:
        import matplotlib

        folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        pdfmetrics.registerFont(TTFont("DejaVu", str(folder / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(folder / "DejaVuSans-Bold.ttf")))
        return "DejaVu", "DejaVu-Bold"
    except Exception:  # noqa: BLE001 - any font problem: fall back to the built-in font
        return "Helvetica", "Helvetica-Bold"


def _styles():
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    regular, bold = _fonts()
    accent = colors.HexColor(ACCENT)
    return {
        "title": ParagraphStyle("title", fontName=bold, fontSize=18, leading=22,
                                textColor=accent),
        "subtitle": ParagraphStyle("subtitle", fontName=regular, fontSize=12, leading=15,
                                   textColor=colors.HexColor("#444444"), spaceAfter=8),
        "h2": ParagraphStyle("h2", fontName=bold, fontSize=13, leading=16, textColor=accent,
                             spaceBefore=10, spaceAfter=4, keepWithNext=1),
        "body": ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=12),
        "bold": ParagraphStyle("bold", fontName=bold, fontSize=9.5, leading=12, spaceBefore=4,
                               keepWithNext=1),
        "note": ParagraphStyle("note", fontName=regular, fontSize=8, leading=10,
                               textColor=colors.HexColor("#5a5a5a"), spaceBefore=2),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=8.5, leading=10.5),
        "cellb": ParagraphStyle("cellb", fontName=bold, fontSize=8.5, leading=10.5),
        "head": ParagraphStyle("head", fontName=bold, fontSize=8.5, leading=10.5,
                               textColor=colors.white),
        "help": ParagraphStyle("help", fontName=regular, fontSize=7, leading=8.5,
                               textColor=colors.HexColor("#666666")),
        "verdict": ParagraphStyle("verdict", fontName=bold, fontSize=15, leading=19,
                                  textColor=colors.white),
        "vtext": ParagraphStyle("vtext", fontName=regular, fontSize=9.5, leading=12,
                                textColor=colors.white),
    }


def _esc(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(str(text))


def _image(png: bytes, width: float):
    from PIL import Image as PILImage
    from reportlab.platypus import Image

    w, h = PILImage.open(io.BytesIO(png)).size
    return Image(io.BytesIO(png), width=width, height=width * h / w)


def _table(b: d.Table, st, width: float):
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    rel = b.widths or [1.0] * len(b.columns)
    widths = [width * r / sum(rel) for r in rel]
    data = [[Paragraph(_esc(c), st["head"]) for c in b.columns]]
    for i, row in enumerate(b.rows):
        cells = []
        for j, cell in enumerate(row):
            text = _esc(cell)
            if j == 0 and b.notes and b.notes[i]:
                cells.append([Paragraph(text, st["cellb"]),
                              Paragraph(_esc(b.notes[i]), st["help"])])
            else:
                cells.append(Paragraph(text, st["cellb"] if j == 0 else st["cell"]))
        data.append(cells)
    style = [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(ACCENT)),
             ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("LINEBELOW", (0, 1), (-1, -1), 0.4, colors.HexColor("#d0d0d0")),
             ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]
    for i, tone in enumerate(b.tones):
        if tone in TONE_BG:
            style.append(("BACKGROUND", (0, i + 1), (-1, i + 1), colors.HexColor(TONE_BG[tone])))
    return Table(data, colWidths=widths, repeatRows=1, style=TableStyle(style))


def _flowables(block, st, width: float) -> list:
    from reportlab.lib import colors
    from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

    if isinstance(block, d.Facts):
        rows = [[Paragraph(_esc(k), st["cellb"]), Paragraph(_esc(v), st["cell"])]
                for k, v in block.pairs]
        return [Table(rows, colWidths=[0.18 * width, 0.82 * width],
                      style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                        ("TOPPADDING", (0, 0), (-1, -1), 1),
                                        ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))]
    if isinstance(block, d.Verdict):
        body = [Paragraph(_esc(block.headline), st["verdict"])]
        body += [Paragraph("- " + _esc(r), st["vtext"]) for r in block.reasons]
        colour = "#2e7d32" if block.passed else "#c62828"
        return [Spacer(1, 4), Table([[body]], colWidths=[width], style=TableStyle([
            ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(colour)),
            ("LEFTPADDING", (0, 0), (-1, -1), 10), ("TOPPADDING", (0, 0), (-1, -1), 7),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 8)]))]
    if isinstance(block, d.Text):
        return [Paragraph(_esc(block.text), st["note"] if block.note else st["bold"])]
    if isinstance(block, d.Bullets):
        if not block.items:
            return [Paragraph(_esc(block.empty), st["body"])]
        mark = {"good": "+", "poor": "!"}.get(block.tone, "-")
        return [Paragraph(f"{mark}&nbsp;&nbsp;{_esc(i)}", st["body"]) for i in block.items]
    if isinstance(block, d.Table):
        return [_table(block, st, width), Spacer(1, 4)]
    if isinstance(block, d.Figure):
        items = [Paragraph(_esc(block.title), st["bold"])] if block.title else []
        items += [_image(block.png, width * block.width), Paragraph(_esc(block.caption),
                                                                    st["note"])]
        return [KeepTogether(items), Spacer(1, 6)]
    if isinstance(block, d.FigureRow):
        n = max(1, len(block.figures))
        cell = width / n - 6
        row = [[Paragraph(_esc(f.title), st["bold"]), _image(f.png, cell),
                Paragraph(_esc(f.caption), st["note"])] for f in block.figures]
        return [Table([row], colWidths=[width / n] * n,
                      style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")])), Spacer(1, 6)]
    raise TypeError(f"unknown block {type(block).__name__}")


def write_pdf(doc: d.Document, path: str | Path) -> Path:
    """Render ``doc`` to an A4 PDF at ``path``."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    st = _styles()
    path = Path(path)
    frame_width = A4[0] - 30 * mm
    story = [Paragraph(_esc(doc.title), st["title"]), Paragraph(_esc(doc.subtitle),
                                                                st["subtitle"])]
    for section in doc.sections:
        if section.title:
            story.append(Paragraph(_esc(section.title), st["h2"]))
        for block in section.blocks:
            story += _flowables(block, st, frame_width)

    def footer(canvas, template):
        canvas.saveState()
        canvas.setFont(_fonts()[0], 7)
        canvas.drawString(15 * mm, 9 * mm, doc.footer)
        canvas.drawRightString(A4[0] - 15 * mm, 9 * mm, f"page {template.page}")
        canvas.restoreState()

    pdf = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=14 * mm, bottomMargin=16 * mm, title=doc.title,
                            author="jointsim")
    pdf.build(story, onFirstPage=footer, onLaterPages=footer)
    return path
