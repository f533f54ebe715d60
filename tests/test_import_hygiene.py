"""The core and scoring must not pull in display libraries (batch scoring runs headless)."""

import subprocess
import sys

CORE_MODULES = [
    "simulator", "scoring", "simulator.step", "simulator.session", "simulator.replay",
    "simulator.loading", "simulator.policies.expert", "simulator.policies.novice",
    "scoring.score", "simulator.cli", "simulator.cli.core",
]


def test_core_imports_no_display_libraries():
    code = ("import importlib, sys\n"
            f"for m in {CORE_MODULES!r}: importlib.import_module(m)\n"
            "print(' '.join(m for m in ('vtk', 'pyvista', 'pygame') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""


def test_scenario_validation_does_not_import_scoring():
    """scoring imports simulator.scenario (rubrics); the reverse would be a cycle. The rubric's
    metric names are checked by scoring.rubric, so reading a scenario never loads scoring."""
    code = ("import sys\n"
            "from simulator.paths import scenario_path\n"
            "from simulator.scenario import parse_scenario\n"
            "scenario, problems = parse_scenario(scenario_path('hip_anterior_us'))\n"
            "assert scenario is not None and not problems, problems\n"
            "print(' '.join(m for m in sys.modules if m.split('.')[0] == 'scoring'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""
