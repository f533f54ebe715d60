"""Needle-tissue mechanics: puncture, membranes, bone stops, bevel deflection, steering.

Pure functions of (world, needle, motion) returning the new needle and the events. The needle
in tissue is a straight segment from the skin entry point to the tip. A bevel-tip needle cuts
along an arc of constant curvature toward its bevel (Webster et al., IJRR 25:509, 2006); the
curvature is set so the tip deflects ~1 mm per cm at a typical 6 cm depth (Drummond & Scott
1980, as cited in simulators.md). Steering pivots the shaft about the entry point, so the tip
sweeps tissue.
"""

from __future__ import annotations

import math

import numpy as np

from simulator import events as ev
from simulator import needle_core
from simulator.anatomy.manifest import Role
from simulator.events import Event
from simulator.geometry import perpendicular_basis, vec
from simulator.state import Needle, replace_needle
from simulator.world import World

MAX_SPEED_MM_S = 30.0
MAX_STEER_RAD_S = math.radians(15.0)
MAX_TWIST_RAD_S = math.radians(360.0)
BEVEL_CURVATURE_PER_MM = 2 * 6.0 / 60.0 ** 2   # 6 mm deflection over 60 mm of travel
MAX_HEADING_RAD = math.radians(12.0)          # the shaft cannot bend further than this
STOP_GAP_MM = 0.02         # the tip rests this far before a surface it cannot pass
SKIN_PUNCTURE_MM = 4.0     # fallback when the outermost tissue defines no membrane


def bevel_direction(needle: Needle) -> np.ndarray:
    """Unit vector perpendicular to the shaft toward which the tip drifts."""
    a, b = perpendicular_basis(needle.direction)
    return math.cos(needle.bevel_rad) * a + math.sin(needle.bevel_rad) * b


def _enter_events(world: World, label: int, tick_events: list) -> None:
    role = world.role(label)
    tick_events.append(Event(ev.STRUCTURE_ENTERED, {"structure": world.name(label),
                                                    "tissue": world.tissue(label).key}))
    if label in world.danger:
        name, severity = world.danger[label]
        tick_events.append(Event(ev.DANGER_CONTACT, {"structure": name, "severity": severity}))
    if role is Role.capsule:
        tick_events.append(Event(ev.CAPSULE_ENTERED, {"structure": world.name(label)}))
    if role is Role.joint_cavity:
        tick_events.append(Event(ev.JOINT_ENTERED, {"structure": world.name(label)}))


def _crossing_events(world: World, crossings, out: list) -> None:
    """Events of ``crossings`` as ``TissueCore.crossings`` gives them."""
    for structure, entering in zip(crossings[1].tolist(), crossings[2].tolist(), strict=True):
        if entering:
            _enter_events(world, structure, out)
        else:
            out.append(Event(ev.STRUCTURE_LEFT, {"structure": world.name(structure)}))


