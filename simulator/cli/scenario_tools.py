"""Authoring tools: ``jointsim scenario new|guide`` and ``jointsim preview``."""

from __future__ import annotations

from pathlib import Path

import typer

from simulator.cli import app
from simulator.cli.common import say, staged_dir
from simulator.errors import InputError

scenario_app = typer.Typer(no_args_is_help=True, help="Write and document scenario files.")
app.add_typer(scenario_app, name="scenario")


@scenario_app.command("new")
def new(
    joint: str = typer.Option(..., help="Joint model, e.g. hip, knee, shoulder, ankle."),
    modality: str = typer.Option("ultrasound", help="ultrasound or fluoroscopy."),
    id: str = typer.Option("", "--id", help="Id for the new case (default: my_<template>)."),
) -> None:
    """Print a commented scenario template that validates as is (redirect it to a file)."""
    from simulator.scenario_docs import available_templates, commented_yaml, template

    try:
        scenario, source = template(joint, modality)
    except KeyError:
        choices = ", ".join(f"{j}/{m}" for j, m in available_templates())
        raise InputError(f"no template for joint {joint!r} under {modality}; available: "
                         f"{choices}", field="--joint/--modality") from None
    new_id = id or f"my_{scenario.id}"
    scenario = scenario.model_copy(update={"id": new_id, "title": scenario.title + " (copy)"})
    header = (f"Scenario template from {source.name}. Every key is explained above it; edit, "
              f"then check with: jointsim validate --deep <file>")
    print(commented_yaml(scenario, header), end="")


@scenario_app.command("passmark")
def passmark(
    scenario: str = typer.Argument(..., help="Scenario file or shipped name."),
    seeds: int = typer.Option(20, min=3, max=200, help="Attempts per group (seeds 0..N-1: "
                              "one patient each)."),
    expert: str = typer.Option("perceiving_expert", help="Scripted trainee of the skilled "
                               "group (checked: it must clear the mark)."),
    borderline: str = typer.Option("perceiving_intermediate", help="Scripted trainee of the "
                                   "borderline group: the mark is its median score."),
    novice: str = typer.Option("perceiving_novice", help="Scripted trainee of the unskilled "
                               "group (reported: the share passing at the mark)."),
    write: bool = typer.Option(False, "--write", help="Set rubric.pass_score and "
                               "rubric.pass_score_set_by in the scenario file."),
) -> None:
    """Set a pass score by the borderline-group method: the median score of the scripted
    borderline trainees, checked against the expert and the novice (scoring.pass_mark says
    why; prints the study, --write records it in the file)."""
    from scoring.pass_mark import study, write_pass_mark
    from simulator.paths import scenario_path

    path = scenario_path(scenario)
    say(f"Scoring {seeds} attempts each of {expert}, {borderline} and {novice} on "
        f"{path.name} ...")
    found = study(path, range(seeds), expert, borderline, novice)
    for group in (found.expert, found.borderline, found.novice):
        say(f"  {group.policy}: " + " ".join(f"{v:.0f}" + ("" if clean else "*") for v, clean
                                             in zip(group.scores, group.clean, strict=True))
            + "   (* hard fail)")
    if found.mark is None:
        raise InputError(f"{path}: the {expert} scores do not sit above the {borderline} "
                         "median; no pass mark separates them", field="rubric.pass_score")
    say(found.set_by())
    if write:
        write_pass_mark(path, found)
        say(f"wrote rubric.pass_score {found.mark:.0f} to {path}")


@scenario_app.command("guide")
def guide(out: Path | None = typer.Option(None, help="Write here instead of stdout.")) -> None:
    """The scenario guide (scenarios/README.md) generated from the schema."""
    from simulator.scenario_docs import guide as make_guide

    text = make_guide()
    if out is None:
        print(text, end="")
    else:
        out.write_text(text)
        say(f"wrote {out}")


@app.command()
def preview(
    scenario: str = typer.Argument(..., help="Scenario file or shipped name."),
    out: Path = typer.Option(..., help="Output folder."),
    seed: int = typer.Option(0, help="Session seed (patient draw)."),
) -> None:
    """Write PNGs of the 3D scene and the starting ultrasound/fluoroscopy views."""
    from importlib import import_module

    from simulator.loading import load_world
    from simulator.step import initial_state

    world = load_world(scenario, seed=seed, progress=say)
    state = initial_state(world)
    with staged_dir(out) as stage:
        from PIL import Image

        from simulator.viz.scene3d import Scene3D, View, default_camera

        scene = Scene3D(world, size=(1200, 800))
        try:
            rgb = scene.render(View.of(state, default_camera(world), overlays=True))
        finally:
            scene.close()
        Image.fromarray(rgb).save(stage / "scene3d.png")
        print(out / "scene3d.png")
        for modality, used in (("ultrasound", world.scenario.uses_ultrasound),
                               ("fluoro", world.scenario.uses_fluoroscopy)):
            if used:
                module = import_module(f"simulator.imaging.{modality}.snapshot")
                for path in module.write_snapshot(world, state, stage, raw=False, seed=seed):
                    print(out / Path(path).name)
