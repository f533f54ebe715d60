"""Number types for the files people write: finite and within physical bounds.

A NaN or an infinity read from a scenario or manifest slips past every comparison (``nan >
x`` is false) and later hangs a loop or silently removes a rubric rule; a huge number asks for
terabytes. Every number field of the file schemas uses one of these types, so the schema
refuses such values with the field's name.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field


def bounded(lo: float, hi: float):
    """A float field type accepting only finite values in ``[lo, hi]``."""
    return Annotated[float, Field(ge=lo, le=hi, allow_inf_nan=False)]


def bounded_int(lo: int, hi: int):
    """An int field type accepting only values in ``[lo, hi]``."""
    return Annotated[int, Field(ge=lo, le=hi)]


# An offset from a landmark stays within a joint region: a third of a metre either way.
OFFSET_LIMIT_MM = 300.0
OffsetMm = bounded(-OFFSET_LIMIT_MM, OFFSET_LIMIT_MM)

# Metric values in rubrics (mm, s, counts, fractions, uGy m2) are far below a million.
METRIC_LIMIT = 1e6
MetricValue = bounded(-METRIC_LIMIT, METRIC_LIMIT)

# Seeds feed numpy's generators; 32 bits give four billion distinct anatomies or sessions.
MAX_SEED = 2**32 - 1
Seed = bounded_int(0, MAX_SEED)

# Raw coordinates in a manifest (mm or m): a model spans well under ten metres.
COORDINATE_LIMIT = 10_000.0
Coordinate = bounded(-COORDINATE_LIMIT, COORDINATE_LIMIT)

# A unit-vector component.
UnitComponent = bounded(-1.0, 1.0)
