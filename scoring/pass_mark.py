"""A scenario's pass score set by contrasting groups of scripted trainees.

The rubric's pass score was an author's guess (70 everywhere) while the cohort report found the
expert and novice score distributions of the hip crossing near 95. Here the two groups are the
scripted trainees (by default the perception-limited expert and the novice, on the same
patients: one per seed), the cut is where normal fits of their scores cross
(:func:`scoring.cohort.contrasting_pass_mark`), and the scenario file records the result and how
it was found (``rubric.pass_score_set_by``), so an educator can see where the mark comes from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scoring import cohort
from scoring.score import Scorer
from scoring.scored import ScoredSession
from simulator.errors import InputError
from simulator.files import written_into_place

DEFAULT_EXPERT, DEFAULT_NOVICE = "perceiving_expert", "novice"
_PASS_SCORE = re.compile(r"^(?P<indent>[ \t]+)pass_score:[^\n]*\n", re.MULTILINE)
_SET_BY = re.compile(r"^[ \t]+pass_score_set_by:[^\n]*\n", re.MULTILINE)


def scripted_scores(path: Path, policy: str, seeds) -> list[ScoredSession]:
    """One scored attempt of ``policy`` on ``path`` per seed (the seed picks the patient)."""
    from simulator.loading import load_world
    from simulator.policies import make_policy
    from simulator.session import Session, run_policy

    scored = []
    for seed in seeds:
        world = load_world(path, seed=seed)
        scorer = Scorer(world)
        session = Session(world, observers=[scorer])
        run_policy(session, make_policy(policy, world, seed),
                   max_ticks=int(world.scenario.limits.time_s / world.dt_s) + 5)
        scored.append(scorer.scored())
    return scored


@dataclass(frozen=True)
class PassMarkStudy:
    """Scores of the two groups and the cut between them.

    ``expert_scores``, ``novice_scores``: (n_seeds,) the attempts' scores, seed order."""

    scenario_id: str
    expert: str
    novice: str
    seeds: tuple[int, ...]
    expert_scores: tuple[float, ...]
    novice_scores: tuple[float, ...]
    mark: cohort.PassMark | None

    def set_by(self) -> str:
        """How the mark was set, in the words the scenario file keeps."""
        e, n = np.asarray(self.expert_scores), np.asarray(self.novice_scores)
        return (f"contrasting groups (jointsim scenario passmark): {len(e)} {self.expert} "
                f"attempts (mean {e.mean():.1f}, SD {e.std(ddof=1):.1f}) vs {len(n)} "
                f"{self.novice} attempts (mean {n.mean():.1f}, SD {n.std(ddof=1):.1f}), seeds "
                f"{self.seeds[0]}-{self.seeds[-1]}; normal fits cross at {self.mark.score:.1f}; "
                f"{self.mark.novices_passing:.0%} of novices at or above it, "
                f"{self.mark.experts_failing:.0%} of experts below")


def study(path: Path, seeds, expert: str = DEFAULT_EXPERT,
          novice: str = DEFAULT_NOVICE) -> PassMarkStudy:
    """Run both groups on ``seeds`` and find the contrasting-groups cut."""
    from simulator.scenario import load_scenario

    seeds = tuple(int(s) for s in seeds)
    if len(seeds) < 3:
        raise InputError("a pass mark needs at least 3 seeds per group", field="--seeds")
    high = [s.score for s in scripted_scores(path, expert, seeds)]
    low = [s.score for s in scripted_scores(path, novice, seeds)]
    sessions = [{"score": v, "skill_group": cohort.EXPERT} for v in high] + \
        [{"score": v, "skill_group": cohort.NOVICE} for v in low]
    return PassMarkStudy(load_scenario(path).id, expert, novice, seeds, tuple(high),
                         tuple(low), cohort.contrasting_pass_mark(sessions))


def write_pass_mark(path: Path, found: PassMarkStudy) -> None:
    """Set ``rubric.pass_score`` to the cut and ``rubric.pass_score_set_by`` to how it was
    found, editing those lines only (the file's comments stay), and check the result parses."""
    from simulator.scenario import load_scenario

    if found.mark is None:
        raise InputError(f"{path}: the {found.expert} scores do not sit above the "
                         f"{found.novice} scores, so no pass mark separates them",
                         field="rubric.pass_score")
    text = Path(path).read_text()
    line = _PASS_SCORE.search(text)
    if line is None:
        raise InputError(f"{path}: no 'pass_score:' line under 'rubric:' to set; add "
                         "'pass_score: 70' there first", field="rubric.pass_score")
    indent = line["indent"]
    set_by = found.set_by().replace("'", "''")
    new = (f"{indent}pass_score: {found.mark.score:.1f}\n"
           f"{indent}pass_score_set_by: '{set_by}'\n")
    text = _SET_BY.sub("", text)
    line = _PASS_SCORE.search(text)
    text = text[:line.start()] + new + text[line.end():]
    with written_into_place(path) as tmp:
        tmp.write_text(text)
        load_scenario(tmp)   # refuse to write a file that no longer parses
