"""Small vector helpers for compiled (numba) code, shared by the probe and the needle core."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def cross(a, b):
    """``np.cross`` of two 3-vectors ``(3,)``, operation for operation, inside numba code."""
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                     a[0] * b[1] - a[1] * b[0]])
