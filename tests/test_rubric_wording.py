"""The score's words agree with its outcome: a value at the no-marks line on a passing
attempt is not called "unacceptable", and a time that never ran is not praised."""

from scoring.rubric import evaluate
from scoring.verdicts import verdict
from simulator.scenario import Rubric


def _rubric(pass_score=50.0):
    return Rubric(criteria=[{"metric": "passes", "weight": 1, "best": 1, "worst": 4},
                            {"metric": "fluoro_time_s", "weight": 1, "best": 12, "worst": 45},
                            {"metric": "accuracy", "weight": 3, "best": 1, "worst": 0}],
                  pass_score=pass_score)


def _evaluate(values):
    labels = {"passes": "Needle passes", "fluoro_time_s": "Fluoroscopy time",
              "accuracy": "Accuracy"}
    units = {"passes": "count", "fluoro_time_s": "s", "accuracy": "fraction"}
    return evaluate(_rubric(), values, labels, units, {})


def test_a_passing_attempt_at_the_no_marks_line_is_not_called_unacceptable():
    result = _evaluate({"passes": 4.0, "fluoro_time_s": 20.0, "accuracy": 1.0})
    assert result.passed
    words = " ".join(result.weaknesses + result.strengths)
    assert "unacceptable" not in words and "the limit" not in words
    assert "Needle passes: 4, no marks (4 or more earns none); aim for 1" in result.weaknesses
    assert verdict(0.0) == "no marks"


def test_a_time_of_zero_is_not_praised():
    result = _evaluate({"passes": 1.0, "fluoro_time_s": 0.0, "accuracy": 1.0})
    assert not any(s.startswith("Fluoroscopy time") for s in result.strengths)
    assert any(s.startswith("Needle passes") for s in result.strengths)
    measured = _evaluate({"passes": 1.0, "fluoro_time_s": 10.0, "accuracy": 1.0})
    assert any(s.startswith("Fluoroscopy time: 10.0 s, at expert level")
               for s in measured.strengths)
