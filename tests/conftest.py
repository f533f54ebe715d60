"""Shared fixtures. Tests run headless: no display, off-screen VTK, dummy SDL video."""

from __future__ import annotations

import os
import subprocess
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

# Every shipped scenario, in two groups of about equal CPU time in a fresh clone, for
# pytest_configure to prepare before the workers start: the first compiles the ultrasound
# kernels (the hip's first image, ~30 s) and loads the other ultrasound cases after it; the
# second compiles the fluoroscopy kernels and builds the knee's label volume (~30 s between
# them), reaching the knee's first ultrasound image once the first group has compiled it.
PREPARED = (("hip_anterior_us", "ankle_anterior_us", "shoulder_sasd_bursa_us",
             "shoulder_gh_posterior_us", "hip_trochanteric_bursa_us"),
            ("hip_ap_fluoro", "sij_fluoro", "knee_suprapatellar_us",
             "knee_lateral_midpatellar_us"))
_PREPARE = """
import sys
from simulator.loading import load_world
from simulator.slow_wait import prepare_renderers
for name in sys.argv[1:]:
    prepare_renderers(load_world(name), None)
"""


def pytest_configure(config):
    """Before the workers of a whole-suite run start (the README's command and CI, never a run
    of chosen tests), load each scenario's world and render its first images once, in two
    processes side by side: the label volumes land in the jointsim cache and the compiled
    kernels in numba's, where both workers find them, instead of each worker building and
    compiling the same ones at the same time (in a fresh clone ~65 s of CPU in all). With
    both caches warm it costs about 11 s of CPU, 7 s on two cores. A failure here is left
    for the tests to report."""
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", 0):
        return
    if [Path(a).resolve() for a in config.args] != [REPO / "tests"]:
        return
    runs = [subprocess.Popen([sys.executable, "-c", _PREPARE, *group],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for group in PREPARED]
    for run in runs:
        try:
            run.wait(timeout=600)
        except subprocess.TimeoutExpired:
            run.kill()


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
