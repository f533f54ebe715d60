"""Scoring a session, live (as a Session observer) or from its log (by replay): one pass
makes the :class:`scoring.scored.ScoredSession` every consumer reads."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from scoring.clinical_rules import effective_rubric
from scoring.metrics import METRIC_CLASSES
from scoring.metrics.procedure import StepsMissing
from scoring.rubric import check_rubric, evaluate
from scoring.scored import (
    Identity,
    KeyMoment,
    MetricResult,
    ScoredSession,
    StepResult,
    Verification,
    clean,
)
from scoring.verdicts import fmt, verdict
from simulator import __version__
from simulator import events as ev
from simulator.files import written_into_place
from simulator.integrity import log_status
from simulator.log import COMPLETED, attempt_status
from simulator.replay import open_log, replay
from simulator.state import SimState
from simulator.world import World

# Key moments, in report order: (event kind, title for people).
KEY_MOMENTS = (
    (ev.SKIN_PUNCTURE, "Skin puncture"),
    (ev.TARGET_REACHED, "First target contact"),
    (ev.INJECTION_STARTED, "Injection"),
)


class Scorer:
    """All metrics that apply to the scenario's guidance, fed tick by tick, and the key
    moments with the state just after each (what the key frames are rendered from).

    Use as a ``Session`` observer; call :meth:`scored` any time for the score so far.
    Raises ``InputError`` when the scenario's rubric names a metric there is no code for.
    """

    def __init__(self, world: World):
        check_rubric(world.scenario)
        self.world = world
        modality = world.scenario.modality
        self.metrics = [cls(world) for cls in METRIC_CLASSES
                        if cls.modality is None or modality in (cls.modality, "both")]
        self._every_tick = [m for m in self.metrics if m.every_tick]
        # on a tick without events: the metrics fed whatever changed, and the others
        # grouped by the state fields they watch (fed only when one of those changed)
        self._always = [m for m in self.metrics if m.watches is None or m.every_tick]
        watched: dict[tuple[str, ...], list] = {}
        for m in self.metrics:
            if m.watches and not m.every_tick:
                watched.setdefault(m.watches, []).append(m)
        self._watching = list(watched.items())
        self._titles = dict(KEY_MOMENTS)
        self.key_states: dict[str, tuple[KeyMoment, SimState]] = {}

    def __call__(self, prev, state, action, events) -> None:
        quiet = (not events and prev.needle is state.needle and prev.probe is state.probe
                 and prev.carm is state.carm and prev.dose is state.dose
                 and prev.deposits is state.deposits and prev.steps_done is state.steps_done)
        if quiet or events:
            for metric in self._every_tick if quiet else self.metrics:
                metric.update(prev, state, action, events)
        else:
            for metric in self._always:
                metric.update(prev, state, action, events)
            for names, metrics in self._watching:
                for name in names:
                    if getattr(prev, name) is not getattr(state, name):
                        for metric in metrics:
                            metric.update(prev, state, action, events)
                        break
        for e in events:
            if e.kind in self._titles and e.kind not in self.key_states:
                moment = KeyMoment(e.kind, self._titles[e.kind], prev.tick,
                                   prev.tick * self.world.dt_s)
                self.key_states[e.kind] = (moment, state)

    def quiet(self, prev, state, action, ticks: int) -> None:
        """``ticks`` quiet ticks in one (``Session.step_quiet``): as many calls would feed
        only the ``every_tick`` metrics, and with no events there is no key moment."""
        for metric in self._every_tick:
            metric.quiet(prev, state, action, ticks)

    def values(self) -> dict:
        out = {}
        for metric in self.metrics:
            out[metric.key] = metric.value()
            for sub, value in metric.sub_values().items():
                out[f"{metric.key}.{sub}"] = value
        return out

    def key_frames(self) -> list[tuple[KeyMoment, SimState]]:
        """``(moment, state just after it)`` in report order."""
        return [self.key_states[k] for k, _ in KEY_MOMENTS if k in self.key_states]

    def scored(self, header: dict | None = None, *, status: str = COMPLETED, ended: str = "",
               verification: Verification | None = None, **identity) -> ScoredSession:
        """The attempt scored so far. ``header``: the log's header (trainee, run id, start);
        ``identity``: further :class:`scoring.scored.Identity` fields (seed, log_file ...)."""
        values = {k: clean(v) for k, v in self.values().items()}
        labels, units, steps = {}, {}, {}
        for m in self.metrics:
            labels[m.key], units[m.key], steps[m.key] = m.label, m.unit, m.step
            for sub in m.sub_values():
                labels[f"{m.key}.{sub}"] = f"{m.label}: {sub.replace('_', ' ')}"
                units[f"{m.key}.{sub}"] = m.unit
        rubric = effective_rubric(self.world.scenario)
        result = evaluate(rubric, values, labels, units, steps)
        criteria = {c.metric: c for c in result.criteria}
        failed = {h.metric for h in result.hard_fails}
        metrics = tuple(
            MetricResult(key, labels[key], units[key], value, fmt(value, units[key]),
                         verdict(criteria[key].fraction if key in criteria else None,
                                 key in failed),
                         *((criteria[key].best, criteria[key].worst) if key in criteria
                           else (None, None)))
            for key, value in values.items())
        header = header or {}
        sc = self.world.scenario
        who = Identity(scenario=sc.id, scenario_title=sc.title,
                       trainee=str(header.get("trainee", "")),
                       run_id=str(header.get("run_id", "")),
                       date=str(header.get("started_utc", "")), mode=str(header.get("mode", "")),
                       simulator_version=__version__, seed=int(header.get("seed", 0)),
                       patient=self.world.patient.key(), modality=str(sc.modality))
        return ScoredSession(
            identity=replace(who, **identity),
            verification=verification or Verification(),
            passed=result.passed, score=result.score, pass_score=rubric.pass_score,
            metrics=metrics, criteria=result.criteria, steps=self._steps(result.criteria),
            hard_fails=result.hard_fails, strengths=result.strengths,
            weaknesses=result.weaknesses, key_moments=tuple(m for m, _ in self.key_frames()),
            status=status, ended=ended)

    def _steps(self, criteria) -> tuple[StepResult, ...]:
        missing = next(m for m in self.metrics if isinstance(m, StepsMissing)).missing()
        out = []
        for step in self.world.scenario.procedure.steps:
            own = [c for c in criteria if c.step == step.value]
            weight = sum(c.weight for c in own)
            out.append(StepResult(
                step.value, step.value not in missing,
                round(100.0 * sum(c.fraction * c.weight for c in own) / weight, 1)
                if weight else None, tuple(c.metric for c in own)))
        return tuple(out)


# The scoring rules' version: raised whenever a metric's definition or the way criteria
# become points changes, so that a score claimed under older rules is not mistaken for an
# edit. 2: bone strikes instead of bone contacts, needle passes as trajectories.
SCORING_VERSION = 2


def score_claim(scored: ScoredSession) -> dict:
    """What an end record claims of its live score: ``score``, ``passed`` and the
    ``scoring_version`` they were computed under."""
    return {"score": scored.score, "passed": scored.passed, "scoring_version": SCORING_VERSION}


def claimed_score_problem(end: dict | None, scored: ScoredSession) -> str:
    """Why the score an end record claims (``score``, ``passed``) differs from ``scored``,
    the re-score by replay; ``""`` when it agrees, claims nothing, or was scored under other
    rules (another ``scoring_version``; none recorded is version 1): the replay re-scores
    by today's rules, and only the log's hash chain and seal can show an edit then."""
    if not end or end.get("scoring_version", 1) != SCORING_VERSION:
        return ""
    if "passed" in end and end["passed"] != scored.passed:
        return f"the end record claims passed = {end['passed']!r}, the replay gives " \
               f"{scored.passed!r}"
    claimed = end.get("score")
    if "score" in end and (isinstance(claimed, bool) or not isinstance(claimed, int | float)
                           or abs(claimed - scored.score) > 1e-6):
        return f"the end record claims score {claimed!r}, the replay gives {scored.score}"
    return ""


def replayed(scorer: Scorer, log, result, log_path: str | Path | None = None,
             trusted: frozenset[bytes] = frozenset()) -> ScoredSession:
    """The score of a replayed log: what the replay says of it (verified, where it first
    differed, cut short, completed or abandoned) and its ``simulator.integrity`` status,
    with the log's final chain hash (what the seal signs)."""
    facts = Verification(replay_verified=result.mismatch is None,
                         replay_mismatch_tick=None if result.mismatch is None
                         else result.mismatch.tick,
                         log_truncated=log.truncated, log_chain_hash=log.chain_hash)
    end = log.end or {}
    extra = {} if log_path is None else {"log_file": Path(log_path).name,
                                         "log_sha256": file_sha256(log_path)}
    scored = scorer.scored(log.header, status=attempt_status(log.end), ended="",
                           verification=facts, policy=str(end.get("policy", "")), **extra)
    status = log_status(log, result, trusted, claimed_score_problem(log.end, scored))
    return scored.with_verification(log_status=status.status, log_status_detail=status.detail,
                                     log_signer=status.signer)


def file_sha256(path: str | Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def score_log(log_path: str | Path, scenario: str | Path | None = None,
              progress=None, *, scenarios: str | Path | None = None,
              trusted: frozenset[bytes] = frozenset()) -> tuple[ScoredSession, object]:
    """Replay a log with a Scorer attached; returns ``(scored session, replay result)``."""
    log, world, _ = open_log(log_path, scenario, scenarios=scenarios)
    scorer = Scorer(world)
    result = replay(log, world, observers=[scorer], progress=progress)
    return replayed(scorer, log, result, log_path, trusted), result


def write_score(scored: ScoredSession, path: str | Path) -> Path:
    """Write ``score.json`` atomically."""
    path = Path(path)
    with written_into_place(path) as tmp:
        tmp.write_text(json.dumps(scored.to_dict(), indent=2))
    return path


def read_score(path: str | Path) -> ScoredSession:
    """Read a ``score.json`` (any readable format)."""
    from simulator.errors import InputError

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"cannot read it as JSON ({exc.__class__.__name__}); give the "
                         "score.json a jointsim command wrote", path=path) from None
    return ScoredSession.from_dict(data, path)
