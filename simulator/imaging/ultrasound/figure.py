"""The README picture: a hip ultrasound frame beside the same frame with what is in it.

``python -m simulator.imaging.ultrasound.figure [OUT_DIR]`` runs a short scripted
injection in the hip scenario through ``step`` - probe along the femoral neck (the
oblique-sagittal view used for anterior hip injections), needle in plane from the distal
end into the anterior recess, 5 mL injected - and writes ``ultrasound_hip.png`` (the frame)
and ``ultrasound_hip_labelled.png`` (structure outlines from the central elevation plane,
the needle, and names) into OUT_DIR (default ``.github/readme``).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

from simulator.geometry import unit, vec
from simulator.imaging.ultrasound.render import UltrasoundFrame, render_ultrasound
from simulator.imaging.ultrasound.scanconvert import scan_conversion
from simulator.state import Action, SimState
from simulator.world import World

# structures to name, and what to call them on the picture
NAMES = {
    "femur": "femoral head / neck",
    "joint_capsule": "capsule",
    "iliofemoral_ligament": "iliofemoral lig.",
    "anterior_recess": "anterior recess",
    "iliopsoas": "iliopsoas",
    "sartorius": "sartorius",
    "rectus_femoris": "rectus femoris",
    "subcutaneous_fat": "fat",
    "femoral_head_cartilage": "cartilage",
}
NEEDLE_ANGLE_DEG = 35.0


def neck_plan(world: World):
    """A straight path to the recess target lying in the femoral neck's vertical plane,
    entering from the distal (trochanter) end at ``NEEDLE_ANGLE_DEG`` to the horizontal."""
    from simulator.policies.planner import Plan

    lm = world.anatomy.landmarks
    target = world.target_point
    neck = unit(lm["femoral_neck_base"] - lm["femoral_head_center"])
    along = unit(-neck * np.array([1.0, 0.0, 1.0]))      # towards the head, horizontal
    a = math.radians(NEEDLE_ANGLE_DEG)
    d = unit(math.cos(a) * along + math.sin(a) * np.array([0.0, -1.0, 0.0]))
    hit = world.skin_along(target - d * 300.0, d, 320.0)
    length = float(np.linalg.norm(target - hit.point))
    return Plan(hit.point, hit.normal, d, target, length, math.inf, NEEDLE_ANGLE_DEG)


def scripted_states(world: World):
    """Probe placed, needle advanced into the recess, 5 mL injected; yields each state."""
    from simulator.policies.planner import Plan, in_plane_probe
    from simulator.step import initial_state, step

    plan = neck_plan(world)
    contact, normal, rotation, tilt = in_plane_probe(world, plan)
    state = initial_state(world)
    depth = float(np.linalg.norm(plan.target_mm - contact)) + 30.0
    script = [Action(place_probe=(vec(contact), vec(normal), rotation, tilt)),
              Action(probe_settings=(("depth_mm", depth), ("focus_mm", depth - 30.0))),
              Action(place_needle=(vec(plan.entry_mm), vec(plan.direction)))]
    for a in script:
        state, _ = step(world, state, a)
        yield state
    while (state.needle.depth_mm < plan.length_mm + 2.0 and not state.needle.bone_contact
           and state.needle.tip_label != world.target_label):
        state, _ = step(world, state, Action(advance_mm_s=4.0))
        yield state
    for _ in range(30):
        state, _ = step(world, state, Action(advance_mm_s=1.0) if not
                        state.needle.bone_contact else Action())
        yield state
    # bevel drift has taken the shaft a little out of the slice: realign the probe on it
    n = state.needle
    seen = Plan(np.asarray(n.entry_mm), plan.entry_normal, np.asarray(n.direction),
                np.asarray(n.tip_mm), n.depth_mm, math.inf, NEEDLE_ANGLE_DEG)
    contact, normal, rotation, tilt = in_plane_probe(world, seen)
    state, _ = step(world, state, Action(place_probe=(vec(contact), vec(normal), rotation,
                                                      tilt)))
    state, _ = step(world, state, Action(aspirate=True))
    volume = world.scenario.syringes[0].volume_ml
    while sum(state.injected_ml) < volume - 1e-6:
        state, _ = step(world, state, Action(inject_ml_s=1.0))
        yield state


def labelled(world: World, state: SimState, frame: UltrasoundFrame):
    """The frame in colour with structure outlines, the needle and names (PIL image)."""
    from PIL import Image, ImageDraw

    sc = scan_conversion(frame.geometry, frame.image.shape)
    inside = sc.line >= 0
    li = np.clip(np.round(sc.line), 0, frame.label.shape[0] - 1).astype(int)
    si = np.clip(np.round(sc.sample), 0, frame.label.shape[1] - 1).astype(int)
    lab = np.where(inside, frame.label[li, si], 0)
    grey = frame.image.astype(float) * 0.8
    rgb = np.repeat(grey[..., None], 3, axis=2)
    edge = np.zeros(lab.shape, bool)
    edge[:-1] |= lab[:-1] != lab[1:]
    edge[:, :-1] |= lab[:, :-1] != lab[:, 1:]
    edge &= inside
    colours = {s.index: _rgb(s.entry.color) for s in world.anatomy.structures}
    for idx, col in colours.items():
        m = edge & (lab == idx)
        rgb[m] = col
    img = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    font = _font(18)
    boxes = [_label(draw, np.array([8.0, 8.0]), world.scenario.title, (230, 230, 230), font)]
    n = state.needle
    if n.entry_mm is not None:
        pts = frame.pixel_of([n.entry_mm, n.tip_mm])
        draw.line([tuple(pts[0]), tuple(pts[1])], fill=(255, 230, 60), width=2)
        mid = pts[0] + 0.4 * (pts[1] - pts[0])
        boxes.append(_place(draw, mid + (14.0, -10.0), "needle", (255, 230, 60), font, boxes))
    for name, text in NAMES.items():
        if name not in world.anatomy.by_name:
            continue
        idx = world.anatomy.structure(name).index
        rows, cols = np.nonzero((lab == idx) & inside)
        if len(rows) < 150:
            continue
        if name == "femur":  # below the bone surface, in the shadow
            k = int(np.argmin(rows))
            xy = np.array([cols[k] - 60.0, rows[k] + 45.0])
        else:  # the region's pixel nearest its centre
            c = np.array([cols.mean(), rows.mean()])
            k = int(np.argmin((cols - c[0]) ** 2 + (rows - c[1]) ** 2))
            xy = np.array([cols[k] + 6.0, rows[k] - 9.0])
        boxes.append(_place(draw, xy, text, colours[idx], font, boxes))
    return img


def _place(draw, xy, text, colour, font, boxes):
    """Draw a name where it overlaps no earlier one (moving it down as needed)."""
    xy = np.array(xy, float)
    width = draw.im.size[0]
    box = draw.textbbox((0.0, 0.0), text, font=font)
    xy[0] = min(xy[0], width - (box[2] - box[0]) - 4.0)  # keep the name inside the picture
    for _ in range(40):
        box = draw.textbbox((float(xy[0]), float(xy[1])), text, font=font)
        if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
                   for b in boxes):
            break
        xy[1] += 6.0
    return _label(draw, xy, text, colour, font)


def _label(draw, xy, text, colour, font):
    x, y = float(xy[0]), float(xy[1])
    box = draw.textbbox((x, y), text, font=font)
    draw.rectangle(box, fill=(0, 0, 0))
    draw.text((x, y), text, fill=tuple(int(c) for c in colour), font=font)
    return box


def _font(size):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def main(out_dir: str | Path = ".github/readme") -> list[Path]:
    from PIL import Image

    from simulator.loading import load_world

    world = load_world("hip_anterior_us")
    *_, state = scripted_states(world)
    frame = render_ultrasound(world, state)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plain = out / "ultrasound_hip.png"
    Image.fromarray(frame.image).save(plain)
    marked = out / "ultrasound_hip_labelled.png"
    labelled(world, state, frame).save(marked)
    return [plain, marked]


if __name__ == "__main__":
    for p in main(*sys.argv[1:]):
        print(p)
