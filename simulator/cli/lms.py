"""``jointsim xapi`` (attempts as xAPI statements, to a file or a Learning Record Store) and
``jointsim cmi5 package`` (a course package a learning management system imports)."""

from __future__ import annotations

from pathlib import Path

import typer

from simulator.cli import app
from simulator.cli.common import say
from simulator.errors import InputError

cmi5_app = typer.Typer(no_args_is_help=True, help="cmi5 course packages for an LMS.")

BASE_HELP = "IRI under which scenario activities and extensions are named."
HOME_HELP = "Web site whose accounts name the trainees (the xAPI account homePage)."


def _config(base_iri: str, home_page: str, actors: Path | None = None):
    from scoring.xapi.sources import read_mboxes
    from scoring.xapi.statements import XapiConfig
    from scoring.xapi.validate import IRI

    for value, name in ((base_iri, "--base-iri"), (home_page, "--home-page")):
        if not IRI.match(value) or not value.startswith(("http://", "https://")):
            raise InputError(f"{value!r} is not an http(s) IRI", field=name)
    return XapiConfig(base_iri=base_iri.rstrip("/"), home_page=home_page,
                      mboxes=read_mboxes(actors))


@app.command()
def xapi(
    score: list[Path] = typer.Option(None, "--score", help="score.json of an attempt "
                                     "(repeatable)."),
    db: str | None = typer.Option(None, "--db", help="Results database (SQLAlchemy URL or "
                                  "SQLite path): every stored attempt."),
    out: Path | None = typer.Option(None, "--out", help="Write the statements to this JSON "
                                    "file."),
    lrs: str | None = typer.Option(None, "--lrs", help="POST the statements to this Learning "
                                   "Record Store endpoint (its /statements resource)."),
    auth: str | None = typer.Option(None, "--auth", help="LRS credentials user:password "
                                    "(HTTP Basic)."),
    actors: Path | None = typer.Option(None, "--actors", help="CSV 'trainee,email': those "
                                       "trainees are named by e-mail (mbox)."),
    base_iri: str = typer.Option("https://jointsim.org/xapi", help=BASE_HELP),
    home_page: str = typer.Option("https://jointsim.org", help=HOME_HELP),
) -> None:
    """xAPI 2.0 statements for scored attempts (attempted, completed, passed/failed and one
    per procedure step), written to a file or sent to an LRS."""
    from scoring.xapi.lrs import check_lrs, post_statements, write_statements
    from scoring.xapi.sources import scores_from_files, scores_from_store
    from scoring.xapi.statements import checked_statements

    if bool(score) == bool(db):
        raise InputError("give --score FILE (repeatable) or --db URL", field="--score")
    if (out is None) == (lrs is None):
        raise InputError("give --out FILE.json or --lrs URL", field="--out")
    if lrs is not None:
        check_lrs(lrs, auth)
    config = _config(base_iri, home_page, actors)
    scores = scores_from_files(score) if score else scores_from_store(db)
    statements = checked_statements(scores, config)
    if out is not None:
        write_statements(statements, out)
        print(f"{len(statements)} xAPI statements for {len(scores)} attempt(s): {out}")
    else:
        sent = post_statements(statements, lrs, auth)
        print(f"{sent} xAPI statements for {len(scores)} attempt(s) sent to {lrs}")


@cmi5_app.command("package")
def package(
    out: Path = typer.Option(..., "--out", help="The course package to write (.zip)."),
    scenarios: list[str] = typer.Option(None, "--scenarios", help="Scenario file or shipped "
                                        "name, one AU each (repeatable; default: every "
                                        "shipped scenario)."),
    move_on: str = typer.Option("CompletedAndPassed", "--move-on", help="When the LMS counts "
                                "an AU done: Passed or CompletedAndPassed."),
    base_iri: str = typer.Option("https://jointsim.org/xapi", help=BASE_HELP),
) -> None:
    """A cmi5 course package: cmi5.xml (one AU per scenario, masteryScore = pass mark / 100,
    checked against the cmi5 XSD) and a launch page per AU."""
    from scoring.xapi.cmi5 import units, write_package
    from simulator.paths import scenario_path, shipped_scenarios

    paths = [scenario_path(s) for s in scenarios] if scenarios else shipped_scenarios()
    for given, path in zip(scenarios or paths, paths, strict=True):
        if not path.is_file():
            raise InputError(f"scenario {given!r} not found; give a scenario file or a shipped "
                             "name such as hip_anterior_us", field="--scenarios")
    unit_list = units(paths)
    write_package(unit_list, out, _config(base_iri, "https://jointsim.org"), move_on)
    say("cmi5.xml checks against the cmi5 Course Structure XSD")
    print(f"cmi5 course with {len(unit_list)} AU(s) ({move_on}): {out}")


app.add_typer(cmi5_app, name="cmi5")
