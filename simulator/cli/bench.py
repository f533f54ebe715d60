"""``jointsim bench``: print (and optionally save) the speed figures."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from simulator.cli import app
from simulator.cli.common import say


@app.command()
def bench(
    json_out: Path | None = typer.Option(None, "--json", help="Also write the figures here."),
    suite: list[str] = typer.Option([], help="Only these suites (default: all)."),
    assess_sessions: int | None = typer.Option(
        None, "--assess-sessions", min=1, max=100_000,
        help="Sessions the assess suite measures (default 1,000; fewer for a quick look)."),
) -> None:
    """Measure and print speed figures on this machine."""
    import platform

    from simulator.bench import SUITES, available, run_suites

    names = suite or available()
    unknown = [n for n in names if n not in SUITES]
    if unknown:
        from simulator.errors import InputError

        raise InputError(f"unknown suite(s) {', '.join(unknown)}; valid: {', '.join(SUITES)}",
                         field="--suite")
    figures = run_suites(names, say, assess_sessions)
    width = max(len(f["name"]) for f in figures)
    for f in figures:
        target = f"   (target {f['target']})" if f["target"] else ""
        print(f"{f['name']:<{width}}  {f['value']:>12,.4g} {f['unit']}{target}")
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps({"machine": platform.processor() or platform.machine(),
                                        "figures": figures}, indent=2))
