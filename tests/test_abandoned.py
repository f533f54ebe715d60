"""Abandoned attempts (restarted or ended before the procedure was finished) are recorded as
abandoned, not failed: the score command, the session report, the store and the cohort
report tell them apart, and they stay out of pass rates, learning curves and CUSUM."""

from __future__ import annotations

import pytest
from phantoms import record

from scoring.store import Store
from simulator.cli import main
from simulator.errors import InputError
from simulator.loading import load_world
from simulator.log import ABANDONED, COMPLETED, attempt_status
from simulator.session import Session
from simulator.state import Action


def _abandoned_log(scenario, folder):
    """An attempt the trainee restarted after a few seconds, as the trainer records it."""
    world = load_world(scenario, seed=4)
    path = folder / "Expert_A_abandoned.jsonl"
    session = Session(world, log_path=path, trainee="Expert A", mode="assessment",
                      scenario_path=scenario.resolve())
    session.step(Action(mark="patient_positioning"))
    for _ in range(120):
        session.step(Action())
    session.close({"reason": "restart", "status": ABANDONED})
    return path


@pytest.fixture(scope="module")
def logs(block_scenario, tmp_path_factory):
    folder = tmp_path_factory.mktemp("abandoned")
    return [record(block_scenario, folder, "expert", 1, "Expert A"),
            _abandoned_log(block_scenario, folder)]


def test_the_end_record_says_whether_the_attempt_was_abandoned():
    assert attempt_status(None) == COMPLETED
    assert attempt_status({"reason": "ended"}) == COMPLETED
    assert attempt_status({"status": ABANDONED}) == ABANDONED
    with pytest.raises(InputError, match="end.status"):
        attempt_status({"status": "passed"})


def test_score_says_abandoned_not_fail(logs, block_scenario, tmp_path, capsys):
    main(["score", str(logs[1]), "--scenario", str(block_scenario),
          "--out", str(tmp_path / "s.json")])
    first = capsys.readouterr().out.splitlines()[0]
    assert "ABANDONED" in first and "FAIL" not in first


def test_assess_stores_the_status_and_the_cohort_report_counts_it_apart(logs, block_scenario,
                                                                       tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["assess", *map(str, logs), "--out", str(out), "--no-images", "--jobs", "1",
                 "--scenarios", str(block_scenario.parent)]) == 0
    store = Store(f"sqlite:///{out / 'results.sqlite'}")
    statuses = sorted(r["status"] for r in store.sessions())
    store.close()
    assert statuses == [ABANDONED, COMPLETED]
    html = (out / "cohort_report.html").read_text()
    assert "1 assessed, 1 passed; 1 abandoned, not counted" in html
    assert "Abandoned attempts" in html
    report = next((out / "sessions").rglob("*abandoned*/report.html"), None) or next(
        p for p in (out / "sessions").rglob("report.html") if "ABANDONED" in p.read_text())
    assert "ABANDONED" in report.read_text()
    assert "status" in (out / "sessions.csv").read_text().splitlines()[0]


def test_an_attempt_with_nothing_injected_is_not_blamed_for_where_it_went(logs, block_scenario,
                                                                          tmp_path):
    """Restarted before injecting: no share of nothing "went outside the joint"; the share
    rules say the injection was not done."""
    from scoring.score import read_score

    out = tmp_path / "s.json"
    main(["score", str(logs[1]), "--scenario", str(block_scenario), "--out", str(out)])
    scored = read_score(out)
    assert scored.value("intra_articular_fraction") is None
    assert scored.value("target_fraction") is None
    assert all(h.reason.startswith("Not done:") for h in scored.hard_fails if h.value is None)


def test_a_minimum_never_measured_fails_as_not_done():
    from scoring.rubric import evaluate
    from simulator.scenario import Rubric

    rubric = Rubric.model_validate({"pass_score": 60, "hard_fails": [
        {"metric": "intra_articular_fraction", "min": 0.8,
         "reason": "Most of the injection went outside the joint"}], "criteria": [
        {"metric": "skin_punctures", "weight": 1, "best": 1, "worst": 4}]})
    labels = {"intra_articular_fraction": "Injectate delivered into the joint"}
    result = evaluate(rubric, {"intra_articular_fraction": None, "skin_punctures": 1},
                      labels, {}, {})
    assert [h.reason for h in result.hard_fails] == [
        "Not done: injectate delivered into the joint"]
    result = evaluate(rubric, {"intra_articular_fraction": 0.5, "skin_punctures": 1},
                      labels, {}, {})
    assert [h.reason for h in result.hard_fails] == [
        "Most of the injection went outside the joint"]
