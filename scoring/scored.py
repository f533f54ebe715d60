"""One scored attempt, typed: what the end screen, the CLI, the reports, the store and the
cohort report all read, made once per attempt by :meth:`scoring.score.Scorer.scored`.

``to_dict()`` / ``from_dict()`` give the ``score.json`` document: its field names are flat and
readable (``trainee``, ``score``, ``metrics.<key>.display`` ...). Format 2 adds each metric's
verdict, the steps' labels and the key moments; format 1 documents still read.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path

from scoring.verdicts import NOT_SCORED, fraction, verdict
from simulator.errors import InputError
from simulator.log import ABANDONED, COMPLETED

SCORE_FORMAT = 2
READABLE_FORMATS = (1, 2)
# The figures the end screen and the command line show under the verdict, in this order.
HEADLINE_METRICS = ("tip_to_target_mm", "tip_in_beam_share", "skin_punctures", "needle_passes",
                    "bone_strikes", "danger_contacts", "fluoro_time_s", "kap_ugym2",
                    "total_time_s")
MAX_ABS_VALUE = 1e12   # any number a score document holds is within this


@dataclass(frozen=True)
class MetricResult:
    """One metric's value, with its benchmark and unacceptable value when the rubric scores
    it (``None`` otherwise) and the verdict for people."""

    key: str
    label: str
    unit: str
    value: float | None
    display: str
    verdict: str = NOT_SCORED
    expert_benchmark: float | None = None
    unacceptable: float | None = None

    @property
    def help(self) -> str:
        """What the metric means, from the metric type (``Metric.help``)."""
        from scoring.metrics import metric_help

        return metric_help(self.key)


@dataclass(frozen=True)
class CriterionResult:
    """A rubric criterion as scored: ``points`` of the total 100 earned."""

    metric: str
    label: str
    value: float | None
    unit: str
    best: float
    worst: float
    weight: float
    points: float
    step: str

    @property
    def fraction(self) -> float:
        """Share of the criterion's marks earned, 0..1."""
        return fraction(self.value, self.best, self.worst)


@dataclass(frozen=True)
class HardFailResult:
    metric: str
    value: float | None
    reason: str


@dataclass(frozen=True)
class StepResult:
    """A procedure step: done or not, and the share of its criteria's marks (``None``: no
    criterion belongs to it)."""

    step: str
    done: bool
    score: float | None
    criteria: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        from simulator.scenario import Step

        try:
            return Step(self.step).label
        except ValueError:
            return self.step.replace("_", " ").capitalize()


@dataclass(frozen=True)
class KeyMoment:
    """The first time a key event happened (skin puncture, target contact, injection)."""

    kind: str
    title: str
    tick: int
    time_s: float


@dataclass(frozen=True)
class Identity:
    """Whose attempt at what, when, and which log recorded it."""

    scenario: str
    scenario_title: str = ""
    trainee: str = ""
    run_id: str = ""
    date: str = ""            # the log header's started_utc (ISO 8601)
    mode: str = ""
    simulator_version: str = ""
    seed: int = 0
    patient: dict = field(default_factory=dict)
    modality: str = ""
    policy: str = ""
    log_file: str = ""
    log_sha256: str = ""
    content_sha256: str = ""
    skill_group: str = ""


@dataclass(frozen=True)
class Verification:
    """What replaying the log said (``replay_verified`` is ``None`` for a live score, which
    no replay checked) and its ``simulator.integrity`` status."""

    replay_verified: bool | None = None
    replay_mismatch_tick: int | None = None
    log_truncated: bool = False
    log_status: str = ""
    log_status_detail: str = ""
    log_signer: str = ""
    log_chain_hash: str = ""


