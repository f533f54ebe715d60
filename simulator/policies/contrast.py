"""Contrasting the scripted skill groups metric by metric: means and Cohen's d.

Validity evidence for the score (``simulators.md``: only metrics that separate skill levels
should carry weight): run the perceiving expert, intermediate and novice on a scenario's
patients, then per metric compare the groups. Each metric gets Cohen's d of its values,
signed in the metric's own direction (the rubric's ``best`` against its ``worst``); a scored
metric also gets d of the points it earns, and is *reversed* when the expert earns fewer
points than the novice by a meaningful effect (``REVERSED_D``). Judging the points, not the
raw values, leaves alone a difference the rubric does not score (two totals both inside
the best band).

Works on any objects with ``score``, ``metrics`` (``key``, ``value``) and ``criteria``
(``metric``, ``best``, ``worst``, ``points``), i.e. :class:`scoring.scored.ScoredSession`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

REVERSED_D = 0.5    # a medium effect (Cohen): the expert meaningfully worse than the novice
SCORE = "score"     # the total score, contrasted like a metric (higher is better)


@dataclass(frozen=True)
class MetricContrast:
    """One metric across the groups.

    Attributes
    ----------
    means : dict group -> mean value (NaN when the group has no value)
    d : float
        Cohen's d of the values of ``high`` against ``low`` (pooled SD), signed so that
        positive means the ``high`` group does better; NaN when the metric is not scored
        (its direction is not known).
    d_points : float
        The same for the points the rubric gives the metric (NaN when not scored).
    """

    key: str
    means: dict
    d: float
    d_points: float = math.nan

    @property
    def scored(self) -> bool:
        return not math.isnan(self.d_points)

    @property
    def reversed(self) -> bool:
        return self.scored and self.d_points < -REVERSED_D


def cohens_d(a, b) -> float:
    """``(mean(b) - mean(a)) / pooled SD``; +-inf for a difference with no spread, 0 for
    none."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    diff = float(b.mean() - a.mean())
    dof = len(a) + len(b) - 2
    var = ((len(a) - 1) * a.var(ddof=1) if len(a) > 1 else 0.0) + \
          ((len(b) - 1) * b.var(ddof=1) if len(b) > 1 else 0.0)
    sd = math.sqrt(var / dof) if dof > 0 else 0.0
    if sd < 1e-9:
        return 0.0 if abs(diff) < 1e-9 else math.copysign(math.inf, diff)
    return diff / sd


def _values(sessions, key: str) -> list[float]:
    out = []
    for s in sessions:
        v = s.score if key == SCORE else next((m.value for m in s.metrics if m.key == key),
                                               None)
        if v is not None and math.isfinite(v):
            out.append(float(v))
    return out


def _points(sessions, key: str) -> list[float]:
    return [float(c.points) for s in sessions for c in s.criteria if c.metric == key]


def _lower_is_better(sessions, key: str) -> bool | None:
    """The metric's direction from its rubric criterion; ``None`` if unscored."""
    if key == SCORE:
        return False
    for s in sessions:
        for c in s.criteria:
            if c.metric == key and c.best != c.worst:
                return c.best < c.worst
    return None


def contrast(groups: dict, *, low: str = "novice", high: str = "expert") -> list[MetricContrast]:
    """Per metric (and the total score) the mean of every group in ``groups`` (name -> list
    of scored sessions) and Cohen's d of ``high`` against ``low``, of the values and of
    the points."""
    every = [s for sessions in groups.values() for s in sessions]
    keys = [SCORE] + sorted({m.key for s in every for m in s.metrics})
    out = []
    for key in keys:
        means = {g: (float(np.mean(v)) if (v := _values(sessions, key)) else math.nan)
                 for g, sessions in groups.items()}
        lower = _lower_is_better(every, key)
        a, b = _values(groups[low], key), _values(groups[high], key)
        if lower is None or not a or not b:
            out.append(MetricContrast(key, means, math.nan))
            continue
        d = cohens_d(a, b) * (-1.0 if lower else 1.0)
        if key == SCORE:
            out.append(MetricContrast(key, means, d, d))
            continue
        pa, pb = _points(groups[low], key), _points(groups[high], key)
        out.append(MetricContrast(key, means, d, cohens_d(pa, pb) if pa and pb else math.nan))
    return out


def table(rows: list[MetricContrast]) -> str:
    """The contrasts as a fixed-width text table (one line per metric)."""
    groups = list(rows[0].means) if rows else []
    head = (f"{'metric':34s}" + "".join(f"{g:>14s}" for g in groups)
            + f"{'d (+ better)':>14s}{'d points':>10s}")
    lines = [head]
    for r in rows:
        flag = "  REVERSED" if r.reversed else ("" if r.scored else "  (not scored)")
        lines.append(f"{r.key:34s}" + "".join(f"{r.means[g]:14.3g}" for g in groups)
                     + f"{r.d:14.2f}{r.d_points:10.2f}{flag}")
    return "\n".join(lines)
