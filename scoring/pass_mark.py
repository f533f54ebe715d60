"""A scenario's pass score set by the borderline-group method on scripted trainees.

Standard setting (``clinical.md`` s.5.4-5.5, ``simulators.md`` s.6): a simulator's cut score
comes from the scores of groups of known skill, not from an author's guess (70 everywhere).
The contrasting-groups cut between the scripted expert and novice (where normal fits of their
scores cross: :func:`scoring.cohort.contrasting_pass_mark`) does not work for scripted
trainees: the expert is nearly the same every seed (SD near 0), so the crossing sits just under
its mean and every attempt a little below the scripted expert fails.

So the mark is set by the **borderline-group method** (the modified form used for the knee
and shoulder arthrocentesis tools, Murray et al. 2023, [R131]): the pass score is the median
score of the borderline group. The borderline performers are the perceiving intermediates:
they make milder forms of the novice's published errors (a pass aimed off the line and
redirected, a probe slip that loses the needle for a stretch, a slower coarser scan) and
correct them, which is what an examiner would call "borderline". The expert and the novice
are run on the same patients (one per seed) as a check: the study reports what share of each
passes at the mark (hard fails included), and refuses a mark the expert's mean does not clear.

The scenario file records the result and how it was found (``rubric.pass_score_set_by``), so
an educator can see where the mark comes from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scoring.score import Scorer
from scoring.scored import ScoredSession
from simulator.errors import InputError
from simulator.files import written_into_place

DEFAULT_EXPERT = "perceiving_expert"
DEFAULT_BORDERLINE = "perceiving_intermediate"
DEFAULT_NOVICE = "perceiving_novice"
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
class Group:
    """One scripted group's attempts: ``scores`` (n_seeds,) in seed order, and
    ``clean`` (n_seeds,) True where the attempt had no hard fail."""

    policy: str
    scores: tuple[float, ...]
    clean: tuple[bool, ...]

    @classmethod
    def of(cls, policy: str, sessions) -> Group:
        return cls(policy, tuple(float(s.score) for s in sessions),
                   tuple(not s.hard_fails for s in sessions))

    def passing(self, mark: float) -> float:
        """Share of the attempts that pass at ``mark`` (no hard fail and score >= mark)."""
        return float(np.mean([c and s >= mark for s, c in
                              zip(self.scores, self.clean, strict=True)]))

    def words(self) -> str:
        v = np.asarray(self.scores)
        return f"{len(v)} {self.policy} attempts (mean {v.mean():.1f}, SD {v.std(ddof=1):.1f})"


@dataclass(frozen=True)
class PassMarkStudy:
    """The three groups' attempts on the same seeds and the borderline group's median."""

    scenario_id: str
    seeds: tuple[int, ...]
    expert: Group
    borderline: Group
    novice: Group

    @property
    def mark(self) -> float | None:
        """The borderline group's median score, to the whole point (as the screens show the
        mark); ``None`` when the expert's mean does not clear it (the groups do not
        separate: no defensible mark)."""
        mark = float(round(float(np.median(self.borderline.scores))))
        return mark if np.mean(self.expert.scores) > mark else None

    def set_by(self) -> str:
        """How the mark was set, in the words the scenario file keeps (at most 400
        characters: ``Rubric.pass_score_set_by``)."""
        mark = self.mark
        return (f"borderline group (jointsim scenario passmark): the median score of "
                f"{self.borderline.words()}, seeds {self.seeds[0]}-{self.seeds[-1]}; at "
                f"{mark:.0f} {self.expert.passing(mark):.0%} of {self.expert.words()} pass, "
                f"and {self.novice.passing(mark):.0%} of {self.novice.words()} (a hard fail "
                "fails)")


def study(path: Path, seeds, expert: str = DEFAULT_EXPERT,
          borderline: str = DEFAULT_BORDERLINE, novice: str = DEFAULT_NOVICE) -> PassMarkStudy:
    """Run the three groups on ``seeds`` and find the borderline-group mark."""
    from simulator.scenario import load_scenario

    seeds = tuple(int(s) for s in seeds)
    if len(seeds) < 3:
        raise InputError("a pass mark needs at least 3 seeds per group", field="--seeds")
    groups = [Group.of(p, scripted_scores(path, p, seeds)) for p in (expert, borderline, novice)]
    return PassMarkStudy(load_scenario(path).id, seeds, *groups)


def write_pass_mark(path: Path, found: PassMarkStudy) -> None:
    """Set ``rubric.pass_score`` to the mark and ``rubric.pass_score_set_by`` to how it was
    found, editing those lines only (the file's comments stay), and check the result parses."""
    from simulator.scenario import load_scenario

    if found.mark is None:
        raise InputError(f"{path}: the {found.expert.policy} scores do not sit above the "
                         f"{found.borderline.policy} median, so no pass mark separates them",
                         field="rubric.pass_score")
    text = Path(path).read_text()
    line = _PASS_SCORE.search(text)
    if line is None:
        raise InputError(f"{path}: no 'pass_score:' line under 'rubric:' to set; add "
                         "'pass_score: 70' there first", field="rubric.pass_score")
    indent = line["indent"]
    set_by = found.set_by().replace("'", "''")
    new = (f"{indent}pass_score: {found.mark:.0f}\n"
           f"{indent}pass_score_set_by: '{set_by}'\n")
    text = _SET_BY.sub("", text)
    line = _PASS_SCORE.search(text)
    text = text[:line.start()] + new + text[line.end():]
    with written_into_place(path) as tmp:
        tmp.write_text(text)
        load_scenario(tmp)   # refuse to write a file that no longer parses
