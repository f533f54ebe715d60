"""The lateral femoral cutaneous nerve is visible to a trainee who looks for it (issue 12,
"Done when": contrast of its region against the surrounding fat), on the hip scenario's
anatomy: the probe across the nerve where it runs in the fat about 6 mm under the skin
medial to the ASIS (clinical.md)."""

from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import binary_dilation
from test_doppler import short_axis

from simulator.imaging.ultrasound import render_ultrasound


def test_lfcn_stands_out_of_the_fat_round_it(hip_us_world):
    world = hip_us_world
    state = short_axis(world, "lateral_femoral_cutaneous_nerve", 0.0, 0.0, doppler_mode=0,
                       depth_mm=30.0)
    frame = render_ultrasound(world, state)
    nerve = frame.label == world.anatomy.structure("lateral_femoral_cutaneous_nerve").index
    g = frame.geometry
    depth_mm = g.depth_mm[np.nonzero(nerve)[1]].mean()
    assert nerve.sum() >= 150 and 3.0 <= depth_mm <= 10.0, (nerve.sum(), depth_mm)  # 290, 5.7
    # the fat within ~1 mm in depth and ~3 mm across (20 lines) of it
    fat = world.anatomy.structure("subcutaneous_fat").index
    ring = binary_dilation(nerve, np.ones((41, 2 * round(1.0 / g.dz_mm) + 1), bool)) \
        & (frame.label == fat)
    assert ring.sum() >= 500

    def power_db(mask):
        return 10.0 * math.log10(np.mean(frame.envelope[mask].astype(float) ** 2))

    # measured 7.1 dB brighter in linear power and 151 against 100 grey
    assert power_db(nerve) - power_db(ring) >= 3.0
    assert frame.grey[nerve].mean() - frame.grey[ring].mean() >= 25.0
