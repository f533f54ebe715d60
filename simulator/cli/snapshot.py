"""``jointsim snapshot``: the starting image(s) of a scenario, for people and for tests."""

from __future__ import annotations

from pathlib import Path

import typer

from simulator.cli import app
from simulator.cli.common import say, staged_dir
from simulator.errors import InputError

MODALITIES = ("ultrasound", "fluoro")


@app.command()
def snapshot(
    scenario: str = typer.Argument(..., help="Scenario file or shipped name."),
    out: Path = typer.Option(..., help="Output folder."),
    modality: str | None = typer.Option(None, help="ultrasound or fluoro (default: every "
                                        "modality the scenario uses)."),
    raw: bool = typer.Option(False, "--raw", help="Also write the raw data: ultrasound "
                             "envelope / fluoroscopy line integrals (.npy) with geometry JSON."),
    seed: int = typer.Option(0, help="Seed for per-frame noise."),
) -> None:
    """Write the starting view of SCENARIO as PNG (plus raw data with --raw)."""
    from importlib import import_module

    from simulator.loading import load_world
    from simulator.step import initial_state

    if modality is not None and modality not in MODALITIES:
        raise InputError(f"unknown modality {modality!r}; valid: {', '.join(MODALITIES)}",
                         field="--modality")
    world = load_world(scenario, progress=say)
    uses = {"ultrasound": world.scenario.uses_ultrasound,
            "fluoro": world.scenario.uses_fluoroscopy}
    wanted = [modality] if modality else [m for m in MODALITIES if uses[m]]
    for m in wanted:
        if not uses[m]:
            raise InputError(f"scenario {world.scenario.id!r} has no {m} imaging",
                             field="--modality")
    state = initial_state(world)
    with staged_dir(out) as stage:
        for m in wanted:
            module = import_module(f"simulator.imaging.{m}.snapshot")
            for path in module.write_snapshot(world, state, stage, raw=raw, seed=seed):
                print(out / Path(path).name)
