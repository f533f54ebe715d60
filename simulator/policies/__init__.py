"""Scripted trainees for demos, tests and simulated cohorts."""

from __future__ import annotations

from simulator.errors import InputError
from simulator.world import World

POLICIES = ("expert", "novice", "perceiving_expert", "perceiving_intermediate")


def make_policy(name: str, world: World, seed: int):
    """A fresh policy callable ``(world, state) -> Action``."""
    if name == "expert":
        from simulator.policies.expert import ExpertPolicy

        return ExpertPolicy(world, seed)
    if name == "novice":
        from simulator.policies.novice import NovicePolicy

        return NovicePolicy(world, seed)
    if name == "perceiving_expert":
        if world.scenario.uses_ultrasound:
            from simulator.policies.perceiving import PerceivingExpert

            return PerceivingExpert(world, seed)
        from simulator.policies.perceiving_fluoro import PerceivingFluoroExpert

        return PerceivingFluoroExpert(world, seed)
    if name == "perceiving_intermediate":
        from simulator.policies.perceiving import PerceivingIntermediate

        return PerceivingIntermediate(world, seed)
    raise InputError(f"unknown policy {name!r}; valid: {', '.join(POLICIES)}", field="--policy")
