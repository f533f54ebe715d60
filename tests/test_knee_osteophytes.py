"""Knee osteophytes at Kellgren-Lawrence grade 3 and 4, measured on the built meshes of both
Visible Human bodies: marginal ridges that widen the femoral condyles and the tibial plateau
on both sides (where the AP radiograph shows them), none below grade 3, and larger at grade 4.
"""

from __future__ import annotations

import numpy as np
import pytest
from anatomy_joints import KNEE
from anatomy_probe import Model

from simulator.anatomy.generators.knee_osteophytes import CONDYLE_LEVEL_MM
from simulator.anatomy.generators.osteophytes import OSTEOPHYTE_MM
from simulator.anatomy.patient import PatientParams


def _extent(m: Model, bone: str, z_mm: float) -> np.ndarray:
    """``(2,)`` how far ``bone`` reaches toward -x and +x at the level ``z_mm``, over rays
    across the body every 2 mm from 30 mm behind to 20 mm in front of the joint centre."""
    centre = m.mark["knee_joint_center"]
    low, high = np.inf, -np.inf
    for y in np.arange(centre[1] - 30.0, centre[1] + 20.0, 2.0):
        for start, way in ((-500.0, 1.0), (500.0, -1.0)):
            t = m.hits(bone, np.array([start, y, z_mm]), np.array([way, 0.0, 0.0]))
            if len(t):
                x = start + way * t[0]
                low, high = min(low, x), max(high, x)
    return np.array([low, high])


def _margins(m: Model, grade: int) -> dict[str, np.ndarray]:
    """Femoral and tibial extents at the levels the grade's ridges are drawn at."""
    femur_z = m.by_name["femur"].vertices[:, 2].min() + CONDYLE_LEVEL_MM
    tibia_z = m.mark["knee_joint_center"][2] - OSTEOPHYTE_MM.get(grade, 2.5) - 1.0
    return {"femur": _extent(m, "femur", femur_z), "tibia": _extent(m, "tibia", tibia_z)}


@pytest.mark.slow
@pytest.mark.parametrize("sex", ["female", "male"])
def test_marginal_osteophytes_from_grade_3(built_models, sex):
    models = {g: Model(KNEE, PatientParams(sex=sex, oa_grade=g), shared=built_models)
              for g in (2, 3, 4)}
    for bone in ("femur", "tibia"):
        for grade in (3, 4):
            base = _margins(models[2], grade)[bone]
            grown = _margins(models[grade], grade)[bone]
            out = np.array([base[0] - grown[0], grown[1] - base[1]])   # both sides
            # a ridge of the grade's height on each margin (the bead centres sit on the
            # surface at that level, where the side walls stand nearly upright)
            assert np.all(out > 0.7 * OSTEOPHYTE_MM[grade]), (sex, bone, grade, out)
            assert np.all(out < 1.5 * OSTEOPHYTE_MM[grade]), (sex, bone, grade, out)
    # grade 2 has none: the bones are the same as grade 0's, only the joint space differs
    level = _margins(models[2], 3)
    bare = _margins(Model(KNEE, PatientParams(sex=sex, oa_grade=0), shared=built_models), 3)
    for bone in ("femur", "tibia"):
        assert np.allclose(level[bone], bare[bone], atol=1.5), (sex, bone)
