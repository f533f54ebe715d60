"""Shared fixtures. Tests run headless: no display, off-screen VTK, dummy SDL video."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYVISTA_OFF_SCREEN", "true")
sys.path.insert(0, str(Path(__file__).parent))
# the shared helpers assert too: let pytest explain their failures
pytest.register_assert_rewrite("anatomy_probe", "app_driver", "us_phantoms", "fluoro_phantoms")

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="session")
def block_scenario(tmp_path_factory) -> Path:
    """Scenario file using the block phantom (custom anatomy folder beside it)."""
    from phantoms import write_block

    return write_block(tmp_path_factory.mktemp("block"))


@pytest.fixture(scope="session")
def block_world(block_scenario):
    from simulator.loading import load_world

    return load_world(block_scenario)


@pytest.fixture(scope="session")
def hip_us_world():
    from simulator.loading import load_world

    return load_world(REPO / "scenarios" / "hip_anterior_us.yaml")


@pytest.fixture(scope="session")
def hip_fluoro_world():
    from simulator.loading import load_world

    return load_world(REPO / "scenarios" / "hip_ap_fluoro.yaml")


@pytest.fixture(scope="session")
def built_models(tmp_path_factory) -> Path:
    """Folder where the anatomy tests leave the models they build, for every module and
    test worker of this run (anatomy_probe.built_once): the workers' base temporary
    folders sit side by side in the run's own."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "built-models"
