"""The dashboard's page templates (Jinja2, autoescaped: every value a trainee wrote is
escaped). The report document's own look (scoring.report.html.CSS) is reused for tables."""

from __future__ import annotations

LAYOUT = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} - jointsim hub</title><style>{{ css|safe }}{{ hub_css|safe }}</style>
</head><body>
<nav class="hub"><span>jointsim hub</span>{% if user %}
<a href="{{ url_for('trainee_list') }}">{{ "Trainees"
if user.role == "educator" else "My attempts" }}</a>
<a href="{{ url_for('scenario_list') }}">Scenario library</a>{% if user.role == "educator"
%}<a href="{{ url_for('import_page') }}">Import logs</a>{% endif %}
<span class="who">{{ user.name }} ({{ user.role }})</span>
<form method="post" action="{{ url_for('sign_out') }}"><input type="hidden" name="csrf"
value="{{ csrf }}"><button type="submit">Sign out</button></form>{% endif %}</nav>
<main><h1>{{ title }}</h1>{% block body %}{% endblock %}</main></body></html>
"""

HUB_CSS = """
nav.hub { background: #1f4e79; color: #fff; padding: 8px 24px; display: flex; gap: 18px;
          align-items: center; }
nav.hub a { color: #fff; font-weight: bold; text-decoration: none; }
nav.hub .who { margin-left: auto; } nav.hub form { margin: 0; }
a.csv { font-size: 13px; margin-left: 10px; }
.bad { color: #c62828; font-weight: bold; } .good { color: #2e7d32; font-weight: bold; }
svg.curve, svg.cusum { background: #fafbfc; border: 1px solid #d8d8d8; }
form.signin { display: grid; gap: 12px; max-width: 320px; }
form.signin label { display: grid; gap: 3px; font-weight: bold; color: #555; }
form.signin input, form.signin button { font-size: 15px; padding: 6px 8px; }
p.error { color: #c62828; }
.history { display: flex; gap: 3px; flex-wrap: wrap; margin: 4px 0 10px; }
.history a { display: inline-block; min-width: 26px; text-align: center; color: #fff;
             font-size: 12px; font-weight: bold; padding: 2px 4px; border-radius: 3px;
             text-decoration: none; }
.history a.pass { background: #2e7d32; } .history a.fail { background: #c62828; }
.charts { display: flex; gap: 16px; flex-wrap: wrap; align-items: flex-start; }
.charts p { margin: 2px 0; font-size: 13px; }
form.import { display: grid; gap: 10px; max-width: 520px; margin-bottom: 16px;
              justify-items: start; }
form.import button { font-size: 15px; padding: 4px 16px; }
ul.outcomes li.ok { color: #2e7d32; } ul.outcomes li.no { color: #c62828; }
.player { display: flex; gap: 16px; align-items: flex-start; flex-wrap: wrap; }
.player img { background: #000; border: 2px solid #1f4e79; width: 384px; height: 288px;
              object-fit: contain; }
.controls { display: grid; gap: 8px; min-width: 260px; }
.controls input[type=range] { width: 100%; }
.controls button { font-size: 15px; padding: 4px 12px; width: 90px; }
.row figure img.key { cursor: pointer; }
"""

SIGN_IN = """{% extends "layout" %}{% block body %}
{% if error %}<p class="error">{{ error }}</p>{% endif %}
<form class="signin" method="post" action="{{ url_for('sign_in') }}">
<input type="hidden" name="csrf" value="{{ csrf }}">
<label>Name <input name="name" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password"
required></label><button type="submit">Sign in</button></form>
{% endblock %}"""

TRAINEES = """{% extends "layout" %}{% block body %}
<p>{{ rows|length }} trainees <a class="csv" href="{{ url_for('trainee_list_csv') }}">CSV</a></p>
<table><thead><tr><th>Trainee</th><th>Skill group</th><th>Attempts</th><th>Completed</th>
<th>Passed</th><th>Abandoned</th><th>Best score</th><th>Last attempt</th></tr></thead><tbody>
{% for r in rows %}<tr><td class="first"><a href="{{ url_for('trainee_page', name=r.trainee)
}}">{{ r.trainee or "(no name)" }}</a></td><td>{{ r.skill_group }}</td><td>{{ r.attempts }}</td>
<td>{{ r.completed }}</td><td>{{ r.passed }}</td><td>{{ r.abandoned }}</td>
<td>{{ "%.1f"|format(r.best_score) if r.best_score is not none else "-" }}</td>
<td>{{ r.last_attempt|when }}</td></tr>{% endfor %}</tbody></table>
{% endblock %}"""

ATTEMPT_TABLE = """{% macro attempt_table(rows, abandoned) %}<table><thead><tr><th>#</th>
<th>Started</th><th>Result</th><th>Score</th><th>Pass mark</th><th>Hard fails</th>
<th>Replay verified</th></tr></thead><tbody>{% for r in rows %}<tr><td class="first">
<a href="{{ url_for('session_page', session_id=r.id) }}">{{ loop.index }}</a></td>
<td>{{ r.started_utc|when }}</td><td>{% if abandoned %}abandoned{% elif r.passed %}
<span class="good">PASS</span>{% else %}<span class="bad">FAIL</span>{% endif %}</td>
<td>{{ "%.1f"|format(r.score) }}</td><td>{{ "%.0f"|format(r.pass_score) }}</td>
<td>{{ r.hard_fails }}</td><td>{{ "yes" if r.verified else "NO" }}</td></tr>{% endfor %}
</tbody></table>{% endmacro %}"""

TRAINEE = """{% extends "layout" %}{% from "attempts" import attempt_table %}
{% from "cusum" import cusum_chart %}
{% block body %}<p>{{ total }} attempts in {{ groups|length }} scenarios
<a class="csv" href="{{ url_for('trainee_page_csv', name=name) }}">CSV</a></p>
{% for g in groups %}<section><h2>{{ g.title or g.scenario }}</h2>
{% set c = g.curve %}{% if c %}<svg class="curve" role="img" width="{{ c.width }}"
height="{{ c.height }}" viewBox="0 0 {{ c.width }} {{ c.height }}"
aria-label="Learning curve: score by attempt">
{% for ty, s in c.y_ticks %}<line x1="{{ c.left }}" x2="{{ c.right }}" y1="{{ ty }}"
y2="{{ ty }}" stroke="#e2e2e2"/><text x="{{ c.left - 6 }}" y="{{ ty + 4 }}" font-size="11"
text-anchor="end">{{ s }}</text>{% endfor %}
<line x1="{{ c.left }}" x2="{{ c.right }}" y1="{{ c.pass_y }}" y2="{{ c.pass_y }}"
stroke="#c62828" stroke-dasharray="5 4"/><text x="{{ c.right + 6 }}" y="{{ c.pass_y + 4 }}"
font-size="11" fill="#c62828">pass mark {{ "%.0f"|format(c.pass_score)
}}</text>
<polyline points="{{ c.polyline }}" fill="none" stroke="#1f4e79" stroke-width="2"/>
{% for px, py, s, ok in c.points %}<circle cx="{{ px }}" cy="{{ py }}" r="4"
fill="{{ '#2e7d32' if ok else '#c62828' }}"><title>{{ "%.1f"|format(s) }}</title></circle>
{% endfor %}{% for px, i in c.x_ticks %}<text x="{{ px }}" y="{{ c.bottom + 16 }}"
font-size="11" text-anchor="middle">{{ i }}</text>{% endfor %}
<text x="{{ (c.left + c.right) / 2 }}" y="{{ c.height - 4 }}" font-size="11"
text-anchor="middle">attempt</text></svg>{% endif %}
{% if g.completed %}<p><b>Pass/fail history</b> (in order):</p><div class="history">
{% for r in g.completed %}<a class="{{ 'pass' if r.passed else 'fail' }}" title="attempt
{{ loop.index }}: {{ '%.1f'|format(r.score) }}" href="{{ url_for('session_page',
session_id=r.id) }}">{{ "P" if r.passed else "F" }}</a>{% endfor %}</div>{% endif %}
{% if g.cusum %}{{ cusum_chart(g.cusum) }}{% endif %}
<h3>Completed attempts ({{ g.completed|length }})</h3>
{% if g.completed %}{{ attempt_table(g.completed, false) }}{% else %}<p>None.</p>{% endif %}
{% if g.abandoned %}<h3>Abandoned attempts ({{ g.abandoned|length }}), not counted</h3>
{{ attempt_table(g.abandoned, true) }}{% endif %}</section>{% endfor %}
{% endblock %}"""

CUSUM = """{% macro cusum_chart(c) %}<div><svg class="cusum" role="img"
width="{{ c.width }}" height="{{ c.height }}" viewBox="0 0 {{ c.width }} {{ c.height }}"
aria-label="CUSUM of passes and fails by attempt">
<line x1="{{ c.left }}" x2="{{ c.right }}" y1="{{ c.zero_y }}" y2="{{ c.zero_y }}"
stroke="#bbb"/><line x1="{{ c.left }}" x2="{{ c.right }}" y1="{{ c.h1_y }}"
y2="{{ c.h1_y }}" stroke="#c62828" stroke-dasharray="5 4"/><text x="{{ c.right + 6 }}"
y="{{ c.h1_y + 4 }}" font-size="11" fill="#c62828">alarm (h1)</text>
<line x1="{{ c.left }}" x2="{{ c.right }}" y1="{{ c.h0_y }}" y2="{{ c.h0_y }}"
stroke="#2e7d32" stroke-dasharray="5 4"/><text x="{{ c.right + 6 }}" y="{{ c.h0_y + 4 }}"
font-size="11" fill="#2e7d32">proficient (h0)</text>
<polyline points="{{ c.polyline }}" fill="none" stroke="#1f4e79" stroke-width="2"/>
{% for mx, my, kind in c.marks %}<circle class="{{ kind }}" cx="{{ mx }}" cy="{{ my }}" r="5"
fill="{{ '#2e7d32' if kind == 'proficient' else '#c62828' }}"><title>{{ kind }}</title>
</circle>{% endfor %}{% for px, i in c.x_ticks %}<text x="{{ px }}" y="{{ c.bottom + 16 }}"
font-size="11" text-anchor="middle">{{ i }}</text>{% endfor %}
<text x="{{ (c.left + c.right) / 2 }}" y="{{ c.height - 4 }}" font-size="11"
text-anchor="middle">attempt</text></svg>
<p class="cusum-status"><b>CUSUM:</b> {{ c.status }}</p><p class="note">Success = a passed
attempt. Each pass lowers the curve by {{ "%.3f"|format(c.s) }}, each fail raises it by
{{ "%.3f"|format(1 - c.s) }}; below the green line the failure rate is acceptable
(proficient), above the red one it is not.</p></div>{% endmacro %}"""

SESSION_NAV = """<nav class="hub" style="background:#1f4e79;padding:8px 24px;display:flex;
gap:18px"><a style="color:#fff;font-weight:bold" href="{{ url_for('trainee_page',
name=trainee) }}">Back to {{ trainee or "(no name)" }}</a>
<a style="color:#fff" href="#replay">Replay</a>
<a style="color:#fff" href="{{ url_for('session_csv', session_id=session_id) }}">Measures
(CSV)</a>{% if stored_report %}<a style="color:#fff" href="{{ url_for('stored_report',
session_id=session_id) }}">Stored report (as assess wrote it)</a>{% endif %}</nav>"""

