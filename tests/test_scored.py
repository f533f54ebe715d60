"""One typed ScoredSession: the end screen, the command line, the report and the store show
the same numbers for one log; score.json of the old format still reads; a bad one is one
clear line; assess replays each log once."""

from __future__ import annotations

import json

import pytest
from phantoms import record

from scoring.score import read_score
from scoring.scored import ScoredSession
from scoring.store import Store
from simulator.cli import main
from simulator.errors import InputError

# A score.json as jointsim wrote it before format 2 (no verdicts, step labels, key moments
# or status), cut to two metrics.
FORMAT_1 = {
    "format": 1, "simulator_version": "0.9.0", "scenario": "hip_anterior_us",
    "scenario_title": "Hip injection", "trainee": "Dr Old", "run_id": "abc123",
    "date": "2026-03-01T10:00:00+00:00", "mode": "assessment", "passed": False,
    "score": 64.5, "pass_score": 70.0,
    "hard_fails": [{"metric": "danger_contacts", "value": 1.0, "reason": "Hit an artery"}],
    "strengths": ["Tip-to-target distance: 0.90 mm, at expert level (benchmark 1.00 mm)"],
    "weaknesses": ["Hard fail: Hit an artery"],
    "metrics": {
        "tip_to_target_mm": {"value": 0.9, "unit": "mm", "label": "Tip-to-target distance",
                             "display": "0.90 mm", "expert_benchmark": 1.0,
                             "unacceptable": 10.0},
        "danger_contacts": {"value": 1.0, "unit": "count", "label": "Danger contacts",
                            "display": "1"}},
    "criteria": [{"metric": "tip_to_target_mm", "label": "Tip-to-target distance",
                  "value": 0.9, "unit": "mm", "best": 1.0, "worst": 10.0, "weight": 1.0,
                  "points": 64.5, "step": "needle_placement"}],
    "steps": [{"step": "needle_placement", "done": True, "score": 100.0,
               "criteria": ["tip_to_target_mm"]}],
    "replay_verified": True, "replay_mismatch_tick": None, "log_truncated": False,
    "log_status": "unsigned", "log_status_detail": "complete, not signed", "seed": 4,
}


def test_a_format_1_score_json_still_reads(tmp_path):
    path = tmp_path / "score.json"
    path.write_text(json.dumps(FORMAT_1))
    old = read_score(path)
    assert (old.identity.trainee, old.identity.run_id, old.identity.seed) == ("Dr Old",
                                                                             "abc123", 4)
    assert old.score == 64.5 and not old.passed and old.status == "completed"
    assert old.value("tip_to_target_mm") == 0.9
    # the verdicts format 1 did not keep are the rubric's, from the criteria and hard fails
    assert old.metric("tip_to_target_mm").verdict == "at expert level"
    assert old.metric("danger_contacts").verdict == "hard fail"
    assert old.steps[0].label == "Needle placement" and old.key_moments == ()
    assert old.verification.log_status == "unsigned"
    # written again it is format 2, and reads back to the same thing
    again = ScoredSession.from_dict(json.loads(json.dumps(old.to_dict())))
    assert again == old and old.to_dict()["format"] == 2


@pytest.mark.parametrize("change, field", [
    ({"format": 7}, "format"),
    ({"score": "high"}, "score"),
    ({"score": 1e300}, "score"),
    ({"metrics": {"x": {"value": 1.0, "unit": "mm", "label": "X"}}}, "metrics.x.display"),
    ({"hard_fails": [{"metric": "a", "value": True, "reason": "r"}]}, "hard_fails.0.value"),
    ({"status": "lost"}, "status"),
])
def test_a_bad_score_json_is_one_line_naming_the_field(tmp_path, change, field):
    path = tmp_path / "score.json"
    path.write_text(json.dumps({**FORMAT_1, **change}))
    with pytest.raises(InputError) as err:
        read_score(path)
    assert err.value.field == field and str(path) in str(err.value)
    assert "\n" not in str(err.value)


@pytest.fixture(scope="module")
def one_log(block_scenario, tmp_path_factory):
    return record(block_scenario, tmp_path_factory.mktemp("one"), "novice", 2, "Dr Same")


