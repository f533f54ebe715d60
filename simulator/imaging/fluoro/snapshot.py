"""``jointsim snapshot --modality fluoro``: the starting fluoroscopy image, for people and tests.

Writes ``fluoro.png`` (the display image of the state given, normally the scenario's starting
AP view taken as a spot image) and, with ``raw``, ``fluoro_line_integrals.npy`` (noise-free
``-ln(I/I0)``, float32, rows x columns) and ``fluoro.json`` (3x4 ``pixel_from_world``
projection matrix, pixel size, SID/SIC, C-arm pose and window) so the image can be
re-projected or compared with another renderer.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from simulator.imaging.fluoro.render import render_fluoro


def write_snapshot(world, state, out_dir, *, raw: bool = False, seed: int = 0) -> list[Path]:
    """Render ``state`` and write the files; returns the paths written."""
    from PIL import Image

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frame = render_fluoro(world, state, seed=seed, exposure="spot")
    png = out_dir / "fluoro.png"
    Image.fromarray(frame.image).save(png)
    written = [png]
    if raw:
        npy = out_dir / "fluoro_line_integrals.npy"
        np.save(npy, frame.line_integrals.astype(np.float32))
        c = state.carm
        doc = {
            "scenario": world.scenario.id,
            "tick": frame.tick,
            "seed": seed,
            "quantity": "line integral -ln(I/I0) at 60 keV, noise-free, float32 [row, col]",
            "projection": frame.projection.to_json(),
            "pose": {
                "orbital_deg": math.degrees(c.orbital_rad),
                "cranial_deg": math.degrees(c.cranial_rad),
                "isocentre_mm": list(c.isocentre_mm),
                "collimated_field_mm": c.field_mm,
                "low_dose": c.low_dose,
            },
            "window_line_integral": list(frame.window),
            "quanta_per_pixel_unattenuated": frame.quanta_per_pixel,
            "display": "dense = dark; unexposed pixels 0",
        }
        js = out_dir / "fluoro.json"
        js.write_text(json.dumps(doc, indent=2))
        written += [npy, js]
    return written


def readme_images(out_dir, *, scenario: str = "hip_ap_fluoro", seed: int = 0) -> list[Path]:
    """The README pictures: the starting AP view (``fluoro_ap_hip.png``) and the expert's
    arthrogram (``fluoro_arthrogram.png``: the state right after the 2 mL contrast injection,
    shown in the AP view with the starting collimation so the whole joint is in the field).
    """
    from dataclasses import replace

    from PIL import Image

    from simulator.loading import load_world
    from simulator.policies import make_policy
    from simulator.step import initial_state, step

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    world = load_world(scenario)
    state = initial_state(world)
    start = state
    policy = make_policy("expert", world, seed)
    contrast = next(n for n, s in enumerate(world.scenario.syringes) if s.contents == "contrast")
    after = None
    while not state.ended and after is None:
        state, events = step(world, state, policy(world, state))
        if any(e.kind == "injection_stopped" and e.data.get("syringe") == contrast
               for e in events):
            after = state
    if after is None:
        raise RuntimeError("the expert did not inject contrast")
    ap = replace(after.carm, orbital_rad=start.carm.orbital_rad,
                 cranial_rad=start.carm.cranial_rad, field_mm=start.carm.field_mm)
    paths = []
    for name, s in (("fluoro_ap_hip.png", start), ("fluoro_arthrogram.png",
                                                    replace(after, carm=ap))):
        frame = render_fluoro(world, s, seed=seed, exposure="spot")
        path = out_dir / name
        Image.fromarray(frame.image).save(path)
        paths.append(path)
    return paths


if __name__ == "__main__":  # python -m simulator.imaging.fluoro.snapshot OUT_DIR
    import sys

    for p in readme_images(sys.argv[1] if len(sys.argv) > 1 else ".github/readme"):
        print(p)
