"""Benchmarks behind ``jointsim bench``: each module contributes named figures."""

from __future__ import annotations

from importlib import import_module

# Each entry: module with ``run(progress) -> list[Figure]``.
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


def run_suites(names, progress) -> list[dict]:
    figures = []
    for name in names:
        figures += import_module(SUITES[name]).run(progress)
    return figures
