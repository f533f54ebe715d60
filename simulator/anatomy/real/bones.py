"""The shipped real bones (``meshes/sources/``), read at build time.

Each file ``<body>_<side>_<bone>.npz`` holds a closed outer surface and its closed cancellous
core in RAS mm, in the Visible Human body's own frame (``extract`` writes them). Bodies:
``VH_M`` (male) and ``VH_F`` (female); bones: ``hip_bone``, ``femur``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from simulator.errors import InputError
from simulator.paths import data_root

BODY_BY_SEX = {"male": "VH_M", "female": "VH_F"}


def sources_folder() -> Path:
    return data_root("meshes") / "sources"


@dataclass(frozen=True)
class RealBone:
    """One bone: outer surface and cancellous core, ``(n, 3) float64`` RAS mm vertices and
    ``(m, 3) int64`` faces each."""

    outer_vertices: np.ndarray
    outer_faces: np.ndarray
    core_vertices: np.ndarray
    core_faces: np.ndarray

    def mirrored(self) -> RealBone:
        """The bone reflected through x = 0 (a left bone in a right-side frame), faces
        re-wound so the surfaces stay outward."""
        flip = np.array([-1.0, 1.0, 1.0])
        return RealBone(self.outer_vertices * flip, self.outer_faces[:, ::-1].copy(),
                        self.core_vertices * flip, self.core_faces[:, ::-1].copy())


@cache
def real_bone(sex: str, side: str, bone: str) -> RealBone:
    """The ``bone`` of the Visible Human body of ``sex`` on ``side`` (file frame)."""
    path = sources_folder() / f"{BODY_BY_SEX[sex]}_{side}_{bone}.npz"
    try:
        data = np.load(path)
        arrays = {k: data[k] for k in ("outer_vertices", "outer_faces", "core_vertices",
                                       "core_faces")}
    except (OSError, KeyError, ValueError) as exc:
        raise InputError(f"cannot read real bone mesh: {exc}", path=str(path),
                         field=bone) from None
    for key in ("outer_vertices", "core_vertices"):
        v = arrays[key]
        if v.ndim != 2 or v.shape[1] != 3 or not np.all(np.isfinite(v)) or np.abs(v).max() > 2e3:
            raise InputError("vertices must be finite (n, 3) millimetres within 2 m",
                             path=str(path), field=key)
    for key, vkey in (("outer_faces", "outer_vertices"), ("core_faces", "core_vertices")):
        f = arrays[key]
        if f.ndim != 2 or f.shape[1] != 3 or f.min() < 0 or f.max() >= len(arrays[vkey]):
            raise InputError("faces must index the vertices", path=str(path), field=key)
    return RealBone(arrays["outer_vertices"].astype(np.float64),
                    arrays["outer_faces"].astype(np.int64),
                    arrays["core_vertices"].astype(np.float64),
                    arrays["core_faces"].astype(np.int64))
