"""Contrasting groups of perceiving trainees: the score separates skill, metric by metric.

The slow tests run the perceiving expert, intermediate and novice on every shipped scenario,
print per metric the groups' means and Cohen's d, and check the issue's bar: the expert passes
every attempt and the novice fails most (at the scenario's pass mark), the expert scores at
least 15 points above the novice on average (over every scenario; ahead of it in each
scenario), and no scored metric is reversed (the expert earning fewer points for it than the
novice by a medium effect or more).

CI runs it on the shipped patient of each scenario, ``JOINTSIM_COHORT_SEEDS`` seeds (default
5: each new varied patient costs about 50 s to build, 20 of them per scenario take hours on 2
cores); ``JOINTSIM_COHORT_VARIED=1`` draws the patient's sex and BMI from the seed
(``anatomy.seed: session``) for the full study.
"""

import functools
import math
import os
import tempfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from conftest import REPO
from test_perceiving_expert import run

from simulator.policies.contrast import cohens_d, contrast, table

SHIPPED = sorted(p.stem for p in (REPO / "scenarios").glob("*.yaml"))
SEEDS = range(int(os.environ.get("JOINTSIM_COHORT_SEEDS", "5")))
INTERMEDIATE_SEEDS = range(min(len(SEEDS), 3))
VARIED = os.environ.get("JOINTSIM_COHORT_VARIED") == "1"
MIN_LEAD = 15.0


def _session(score, **metrics):
    """A stand-in scored session: ``metrics`` key -> (value, best, worst), scored on a
    10-point line between best and worst when ``best`` is given."""
    def points(v, best, worst):
        return 10.0 * float(np.clip((v - worst) / (best - worst), 0.0, 1.0))

    return SimpleNamespace(
        score=score,
        metrics=[SimpleNamespace(key=k, value=v) for k, (v, _, _) in metrics.items()],
        criteria=[SimpleNamespace(metric=k, best=b, worst=w, points=points(v, b, w))
                  for k, (v, b, w) in metrics.items() if b is not None])


def test_contrast_orients_effects_and_judges_the_points():
    experts = [_session(90 + k, tip_to_target_mm=(1.0 + 0.1 * k, 2, 10),
                        fluoro_shots=(9 + k, 4, 15), total_time_s=(100 + k, 150, 600),
                        looks=(50 + k, None, None)) for k in range(4)]
    novices = [_session(60 + k, tip_to_target_mm=(8.0 + k, 2, 10),
                        fluoro_shots=(3 + k % 2, 4, 15), total_time_s=(60 + k, 150, 600),
                        looks=(10 + k, None, None)) for k in range(4)]
    rows = {r.key: r for r in contrast({"expert": experts, "novice": novices})}
    assert rows["score"].d > 2 and not rows["score"].reversed
    assert rows["tip_to_target_mm"].d > 2          # lower is better: the expert is nearer
    assert rows["fluoro_shots"].reversed           # the expert loses points for its shots
    # slower but inside the best band: a raw difference the rubric does not score
    assert rows["total_time_s"].d < -2 and not rows["total_time_s"].reversed
    assert not rows["looks"].scored and math.isnan(rows["looks"].d)
    assert rows["tip_to_target_mm"].means["novice"] == pytest.approx(9.5)
    text = table(list(rows.values()))
    assert [line.split()[0] for line in text.splitlines() if "REVERSED" in line] == \
        ["fluoro_shots"]


def test_cohens_d_uses_the_pooled_spread():
    assert cohens_d([1, 2, 3], [3, 4, 5]) == pytest.approx(2.0)
    assert cohens_d([2, 2], [2, 2]) == 0.0
    assert cohens_d([1, 1], [2, 2]) == math.inf


def varied(scenario: str, folder: Path) -> Path:
    """The shipped scenario with the patient's sex and BMI drawn from the session seed."""
    data = yaml.safe_load((REPO / "scenarios" / f"{scenario}.yaml").read_text())
    data["id"] = f"{scenario}_varied"
    data["anatomy"]["patient"].update({"sex": {"choice": ["female", "male"]},
                                       "bmi": {"uniform": [22, 34]}})
    data["anatomy"]["seed"] = "session"
    path = folder / f"{scenario}_varied.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@functools.cache
def cohort(scenario: str) -> dict:
    """The three groups' scored attempts at ``scenario`` (varied patients with
    ``JOINTSIM_COHORT_VARIED=1``), run once per test session: the per-scenario and the pooled
    tests share them."""
    with tempfile.TemporaryDirectory() as folder:
        path = varied(scenario, Path(folder)) if VARIED else REPO / "scenarios" / \
            f"{scenario}.yaml"
        return {"expert": [run(path, "perceiving_expert", s)[0] for s in SEEDS],
                "intermediate": [run(path, "perceiving_intermediate", s)[0]
                                 for s in INTERMEDIATE_SEEDS],
                "novice": [run(path, "perceiving_novice", s)[0] for s in SEEDS]}


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SHIPPED)
def test_perceiving_groups_separate(scenario):
    """Every patient passed by the expert, most failed by the novice (the pass mark means
    competence), the expert ahead of the novice, and no scored metric earning the expert
    meaningfully fewer points than the novice."""
    groups = cohort(scenario)
    rows = contrast(groups)
    print(f"\n{scenario}\n{table(rows)}")
    failed = [(s, [h.reason for h in e.hard_fails]) for s, e in zip(SEEDS, groups["expert"],
                                                                      strict=True)
              if not e.passed]
    assert not failed
    assert np.mean([s.passed for s in groups["novice"]]) <= 0.5
    expert, novice = (np.mean([s.score for s in groups[g]]) for g in ("expert", "novice"))
    assert expert > novice
    assert not [(r.key, r.means, r.d_points) for r in rows if r.reversed]


@pytest.mark.slow
def test_perceiving_expert_leads_the_novice_by_15_points_on_average():
    groups = [cohort(scenario) for scenario in SHIPPED]
    expert = np.mean([s.score for g in groups for s in g["expert"]])
    novice = np.mean([s.score for g in groups for s in g["novice"]])
    assert expert - novice >= MIN_LEAD