SCENARIOS = """{% extends "layout" %}{% block body %}
<p><a class="csv" href="{{ url_for('scenario_list_csv') }}">CSV</a></p>
<table><thead><tr><th>Scenario</th><th>Description</th><th>Modality</th><th>Pass mark</th>
<th>Validation</th><th>Attempts stored</th></tr></thead><tbody>
{% for r in rows %}<tr><td class="first"><a href="{{ url_for('scenario_page',
scenario_id=r.id) }}">{{ r.title or r.id }}</a><span class="help">{{ r.id }}
</span></td><td>{{ r.description }}</td><td>{{ r.modality }}</td>
<td>{{ "%.0f"|format(r.pass_score) if r.pass_score is not none else "-" }}{% if
r.pass_mark_set %}<span class="help">{{ r.pass_mark_set }}</span>{% endif %}</td>
<td>{{ r.validation }}</td><td>{{ r.attempts }}</td></tr>{% endfor %}</tbody></table>
{% endblock %}"""

BLOCKS = """{% macro blocks(items) %}{% for b in items %}{% if b.columns is defined %}
<table class="{{ b.kind }}"><thead><tr>{% for c in b.columns %}<th>{{ c }}</th>{% endfor %}
</tr></thead><tbody>{% for row in b.rows %}<tr class="{{ b.tones[loop.index0] }}">
{% for cell in row %}<td{% if loop.first %} class="first"{% endif %}>{{ cell }}</td>
{% endfor %}</tr>{% endfor %}</tbody></table>{% else %}<p class="{{ 'note' if b.note
else '' }}">{{ b.text }}</p>{% endif %}{% endfor %}{% endmacro %}"""

