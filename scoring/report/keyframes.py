"""Key frames re-rendered from the log: the ultrasound or fluoroscopy image the trainee saw
at skin puncture, first target contact and injection.

The renderers are pure views of a state, with noise drawn from ``(seed, tick)``, so the frame
re-rendered here is the frame shown live.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from importlib import import_module
from importlib.util import find_spec

import numpy as np

from scoring.scored import KeyMoment
from simulator.state import SimState
from simulator.world import World

RENDERERS = {
    "ultrasound": ("simulator.imaging.ultrasound", "render_ultrasound"),
    "fluoroscopy": ("simulator.imaging.fluoro", "render_fluoro"),
}


@dataclass
class RenderedFrame:
    key: KeyMoment
    modality: str
    png: bytes
    where: str = ""  # where the needle tip was, in words


def tip_words(world: World, state: SimState) -> str:
    """'tip in the anterior recess, 1.8 mm from the target'."""
    n = state.needle
    if not n.in_skin or n.tip_mm is None:
        return "needle outside the body"
    place = "outside the body" if not n.tip_label else \
        world.anatomy.structures[n.tip_label - 1].entry.display_name
    gap = float(np.linalg.norm(np.asarray(n.tip_mm) - world.target_point))
    return f"tip in {place}, {gap:.1f} mm from the target"


def modalities(world: World) -> list[str]:
    """Imaging the scenario uses, in the order shown."""
    sc = world.scenario
    return [m for m, used in (("ultrasound", sc.uses_ultrasound),
                              ("fluoroscopy", sc.uses_fluoroscopy)) if used]


def renderer(modality: str):
    """The render function for ``modality``, or ``None`` when it is not installed (yet)."""
    module, name = RENDERERS[modality]
    try:
        if find_spec(module) is None:
            return None
        return getattr(import_module(module), name, None)
    except ImportError:
        return None


def missing_renderers(world: World) -> list[str]:
    """Renderers this scenario needs that are not available, as ``module.function``."""
    return [".".join(RENDERERS[m]) for m in modalities(world) if renderer(m) is None]


def to_png(image) -> bytes:
    """A uint8 grey ``(h, w)`` or colour ``(h, w, 3|4)`` array as PNG bytes."""
    from PIL import Image

    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def render_key_frames(world: World, seed: int,
                      frames: list[tuple[KeyMoment, SimState]]) -> list[RenderedFrame]:
    """Render every key frame, ``(moment, state just after it)`` from the replay that scored
    the log (``Scorer.key_frames``), with every imaging modality the scenario uses.

    The state the fluoroscopy renderer sees is the state at the key moment; when the beam
    was off then, the frame shows what a spot image would have shown.
    """
    out = []
    for modality in modalities(world):
        render = renderer(modality)
        if render is None:
            continue
        for moment, state in frames:
            frame = render(world, state, seed=seed, tick=state.tick)
            out.append(RenderedFrame(moment, modality, to_png(frame.image),
                                     tip_words(world, state)))
    return out