@dataclass(frozen=True)
class ScoredSession:
    identity: Identity
    verification: Verification
    passed: bool
    score: float
    pass_score: float
    metrics: tuple[MetricResult, ...]
    criteria: tuple[CriterionResult, ...] = ()
    steps: tuple[StepResult, ...] = ()
    hard_fails: tuple[HardFailResult, ...] = ()
    strengths: tuple[str, ...] = ()
    weaknesses: tuple[str, ...] = ()
    key_moments: tuple[KeyMoment, ...] = ()
    status: str = COMPLETED     # or ABANDONED: restarted or ended before the procedure ended
    ended: str = ""             # why the app ended the attempt (live scores only)

    @property
    def abandoned(self) -> bool:
        return self.status == ABANDONED

    @property
    def headline(self) -> str:
        """``PASS``, ``FAIL`` or ``ABANDONED``."""
        return "ABANDONED" if self.abandoned else "PASS" if self.passed else "FAIL"

    def metric(self, key: str) -> MetricResult | None:
        return next((m for m in self.metrics if m.key == key), None)

    def value(self, key: str) -> float | None:
        m = self.metric(key)
        return None if m is None else m.value

    def values(self) -> dict[str, float | None]:
        """``key -> value`` of every metric (what the store keeps long-form)."""
        return {m.key: m.value for m in self.metrics}

    def summary(self, keys: tuple[str, ...] = HEADLINE_METRICS) -> list[str]:
        """``"Label: display"`` for those of ``keys`` that have a value, in that order."""
        shown = (self.metric(k) for k in keys)
        return [f"{m.label}: {m.display}" for m in shown if m is not None and m.value is not None]

    def with_identity(self, **changes) -> ScoredSession:
        return replace(self, identity=replace(self.identity, **changes))

    def with_verification(self, **changes) -> ScoredSession:
        return replace(self, verification=replace(self.verification, **changes))

    # -- the JSON document ------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The ``score.json`` document (format :data:`SCORE_FORMAT`)."""
        metrics = {}
        for m in self.metrics:
            entry = {"value": m.value, "unit": m.unit, "label": m.label, "display": m.display,
                     "verdict": m.verdict}
            if m.expert_benchmark is not None:
                entry["expert_benchmark"] = m.expert_benchmark
                entry["unacceptable"] = m.unacceptable
            metrics[m.key] = entry
        return {
            "format": SCORE_FORMAT, **asdict(self.identity), **asdict(self.verification),
            "status": self.status, "ended": self.ended,
            "passed": self.passed, "score": self.score, "pass_score": self.pass_score,
            "hard_fails": [asdict(h) for h in self.hard_fails],
            "strengths": list(self.strengths), "weaknesses": list(self.weaknesses),
            "metrics": metrics,
            "criteria": [asdict(c) for c in self.criteria],
            "steps": [{**asdict(s), "criteria": list(s.criteria), "label": s.label}
                      for s in self.steps],
            "key_moments": [asdict(k) for k in self.key_moments],
        }

    @classmethod
    def from_dict(cls, data, path: str | Path | None = None) -> ScoredSession:
        """Read a score document of any readable format; ``InputError`` naming the field
        for anything else."""
        return _Reader(path).session(data)


