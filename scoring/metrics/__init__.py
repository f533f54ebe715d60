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

__all__ = ["METRICS", "METRIC_CLASSES", "Metric"]
