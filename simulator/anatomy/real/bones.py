"""The shipped real bones and muscles (``meshes/sources/``), read at build time.

Each file ``<body>_<side>_<bone>.npz`` holds a closed outer surface and its closed cancellous
core in RAS mm, in the Visible Human body's own frame (``extract`` writes them). Bodies:
``VH_M`` (male) and ``VH_F`` (female); bones: ``hip_bone``, ``femur``, ``patella``, ``tibia``,
``fibula``; the midline ``sacrum`` has no side (``<body>_sacrum.npz``). Each
``<body>_<side>_muscles.npz`` holds the hip muscles of that side registered to those bones
(``register`` writes them).
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


def _load(path: Path, what: str) -> dict[str, np.ndarray]:
    try:
        data = np.load(path)
        return {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read real anatomy mesh: {exc}", path=str(path),
                         field=what) from None


def checked_mesh(path: Path, arrays: dict, vkey: str, fkey: str) -> tuple[np.ndarray, np.ndarray]:
    """``(vertices float64, faces int64)`` after checking they are finite millimetres within
    2 m and that the faces index the vertices."""
    if vkey not in arrays or fkey not in arrays:
        raise InputError("missing mesh arrays", path=str(path), field=vkey)
    v, f = arrays[vkey], arrays[fkey]
    if v.ndim != 2 or v.shape[1] != 3 or not np.all(np.isfinite(v)) or np.abs(v).max() > 2e3:
        raise InputError("vertices must be finite (n, 3) millimetres within 2 m",
                         path=str(path), field=vkey)
    if f.ndim != 2 or f.shape[1] != 3 or f.min() < 0 or f.max() >= len(v):
        raise InputError("faces must index the vertices", path=str(path), field=fkey)
    return v.astype(np.float64), f.astype(np.int64)


@cache
def real_bone(sex: str, side: str | None, bone: str) -> RealBone:
    """The ``bone`` of the Visible Human body of ``sex`` on ``side`` (file frame); ``side``
    is None for the midline sacrum."""
    stem = BODY_BY_SEX[sex] if side is None else f"{BODY_BY_SEX[sex]}_{side}"
    path = sources_folder() / f"{stem}_{bone}.npz"
    arrays = _load(path, bone)
    outer = checked_mesh(path, arrays, "outer_vertices", "outer_faces")
    core = checked_mesh(path, arrays, "core_vertices", "core_faces")
    return RealBone(*outer, *core)


@cache
def real_soft(sex: str, side: str, what: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The registered soft tissue in ``<body>_<side>_<what>.npz`` of the body of ``sex`` on
    ``side`` (file frame): ``{name: (vertices (n, 3) float64, faces (m, 3) int64)}``.
    ``what``: ``muscles`` (the hip's, ``register``), ``knee`` (``knee_import``: cartilage,
    ligaments, muscles, menisci), ``ankle_soft`` (``ankle_import``: cartilage, muscles)."""
    path = sources_folder() / f"{BODY_BY_SEX[sex]}_{side}_{what}.npz"
    arrays = _load(path, what)
    names = sorted(k[:-len("_vertices")] for k in arrays if k.endswith("_vertices"))
    return {n: checked_mesh(path, arrays, f"{n}_vertices", f"{n}_faces") for n in names}


def real_muscles(sex: str, side: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The registered hip muscles of the body of ``sex`` on ``side`` (file frame)."""
    return real_soft(sex, side, "muscles")
