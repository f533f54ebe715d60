"""``jointsim snapshot`` for ultrasound: the PNG people look at, and the raw data behind it.

Files: ``ultrasound.png`` (the scan-converted display image); with ``raw`` also
``ultrasound_envelope.npy`` (scanlines x samples, linear envelope before gain, TGC and log
compression) and ``ultrasound.json`` (pixel spacing, image size, ``world_from_image``, the
scanline geometry and the probe settings).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from simulator.imaging.ultrasound.render import UltrasoundFrame, render_ultrasound
from simulator.state import SimState
from simulator.world import World


def write_snapshot(world: World, state: SimState, out_dir, *, raw: bool = False,
                   seed: int = 0) -> list[Path]:
    """Render ``state`` and write the files into ``out_dir``; returns the paths written."""
    from PIL import Image

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frame = render_ultrasound(world, state, seed=seed)
    png = out / "ultrasound.png"
    Image.fromarray(frame.image).save(png)
    paths = [png]
    if raw:
        npy = out / "ultrasound_envelope.npy"
        np.save(npy, frame.envelope)
        meta = out / "ultrasound.json"
        meta.write_text(json.dumps(describe(world, frame), indent=2))
        paths += [npy, meta]
    return paths


def describe(world: World, frame: UltrasoundFrame) -> dict:
    """Geometry and settings of a frame as plain JSON values."""
    g = frame.geometry
    p = frame.probe
    rows, cols = frame.image.shape
    return {
        "scenario": world.scenario.id,
        "tick": frame.tick,
        "seed": frame.seed,
        "image": {"rows": rows, "cols": cols, "pixel_spacing_mm": frame.pixel_mm,
                  "world_from_image": np.round(frame.world_from_image, 6).tolist(),
                  "note": "world point (RAS mm) = world_from_image @ (col, row, 0, 1)"},
        "envelope": {"file": "ultrasound_envelope.npy", "shape": list(frame.envelope.shape),
                     "axes": ["scanline", "sample"],
                     "units": "linear amplitude, 1 = perfect mirror at normal incidence, "
                              "before gain, TGC and log compression"},
        "scan": {"preset": world.scenario.probe.preset, "curved": g.curved,
                 "radius_mm": g.radius_mm,
                 "line_lateral": [float(g.line_lateral[0]), float(g.line_lateral[-1])],
                 "line_lateral_units": "rad" if g.curved else "mm",
                 "sample_depth_mm": [float(g.depth_mm[0]), float(g.depth_mm[-1])],
                 "axial_fwhm_mm": g.axial_fwhm_mm,
                 "world_from_probe": np.round(frame.world_from_probe, 6).tolist()},
        "probe": {"contact_mm": list(p.contact_mm), "normal": list(p.normal),
                  "rotation_rad": p.rotation_rad, "tilt_rad": p.tilt_rad,
                  "rock_rad": p.rock_rad,
                  "depth_mm": p.depth_mm, "frequency_mhz": p.frequency_mhz,
                  "focus_mm": p.focus_mm, "gain_db": p.gain_db, "tgc_db": list(p.tgc_db)},
    }
