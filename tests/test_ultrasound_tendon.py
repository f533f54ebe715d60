"""Tendon fibres follow the tendon's sheet (issue 12 item 3): the supraspinatus under the
SASD scenario's starting probe is not anechoic (it read as a full-thickness tear)."""

from __future__ import annotations

import numpy as np

from simulator.imaging.ultrasound import render_ultrasound
from simulator.loading import load_world
from simulator.step import initial_state


def test_supraspinatus_under_a_square_probe_shows_tendon_texture():
    world = load_world("shoulder_sasd_bursa_us")
    frame = render_ultrasound(world, initial_state(world))
    tendon = frame.label == world.anatomy.structure("supraspinatus_tendon").index
    assert tendon.sum() >= 1000
    # mean grey was 7/255 (anechoic) with one fibre direction for the whole curved cuff
    assert frame.grey[tendon].mean() >= 40.0
    # and it is speckled tissue, not a black band with noise
    assert np.percentile(frame.grey[tendon], 90) >= 90.0
