"""``jointsim run``: the interactive trainer window."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from simulator.cli import app
from simulator.cli.common import DEFAULT_SCENARIO, say


@app.command()
def run(
    scenario: str = typer.Argument(DEFAULT_SCENARIO, help="Scenario file or shipped name."),
    mode: str = typer.Option("learning", help="learning (anatomy overlays, more prompts) or "
                             "assessment (as at the bedside); the scenario decides which "
                             "are allowed."),
    trainee: str = typer.Option("", help="Your name, recorded in the log and the score."),
    results: Path = typer.Option(Path("results"), help="Folder the attempts are saved in: "
                                 "RESULTS/<scenario>/<date-time>-<run id>/session.jsonl and "
                                 "score.json."),
    bindings: Path | None = typer.Option(None, help="Controls file (YAML) laid over the "
                                         "default bindings."),
    profile: bool = typer.Option(False, "--profile", help="Show the frame rate and, on exit, "
                                 "print a frame-time report (also saved as JSON in RESULTS)."),
    seed: int | None = typer.Option(None, help="Seed of the first attempt (default: random)."),
    seconds: float | None = typer.Option(None, help="Close by itself after this many "
                                         "seconds (demos, profiling)."),
    size: str = typer.Option("1280x720", help="Window size, WIDTHxHEIGHT."),
) -> None:
    """Open the trainer: perform the injection with the keyboard or a gamepad (F1: controls)."""
    from simulator.errors import InputError

    if mode not in ("learning", "assessment"):
        raise InputError(f"unknown mode {mode!r}; use learning or assessment", field="--mode")
    try:
        width, height = (int(v) for v in size.lower().split("x"))
    except ValueError:
        raise InputError(f"cannot read {size!r}; use WIDTHxHEIGHT, e.g. 1280x720",
                         field="--size") from None
    if width < 960 or height < 540:
        raise InputError("the window needs at least 960x540", field="--size")
    from simulator.app.bindings import load_bindings

    keys = load_bindings(bindings)  # bad bindings fail before anything slow happens
    from simulator.app.loop import App
    from simulator.app.profile import format_report
    from simulator.loading import load_world
    from simulator.paths import scenario_path
    from simulator.slow_wait import COMPILING, noted_if_slow

    path = scenario_path(scenario)
    # the window opens only once the patient is loaded: until then, the console says why
    with noted_if_slow("loading the patient", say, compiling=COMPILING):
        world = load_world(path, progress=say)
    say(f"{world.scenario.title} - {mode} mode. F1 shows the controls; attempts are saved "
        f"in {results}/{world.scenario.id}/")
    window = App(world, scenario_path=path.resolve(), mode=mode, trainee=trainee,
                 results=results, bindings=keys, size=(width, height), seed=seed,
                 show_fps=profile, warm_up=True)
    window.run(max_seconds=seconds)
    if window.folder is not None:
        say(f"last attempt saved in {window.folder}")
    if profile:
        report = window.stats.report(window.imaging.render_times, window.scene.render_times
                                     if window.scene_worker else [])
        print(format_report(report))
        out = Path(results) / world.scenario.id / "app-profile.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2))
        say(f"frame-time report saved as {out}")