def clean(value: float | None) -> float | None:
    """``None`` for NaN and infinities (JSON has neither)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


_KINDS = {"float": float, "int": int, "bool": bool, "str": str, "dict": dict, "list": list}


class _Reader:
    """Reads a score document, checking every field's type and every number's bounds."""

    def __init__(self, path):
        self.path = path

    def fail(self, where: str, what: str):
        raise InputError(f"{what}; this is not a jointsim score document (re-create it with "
                         "'jointsim score LOG')", path=self.path, field=where)

    def get(self, data: dict, key: str, kind: type, where: str, default=...,
            optional: bool = False):
        """``data[key]`` checked to be a ``kind`` (``None`` too when ``optional``);
        ``default`` when absent (``...``: required)."""
        if key not in data:
            if default is ...:
                self.fail(f"{where}{key}", "missing")
            return default
        value = data[key]
        if value is None and optional:
            return None
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if kind in (int, float) and not (number and math.isfinite(value)
                                         and abs(value) <= MAX_ABS_VALUE):
            self.fail(f"{where}{key}", f"expected a finite number, got {value!r}")
        if kind is int and not isinstance(value, int):
            self.fail(f"{where}{key}", f"expected a whole number, got {value!r}")
        if kind not in (int, float) and not isinstance(value, kind):
            self.fail(f"{where}{key}", f"expected {kind.__name__}, got {value!r}")
        return float(value) if kind is float else value

    def record(self, cls, data, where: str, **given):
        """A ``cls`` dataclass from the fields of ``data`` named like its own."""
        if not isinstance(data, dict):
            self.fail(where.rstrip(".") or "(top level)", "expected a mapping")
        out = dict(given)
        for f in fields(cls):
            if f.name in given:
                continue
            default = (f.default if f.default is not MISSING else f.default_factory()
                       if f.default_factory is not MISSING else ...)
            out[f.name] = self.get(data, f.name, _KINDS[f.type.split(" | ")[0]], where,
                                   default, optional=f.type.endswith("| None"))
        return cls(**out)

    def session(self, data) -> ScoredSession:
        if not isinstance(data, dict):
            self.fail("(top level)", "expected a mapping")
        fmt = self.get(data, "format", int, "")
        if fmt not in READABLE_FORMATS:
            self.fail("format", f"format {fmt} is not one this jointsim reads "
                      f"({', '.join(map(str, READABLE_FORMATS))})")
        status = self.get(data, "status", str, "", COMPLETED)
        if status not in (COMPLETED, ABANDONED):
            self.fail("status", f"expected {COMPLETED!r} or {ABANDONED!r}, got {status!r}")
        criteria = tuple(self.record(CriterionResult, c, f"criteria.{n}.")
                         for n, c in enumerate(self.get(data, "criteria", list, "")))
        hard = tuple(self.record(HardFailResult, h, f"hard_fails.{n}.")
                     for n, h in enumerate(self.get(data, "hard_fails", list, "")))
        steps = tuple(self.record(StepResult, s, f"steps.{n}.", criteria=tuple(
            self.texts(s, "criteria", f"steps.{n}.")))
            for n, s in enumerate(self.get(data, "steps", list, "", [])))
        moments = tuple(self.record(KeyMoment, k, f"key_moments.{n}.")
                        for n, k in enumerate(self.get(data, "key_moments", list, "", [])))
        identity = self.record(Identity, data, "")
        for key, value in identity.patient.items():  # words in reports: text or numbers
            if not isinstance(value, str):
                self.get(identity.patient, key, float, "patient.")
        return ScoredSession(
            identity=identity,
            verification=self.record(Verification, data, ""),
            passed=self.get(data, "passed", bool, ""),
            score=self.get(data, "score", float, ""),
            pass_score=self.get(data, "pass_score", float, ""),
            metrics=self.metrics(self.get(data, "metrics", dict, ""), criteria, hard),
            criteria=criteria, steps=steps, hard_fails=hard,
            strengths=self.texts(data, "strengths", ""),
            weaknesses=self.texts(data, "weaknesses", ""),
            key_moments=moments, status=status, ended=self.get(data, "ended", str, "", ""))

    def texts(self, data, key: str, where: str) -> tuple[str, ...]:
        items = self.get(data, key, list, where, []) if isinstance(data, dict) else []
        for n, item in enumerate(items):
            if not isinstance(item, str):
                self.fail(f"{where}{key}.{n}", f"expected text, got {item!r}")
        return tuple(items)

    def metrics(self, data: dict, criteria, hard) -> tuple[MetricResult, ...]:
        by_key = {c.metric: c for c in criteria}
        failed = {h.metric for h in hard}
        out = []
        for key, entry in data.items():
            c = by_key.get(key)
            # format 1 kept no verdict: the rubric's, from the criterion's share of marks
            given = {"key": key, "verdict": verdict(c.fraction if c else None, key in failed)}
            if isinstance(entry, dict) and "verdict" in entry:
                given.pop("verdict")
            out.append(self.record(MetricResult, entry, f"metrics.{key}.", **given))
        return tuple(out)
