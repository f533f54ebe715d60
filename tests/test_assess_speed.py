"""The shortcuts that make re-scoring fast give exactly what the plain way gives."""

from dataclasses import replace

import pytest

from simulator.state import Needle, SimState, replace_state


def test_replace_state_is_dataclasses_replace():
    state = SimState(tick=3, needle=Needle(depth_mm=2.0), probe=None, carm=None,
                     injected_ml=(0.5,))
    for changes in ({"tick": 4}, {"needle": Needle(), "retracted_mm": 1.5},
                    {"ended": True, "side": "left"}):
        fast, plain = replace_state(state, **changes), replace(state, **changes)
        assert fast == plain and type(fast) is SimState
        assert all(getattr(fast, k) is getattr(plain, k) for k in SimState.__slots__)
    assert state.tick == 3 and not state.ended   # the original is untouched
    with pytest.raises(TypeError):
        replace_state(state, tik=4)


def test_the_tip_screen_answers_only_where_the_full_measure_finds_the_tip_unseen(hip_us_world):
    """``tip_visible``'s compiled screen says "not seen" only where ``tip_contrast_db`` does
    (tip outside the image, or not seen), over in-plane, near-plane and off-plane needles."""
    import numpy as np

    from simulator.imaging.ultrasound import tip_visibility as tv
    from simulator.probe import world_from_probe
    from simulator.step import initial_state

    world = hip_us_world
    probe = initial_state(world).probe
    world_from = world_from_probe(world, probe)
    probe_from = np.linalg.inv(world_from)
    screen = tv._screen_of(world, probe)
    rng = np.random.default_rng(5)
    screened = full_seen = 0
    for _ in range(300):
        # entry on the face's long axis, a little off the plane; aimed into the image
        entry_p = np.array([rng.uniform(-40, 40), rng.choice([0.0, rng.uniform(-8, 8)]), 0.0])
        angle = rng.uniform(0.2, 1.2) * (1 if entry_p[0] < 0 else -1)
        d_p = np.array([np.cos(angle) * np.sign(angle), rng.normal(0, 0.08), abs(np.sin(angle))])
        entry = world_from[:3, :3] @ entry_p + world_from[:3, 3]
        direction = world_from[:3, :3] @ (d_p / np.linalg.norm(d_p))
        depth = rng.uniform(3.0, 110.0)
        tip = entry + direction * depth
        needle = Needle(entry_mm=tuple(entry), direction=tuple(direction), depth_mm=depth,
                        in_skin=True, tip_label=world.core.label_at(tip))
        contrast = tv.tip_contrast_db(world, probe, probe_from, needle)
        seen = contrast is not None and contrast.seen
        full_seen += seen
        if tv._surely_unseen(screen, probe_from, needle):
            screened += 1
            assert not seen, (needle, contrast)
    assert 30 < screened < 270 and full_seen > 10   # both answers were exercised


def test_the_compiled_skin_search_is_the_segment_hits_search(hip_us_world):
    """``World.skin_near`` / ``skin_along`` (one compiled call) find the very point and
    triangle the search written with ``TriangleGrid.segment_hits`` finds."""
    import numpy as np

    from simulator.geometry import unit

    tri = hip_us_world.anatomy.triangles

    def along(origin, d, max_mm):   # the search as it was written in NumPy
        for until_entering in (True, False):
            t, hit = tri.segment_hits(origin, origin + d * max_mm, until_entering)
            for k in range(len(t)):
                if tri.normal[hit[k]] @ d < 0.0:
                    return origin + d * t[k], hit[k]
        return None, -1

    rng = np.random.default_rng(2)
    centre = hip_us_world.target_point
    found = 0
    for _ in range(200):
        point = centre + rng.normal(0, 40, 3)
        n = unit(rng.normal(0, 1, 3))
        t, _ = tri.segment_hits(point, point + n * 400.0)
        reach = max(60.0, float(t.max()) + 10.0) if len(t) else 60.0
        want = along(point + n * reach, unit(-n), reach + 140.0)
        got = tri.skin_from_outside(point, n, 400.0, 60.0, 10.0, 140.0)
        assert got[1] == want[1]
        if want[0] is not None:
            found += 1
            assert np.array_equal(got[0], want[0])
    assert found > 100


def test_needle_and_probe_kernels_are_the_numpy_helpers_bit_for_bit(hip_us_world):
    import math

    import numpy as np

    from simulator.geometry import cross, perpendicular_basis, rotate, unit
    from simulator.needle import bevel_direction
    from simulator.needle_core import _bevel_direction
    from simulator.probe import probe_axes
    from simulator.step import initial_state

    world = hip_us_world
    probe = initial_state(world).probe
    rng = np.random.default_rng(9)
    for _ in range(200):
        d = tuple(unit(rng.normal(0, 1, 3)))
        needle = Needle(entry_mm=(0.0, 0.0, 0.0), direction=d, bevel_rad=rng.uniform(0, 6.3))
        assert np.array_equal(_bevel_direction(np.asarray(d), needle.bevel_rad),
                              bevel_direction(needle))
        yaw, pitch = rng.normal(0, 0.01, 2)
        a, b = perpendicular_basis(d)
        assert np.array_equal(world.core.turn(d, yaw, pitch),
                              unit(np.asarray(d) + a * math.tan(yaw) + b * math.tan(pitch)))
        p = replace(probe, normal=tuple(unit(rng.normal(0, 1, 3))),
                    rotation_rad=rng.uniform(-3, 3), tilt_rad=rng.uniform(-0.7, 0.7),
                    rock_rad=rng.choice([0.0, rng.uniform(-0.5, 0.5)]))
        n = np.asarray(p.normal)
        up = np.array([0.0, 0.0, 1.0])
        superior = unit(up - (up @ n) * n)
        medial = -world.side_sign * cross(n, superior)
        long_axis = math.cos(p.rotation_rad) * superior + math.sin(p.rotation_rad) * medial
        beam = rotate(-n, long_axis, p.tilt_rad)
        elevation = cross(beam, long_axis)
        if p.rock_rad:
            long_axis = rotate(long_axis, elevation, p.rock_rad)
            beam = rotate(beam, elevation, p.rock_rad)
        for got, want in zip(probe_axes(world, p), (long_axis, elevation, beam), strict=True):
            assert np.array_equal(got, want)


def test_the_swept_triangle_area_is_the_numpy_formula_bit_for_bit():
    """Tissue damage adds ``_triangle_area`` per tick: it must equal the NumPy formula it
    replaced exactly (last bit included), or re-scored logs would change their figures."""
    import numpy as np

    from scoring.metrics.efficiency import _triangle_area
    from simulator.geometry import cross

    rng = np.random.default_rng(11)
    for scale in (1e-3, 1.0, 80.0):
        for _ in range(2000):
            p, o, q = (tuple(float(x) for x in rng.normal(0, scale, 3)) for _ in range(3))
            plain = 0.5 * np.linalg.norm(cross(np.asarray(p) - np.asarray(o),
                                               np.asarray(q) - np.asarray(o)))
            assert _triangle_area(p, o, q) == plain
