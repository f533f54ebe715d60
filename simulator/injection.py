"""Where injectate goes and how it feels: compartment, pressure, aspiration (pure).

Injectate goes where the tip is. Intra-articular injection flows freely at low pressure until
the joint's capacity (hip 10-15 mL, clinical.md s.1.1) is taken up; tendon, ligament, capsule
wall and nerve resist (opening pressures > ~100 kPa, Hadzic 2004); cartilage and bone do not
accept injection. Aspiration shows blood from a vessel and synovial fluid from an effusion.
"""

from __future__ import annotations

from dataclasses import replace

from simulator.anatomy.manifest import Role
from simulator.geometry import vec
from simulator.state import Deposit, Needle, SimState
from simulator.world import World

COMPARTMENT_OF_ROLE = {
    Role.joint_cavity: "intra_articular",
    Role.bursa: "bursal",
    Role.artery: "intravascular",
    Role.vein: "intravascular",
    Role.nerve: "intraneural",
    Role.tendon: "intratendinous",
    Role.capsule: "capsule_wall",
    Role.cartilage: "cartilage",
    Role.bone: "bone",
    Role.soft_tissue: "soft_tissue",
    Role.skin: "intradermal",
}
JOINT_CAPACITY_ML = 12.0
DISTENSION_KPA_PER_ML = 15.0
REFUSE_ABOVE_KPA = 600.0
NEW_DEPOSIT_AFTER_MM = 2.0


def compartment(world: World, needle: Needle) -> str:
    """Where injectate would go with the tip where it is now."""
    if not needle.in_skin or not needle.tip_label:
        return "outside"
    return COMPARTMENT_OF_ROLE[world.role(needle.tip_label)]


def target_compartment(world: World) -> str:
    """Where the scenario's drug must go: the compartment of its target structure."""
    return COMPARTMENT_OF_ROLE[world.role(world.target_label)]


def pressure_kpa(world: World, state: SimState, rate_ml_s: float) -> float:
    """Injection pressure felt at the plunger for the current tip position and rate."""
    label = state.needle.tip_label
    if not state.needle.in_skin or not label:
        return 0.0
    base = world.tissue(label).mechanical.injection_pressure_kpa
    pressure = base * (0.6 + 0.8 * min(rate_ml_s, 2.0))
    if world.role(label) is Role.joint_cavity:
        volume = intra_articular_ml(state) + effusion_ml(world)
        pressure += DISTENSION_KPA_PER_ML * max(0.0, volume - JOINT_CAPACITY_ML)
    return pressure


def effusion_ml(world: World) -> float:
    """Fluid already in the joint: ~1 mL per mm of recess effusion (hip) [derived]."""
    return world.patient.effusion_mm * 1.0


def intra_articular_ml(state: SimState) -> float:
    return sum(d.volume_ml for d in state.deposits if d.compartment == "intra_articular")


def aspiration_result(world: World, needle: Needle) -> str:
    """What the syringe draws back: 'arterial_blood', 'venous_blood', 'synovial_fluid', 'none'."""
    if not needle.in_skin or not needle.tip_label:
        return "none"
    role = world.role(needle.tip_label)
    if role is Role.artery:
        return "arterial_blood"
    if role is Role.vein:
        return "venous_blood"
    if role in (Role.joint_cavity, Role.bursa) and world.patient.effusion_mm >= 2:
        return "synovial_fluid"
    return "none"


def deposit(state: SimState, world: World, volume_ml: float,
            pressure: float) -> tuple[Deposit, ...]:
    """Add ``volume_ml`` at the tip: to the open bolus if the tip has not moved, else a new one."""
    needle = state.needle
    tip = needle.tip_mm
    where = compartment(world, needle)
    deposits = state.deposits
    if deposits and state.injecting:
        last = deposits[-1]
        moved = sum((a - b) ** 2 for a, b in zip(last.position_mm, tip, strict=True)) ** 0.5
        # label 0 inside the skin is a sub-millimetre gap between two structures' meshes
        # (capsule and recess do not share a surface), not a place the fluid goes: the
        # open bolus keeps growing where it was instead of flipping to "outside"
        same_place = last.structure == needle.tip_label or (needle.in_skin
                                                             and not needle.tip_label)
        if last.syringe == state.syringe and same_place and moved < NEW_DEPOSIT_AFTER_MM:
            grown = replace(last, volume_ml=last.volume_ml + volume_ml,
                            peak_pressure_kpa=max(last.peak_pressure_kpa, pressure))
            return (*deposits[:-1], grown)
    return (*deposits, Deposit(state.syringe, where, needle.tip_label, vec(tip), volume_ml,
                               state.tick, pressure))
