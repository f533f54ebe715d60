"""Needle cannula dimensions by gauge (ISO 9626 regular wall, nominal mid-range values)."""

from __future__ import annotations

# gauge: (outer diameter mm, inner diameter mm). ISO 9626:2016 Table 1 ranges, mid values
# [unverified against the standard's text; fluoroscopy.md quotes 22 G as 0.72 / 0.41 mm].
GAUGE_MM = {
    16: (1.65, 1.19), 18: (1.27, 0.84), 19: (1.07, 0.69), 20: (0.91, 0.60), 21: (0.82, 0.51),
    22: (0.72, 0.41), 23: (0.64, 0.34), 24: (0.56, 0.31), 25: (0.51, 0.26), 26: (0.46, 0.26),
    27: (0.41, 0.21), 28: (0.36, 0.18), 29: (0.33, 0.18), 30: (0.31, 0.16),
}


def outer_diameter_mm(gauge: int) -> float:
    return GAUGE_MM[gauge][0]


def inner_diameter_mm(gauge: int) -> float:
    return GAUGE_MM[gauge][1]
