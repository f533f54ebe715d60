"""The dashboard as a Flask application over a results store.

Sign-in with local accounts (:mod:`scoring.hub.accounts`); the signed session cookie
(Flask's, itsdangerous) carries the name and role. Every POST form carries the session's
CSRF token. Educators see every trainee; a trainee sees only their own pages (403 for
anyone else's). Every table has a CSV twin (``.csv``) with formula-safe cells. A session page
carries a replay of the attempt (:mod:`scoring.hub.replays`); educators import logs from the
browser (:mod:`scoring.hub.imports`).
"""

from __future__ import annotations

import csv
import hmac
import io
import json
import secrets
import threading
from functools import wraps
from importlib import import_module
from pathlib import Path

from flask import Flask, Response, abort, redirect, request, send_file, session, url_for
from jinja2 import DictLoader, StrictUndefined
from werkzeug.exceptions import HTTPException

from scoring.cohort_report import csv_cell
from scoring.hub import imports, library, queries
from scoring.hub.accounts import Accounts
from scoring.hub.replays import NoReplay, Replays, frame_png, picture_png
from scoring.hub.script import REPLAY_JS
from scoring.hub.templates import HUB_CSS, TEMPLATES
from scoring.report.html import CSS, render_html
from scoring.report.session import date_words, session_document
from scoring.scored import ScoredSession
from simulator.errors import InputError

EDUCATOR = "educator"
ERRORS = {403: "This page belongs to another trainee: trainees see only their own records.",
          404: "There is no such trainee, session or page in this results database.",
          413: f"The upload is larger than {imports.MAX_UPLOAD_BYTES // 2**20} MB (or a form "
               "is too long); import the logs in parts."}
FORM_BYTES = 64 * 1024   # any form but an import


