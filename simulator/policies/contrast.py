"""Contrasting the scripted skill groups metric by metric: means and Cohen's d.

Validity evidence for the score (``simulators.md``: only metrics that separate skill levels
should carry weight): run the perceiving expert, intermediate and novice on a scenario's
patients, then per metric compare the groups. A scored metric is *reversed* when the expert
does worse than the novice by a meaningful effect (``REVERSED_D``), judged in the metric's
own direction (its rubric benchmark against its unacceptable value).

Works on any objects with ``score``, ``passed`` and ``metrics`` (``key``, ``value``,
``expert_benchmark``, ``unacceptable``), i.e. :class:`scoring.scored.ScoredSession`.
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
        Cohen's d of ``high`` against ``low`` (pooled SD), signed so that positive means the
        ``high`` group does better; NaN when the metric's direction is not known (unscored).
    """

    key: str
    means: dict
    d: float
    scored: bool

    @property
    def reversed(self) -> bool:
        return self.scored and self.d < -REVERSED_D


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


def _lower_is_better(sessions, key: str) -> bool | None:
    """The metric's direction from its rubric values; ``None`` if unscored."""
    if key == SCORE:
        return False
    for s in sessions:
        for m in s.metrics:
            if m.key == key and m.expert_benchmark is not None and m.unacceptable is not None \
                    and m.expert_benchmark != m.unacceptable:
                return m.expert_benchmark < m.unacceptable
    return None


def contrast(groups: dict, *, low: str = "novice", high: str = "expert") -> list[MetricContrast]:
    """Per metric (and the total score) the mean of every group in ``groups`` (name -> list
    of scored sessions) and Cohen's d of ``high`` against ``low``."""
    every = [s for sessions in groups.values() for s in sessions]
    keys = [SCORE] + sorted({m.key for s in every for m in s.metrics})
    out = []
    for key in keys:
        means = {g: (float(np.mean(v)) if (v := _values(sessions, key)) else math.nan)
                 for g, sessions in groups.items()}
        lower = _lower_is_better(every, key)
        a, b = _values(groups[low], key), _values(groups[high], key)
        if lower is None or not a or not b:
            d = math.nan
        else:
            d = cohens_d(a, b) * (-1.0 if lower else 1.0)
        out.append(MetricContrast(key, means, d, lower is not None))
    return out


def table(rows: list[MetricContrast]) -> str:
    """The contrasts as a fixed-width text table (one line per metric)."""
    groups = list(rows[0].means) if rows else []
    head = f"{'metric':34s}" + "".join(f"{g:>14s}" for g in groups) + f"{'d (+ better)':>14s}"
    lines = [head]
    for r in rows:
        flag = "  REVERSED" if r.reversed else ("" if r.scored else "  (not scored)")
        lines.append(f"{r.key:34s}" + "".join(f"{r.means[g]:14.3g}" for g in groups)
                     + f"{r.d:14.2f}{flag}")
    return "\n".join(lines)