SCENARIO = """{% extends "layout" %}{% from "blocks" import blocks %}{% block body %}
<div class="facts"><div class="k">Scenario id</div><div>{{ r.id }}</div>
<div class="k">What the trainee does</div><div>{{ r.description or "-" }}</div>
<div class="k">Imaging</div><div>{{ r.modality or "-" }}</div>
<div class="k">Validation</div><div>{{ r.validation }}</div>
<div class="k">Pass mark</div><div>{{ "%.0f"|format(r.pass_score) if r.pass_score is not
none else "-" }}{% if r.pass_mark_set %}: {{ r.pass_mark_set }}{% endif %}</div>
<div class="k">Attempts stored</div><div>{{ r.attempts }} ({{ completed }} completed)</div>
</div><h2>Which measures separate novices from experts</h2>
<p class="note">From the completed attempts stored for this scenario, by the skill group
each trainee was assessed in (assess --groups).</p>{{ blocks(validity) }}
{% endblock %}"""

IMPORT = """{% extends "layout" %}{% block body %}
<p>Choose session logs (<code>.jsonl</code>) or a <code>.zip</code> of a folder of them.
Each log is verified by replay, scored with the site's scenarios and stored.{% if signed_only
%} <b>This site stores only logs signed with its trusted key.</b>{% endif %}</p>
<form class="import" method="post" enctype="multipart/form-data"
action="{{ url_for('import_page') }}"><input type="hidden" name="csrf" value="{{ csrf }}">
<input type="file" name="logs" multiple accept=".jsonl,.zip" required>
<button type="submit">Import</button></form>
{% if error %}<p class="error">{{ error }}</p>{% endif %}
{% if outcomes %}<h2>Imported</h2><ul class="outcomes">{% for o in outcomes %}
<li class="{{ 'ok' if o.stored else 'no' }}">{{ o.name }}: {{ o.message }}{% if o.session_id
%} <a href="{{ url_for('session_page', session_id=o.session_id) }}">open</a>{% endif %}</li>
{% endfor %}</ul>{% endif %}{% endblock %}"""

