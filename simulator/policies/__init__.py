"""Scripted trainees for demos, tests and simulated cohorts."""

from __future__ import annotations

from simulator.errors import InputError
from simulator.world import World

# the perceiving trainees see only the image (any scenario: ultrasound or fluoroscopy)
PERCEIVING = ("perceiving_expert", "perceiving_intermediate", "perceiving_novice")
POLICIES = ("expert", "novice", *PERCEIVING)


def make_policy(name: str, world: World, seed: int):
    """A fresh policy callable ``(world, state) -> Action``."""
    if name == "expert":
        from simulator.policies.expert import ExpertPolicy

        return ExpertPolicy(world, seed)
    if name == "novice":
        from simulator.policies.novice import NovicePolicy

        return NovicePolicy(world, seed)
    if name in PERCEIVING:
        from simulator.policies import perceiving_learners as learners
        from simulator.policies.perceiving import PerceivingExpert
        from simulator.policies.perceiving_fluoro import PerceivingFluoroExpert

        us, fluoro = {"perceiving_expert": (PerceivingExpert, PerceivingFluoroExpert),
                      "perceiving_intermediate": (learners.PerceivingIntermediate,
                                                  learners.PerceivingFluoroIntermediate),
                      "perceiving_novice": (learners.PerceivingNovice,
                                            learners.PerceivingFluoroNovice)}[name]
        return (us if world.scenario.uses_ultrasound else fluoro)(world, seed)
    raise InputError(f"unknown policy {name!r}; valid: {', '.join(POLICIES)}", field="--policy")