def create_app(store, *, scenarios: Path | None = None,
               trusted: frozenset[bytes] = frozenset(), uploads: Path | None = None) -> Flask:
    """The dashboard over ``store`` (a :class:`scoring.store.Store`). ``scenarios``: the
    assessor's scenario files that imported logs are graded with and replays use (default:
    the shipped ones); ``trusted``: public keys, when the site stores only logs signed by one
    of them; ``uploads``: where imported logs are kept (default ``./hub_uploads``)."""
    app = Flask("jointsim_hub")
    accounts = Accounts(store.engine)
    app.config.update(SECRET_KEY=accounts.secret_key(), SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Strict",
                      MAX_CONTENT_LENGTH=imports.MAX_UPLOAD_BYTES)
    uploads = Path(uploads or "hub_uploads").resolve()
    replays = Replays(scenarios)
    # the scenario pages' statistics need scipy, whose first import takes a second or more:
    # import it now, beside the server starting, not in the first educator's request
    threading.Thread(target=import_module, args=("scipy.stats",), daemon=True).start()
    app.jinja_env.loader = DictLoader(TEMPLATES)
    app.jinja_env.autoescape = True
    app.jinja_env.undefined = StrictUndefined
    app.jinja_env.filters["when"] = date_words
    scenario_files = library.scenario_files()

    def page(template: str, title: str, **values) -> str:
        return app.jinja_env.get_template(template).render(
            title=title, css=CSS, hub_css=HUB_CSS, user=_user(), csrf=_csrf_token(),
            url_for=url_for, **values)

    def signed_in(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if _user() is None:
                return redirect(url_for("sign_in"))
            return view(*args, **kwargs)
        return wrapper

    @app.before_request
    def _check_csrf():
        if request.endpoint != "import_page":
            request.max_content_length = FORM_BYTES
        if request.method == "POST":
            sent = request.form.get("csrf", "")
            if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
                abort(400, "the form is stale or was not sent by this site; reload the page")

    @app.after_request
    def _headers(resp):
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
            "script-src 'self'; connect-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'")
        return resp

    @app.errorhandler(HTTPException)
    def _error(exc: HTTPException):
        message = ERRORS.get(exc.code, exc.description)
        if exc.description != type(exc).description:  # said by the view that refused
            message = exc.description
        return page("error", f"{exc.code} {exc.name}", message=message), exc.code

    @app.route("/signin", methods=["GET", "POST"])
    def sign_in():
        error = ""
        if request.method == "POST":
            name = request.form.get("name", "")
            role = accounts.check(name, request.form.get("password", ""))
            if role:
                session.clear()
                session.update(name=name, role=role, csrf=secrets.token_urlsafe(32))
                return redirect(url_for("trainee_list"))
            error = "Unknown name or wrong password."
        return page("sign_in", "Sign in", error=error), 401 if error else 200

    @app.post("/signout")
    def sign_out():
        session.clear()
        return redirect(url_for("sign_in"))

    @app.get("/")
    @signed_in
    def trainee_list():
        user = _user()
        if user["role"] != EDUCATOR:
            return redirect(url_for("trainee_page", name=user["name"]))
        with store.engine.connect() as conn:
            rows = queries.trainees(conn)
        return page("trainees", "Trainees", rows=rows)

    @app.get("/trainees.csv")
    @signed_in
    def trainee_list_csv():
        user = _user()
        with store.engine.connect() as conn:
            rows = queries.trainees(conn, None if user["role"] == EDUCATOR else user["name"])
        return _csv(rows, "trainees.csv")

    @app.get("/trainee")
    @signed_in
    def trainee_page():
        name, rows = _trainee_attempts()
        if not rows:
            abort(404)
        return page("trainee", f"Trainee: {name or '(no name)'}", name=name, total=len(rows),
                    groups=queries.by_scenario(rows))

    @app.get("/trainee.csv")
    @signed_in
    def trainee_page_csv():
        return _csv(_trainee_attempts()[1], "attempts.csv")

    def _trainee_attempts():
        """The ``name`` query argument and that trainee's attempts, if the user may see them."""
        name = request.args.get("name", "")
        _may_see(name)
        with store.engine.connect() as conn:
            return name, queries.attempts(conn, name)

    @app.get("/sessions/<int:session_id>")
    @signed_in
    def session_page(session_id: int):
        row = _session_row(session_id)
        scored = ScoredSession.from_dict(json.loads(row["score_json"]))
        nav = app.jinja_env.get_template("session_nav").render(
            trainee=row["trainee"], session_id=session_id, url_for=url_for,
            stored_report=_report_file(row) is not None)
        player = app.jinja_env.get_template("replay").render(session_id=session_id,
                                                             url_for=url_for)
        # the report document (escaped by its own template) under the hub's navigation bar,
        # the replay after its verdict
        html = render_html(session_document(scored)).replace(
            "</style>", HUB_CSS + "</style>", 1).replace("<body>", "<body>" + nav, 1)
        return html.replace("</section>", "</section>" + player, 1)

    @app.get("/favicon.ico")
    def favicon():  # no icon: answered, so the browser logs no failed load
        return Response(status=204)

    @app.get("/hub.js")
    def script():
        return Response(REPLAY_JS, mimetype="text/javascript")

    @app.get("/sessions/<int:session_id>/replay.json")
    @signed_in
    def replay_json(session_id: int):
        row = _session_row(session_id)
        try:
            view = replays.view(session_id, row["log_path"])
        except NoReplay as exc:
            return {"error": str(exc)}
        dt = view.world.dt_s
        ticks = [t for t, _ in view.states]
        keys = [{"title": m.title, "index": _nearest(ticks, m.tick),
                 "caption": f"{m.time_s:.1f} s, {view.modality}"} for m, _ in view.key_frames]
        return {"base": url_for("session_page", session_id=session_id) + "/",
                "modality": view.modality, "key_frames": keys,
                "frames": [{"tick": t, "time_s": round(t * dt, 3)} for t in ticks],
                "note": f"{len(ticks)} {view.modality} frames re-rendered from the log, "
                        f"{ticks[-1] * dt:.0f} s in all: drag the scrubber or press Play."}

    @app.get("/sessions/<int:session_id>/frames/<int:index>.png")
    @signed_in
    def replay_frame(session_id: int, index: int):
        return _state_png(session_id, "states", "frame", index)

    @app.get("/sessions/<int:session_id>/keyframes/<int:index>.png")
    @signed_in
    def key_frame(session_id: int, index: int):
        return _state_png(session_id, "key_frames", "key", index)

    def _state_png(session_id: int, kept: str, prefix: str, index: int):
        """The image of the ``index``-th of the replay's ``kept`` ``(tick, state)`` pairs."""
        view = _view(session_id)
        states = getattr(view, kept)
        if index >= len(states):
            abort(404)
        state = states[index][1]
        return _png(replays.png(view, f"{prefix}{index}", lambda: frame_png(view, state)))

    @app.get("/sessions/<int:session_id>/<any(timeline, path):name>.png")
    @signed_in
    def replay_picture(session_id: int, name: str):
        view = _view(session_id)
        return _png(replays.png(view, name, lambda: picture_png(view, name)))

    def _view(session_id: int):
        try:
            return replays.view(session_id, _session_row(session_id)["log_path"])
        except NoReplay:
            abort(404)

    @app.get("/sessions/<int:session_id>.csv")
    @signed_in
    def session_csv(session_id: int):
        _session_row(session_id)
        with store.engine.connect() as conn:
            rows = queries.metric_rows(conn, session_id)
        return _csv(rows, f"session_{session_id}_measures.csv")

    @app.get("/sessions/<int:session_id>/report.html")
    @signed_in
    def stored_report(session_id: int):
        path = _report_file(_session_row(session_id))
        if path is None:
            abort(404)
        return send_file(path, mimetype="text/html")

    @app.get("/scenarios")
    @signed_in
    def scenario_list():
        return page("scenarios", "Scenario library", rows=_library())

    @app.get("/scenarios.csv")
    @signed_in
    def scenario_list_csv():
        return _csv(_library(), "scenarios.csv")

    @app.get("/scenarios/<scenario_id>")
    @signed_in
    def scenario_page(scenario_id: str):
        row = next((r for r in _library() if r["id"] == scenario_id), None)
        if row is None:
            abort(404)
        with store.engine.connect() as conn:
            rows = queries.scenario_cohort(conn, scenario_id)
            doc = queries.one_score_document(conn, scenario_id) if rows else None
        return page("scenario", row["title"] or scenario_id, r=row, completed=len(rows),
                    validity=library.metric_validity(rows, doc))

    @app.route("/import", methods=["GET", "POST"])
    @signed_in
    def import_page():
        if _user()["role"] != EDUCATOR:
            abort(403, "Only educators import logs.")
        outcomes, error = [], ""
        if request.method == "POST":
            files = [(f.filename or "", f.read()) for f in request.files.getlist("logs")]
            files = [(n, b) for n, b in files if n or b]
            if not files:
                error = "Choose at least one .jsonl log or .zip file to import."
            else:
                try:
                    outcomes = imports.import_logs(files, uploads, store, scenarios=scenarios,
                                                   trusted=trusted)
                except InputError as exc:
                    error = str(exc)
        return page("import", "Import logs", outcomes=outcomes, error=error,
                    signed_only=bool(trusted))

    def _library() -> list[dict]:
        with store.engine.connect() as conn:
            return library.library_rows(scenario_files, queries.stored_scenarios(conn))

    def _session_row(session_id: int) -> dict:
        with store.engine.connect() as conn:
            row = queries.session(conn, session_id)
        if row is None:
            abort(404)
        _may_see(row["trainee"])
        return row

    return app