REPLAY = """<section class="replay" id="replay" data-src="{{ url_for('replay_json',
session_id=session_id) }}"><h2>Replay, re-rendered from the log</h2>
<p class="note" id="replay-status">Replaying the log on the server...</p>
<div class="player"><img id="replay-frame" alt="The image at the scrubber's time">
<div class="controls"><button id="replay-play" type="button" disabled>Play</button>
<input id="replay-scrub" type="range" min="0" max="0" value="0" disabled
aria-label="Time in the attempt"><span id="replay-time">-</span></div></div>
<h2>Key frames</h2><div class="row" id="replay-keys"></div>
<h2>Needle path</h2><div id="replay-path"></div></section>
<script src="{{ url_for('script') }}"></script>"""

ERROR = """{% extends "layout" %}{% block body %}<p class="error">{{ message }}</p>
{% endblock %}"""

TEMPLATES = {"error": ERROR, "layout": LAYOUT, "sign_in": SIGN_IN, "trainees": TRAINEES,
             "attempts": ATTEMPT_TABLE, "trainee": TRAINEE, "session_nav": SESSION_NAV,
             "scenarios": SCENARIOS, "cusum": CUSUM, "blocks": BLOCKS,
             "scenario": SCENARIO, "import": IMPORT, "replay": REPLAY}
