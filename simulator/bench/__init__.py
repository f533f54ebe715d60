"""Benchmarks behind ``jointsim bench``: each module contributes named figures."""

from __future__ import annotations

from importlib import import_module

# Each entry: module with ``run(progress) -> list[Figure]``.
SUITES = {
    "core": "simulator.bench.core",
}


def run_suites(names, progress) -> list[dict]:
    figures = []
    for name in names:
        figures += import_module(SUITES[name]).run(progress)
    return figures
