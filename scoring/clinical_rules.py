"""The hard fails every scenario carries, whatever its own rubric says.

From ``clinical.md`` §5.5: no correct time-out before the skin puncture; an asepsis breach
(a puncture outside the prepped skin, or with an uncovered probe); injecting the wrong side or
a drug the patient is allergic to; any nerve contact or
intraneural injection; any injection into a vessel; injecting without aspiration where the
scenario requires it; injecting less than the scenario's share of the prescribed dose; and,
under ultrasound, advancing blind past the rubric's "unacceptable" line. A scenario's own hard
fail on the same metric and direction takes precedence (it may be stricter).
"""

from __future__ import annotations

from simulator.scenario import HardFail, Rubric, Scenario, Step

TIP_IN_VIEW = "tip_in_beam_share"
# Share of advancement with the tip in view below which an ultrasound attempt fails when the
# rubric does not grade tip visibility itself (Sites et al. 2007: advancing without seeing the
# tip is the commonest novice error).
DEFAULT_MIN_TIP_IN_VIEW = 0.4


def standard_hard_fails(scenario: Scenario) -> tuple[HardFail, ...]:
    """The §5.5 hard fails that apply to ``scenario``."""
    rules = [
        HardFail(metric="nerve_contacts", max=0,
                 reason="The needle touched a nerve (risk of numbness or weakness)"),
        HardFail(metric="intraneural_injection_ml", max=0, reason="Injected into a nerve"),
        HardFail(metric="intravascular_injection_ml", max=0, reason="Injected into a blood vessel"),
        HardFail(metric="sterility_breaches", max=0,
                 reason="Asepsis breach: the needle entered skin that was not prepped, or "
                        "with the probe uncovered"),
        HardFail(metric="wrong_side_injection_ml", max=0, reason="Injected the wrong side"),
        HardFail(metric="allergen_injection_ml", max=0,
                 reason="Injected a drug the patient is allergic to"),
    ]
    procedure = scenario.procedure
    if Step.time_out in procedure.steps:
        rules.append(HardFail(metric="time_out_before_puncture", min=1,
                              reason="No correct time-out (patient, side, site, drug, "
                                     "allergies) before the skin puncture"))
    if procedure.require_aspiration:
        rules.append(HardFail(metric="aspirated_before_injection", min=1,
                              reason="Did not aspirate before injecting"))
    if any(s.contents != "contrast" for s in scenario.syringes):
        rules.append(HardFail(metric="prescribed_dose_share", min=procedure.min_dose_share,
                              reason=f"Injected less than {procedure.min_dose_share:.0%} of the "
                                     "prescribed dose"))
    if scenario.uses_ultrasound:
        worst = next((c.worst for c in scenario.rubric.criteria if c.metric == TIP_IN_VIEW),
                     DEFAULT_MIN_TIP_IN_VIEW)
        rules.append(HardFail(metric=TIP_IN_VIEW, min=worst,
                              reason="Advanced the needle mostly without seeing its tip"))
    return tuple(rules)


def effective_rubric(scenario: Scenario) -> Rubric:
    """The scenario's rubric with the standard hard fails it does not already state."""
    own = scenario.rubric.hard_fails
    stated = {(r.metric, r.max is None) for r in own}
    extra = tuple(r for r in standard_hard_fails(scenario)
                  if (r.metric, r.max is None) not in stated)
    return scenario.rubric.model_copy(update={"hard_fails": own + extra})
