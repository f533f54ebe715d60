"""Session reports: the HTML opened in headless Chromium, the PDF rasterised by pdftoppm."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from phantoms import record
from PIL import Image

from simulator.cli import main

ACCENT = (0x1F, 0x4E, 0x79)    # table headers and figure frames
GOOD_ROW = (0xE6, 0xF4, 0xEA)  # a measure at expert level
PASS_GREEN = (0x2E, 0x7D, 0x32)
def ultrasound_renderer_present() -> bool:
    from scoring.report.keyframes import renderer

    return renderer("ultrasound") is not None


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium "
                                    "(installed by .ci/run)")
needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                   reason="needs poppler-utils (installed by .ci/run)")


@pytest.fixture(scope="module")
def expert_log(block_scenario, tmp_path_factory):
    return record(block_scenario, tmp_path_factory.mktemp("logs"), "expert", 1, "Dr Expert")


@pytest.fixture(scope="module")
def report_dir(expert_log, block_scenario, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "r"
    assert main(["report", str(expert_log), "--out", str(out), "--scenario",
                 str(block_scenario)]) == 0
    return out


def screenshot(html, png, tmp_path, width=1200, height=3600):
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'chr'}",
                    f"--screenshot={png}", f"--window-size={width},{height}",
                    html.resolve().as_uri()], check=True, capture_output=True, timeout=120)
    return np.asarray(Image.open(png).convert("RGB")).astype(int)


def colour_mask(img, rgb, tol=3):
    return np.all(np.abs(img - np.asarray(rgb)) <= tol, axis=-1)


def bands(mask_rows, min_len):
    """Start indices of runs of True at least ``min_len`` long."""
    out, start = [], None
    for i, v in enumerate([*mask_rows, False]):
        if v and start is None:
            start = i
        elif not v and start is not None:
            if i - start >= min_len:
                out.append((start, i))
            start = None
    return out


def framed_images(img):
    """Rectangles framed by the accent colour (figure borders): (top, bottom, left, right)."""
    accent = colour_mask(img, ACCENT)
    cols = []
    for x in range(img.shape[1]):
        for top, bottom in bands(accent[:, x], 150):
            cols.append((x, top, bottom))
    rects = []
    for x, top, bottom in cols:  # pair each left side with the right side of the same span
        for x2, t2, b2 in cols:
            if x2 > x + 100 and abs(t2 - top) <= 2 and abs(b2 - bottom) <= 2:
                rects.append((top, bottom, x, x2))
                break
    merged = []
    for r in rects:
        if not any(abs(r[0] - m[0]) <= 2 and abs(r[2] - m[2]) <= 4 for m in merged):
            merged.append(r)
    return merged


def test_report_writes_html_pdf_and_score(report_dir):
    import json

    doc = json.loads((report_dir / "score.json").read_text())
    assert doc["replay_verified"] and doc["trainee"] == "Dr Expert"
    html = (report_dir / "report.html").read_text()
    # self-contained: no scripts, no external resources, images inline
    assert "<script" not in html and "<link" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert html.count('src="data:image/png;base64,') >= 2
    for key, m in doc["metrics"].items():
        if "." not in key:
            assert m["label"] in html
    assert "Tip-to-target distance" in html and "Expert benchmark" in html
    if ultrasound_renderer_present():  # key frames are re-rendered, never left out silently
        assert html.count('src="data:image/png;base64,') >= 5
        for title in ("Skin puncture", "First target contact", "Injection"):
            assert f'<div class="ftitle">{title}</div>' in html
        assert "could not be rendered" not in html


@needs_chromium
def test_html_report_in_chromium_shows_tables_and_images(report_dir, tmp_path):
    img = screenshot(report_dir / "report.html", tmp_path / "shot.png", tmp_path)
    width = img.shape[1]
    # verdict box and table header bands (steps table and metrics table) are visible
    assert colour_mask(img, PASS_GREEN).sum() > 20_000
    header_rows = colour_mask(img, ACCENT).sum(axis=1) > 0.5 * width
    assert len(bands(header_rows, 20)) >= 2, "expected at least two table header bands"
    # the metrics table shows expert-level rows, and their text is drawn on them
    good_rows = bands(colour_mask(img, GOOD_ROW).sum(axis=1) > 0.4 * width, 15)
    assert len(good_rows) >= 2
    top, bottom = good_rows[0]
    dark_text = (img[top:bottom].sum(axis=-1) < 200).sum()
    assert dark_text > 100
    # pictures: framed images with real content (many colours, not blank)
    rects = framed_images(img)
    frames = ultrasound_renderer_present()
    assert len(rects) >= (5 if frames else 2), f"expected framed pictures, found {rects}"
    for top, bottom, left, right in rects:
        inside = img[top + 4:bottom - 4, left + 4:right - 4].reshape(-1, 3)
        colours = {tuple(c) for c in inside[:: 7]}
        assert len(colours) > 40
        assert (inside.sum(axis=1) < 600).mean() > 0.03  # something drawn, not white
    if frames:  # three ultrasound key frames side by side: grey images with texture
        tops = [r[0] for r in rects]
        row = [r for r in rects if sum(abs(t - r[0]) <= 2 for t in tops) >= 3]
        assert len(row) >= 3
        for top, bottom, left, right in row[:3]:
            inside = img[top + 4:bottom - 4, left + 4:right - 4]
            grey = np.abs(inside[..., 0] - inside[..., 1]).mean() < 3
            assert grey and len(np.unique(inside[..., 1])) > 30


@needs_poppler
def test_pdf_pages_show_verdict_table_and_figures(report_dir, tmp_path):
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(report_dir / "report.pdf"),
                    str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) >= 2
    first = np.asarray(Image.open(pages[0]).convert("RGB")).astype(int)
    assert colour_mask(first, PASS_GREEN, tol=6).sum() > 1500
    rows = colour_mask(first, ACCENT, tol=6).sum(axis=1) > 0.5 * first.shape[1]
    assert len(bands(rows, 4)) >= 1
    busy = 0
    for page in pages:
        img = np.asarray(Image.open(page).convert("RGB")).astype(int)
        colours = {tuple(c) for c in img.reshape(-1, 3)[::3]}
        busy += len(colours) > 300  # a plot or image, not just text on white
    assert busy >= 1
    text = subprocess.run(["pdftotext", str(report_dir / "report.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "PASS" in text and "Tip-to-target distance" in text and "Needle path" in text


def test_report_bad_log_is_one_line_error_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("this is not a log\n")
    out = tmp_path / "out"
    assert main(["report", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.jsonl" in err[0] and "not a jointsim session log" in err[0]
    assert not out.exists()
    assert not list(tmp_path.glob(".out*"))


def test_report_modules_do_not_import_display_libraries():
    code = ("import sys, scoring.report, scoring.report.session, scoring.assess, "
            "scoring.cohort, scoring.cohort_report, scoring.store, simulator.cli.report\n"
            "print(' '.join(m for m in ('vtk', 'pyvista', 'pygame') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""
