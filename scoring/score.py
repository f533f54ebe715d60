"""Scoring a session, live (as a Session observer) or from its log (by replay)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from scoring.clinical_rules import effective_rubric
from scoring.metrics import METRIC_CLASSES
from scoring.metrics.procedure import StepsMissing
from scoring.rubric import evaluate, fmt
from simulator import __version__
from simulator.integrity import log_status
from simulator.log import attempt_status
from simulator.replay import open_log, replay
from simulator.world import World

SCORE_FORMAT = 1


class Scorer:
    """All metrics that apply to the scenario's guidance, fed tick by tick.

    Use as a ``Session`` observer; call :meth:`report` any time for the score so far.
    """

    def __init__(self, world: World):
        self.world = world
        modality = world.scenario.modality
        self.metrics = [cls(world) for cls in METRIC_CLASSES
                        if cls.modality is None or modality in (cls.modality, "both")]
        self._every_tick = [m for m in self.metrics if m.every_tick]

    def __call__(self, prev, state, action, events) -> None:
        quiet = (not events and prev.needle is state.needle and prev.probe is state.probe
                 and prev.carm is state.carm and prev.dose is state.dose
                 and prev.deposits is state.deposits and prev.steps_done is state.steps_done)
        for metric in self._every_tick if quiet else self.metrics:
            metric.update(prev, state, action, events)

    def values(self) -> dict:
        out = {}
        for metric in self.metrics:
            out[metric.key] = metric.value()
            for sub, value in metric.sub_values().items():
                out[f"{metric.key}.{sub}"] = value
        return out

    def report(self, *, passed_steps=None, header: dict | None = None) -> dict:
        """The score document (what ``score.json`` holds)."""
        values = self.values()
        labels, units, steps = {}, {}, {}
        for m in self.metrics:
            labels[m.key], units[m.key], steps[m.key] = m.label, m.unit, m.step
            for sub in m.sub_values():
                labels[f"{m.key}.{sub}"] = f"{m.label}: {sub.replace('_', ' ')}"
                units[f"{m.key}.{sub}"] = m.unit
        rubric = effective_rubric(self.world.scenario)
        result = evaluate(rubric, values, labels, units, steps)
        benchmarks = {c.metric: (c.best, c.worst) for c in rubric.criteria}
        metrics = {}
        for key, value in values.items():
            entry = {"value": _clean(value), "unit": units[key], "label": labels[key],
                     "display": fmt(value, units[key])}
            if key in benchmarks:
                entry["expert_benchmark"], entry["unacceptable"] = benchmarks[key]
            metrics[key] = entry
        header = header or {}
        return {
            "format": SCORE_FORMAT,
            "simulator_version": __version__,
            "scenario": self.world.scenario.id,
            "scenario_title": self.world.scenario.title,
            "trainee": header.get("trainee", ""),
            "run_id": header.get("run_id", ""),
            "date": header.get("started_utc", ""),
            "mode": header.get("mode", ""),
            "passed": result.passed,
            "score": result.score,
            "pass_score": rubric.pass_score,
            "hard_fails": [{"metric": h.metric, "value": _clean(h.value), "reason": h.reason}
                           for h in result.hard_fails],
            "strengths": result.strengths,
            "weaknesses": result.weaknesses,
            "metrics": metrics,
            "criteria": [{"metric": c.metric, "label": c.label, "value": _clean(c.value),
                          "unit": c.unit, "best": c.best, "worst": c.worst,
                          "weight": c.weight, "points": round(c.points, 2), "step": c.step}
                         for c in result.criteria],
            "steps": self._steps(result.criteria),
        }

    def _steps(self, criteria) -> list[dict]:
        missing = next(m for m in self.metrics if isinstance(m, StepsMissing)).missing()
        out = []
        for step in self.world.scenario.procedure.steps:
            own = [c for c in criteria if c.step == step.value]
            weight = sum(c.weight for c in own)
            out.append({
                "step": step.value,
                "done": step.value not in missing,
                "score": round(100.0 * sum(c.fraction * c.weight for c in own) / weight, 1)
                if weight else None,
                "criteria": [c.metric for c in own],
            })
        return out


def _clean(value):
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def claimed_score_problem(end: dict | None, doc: dict) -> str:
    """Why the score an end record claims (``score``, ``passed``) differs from ``doc``, the
    re-score by replay; ``""`` when it agrees or claims nothing."""
    if not end:
        return ""
    if "passed" in end and end["passed"] != doc["passed"]:
        return f"the end record claims passed = {end['passed']!r}, the replay gives " \
               f"{doc['passed']!r}"
    claimed = end.get("score")
    if "score" in end and (isinstance(claimed, bool) or not isinstance(claimed, int | float)
                           or abs(claimed - doc["score"]) > 1e-6):
        return f"the end record claims score {claimed!r}, the replay gives {doc['score']}"
    return ""


def add_status(doc: dict, status, log) -> dict:
    """Record a ``simulator.integrity.LogStatus`` in the score document, and the log's final
    chain hash (what the seal signs: one value per recorded attempt, whatever the bytes)."""
    doc.update(log_status=status.status, log_status_detail=status.detail,
               log_signer=status.signer, log_chain_hash=log.chain_hash)
    return doc


def replay_facts(doc: dict, log, result) -> dict:
    """What a replay says about the attempt, added to its score document: verified, where it
    first differed, cut short, and the attempt's status (completed or abandoned)."""
    doc["replay_verified"] = result.mismatch is None
    doc["replay_mismatch_tick"] = None if result.mismatch is None else result.mismatch.tick
    doc["log_truncated"] = log.truncated
    doc["status"] = attempt_status(log.end)
    return doc


def score_log(log_path: str | Path, scenario: str | Path | None = None,
              progress=None, *, scenarios: str | Path | None = None,
              trusted: frozenset[bytes] = frozenset()) -> tuple[dict, object]:
    """Replay a log with a Scorer attached; returns ``(score document, replay result)``.

    The document says what the log is worth as a record (``log_status``, see
    ``simulator.integrity``)."""
    log, world, _ = open_log(log_path, scenario, scenarios=scenarios)
    scorer = Scorer(world)
    result = replay(log, world, observers=[scorer], progress=progress)
    doc = replay_facts(scorer.report(header=log.header), log, result)
    status = log_status(log, result, trusted, claimed_score_problem(log.end, doc))
    return add_status(doc, status, log), result


def write_score(doc: dict, path: str | Path) -> Path:
    """Write ``score.json`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=2))
    tmp.replace(path)
    return path