def test_end_screen_command_line_report_and_store_show_the_same_numbers(
        one_log, block_scenario, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    import pygame

    from simulator.app.draw import Text
    from simulator.app.screens import draw_end

    pin = ["--scenarios", str(block_scenario.parent)]
    capsys.readouterr()
    main(["score", str(one_log), "--out", str(tmp_path / "score.json"), *pin])
    printed = capsys.readouterr().out
    scored = read_score(tmp_path / "score.json")
    figures = scored.summary()
    assert len(figures) >= 4 and scored.hard_fails  # the novice hits the vessel here
    pygame.init()
    try:
        drawn = draw_end(pygame.Surface((1400, 900)), Text(), scored, None, "Dr Same", "")
    finally:
        pygame.quit()
    assert main(["report", str(one_log), "--out", str(tmp_path / "r"), "--no-images",
                 *pin]) == 0
    html = (tmp_path / "r" / "report.html").read_text()
    assert main(["assess", str(one_log), "--out", str(tmp_path / "a"), "--no-images",
                 "--jobs", "1", *pin]) == 0
    store = Store(f"sqlite:///{tmp_path / 'a' / 'results.sqlite'}")
    [row] = store.sessions()
    store.close()

    headline = f"{scored.headline}  score {scored.score:.1f} / 100"
    assert headline in printed
    assert f"{scored.headline} - score {scored.score:.1f} / 100" in html
    assert drawn[1] == scored.headline and f"Score {scored.score:.0f} / 100" in drawn[2]
    assert (row["score"], row["passed"]) == (scored.score, scored.passed)
    shown = " ".join(drawn)
    for figure in figures:
        label, display = figure.split(": ", 1)
        assert f"  {figure}\n" in printed and figure in shown
        assert f"<td>{display}</td>" in html and label in html
    for h in scored.hard_fails:
        assert h.reason in printed and f"Hard fail: {h.reason}" in shown and h.reason in html
    assert row["metrics"] == pytest.approx(scored.values(), nan_ok=True)
    assert read_score(next((tmp_path / "a" / "sessions").rglob("score.json"))).values() \
        == scored.values()


def test_assess_replays_each_log_once_even_with_images(one_log, block_scenario, tmp_path,
                                                        monkeypatch):
    import scoring.report.session as session_module
    import scoring.score as score_module

    calls = []
    real = session_module.replay

    def counted(log, *args, **kwargs):
        calls.append(log.path)
        return real(log, *args, **kwargs)

    monkeypatch.setattr(session_module, "replay", counted)
    monkeypatch.setattr(score_module, "replay", counted)
    second = record(block_scenario, tmp_path, "expert", 1, "Dr Two")
    out = tmp_path / "a"
    assert main(["assess", str(one_log), str(second), "--out", str(out), "--images",
                 "--jobs", "1", "--scenarios", str(block_scenario.parent)]) == 0
    assert sorted(map(str, calls)) == sorted(map(str, (one_log, second)))
    reports = sorted(out.glob("sessions/*/*/report.html"))
    assert len(reports) == 2
    for report in reports:  # the pictures were drawn from that one replay
        html = report.read_text()
        assert html.count('src="data:image/png;base64,') >= 2
        assert "could not be rendered" not in html
    assert not (out / ".pictures").exists()


def test_validate_and_scoring_still_refuse_an_unknown_rubric_metric(block_scenario,
                                                                     block_world, tmp_path,
                                                                     capsys):
    """The check moved from simulator.scenario to scoring.rubric: `jointsim validate` and
    the Scorer both still name the field."""
    import dataclasses

    import yaml

    from scoring.score import Scorer

    data = yaml.safe_load(block_scenario.read_text())
    data["rubric"]["criteria"][0]["metric"] = "tip_to_taget_mm"
    bad = block_scenario.with_name("bad_rubric.yaml")
    bad.write_text(yaml.safe_dump(data, sort_keys=False))
    try:
        assert main(["validate", str(bad)]) == 1
    finally:
        bad.unlink()
    assert f"{bad}: rubric.criteria.0.metric: unknown metric 'tip_to_taget_mm'" in \
        capsys.readouterr().out
    rubric = block_world.scenario.rubric.model_copy(update={"criteria": [
        block_world.scenario.rubric.criteria[0].model_copy(update={"metric": "nope"})]})
    world = dataclasses.replace(block_world, scenario=block_world.scenario.model_copy(
        update={"rubric": rubric}))
    with pytest.raises(InputError, match="unknown metric 'nope'") as err:
        Scorer(world)
    assert err.value.field == "rubric.criteria.0.metric"
