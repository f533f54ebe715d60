"""The shipped real knee soft tissue (``meshes/sources/<body>_<side>_knee.npz``, written by
``knee_import``), read at build time: Denver cartilage, cruciate and collateral ligaments and
the thigh and calf muscles around the knee, registered to the HRA knee bones of the same body
and side, and the HRA menisci. All in the HRA body frame, RAS mm, closed.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from simulator.anatomy.real.bones import BODY_BY_SEX, _checked, _load, sources_folder


@cache
def real_knee_tissue(sex: str, side: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{name: (vertices (n, 3) float64, faces (m, 3) int64)}`` of the knee of the body of
    ``sex`` on ``side`` (file frame); names as in ``knee_import.STRUCTURES`` plus
    ``menisci``."""
    path = sources_folder() / f"{BODY_BY_SEX[sex]}_{side}_knee.npz"
    arrays = _load(path, "knee")
    names = sorted(k[:-len("_vertices")] for k in arrays if k.endswith("_vertices"))
    return {n: _checked(path, arrays, f"{n}_vertices", f"{n}_faces") for n in names}
