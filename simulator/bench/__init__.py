"""Benchmarks behind ``jointsim bench``: each module contributes named figures."""

from __future__ import annotations

from importlib import import_module

# Each entry: module with ``run(progress) -> list[Figure]``; the assess suite also takes
# ``sessions`` (how many to assess, default 1,000).
SUITES = {
    "core": "simulator.bench.core",
    "ultrasound": "simulator.bench.ultrasound",
    "fluoro": "simulator.bench.fluoro",
    "app": "simulator.bench.app",
    "assess": "simulator.bench.assess",
    "startup": "simulator.bench.startup",
}


def available() -> list[str]:
    """Suites whose module is present."""
    from importlib.util import find_spec

    return [name for name, module in SUITES.items() if find_spec(module) is not None]


def run_suites(names, progress, assess_sessions: int | None = None) -> list[dict]:
    figures = []
    for name in names:
        options = {"sessions": assess_sessions} if name == "assess" and assess_sessions else {}
        figures += import_module(SUITES[name]).run(progress, **options)
    return figures
