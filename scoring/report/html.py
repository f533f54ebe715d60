"""A Document as one self-contained HTML file: inline CSS, images as data URIs, no scripts
and no network, so it opens offline in any browser and prints cleanly."""

from __future__ import annotations

import base64

from scoring.report import document as d

ACCENT = "#1f4e79"  # table headers and figure frames (the tests look for this colour)

CSS = """
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; color: #1d1d1d;
       margin: 0; background: #f4f5f7; font-size: 15px; line-height: 1.4; }
main { max-width: 1060px; margin: 0 auto; background: #fff; padding: 28px 36px 40px; }
h1 { font-size: 26px; margin: 0 0 2px; color: ACCENT; }
.subtitle { font-size: 17px; color: #444; margin: 0 0 18px; }
h2 { font-size: 19px; color: ACCENT; border-bottom: 2px solid ACCENT; padding-bottom: 3px;
     margin: 28px 0 10px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px;
         margin-bottom: 14px; }
.facts .k { font-weight: bold; color: #555; }
.verdict { border-radius: 6px; padding: 12px 18px; color: #fff; margin: 8px 0 4px; }
.verdict.pass { background: #2e7d32; } .verdict.fail { background: #c62828; }
.verdict .headline { font-size: 24px; font-weight: bold; }
.verdict ul { margin: 6px 0 0; padding-left: 22px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; }
th { background: ACCENT; color: #fff; text-align: left; padding: 7px 8px; font-size: 14px; }
td { padding: 6px 8px; border-bottom: 1px solid #d8d8d8; vertical-align: top; }
tr.good td { background: #e6f4ea; } tr.fair td { background: #fff4e0; }
tr.poor td { background: #fde8e8; }
td .help { display: block; color: #666; font-size: 12.5px; margin-top: 2px;
           font-weight: normal; }
td.first { font-weight: 600; }
ul.bullets { margin: 4px 0 12px; padding-left: 24px; }
ul.bullets.good li::marker { color: #2e7d32; } ul.bullets.poor li::marker { color: #c62828; }
p.label { font-weight: bold; margin: 10px 0 2px; }
p.note { color: #5a5a5a; font-size: 13px; }
figure { margin: 10px 0 16px; }
figure img { display: block; max-width: 100%; border: 2px solid ACCENT; }
figcaption { font-size: 13px; color: #444; margin-top: 4px; }
.row { display: flex; gap: 14px; flex-wrap: wrap; }
.row figure { flex: 1 1 0; min-width: 200px; margin: 6px 0; }
.row figure img { width: 100%; background: #000; }
.row .ftitle { font-weight: bold; margin-bottom: 3px; }
footer { margin-top: 28px; color: #777; font-size: 12px; border-top: 1px solid #ddd;
         padding-top: 6px; }
@media print { body { background: #fff; } main { padding: 0; max-width: none; }
  tr, figure { break-inside: avoid; } }
""".replace("ACCENT", ACCENT)

TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ doc.title }}</title><style>{{ css|safe }}</style></head>
<body><main>
<h1>{{ doc.title }}</h1><p class="subtitle">{{ doc.subtitle }}</p>
{% for s in doc.sections %}<section>
{% if s.title %}<h2>{{ s.title }}</h2>{% endif %}
{% for b in s.blocks %}{% set k = kind(b) %}
{% if k == "Facts" %}<div class="facts">{% for key, value in b.pairs %}
<div class="k">{{ key }}</div><div>{{ value }}</div>{% endfor %}</div>
{% elif k == "Verdict" %}<div class="verdict {{ 'pass' if b.passed else 'fail' }}">
<div class="headline">{{ b.headline }}</div>
<ul>{% for r in b.reasons %}<li>{{ r }}</li>{% endfor %}</ul></div>
{% elif k == "Text" %}<p class="{{ 'note' if b.note else 'label' }}">{{ b.text }}</p>
{% elif k == "Bullets" %}{% if b.items %}<ul class="bullets {{ b.tone }}">
{% for i in b.items %}<li>{{ i }}</li>{% endfor %}</ul>
{% else %}<p>{{ b.empty }}</p>{% endif %}
{% elif k == "Table" %}<table class="{{ b.kind }}">
{% if b.widths %}<colgroup>{% for w in b.widths %}
<col style="width: {{ '%.1f'|format(100 * w / (b.widths|sum)) }}%">{% endfor %}</colgroup>
{% endif %}<thead><tr>
{% for c in b.columns %}<th>{{ c }}</th>{% endfor %}</tr></thead><tbody>
{% for row in b.rows %}{% set i = loop.index0 %}
<tr class="{{ b.tones[i] if b.tones else '' }}">{% for cell in row %}
<td{% if loop.first %} class="first"{% endif %}>{{ cell }}{% if loop.first and b.notes
and b.notes[i] %}<span class="help">{{ b.notes[i] }}</span>{% endif %}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{% elif k == "Figure" %}<figure style="max-width: {{ (b.width * 100)|round|int }}%">
{% if b.title %}<div class="ftitle">{{ b.title }}</div>{% endif %}
<img src="{{ uri(b.png) }}" alt="{{ b.caption }}"><figcaption>{{ b.caption }}</figcaption>
</figure>
{% elif k == "FigureRow" %}<div class="row">{% for f in b.figures %}<figure>
<div class="ftitle">{{ f.title }}</div><img src="{{ uri(f.png) }}" alt="{{ f.caption }}">
<figcaption>{{ f.caption }}</figcaption></figure>{% endfor %}</div>
{% endif %}{% endfor %}</section>
{% endfor %}
<footer>{{ doc.footer }}</footer>
</main></body></html>
"""


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_html(doc: d.Document) -> str:
    """The document as a standalone HTML page."""
    import jinja2

    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    template = env.from_string(TEMPLATE)
    return template.render(doc=doc, css=CSS, uri=data_uri, kind=lambda b: type(b).__name__)
