"""The metric catalogue: every metric a rubric can use, by key."""

from __future__ import annotations

from scoring.metrics import (
    accuracy,
    attempts,
    conduct,
    efficiency,
    imaging,
    procedure,
    safety,
)
from scoring.metrics.base import Metric

METRIC_CLASSES: tuple[type[Metric], ...] = (
    accuracy.TipToTarget,
    accuracy.InsideTargetAtInjection,
    accuracy.IntraArticularFraction,
    accuracy.TargetFraction,
    accuracy.InjectedVolume,
    attempts.SkinPunctures,
    attempts.NeedlePasses,
    attempts.Redirections,
    attempts.BoneContacts,
    attempts.BoneStrikes,
    safety.DangerContacts,
    safety.HardFailContacts,
    safety.IntravascularInjection,
    safety.IntraneuralInjection,
    safety.AspiratedBeforeInjection,
    safety.ClosestDanger,
    efficiency.TotalTime,
    efficiency.TimeToTarget,
    efficiency.TimeInTissue,
    efficiency.PathInTissue,
    efficiency.TissueDamage,
    imaging.TipInBeamShare,
    imaging.BlindAdvance,
    imaging.FluoroTime,
    imaging.FluoroShots,
    imaging.FluoroFrames,
    imaging.DoseAreaProduct,
    imaging.AirKerma,
    procedure.StepsOutOfOrder,
    procedure.StepsMissing,
    conduct.TimeOutBeforePuncture,
    conduct.SterilityBreaches,
    conduct.LocalAnaestheticAtEntry,
    conduct.WrongSideInjection,
    conduct.AllergenInjection,
    conduct.NerveContacts,
    conduct.PrescribedDoseShare,
)

METRICS: dict[str, type[Metric]] = {cls.key: cls for cls in METRIC_CLASSES}



def metric_help(key: str) -> str:
    """What metric ``key`` means (``Metric.help``); a named part (``danger_contacts.artery``)
    takes its parent's, said to be for that part only."""
    base, _, part = key.partition(".")
    cls = METRICS.get(base)
    text = "" if cls is None else cls.help
    if part and text:
        return f"Counted for the {part.replace('_', ' ')} only. {text}"
    return text


def lower_is_better(key: str) -> bool:
    cls = METRICS.get(key.split(".")[0])
    return True if cls is None else cls.lower_is_better


__all__ = ["METRICS", "METRIC_CLASSES", "Metric", "lower_is_better", "metric_help"]