def _user() -> dict | None:
    if "name" not in session:
        return None
    return {"name": session["name"], "role": session["role"]}


def _csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _may_see(trainee: str) -> None:
    """403 unless the signed-in user is an educator or this trainee."""
    user = _user()
    if user is None or (user["role"] != EDUCATOR and user["name"] != trainee):
        abort(403)


def _report_file(row: dict) -> Path | None:
    """The stored HTML report of a session (with its key frames), if it is on this machine."""
    path = Path(row["report_path"]) if row["report_path"] else None
    return path if path is not None and path.name.endswith(".html") and path.is_file() else None


def _nearest(ticks: list[int], tick: int) -> int:
    """Index of the frame nearest ``tick`` in the sorted ``ticks``."""
    return min(range(len(ticks)), key=lambda i: abs(ticks[i] - tick))


def _png(data: bytes) -> Response:
    return Response(data, mimetype="image/png", headers={"Cache-Control": "private, max-age=3600"})


def _csv(rows: list[dict], filename: str) -> Response:
    """``rows`` as a CSV download, every cell through :func:`csv_cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    columns = list(rows[0]) if rows else []
    writer.writerow([csv_cell(c) for c in columns])
    for r in rows:
        writer.writerow([csv_cell(r[c]) for c in columns])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
