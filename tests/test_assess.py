"""Assessment runs: database round trip, idempotent re-runs, bad logs listed and skipped,
CUSUM and contrasting-groups arithmetic, and the simulated cohort."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from phantoms import record

from scoring import cohort
from scoring.store import Store
from simulator.cli import main
from simulator.errors import InputError


@pytest.fixture(scope="module")
def recordings(block_scenario, tmp_path_factory):
    folder = tmp_path_factory.mktemp("recordings")
    logs = [record(block_scenario, folder, "expert", s, "Expert A") for s in (1, 2)]
    logs += [record(block_scenario, folder, "novice", s, "Novice B") for s in (3, 4)]
    return folder, logs


def damaged(folder, good_log):
    """Three bad logs: not a log, a corrupted middle record, and edited (replays differently)."""
    (folder / "garbage.jsonl").write_bytes(b"\x00\x01 not json at all\n")
    lines = good_log.read_text().splitlines(keepends=True)
    mid = len(lines) // 2
    (folder / "corrupt.jsonl").write_text("".join(lines[:mid] + ["{broken\n"] + lines[mid:]))
    edited = [ln for ln in lines if '"skin_puncture"' not in ln]
    header = json.loads(edited[0])
    header["run_id"] = "edited"
    (folder / "edited.jsonl").write_text(json.dumps(header) + "\n" + "".join(edited[1:]))
    return ["garbage.jsonl", "corrupt.jsonl", "edited.jsonl"]


def test_assess_skips_bad_logs_scores_the_rest_and_reruns_idempotently(recordings, tmp_path,
                                                                       block_scenario, capsys):
    folder, logs = recordings
    bad_folder = tmp_path / "bad"
    bad_folder.mkdir()
    bad = damaged(bad_folder, logs[0])
    out = tmp_path / "run"
    args = ["assess", str(folder), str(bad_folder), "--out", str(out), "--no-images",
            "--jobs", "2", "--scenarios", str(block_scenario.parent)]
    assert main(args) == 1  # problems found: some logs were skipped
    printed = capsys.readouterr().out
    for name in bad:
        assert name in printed
    assert "assessed 4 session(s)" in printed and "4 added, 0 updated" in printed
    skipped = (out / "skipped.txt").read_text()
    assert "garbage.jsonl" in skipped and "line 1" in skipped
    assert "corrupt.jsonl" in skipped and "corrupted record" in skipped
    assert "edited.jsonl: tampered: line 1:" in skipped
    statuses = (out / "log_status.txt").read_text()
    # complete (unsigned, or signed if this machine has a site key) and one tampered
    assert len(re.findall(r": (unsigned|signed):", statuses)) == 4
    assert statuses.count(": tampered:") == 1

    store = Store(f"sqlite:///{out / 'results.sqlite'}")
    n_sessions, n_metrics = store.count()
    assert n_sessions == 4 and n_metrics > 4 * 20
    rows = {r["run_id"]: r for r in store.sessions()}
    # every good log has a report and the database holds exactly its score.json
    for log in logs:
        run_id = json.loads(log.read_text().splitlines()[0])["run_id"]
        row = rows[run_id]
        report = out / "sessions" / row["trainee"].replace(" ", "_") / run_id
        doc = json.loads((report / "score.json").read_text())
        assert (report / "report.html").is_file() and (report / "report.pdf").is_file()
        assert row["score"] == doc["score"] and row["passed"] == doc["passed"]
        assert row["skill_group"] == json.loads(log.read_text().splitlines()[-1])["end"][
            "policy"]
        for key, m in doc["metrics"].items():
            if m["value"] is None:
                assert row["metrics"][key] is None
            else:
                assert row["metrics"][key] == pytest.approx(m["value"])
    store.close()
    # re-running adds nothing
    assert main(args) == 1
    printed = capsys.readouterr().out
    assert "0 added, 4 updated; 4 in the database" in printed
    store = Store(f"sqlite:///{out / 'results.sqlite'}")
    assert store.count() == (n_sessions, n_metrics)
    store.close()
    html = (out / "cohort_report.html").read_text()
    assert "Logs that could not be assessed" in html and "edited.jsonl" in html
    assert "Which measures separate novices from experts" in html
    assert (out / "sessions.csv").read_text().count("\n") == 5


def test_bad_database_url_is_a_clear_error(recordings, tmp_path, capsys):
    folder, _ = recordings
    assert main(["assess", str(folder), "--out", str(tmp_path / "o"),
                 "--db", "nosuchdialect://x/y"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--db" in err[0] and "SQLAlchemy URL" in err[0]
    assert not (tmp_path / "o").exists()


def test_cusum_limits_and_crossings():
    design = cohort.CusumDesign(p0=0.1, p1=0.3, alpha=0.1, beta=0.2)
    p, q = math.log(3.0), math.log(0.9 / 0.7)
    assert design.s == pytest.approx(q / (p + q))
    assert design.h1 == pytest.approx(math.log(0.8 / 0.1) / (p + q))
    assert design.h0 == pytest.approx(-math.log(0.9 / 0.2) / (p + q))
    ok = cohort.cusum([True] * 10, design)
    assert ok.proficient_at == 6 and ok.unacceptable_at is None
    assert ok.values[0] == pytest.approx(-design.s)
    bad = cohort.cusum([False, False, True], design)
    assert bad.unacceptable_at == 2 and bad.status.startswith("unacceptable")
    assert bad.values[2] == pytest.approx(-design.s)  # restarted at 0 after the alarm
    # a slow starter: alarm early, then six successes in a row prove proficiency
    late = cohort.cusum([False, False] + [True] * 6, design)
    assert late.alarms == [2] and late.proficient == [8]
    assert late.status == "proficient at attempt 8 (after an alarm at attempt 2)"
    assert late.plot_points()[1][:4] == [0.0, 1 - design.s, 2 * (1 - design.s), 0.0]
    assert cohort.cusum([True, True, False, True], design).status.startswith("undetermined")


def test_criterion_parsing():
    c = cohort.parse_criterion("tip_to_target_mm<=3")
    assert c.success({"metrics": {"tip_to_target_mm": 2.0}, "passed": False}) is True
    assert c.success({"metrics": {"tip_to_target_mm": 4.0}, "passed": True}) is False
    assert cohort.parse_criterion("passed").success({"passed": True, "metrics": {}})
    from simulator.errors import InputError

    with pytest.raises(InputError, match="unknown metric"):
        cohort.parse_criterion("nonsense<=3")
    with pytest.raises(InputError, match="not understood"):
        cohort.parse_criterion("tip_to_target_mm about 3")


def test_contrasting_groups_finds_only_the_separating_metric():
    rng = np.random.default_rng(0)
    rows = []
    for group, shift in (("novice", 10.0), ("expert", 0.0)):
        for _ in range(15):
            rows.append({"skill_group": group, "score": 50 + 4 * (10 - shift) + rng.normal(),
                         "metrics": {"sep": shift + rng.normal(), "noise": rng.normal()}})
    res = {s.metric: s for s in cohort.contrasting_groups(rows, ["sep", "noise"])}
    assert res["sep"].separates and res["sep"].effect == pytest.approx(1.0)
    assert not res["noise"].separates
    mark = cohort.contrasting_pass_mark(rows)
    assert 50 < mark.score < 90 and mark.novices_passing == 0 and mark.experts_failing == 0


def test_simulated_cohort_builds_the_full_cohort_report(block_scenario, tmp_path, capsys):
    out = tmp_path / "cohort"
    assert main(["assess", "--simulate-cohort", "6", "--scenario", str(block_scenario),
                 "--out", str(out), "--no-images", "--jobs", "2"]) == 0
    printed = capsys.readouterr().out
    assert "assessed 6 session(s)" in printed
    logs = sorted((out / "recordings").glob("*.jsonl"))
    assert len(logs) == 6 and len(list((out / "recordings" / "scenarios").glob("*.yaml"))) == 4
    # the recordings replay on their own from where they now are, with the patient variants
    # as the assessor's scenarios (several files of one id: the one with the log's checksum)
    assert main(["replay", str(logs[0]), "--verify", "--scenarios",
                 str(out / "recordings" / "scenarios")]) == 0
    store = Store(f"sqlite:///{out / 'results.sqlite'}")
    groups = {r["skill_group"] for r in store.sessions()}
    assert groups == {"expert", "novice", "learner"}
    patients = {json.dumps(json.loads(r["score_json"])["patient"], sort_keys=True)
                for r in store.sessions()}
    assert len(patients) >= 2
    store.close()
    html = (out / "cohort_report.html").read_text()
    for title in ("Learning curves", "CUSUM learning curves", "Measures per skill group",
                  "Which measures separate novices from experts"):
        assert title in html
    assert html.count('src="data:image/png;base64,') >= 3
    assert (out / "cohort_report.pdf").stat().st_size > 10_000
    # a second simulated cohort into the same folder is refused, not mixed in
    assert main(["assess", "--simulate-cohort", "6", "--scenario", str(block_scenario),
                 "--out", str(out)]) == 2


def test_groups_csv_names_each_trainee_and_refuses_a_wrong_header(tmp_path):
    from scoring.assess import read_groups

    good = tmp_path / "groups.csv"
    good.write_text("trainee,group\n Dr A ,Expert\nB,novice\n")
    assert read_groups(good) == {"Dr A": "expert", "B": "novice"}
    assert read_groups(None) == {}
    bad = tmp_path / "bad.csv"
    bad.write_text("name,group\nA,expert\n")
    with pytest.raises(InputError, match="trainee,group") as err:
        read_groups(bad)
    assert err.value.field == "--groups"
    with pytest.raises(InputError, match="not found"):
        read_groups(tmp_path / "none.csv")
