"""Procedural anatomy generators, one module per joint, all with the same signature.

A generator is ``build(patient: PatientParams, seed: int) -> GeneratedModel``: pure and
deterministic in its arguments. ``GENERATORS`` maps model names to ``module:function``
so that importing this package stays cheap.
"""

from __future__ import annotations

from importlib import import_module

from simulator.anatomy.generated import GeneratedModel
from simulator.anatomy.patient import PatientParams

GENERATORS: dict[str, str] = {
    "hip": "simulator.anatomy.generators.hip:build",
    "knee": "simulator.anatomy.generators.knee:build",
    "ankle": "simulator.anatomy.generators.ankle:build",
    "shoulder": "simulator.anatomy.generators.shoulder:build",
    "sij": "simulator.anatomy.generators.sij:build",
}


def generate(model: str, patient: PatientParams, seed: int) -> GeneratedModel:
    """Build the named model for ``patient``; raise ``KeyError`` for an unknown model."""
    try:
        target = GENERATORS[model]
    except KeyError:
        raise KeyError(f"unknown anatomy model {model!r}; valid: {', '.join(GENERATORS)}") from None
    module, _, func = target.partition(":")
    return getattr(import_module(module), func)(patient, seed)