def advance(world: World, needle: Needle, distance_mm: float) -> tuple[Needle, list]:
    """Push the needle forward by ``distance_mm`` of hub travel (needle must be placed)."""
    out: list = []
    tip = np.asarray(needle.tip_mm)
    if needle.bone_contact:
        return needle, out
    remaining = distance_mm
    tent = needle.tent_mm
    in_skin = needle.in_skin
    if not in_skin:
        # the tip rests on the skin: it tents the skin until it punctures it
        skin = world.core.label_at(tip + np.asarray(needle.direction) * 0.05)
        membrane = max(world.tissue(skin).mechanical.puncture_mm if skin else 0.0,
                       SKIN_PUNCTURE_MM)
        tent += remaining
        if tent < membrane:
            return replace_needle(needle, tent_mm=tent), out
        remaining, tent, in_skin = tent - membrane, 0.0, True
        tip = tip + np.asarray(needle.direction) * STOP_GAP_MM
        out.append(Event(ev.SKIN_PUNCTURE, {"entry_mm": list(vec(needle.entry_mm))}))
        if skin:
            _enter_events(world, skin, out)
    heading = np.array(needle.heading or needle.direction, float)
    tent, events, depth, direction, label = world.core.advance(
        tip, heading, needle.entry_mm, needle.direction, needle.bevel_rad, remaining, tent,
        BEVEL_CURVATURE_PER_MM, STOP_GAP_MM, math.cos(MAX_HEADING_RAD))
    for kind, structure in events.tolist():
        if kind == needle_core.ENTERED:
            _enter_events(world, structure, out)
        elif kind == needle_core.LEFT:
            out.append(Event(ev.STRUCTURE_LEFT, {"structure": world.name(structure)}))
        else:
            out.append(Event(ev.BONE_CONTACT, {"structure": world.name(structure)}))
            needle = replace_needle(needle, bone_contact=True)
    return replace_needle(needle, direction=needle.direction if direction is None
                          else vec(direction), depth_mm=depth, tent_mm=tent, in_skin=True,
                          tip_label=label, heading=vec(heading)), out


def retract(world: World, needle: Needle, distance_mm: float) -> tuple[Needle, list]:
    """Pull the needle back by ``distance_mm``; at depth 0 it leaves the skin."""
    out: list = []
    if needle.tent_mm > 0.0:
        used = min(needle.tent_mm, distance_mm)
        needle = replace_needle(needle, tent_mm=needle.tent_mm - used)
        distance_mm -= used
    if distance_mm <= 0.0 or not needle.in_skin:
        return needle, out
    depth = max(needle.depth_mm - distance_mm, 0.0)
    crossings, label = world.core.retract(needle.tip_mm, needle.entry_mm, needle.direction,
                                          depth)
    _crossing_events(world, crossings, out)
    if depth <= 0.0:
        out.append(Event(ev.WITHDRAW))
        return replace_needle(needle, depth_mm=0.0, in_skin=False, tent_mm=0.0, tip_label=0,
                              bone_contact=False, heading=None), out
    return replace_needle(needle, depth_mm=depth, bone_contact=False, tip_label=label), out


def withdraw(world: World, needle: Needle) -> tuple[Needle, list]:
    """Pull the needle completely out of the skin."""
    if not needle.in_skin:
        return replace_needle(needle, tent_mm=0.0), []
    return retract(world, replace_needle(needle, tent_mm=0.0), needle.depth_mm + 1.0)


def steer(world: World, needle: Needle, yaw_rad: float, pitch_rad: float) -> tuple[Needle, list]:
    """Turn the needle: about its tip on the skin, or about the entry point once inserted."""
    out: list = []
    if not needle.in_skin or needle.depth_mm <= 0.0:
        new_dir = world.core.turn(needle.direction, yaw_rad, pitch_rad)
        return replace_needle(needle, direction=vec(new_dir), heading=None, tent_mm=0.0), out
    turned = world.core.steer(needle.direction, needle.heading, needle.entry_mm,
                              needle.tip_mm, needle.depth_mm, yaw_rad, pitch_rad)
    if turned is None:
        return needle, out  # the tip is against bone: it cannot sweep into it
    new_dir, heading, label, crossings = turned
    _crossing_events(world, crossings, out)
    return replace_needle(needle, direction=vec(new_dir),
                          heading=None if heading is None else vec(heading), tent_mm=0.0,
                          bone_contact=False, tip_label=label), out


def force_n(world: World, needle: Needle) -> float:
    """Axial force felt at the hub (for the HUD and rumble): cutting + friction + tenting."""
    if needle.entry_mm is None:
        return 0.0
    if needle.bone_contact:
        return 8.0
    label = needle.tip_label
    mech = world.tissue(label).mechanical if label else None
    force = mech.cutting_force_n if mech else 0.0
    if mech:
        force += mech.friction_n_per_mm * needle.depth_mm
    return force + 0.8 * needle.tent_mm
