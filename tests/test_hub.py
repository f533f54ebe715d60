"""jointsim serve: the educator's dashboard (sign-in, who sees what, escaping, CSV exports),
through Flask's test client and once in a real headless Chromium."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager

import pytest
from conftest import REPO

from scoring.hub import create_app
from scoring.hub.accounts import Accounts
from scoring.scored import ScoredSession
from scoring.store import Store
from simulator.scenario import load_scenario

pytest.importorskip("flask")

SCRIPT_NAME = "<script>alert(1)</script>"
FORMULA_NAME = "=HYPERLINK(\"http://x\")"
PASSWORDS = {"teach": "educator-pw", "ann": "ann-password", SCRIPT_NAME: "script-password",
             FORMULA_NAME: "formula-password"}


def score_doc(run_id: str, trainee: str, score: float, *, status: str = "completed",
              date: str = "2026-01-02T03:04:05+00:00", scenario: str = "hip_anterior_us"
              ) -> dict:
    """A stored attempt's score document (as ``assess`` writes it)."""
    return {"format": 2, "run_id": run_id, "log_sha256": "f" * 64,
            "content_sha256": run_id[:1] * 64, "trainee": trainee, "skill_group": "novice",
            "scenario": scenario, "scenario_title": "Hip <b>US</b>", "modality": "ultrasound",
            "date": date, "passed": score >= 70, "score": score, "pass_score": 70.0,
            "hard_fails": [], "criteria": [], "replay_verified": True, "seed": 3,
            "simulator_version": "x", "status": status,
            "strengths": [f"note by {trainee}"],
            "metrics": {"tip_to_target_mm": {"value": 1.25, "unit": "mm", "label": "Tip",
                                             "display": "1.25 mm"}}}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A store the tests only read: ann's three attempts and one abandoned, and two trainees
    whose names are markup and a spreadsheet formula; an educator and four trainee accounts."""
    folder = tmp_path_factory.mktemp("hub")
    store = Store(f"sqlite:///{folder / 'results.sqlite'}")
    (folder / "report.html").write_text("<html><body>stored key frames</body></html>")
    docs = [score_doc(f"a{i}", "ann", s, date=f"2026-01-0{i + 1}T10:00:00+00:00")
            for i, s in enumerate((55.0, 68.0, 81.0))]
    docs += [score_doc("b0", "ann", 30.0, status="abandoned"),
             score_doc("c0", SCRIPT_NAME, 75.0), score_doc("d0", FORMULA_NAME, 90.0)]
    store.save([{"scored": ScoredSession.from_dict(d),
                 "report_path": folder / "report.html" if d["run_id"] == "a2" else ""}
                for d in docs])
    accounts = Accounts(store.engine)
    accounts.add("teach", "educator", PASSWORDS["teach"])
    for name in ("ann", SCRIPT_NAME, FORMULA_NAME):
        accounts.add(name, "trainee", PASSWORDS[name])
    yield store
    store.close()


@pytest.fixture()
def app(store):
    return create_app(store)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf"\s+value="([^"]+)"', html).group(1)


def sign_in(client, name: str, password: str | None = None):
    token = csrf_of(client.get("/signin").get_data(as_text=True))
    return client.post("/signin", data={"csrf": token, "name": name,
                                        "password": password or PASSWORDS[name]})


def session_id(store, run_id: str) -> int:
    return next(r["id"] for r in store.sessions() if r["run_id"] == run_id)


def test_pages_need_a_signed_in_account_and_a_correct_password(app):
    client = app.test_client()
    assert client.get("/").status_code == 302  # to the sign-in page
    assert client.get("/scenarios").headers["Location"].endswith("/signin")
    assert sign_in(client, "teach", "wrong-password").status_code == 401
    assert sign_in(client, "nobody", "whatever-pw").status_code == 401
    assert client.get("/").status_code == 302
    assert sign_in(client, "teach").status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "ann" in page and "Trainees" in page
    # an educator's trainees table: ann has 4 attempts, 3 completed, 1 passed, 1 abandoned
    row = re.search(r">ann</a></td>(.*?)</tr>", page, re.S).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row)[1:5] == ["4", "3", "1", "1"]


def test_forms_without_the_sessions_csrf_token_are_refused(app):
    client = app.test_client()
    client.get("/signin")
    refused = client.post("/signin", data={"name": "teach", "password": PASSWORDS["teach"]})
    assert refused.status_code == 400
    sign_in(client, "teach")
    assert client.post("/signout", data={"csrf": "forged"}).status_code == 400
    assert client.get("/").status_code == 200  # still signed in


def test_a_trainee_sees_only_their_own_records(app, store):
    client = app.test_client()
    sign_in(client, "ann")
    assert client.get("/").headers["Location"].endswith("/trainee?name=ann")
    assert client.get("/trainee?name=ann").status_code == 200
    assert client.get(f"/sessions/{session_id(store, 'a0')}").status_code == 200
    other = session_id(store, "c0")
    for url in ("/trainee?name=teach", f"/trainee?name={SCRIPT_NAME}", f"/sessions/{other}",
                f"/sessions/{other}.csv", f"/trainee.csv?name={SCRIPT_NAME}"):
        refused = client.get(url)
        assert refused.status_code == 403, url
        assert "only their own records" in refused.get_data(as_text=True)
    listed = client.get("/trainees.csv").get_data(as_text=True)
    assert "ann" in listed and "script" not in listed


def test_the_trainee_page_keeps_abandoned_attempts_apart_and_draws_the_curve(app):
    client = app.test_client()
    sign_in(client, "teach")
    page = client.get("/trainee?name=ann").get_data(as_text=True)
    assert "Completed attempts (3)" in page and "Abandoned attempts (1)" in page
    curve = re.search(r"<svg class=\"curve\".*?</svg>", page, re.S).group(0)
    assert len(re.findall(r"<circle", curve)) == 3  # the abandoned attempt is not on it
    fills = re.findall(r'<circle cx="[^"]+" cy="[^"]+" r="4"\s+fill="([^"]+)"', curve)
    assert fills == ["#c62828", "#c62828", "#2e7d32"]  # fail, fail, pass in date order
    history = re.search(r'<div class="history">(.*?)</div>', page, re.S).group(1)
    assert re.findall(r'class="(pass|fail)"', history) == ["fail", "fail", "pass"]
    # CUSUM of fail, fail, pass: two early failures cross the alarm line (h1 = 1.54)
    assert "CUSUM:</b> unacceptable failure rate at attempt 2; 1 attempt since" in page
    assert len(re.findall(r'<circle class="alarm"', page)) == 1


def test_a_session_links_its_stored_report_with_the_key_frames_when_it_is_on_disk(app, store):
    client = app.test_client()
    sign_in(client, "ann")
    with_report, without = session_id(store, "a2"), session_id(store, "a0")
    page = client.get(f"/sessions/{with_report}").get_data(as_text=True)
    assert f'href="/sessions/{with_report}/report.html"' in page
    assert "stored key frames" in client.get(f"/sessions/{with_report}/report.html").get_data(
        as_text=True)
    page = client.get(f"/sessions/{without}").get_data(as_text=True)
    assert "report.html" not in page and 'id="replay"' in page
    assert client.get(f"/sessions/{without}/report.html").status_code == 404
    # no log on this machine: the replay says why instead of failing
    assert "no log file was stored" in client.get(f"/sessions/{without}/replay.json").get_json()[
        "error"]
    assert client.get(f"/sessions/{without}/frames/0.png").status_code == 404


def test_what_trainees_wrote_is_escaped_on_every_page(app, store):
    client = app.test_client()
    sign_in(client, "teach")
    sid = session_id(store, "c0")
    pages = [client.get(u).get_data(as_text=True)
             for u in ("/", f"/trainee?name={SCRIPT_NAME}", f"/sessions/{sid}")]
    for page in pages:
        assert SCRIPT_NAME not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Hip <b>US</b>" not in pages[1] and "Hip &lt;b&gt;US&lt;/b&gt;" in pages[1]
    assert "Session report" in pages[2] and "1.25 mm" in pages[2]  # the report document


def test_csv_exports_are_safe_against_formula_injection(app, store):
    client = app.test_client()
    sign_in(client, "teach")
    for url in ("/trainees.csv", f"/trainee.csv?name={FORMULA_NAME}"):
        resp = client.get(url)
        assert resp.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
        cells = [c for r in rows for c in r]
        assert "'" + FORMULA_NAME in cells
        assert not any(c.startswith(("=", "+", "@")) for c in cells)
    measures = client.get(f"/sessions/{session_id(store, 'd0')}.csv").get_data(as_text=True)
    assert list(csv.reader(io.StringIO(measures))) == [["key", "value"],
                                                      ["tip_to_target_mm", "1.25"]]
    library = list(csv.DictReader(io.StringIO(client.get("/scenarios.csv")
                                              .get_data(as_text=True))))
    hip = next(r for r in library if r["id"] == "hip_anterior_us")
    shipped = load_scenario(REPO / "scenarios" / "hip_anterior_us.yaml").rubric.pass_score
    assert hip["validation"] == "valid" and hip["attempts"] == "6" and \
        hip["pass_score"] == str(shipped)


def test_adduser_asks_for_the_password_and_refuses_a_bad_role(tmp_path):
    db = tmp_path / "r.sqlite"
    cmd = [sys.executable, "-m", "simulator.cli", "serve", "--db", str(db), "adduser", "eve"]
    ok = subprocess.run([*cmd, "--role", "trainee"], input="eve-password\n",
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    store = Store(f"sqlite:///{db}")
    assert Accounts(store.engine).check("eve", "eve-password") == "trainee"
    assert Accounts(store.engine).check("eve", "other-password") is None
    store.close()
    bad = subprocess.run([*cmd, "--role", "admin"], input="eve-password\n",
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "--role" in bad.stderr


def test_serve_refuses_a_port_in_use_in_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = subprocess.run([sys.executable, "-m", "simulator.cli", "serve", "--db",
                              str(tmp_path / "r.sqlite"), "--port", str(port)],
                             capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and f"127.0.0.1:{port}" in out.stderr


def test_serve_refuses_a_missing_scenario_folder_or_key_in_one_line(tmp_path):
    cmd = [sys.executable, "-m", "simulator.cli", "serve", "--db", str(tmp_path / "r.sqlite")]
    for extra, field in ((["--scenarios", str(tmp_path / "nowhere")], "--scenarios"),
                         (["--trust", str(tmp_path / "nokey.pub")], "--trust")):
        out = subprocess.run([*cmd, *extra], capture_output=True, text=True, timeout=120)
        assert out.returncode == 2, out.stderr
        assert out.stderr.strip().count("\n") == 0 and field in out.stderr


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def serving(app):
    """Serve ``app`` on a free local port in a thread; yields its base URL."""
    from werkzeug.serving import make_server

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="needs Debian's chromium (CI installs it)")
def test_in_headless_chromium_sign_in_open_a_trainee_and_a_session(app, store):
    playwright = pytest.importorskip("playwright.sync_api")
    from playwright.sync_api import expect
    errors = []
    with serving(app) as base:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(base + "/")
            page.fill("input[name=name]", "teach")
            page.fill("input[name=password]", PASSWORDS["teach"])
            page.click("button[type=submit]")
            # Clicks start navigations; expect() waits for the page they lead to.
            page.click("text=ann")
            expect(page).to_have_title(re.compile(r"^Trainee: ann"))
            expect(page.locator("svg.curve circle")).to_have_count(3)
            page.click("table >> text=3")
            expect(page).to_have_title("Session report: ann")
            expect(page.locator(".verdict.pass")).to_have_count(1)
            page.goto(base + f"/trainee?name={SCRIPT_NAME}")
            expect(page.locator("h1")).to_have_text(f"Trainee: {SCRIPT_NAME}")  # shown, not run
            browser.close()
    assert errors == []
