"""The dashboard as a Flask application over a results store.

Sign-in with local accounts (:mod:`scoring.hub.accounts`); the signed session cookie
(Flask's, itsdangerous) carries the name and role. Every POST form carries the session's
CSRF token. Educators see every trainee; a trainee sees only their own pages (403 for
anyone else's). Every table has a CSV twin (``.csv``) with formula-safe cells.
"""

from __future__ import annotations

import csv
import hmac
import io
import json
import secrets
from functools import wraps
from pathlib import Path

from flask import Flask, Response, abort, redirect, request, send_file, session, url_for
from jinja2 import DictLoader, StrictUndefined
from werkzeug.exceptions import HTTPException

from scoring.cohort_report import csv_cell
from scoring.hub import library, queries
from scoring.hub.accounts import Accounts
from scoring.hub.templates import HUB_CSS, TEMPLATES
from scoring.report.html import CSS, render_html
from scoring.report.session import date_words, session_document
from scoring.scored import ScoredSession

EDUCATOR = "educator"
ERRORS = {403: "This page belongs to another trainee: trainees see only their own records.",
          404: "There is no such trainee, session or page in this results database."}


def create_app(store) -> Flask:
    """The dashboard over ``store`` (a :class:`scoring.store.Store`)."""
    app = Flask("jointsim_hub")
    accounts = Accounts(store.engine)
    app.config.update(SECRET_KEY=accounts.secret_key(), SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Strict", MAX_CONTENT_LENGTH=64 * 1024)
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
        if request.method == "POST":
            sent = request.form.get("csrf", "")
            if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
                abort(400, "the form is stale or was not sent by this site; reload the page")

    @app.after_request
    def _headers(resp):
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            "form-action 'self'; frame-ancestors 'none'")
        return resp

    @app.errorhandler(HTTPException)
    def _error(exc: HTTPException):
        message = ERRORS.get(exc.code, exc.description)
        if exc.code == 400 and exc.description:
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
        # the report document (escaped by its own template) under the hub's navigation bar
        return render_html(session_document(scored)).replace("<body>", "<body>" + nav, 1)

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
