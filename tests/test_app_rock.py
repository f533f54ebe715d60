"""The heel-to-toe rocking keys reach the probe (issue 12 item 3): backslash rocks one way,
backquote the other, and nothing else of the probe's pose changes."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("app_driver")

from app_driver import Driver, pygame  # noqa: E402

pytest_plugins = ["app_driver"]  # fixtures: make_app


def test_rock_keys_rock_the_probe_both_ways(make_app, block_world, block_scenario):
    app = make_app(block_world, block_scenario)
    d = Driver(app)
    start = app.state.probe
    d.key(pygame.K_BACKSLASH)
    d.frames(20)
    d.key(pygame.K_BACKSLASH, False)
    d.frames(1)
    rocked = app.state.probe
    assert rocked.rock_rad > 0.05
    assert (rocked.contact_mm, rocked.rotation_rad, rocked.tilt_rad) == \
        (start.contact_mm, start.rotation_rad, start.tilt_rad)
    d.key(pygame.K_BACKQUOTE)
    d.frames(40)
    d.key(pygame.K_BACKQUOTE, False)
    d.frames(1)
    assert app.state.probe.rock_rad < 0.0
