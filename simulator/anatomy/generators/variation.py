"""Seeded variation and BMI rules shared by the ``<joint>_params`` modules.

Each joint draws its random numbers as one ``numpy.random.default_rng(seed)`` stream in a fixed
order (one slot per quantity, independent of the patient), so a seed gives the same relative
variation for every patient and both sides.
"""

from __future__ import annotations

import numpy as np


def standard_draws(seed: int, count: int) -> np.ndarray:
    """``count`` standard-normal draws ``(count,)`` from ``default_rng(seed)``, clipped to
    +-2 (no joint is drawn more than two standard deviations from its reference)."""
    rng = np.random.default_rng(seed)
    return np.clip(rng.standard_normal(count), -2.0, 2.0)


def bmi_fat_mm(sex: str, bmi: float, *, female: tuple[float, float],
               male: tuple[float, float], floor_mm: float) -> float:
    """Subcutaneous fat (mm) growing linearly with BMI: ``female`` / ``male`` give
    ``(mm at BMI 18, mm per kg/m2)`` for the sex; never thinner than ``floor_mm``."""
    at_18_mm, per_bmi_mm = female if sex == "female" else male
    return max(floor_mm, at_18_mm + per_bmi_mm * (bmi - 18.0))
