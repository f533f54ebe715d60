"""Scripted trainees for demos, tests and simulated cohorts."""

from __future__ import annotations

from simulator.errors import InputError
from simulator.world import World

POLICIES = ("expert", "novice")


def make_policy(name: str, world: World, seed: int):
    """A fresh policy callable ``(world, state) -> Action``."""
    if name == "expert":
        from simulator.policies.expert import ExpertPolicy

        return ExpertPolicy(world, seed)
    if name == "novice":
        from simulator.policies.novice import NovicePolicy

        return NovicePolicy(world, seed)
    raise InputError(f"unknown policy {name!r}; valid: {', '.join(POLICIES)}", field="--policy")
