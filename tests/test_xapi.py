"""xAPI 2.0 statements for scored attempts: they pass the statement rules, say what the
score says, are the same when sent again, and reach a Learning Record Store (a real local
HTTP server here) with the xAPI headers and Basic auth; failures are one line."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from phantoms import record

from scoring.score import score_log, write_score
from scoring.xapi.statements import XapiConfig, iso_duration, registration, statements
from scoring.xapi.validate import problems
from simulator.cli import main

AUTH = "lrs-user:s3cret pass"


@pytest.fixture(scope="module")
def scored_attempts(block_scenario, tmp_path_factory):
    """Two scored block-phantom attempts (an expert's and a novice's): (scored, its
    score.json, its log)."""
    folder = tmp_path_factory.mktemp("xapi")
    out = []
    for policy, seed, who in (("expert", 3, "Dr Expert"), ("novice", 5, "Dr Novice")):
        log = record(block_scenario, folder, policy, seed, who)
        scored, _ = score_log(log, block_scenario)
        path = write_score(scored, folder / f"{who.replace(' ', '_')}.score.json")
        out.append((scored, path, log))
    return out


def test_every_statement_follows_the_xapi_2_rules_and_says_what_the_score_says(
        scored_attempts):
    config = XapiConfig(mboxes={"Dr Novice": "novice@example.org"})
    for scored, *_ in scored_attempts:
        sts = statements(scored, config)
        for st in sts:
            assert problems(st) == [], st
        verbs = [st["verb"]["id"].rsplit("/", 1)[1] for st in sts]
        verdict = "passed" if scored.passed else "failed"
        assert verbs[:3] == ["attempted", "completed", verdict]
        assert len(sts) == 3 + len(scored.steps)
        end = sts[2]
        assert end["result"]["success"] is scored.passed
        assert end["result"]["score"]["scaled"] == pytest.approx(scored.score / 100, abs=1e-4)
        assert end["result"]["duration"] == iso_duration(scored.value("total_time_s"))
        ext = end["result"]["extensions"]
        assert ext["https://jointsim.org/xapi/extensions/metrics/needle_passes"] == \
            scored.value("needle_passes")
        assert {st["context"]["registration"] for st in sts} == {
            registration(scored.identity.run_id)}
        assert sts[0]["timestamp"].startswith(scored.identity.date[:19])
        for st, step in zip(sts[3:], scored.steps, strict=True):
            assert st["result"]["completion"] is step.done
            assert st["context"]["contextActivities"]["parent"][0]["id"] == sts[0]["object"]["id"]
    novice = statements(scored_attempts[1][0], config)[0]["actor"]
    assert novice["mbox"] == "mailto:novice@example.org" and "account" not in novice
    expert = statements(scored_attempts[0][0], config)[0]["actor"]
    assert expert["account"] == {"homePage": "https://jointsim.org", "name": "Dr Expert"}


def test_statement_ids_do_not_change_so_resending_is_idempotent(scored_attempts):
    first = statements(scored_attempts[0][0], XapiConfig())
    again = statements(scored_attempts[0][0], XapiConfig())
    assert [s["id"] for s in first] == [s["id"] for s in again]
    other = statements(scored_attempts[1][0], XapiConfig())
    assert not {s["id"] for s in first} & {s["id"] for s in other}
    assert len({s["id"] for s in first}) == len(first)


@pytest.mark.parametrize("edit, where", [
    (lambda s: s.pop("verb"), "statement.verb: required"),
    (lambda s: s.update(extra=1), "statement.extra"),
    (lambda s: s.update(id="not-a-uuid"), "id:"),
    (lambda s: s["object"].update(id="no iri"), "object.id"),
    (lambda s: s.update(timestamp="2026-01-01 10:00"), "timestamp"),
    (lambda s: s["result"]["score"].update(scaled=1.5), "result.score.scaled"),
    (lambda s: s["result"]["score"].update(raw=120), "result.score.raw"),
    (lambda s: s["result"].update(duration="5 s"), "result.duration"),
    (lambda s: s["verb"].update(display={"english!": "x"}), "verb.display"),
    (lambda s: s["actor"].update(mbox="mailto:a@b.org"), "actor: needs exactly one"),
    (lambda s: s["context"].update(registration="ABC"), "context.registration"),
    (lambda s: s["result"].update(extensions={"pass mark": 1}), "result.extensions key"),
])
def test_the_validator_catches_each_broken_rule(scored_attempts, edit, where):
    st = json.loads(json.dumps(statements(scored_attempts[0][0], XapiConfig())[2]))
    edit(st)
    found = problems(st)
    assert any(where in p for p in found), found


class _LRS(BaseHTTPRequestHandler):
    """A Learning Record Store that checks the xAPI headers and Basic auth and keeps what it
    receives (by statement id, so repeats are stored once)."""

    received: dict = {}
    posts: list = []
    answer: int = 200

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        expected = "Basic " + base64.b64encode(AUTH.encode()).decode()
        if self.path != "/xapi/statements" or self.answer == 404:
            return self._reply(404, b"no such resource")
        if self.headers.get("Authorization") != expected:
            return self._reply(401, b"bad credentials")
        if self.headers.get("X-Experience-API-Version") != "2.0.0":
            return self._reply(400, b"missing X-Experience-API-Version")
        batch = json.loads(body)
        type(self).posts.append(len(batch))
        for st in batch:
            if problems(st):
                return self._reply(400, json.dumps(problems(st)).encode())
            type(self).received.setdefault(st["id"], st)
        self._reply(200, json.dumps([st["id"] for st in batch]).encode())

    def _reply(self, code: int, body: bytes):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def lrs():
    _LRS.received, _LRS.posts, _LRS.answer = {}, [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LRS)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/xapi"
    server.shutdown()
    server.server_close()


def test_the_command_sends_every_statement_to_the_lrs_once_even_when_run_twice(
        scored_attempts, lrs, capsys):
    args = ["xapi", "--lrs", lrs, "--auth", AUTH]
    for _, path, _ in scored_attempts:
        args += ["--score", str(path)]
    expected = sum(len(statements(s, XapiConfig())) for s, *_ in scored_attempts)
    assert main(args) == 0
    assert len(_LRS.received) == expected
    assert main(args) == 0  # re-sent: the same ids, nothing new stored
    assert len(_LRS.received) == expected
    assert f"{expected} xAPI statements for 2 attempt(s) sent" in capsys.readouterr().out


def test_lrs_failures_are_one_clear_line(scored_attempts, lrs, capsys, tmp_path):
    score = str(scored_attempts[0][1])
    assert main(["xapi", "--score", score, "--lrs", lrs, "--auth", "lrs-user:wrong"]) == 2
    err = capsys.readouterr().err.strip()
    assert "HTTP 401" in err and "--auth" in err and "\n" not in err and "Traceback" not in err
    assert main(["xapi", "--score", score, "--lrs", lrs + "/nowhere", "--auth", AUTH]) == 2
    assert "HTTP 404" in capsys.readouterr().err
    assert main(["xapi", "--score", score, "--lrs", "http://127.0.0.1:9/xapi",
                 "--auth", AUTH]) == 2
    assert "cannot reach the LRS" in capsys.readouterr().err
    assert main(["xapi", "--score", score, "--lrs", lrs, "--auth", "nocolon"]) == 2
    assert "user:password" in capsys.readouterr().err
    assert not _LRS.received


def test_the_file_output_and_the_store_give_the_same_statements(scored_attempts, tmp_path):
    from scoring.store import Store

    db = tmp_path / "results.sqlite"
    store = Store(f"sqlite:///{db}")
    store.save([{"scored": s, "log_path": "", "report_path": ""} for s, *_ in scored_attempts])
    store.close()
    from_db, from_files = tmp_path / "db.json", tmp_path / "files.json"
    assert main(["xapi", "--db", str(db), "--out", str(from_db)]) == 0
    assert main(["xapi", "--score", str(scored_attempts[0][1]), "--score",
                 str(scored_attempts[1][1]), "--out", str(from_files)]) == 0
    by_id = {st["id"]: st for st in json.loads(from_files.read_text())}
    stored = json.loads(from_db.read_text())
    assert {st["id"] for st in stored} == set(by_id)
    assert all(problems(st) == [] for st in stored)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_bad_xapi_input_is_one_line(tmp_path, capsys, scored_attempts):
    score = str(scored_attempts[0][1])
    cases = [
        (["xapi", "--out", str(tmp_path / "a.json")], "--score"),
        (["xapi", "--score", score], "--out"),
        (["xapi", "--score", str(tmp_path / "none.json"), "--out", "x.json"], "not found"),
        (["xapi", "--db", str(tmp_path / "none.sqlite"), "--out", "x.json"], "--db"),
        (["xapi", "--score", score, "--lrs", "ftp://lrs", "--auth", AUTH], "--lrs"),
        (["xapi", "--score", score, "--out", "x.json", "--base-iri", "not an iri"],
         "--base-iri"),
    ]
    bad_csv = tmp_path / "actors.csv"
    bad_csv.write_text("trainee,email\nDr Expert,not-an-address\n")
    cases.append((["xapi", "--score", score, "--out", "x.json", "--actors", str(bad_csv)],
                  "email"))
    for args, word in cases:
        assert main(args) == 2, args
        err = capsys.readouterr().err.strip()
        assert word in err and "\n" not in err, err
    assert not (tmp_path / "a.json").exists() and not (tmp_path / "none.sqlite").exists()


def test_assess_writes_the_runs_statements_when_asked(scored_attempts, block_scenario,
                                                      tmp_path):
    scored, _, log = scored_attempts[0]
    out = tmp_path / "statements.json"
    assert main(["assess", str(log), "--out", str(tmp_path / "a"),
                 "--no-images", "--jobs", "1", "--scenarios", str(block_scenario.parent),
                 "--xapi-out", str(out)]) == 0
    sent = json.loads(out.read_text())
    assert [st["id"] for st in sent] == [st["id"] for st in statements(scored, XapiConfig())]


def test_an_abandoned_attempt_is_attempted_not_completed_passed_or_failed(scored_attempts):
    from dataclasses import replace

    from simulator.log import ABANDONED

    scored = replace(scored_attempts[1][0], status=ABANDONED)
    sts = statements(scored, XapiConfig())
    assert all(problems(st) == [] for st in sts)
    attempt = [st for st in sts if st["object"]["id"].endswith("/block_us")]
    assert [st["verb"]["display"]["en-US"] for st in attempt] == ["attempted"]
    assert attempt[0]["result"]["completion"] is False


def test_statements_go_in_batches(scored_attempts, lrs):
    from scoring.xapi.lrs import post_statements

    sts = statements(scored_attempts[0][0], XapiConfig())
    assert post_statements(sts, lrs, AUTH, batch=4) == len(sts)
    assert _LRS.posts == [4] * (len(sts) // 4) + ([len(sts) % 4] if len(sts) % 4 else [])
    assert set(_LRS.received) == {st["id"] for st in sts}
