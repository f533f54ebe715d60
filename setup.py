"""Packaging glue: ship the top-level meshes/ and scenarios/ folders inside the wheel.

They install as the data package ``simulator._data`` (found by ``simulator.paths``), so an
installed jointsim finds its anatomy and scenarios without a checkout.
"""

from setuptools import find_packages, setup

DATA = {"simulator._data.meshes": "meshes", "simulator._data.scenarios": "scenarios"}

setup(
    packages=find_packages(include=["simulator", "simulator.*", "scoring", "scoring.*"])
    + list(DATA),
    package_dir=DATA,
    package_data={**{name: ["*", "**/*"] for name in DATA},
                  "simulator.app": ["*.yaml", "*.md"]},
)
