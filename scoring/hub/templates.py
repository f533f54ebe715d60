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
<a href="{{ url_for('scenario_list') }}">Scenario library</a>
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
svg.curve { background: #fafbfc; border: 1px solid #d8d8d8; }
form.signin { display: grid; gap: 12px; max-width: 320px; }
form.signin label { display: grid; gap: 3px; font-weight: bold; color: #555; }
form.signin input, form.signin button { font-size: 15px; padding: 6px 8px; }
p.error { color: #c62828; }
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
<h3>Completed attempts ({{ g.completed|length }})</h3>
{% if g.completed %}{{ attempt_table(g.completed, false) }}{% else %}<p>None.</p>{% endif %}
{% if g.abandoned %}<h3>Abandoned attempts ({{ g.abandoned|length }}), not counted</h3>
{{ attempt_table(g.abandoned, true) }}{% endif %}</section>{% endfor %}
{% endblock %}"""

SESSION_NAV = """<nav class="hub" style="background:#1f4e79;padding:8px 24px;display:flex;
gap:18px"><a style="color:#fff;font-weight:bold" href="{{ url_for('trainee_page',
name=trainee) }}">Back to {{ trainee or "(no name)" }}</a>
<a style="color:#fff" href="{{ url_for('session_csv', session_id=session_id) }}">Measures
(CSV)</a>{% if stored_report %}<a style="color:#fff" href="{{ url_for('stored_report',
session_id=session_id) }}">Stored report with key frames and needle path</a>{% else %}
<span style="color:#dde">Key frames: not stored (the report file is not on this machine)</span>
{% endif %}</nav>"""

SCENARIOS = """{% extends "layout" %}{% block body %}
<p><a class="csv" href="{{ url_for('scenario_list_csv') }}">CSV</a></p>
<table><thead><tr><th>Scenario</th><th>Description</th><th>Modality</th><th>Pass mark</th>
<th>Validation</th><th>Attempts stored</th></tr></thead><tbody>
{% for r in rows %}<tr><td class="first">{{ r.title or r.id }}<span class="help">{{ r.id }}
</span></td><td>{{ r.description }}</td><td>{{ r.modality }}</td>
<td>{{ "%.0f"|format(r.pass_score) if r.pass_score is not none else "-" }}</td>
<td>{{ r.validation }}</td><td>{{ r.attempts }}</td></tr>{% endfor %}</tbody></table>
{% endblock %}"""

ERROR = """{% extends "layout" %}{% block body %}<p class="error">{{ message }}</p>
{% endblock %}"""

TEMPLATES = {"error": ERROR, "layout": LAYOUT, "sign_in": SIGN_IN, "trainees": TRAINEES,
             "attempts": ATTEMPT_TABLE, "trainee": TRAINEE, "session_nav": SESSION_NAV,
             "scenarios": SCENARIOS}
