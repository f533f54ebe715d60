"""Core commands: demo, validate, schema, replay, score."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from simulator.cli import app
from simulator.cli.common import (
    DEFAULT_SCENARIO,
    not_replayed,
    progress_bar,
    say,
    staged_dir,
    verdict,
)


@app.command()
def demo(
    scenario: str = typer.Option(DEFAULT_SCENARIO, help="Scenario file or shipped name."),
    seed: int = typer.Option(0, help="Session seed."),
    out: Path = typer.Option(Path("out/demo"), help="Output folder."),
    policy: str = typer.Option("expert", help="Scripted trainee: expert or novice."),
    trainee: str = typer.Option("", help="Name recorded in the log (default: the policy)."),
    report: bool = typer.Option(True, "--report/--no-report", help="Also write the session "
                                "report (HTML, PDF) and the key-frame images."),
) -> None:
    """Run a scripted trainee headless: writes the session log, its score, the session report
    (HTML and PDF) and the key-frame images (PNG) into OUT."""
    from scoring.score import Scorer, write_score
    from simulator.loading import load_world
    from simulator.paths import scenario_path
    from simulator.policies import make_policy
    from simulator.session import Session, run_policy

    path = scenario_path(scenario)
    world = load_world(path, seed=seed, progress=say)
    scorer = Scorer(world)
    with staged_dir(out) as stage:
        session = Session(world, log_path=stage / "session.jsonl",
                          trainee=trainee or policy, mode="assessment",
                          scenario_path=path.resolve(), observers=[scorer])
        actor = make_policy(policy, world, seed)
        say(f"running the {policy} policy on {world.scenario.id} (seed {seed})")
        run_policy(session, actor, max_ticks=int(world.scenario.limits.time_s / world.dt_s) + 5)
        session.close({"policy": policy})
        header = json.loads((stage / "session.jsonl").open().readline())
        doc = scorer.report(header=header)
        write_score(doc, stage / "score.json")
        written = _report(stage, say) if report else []
    _print_summary(doc, out)
    for name in written:
        print(f"  {out / name}")


def _report(stage: Path, progress) -> list[str]:
    """Session report and key frames for the demo (skipped with a note without the extra)."""
    from importlib.util import find_spec

    if any(find_spec(m) is None for m in ("matplotlib", "reportlab")):
        progress("report skipped: install jointsim[report] for the HTML/PDF report")
        return []
    from scoring.report import session_pictures, write_session_report
    from scoring.report.session import analyse

    progress("writing the session report and key frames")
    analysis = analyse(stage / "session.jsonl")
    pictures = session_pictures(analysis)
    write_session_report(analysis, stage, pictures=pictures)
    names = ["report.html", "report.pdf"]
    for frame in pictures.get("frames", []):
        name = f"keyframe_{frame.key.kind}_{frame.modality}.png"
        (stage / name).write_bytes(frame.png)
        names.append(name)
    return names


def _print_summary(doc: dict, out: Path) -> None:
    print(verdict(doc))
    for h in doc["hard_fails"]:
        print(f"  hard fail: {h['reason']}")
    for key in ("tip_to_target_mm", "skin_punctures", "needle_passes", "danger_contacts",
                "tip_in_beam_share", "fluoro_time_s", "kap_ugym2", "total_time_s"):
        m = doc["metrics"].get(key)
        if m and m["value"] is not None:
            print(f"  {m['label']}: {m['display']}")
    print(f"  log: {out / 'session.jsonl'}\n  score: {out / 'score.json'}")


@app.command()
def validate(
    files: list[Path] = typer.Argument(..., help="Scenario YAML files."),
    deep: bool = typer.Option(False, "--deep", help="Also build the anatomy, prove the target "
                              "is reachable and report the expert's best score."),
) -> int:
    """Check scenario files; print FILE: field.path: message per problem; exit 1 on any."""
    from simulator.scenario import parse_scenario

    bad = 0
    for path in files:
        _, problems = parse_scenario(path)
        summary = ""
        if deep and not problems:
            from simulator.deep_check import deep_check

            result = deep_check(path, progress=say)
            problems, summary = result.problems, result.summary
        for field, message in problems:
            print(f"{path}: {field}: {message}")
        if problems:
            bad += 1
        else:
            print(f"{path}: ok{' - ' + summary if summary else ''}")
    return 1 if bad else 0


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files."""
    from simulator.scenario import schema as scenario_schema

    print(json.dumps(scenario_schema(), indent=2))


@app.command()
def replay(
    log: Path = typer.Argument(..., help="Session log (JSON Lines)."),
    verify: bool = typer.Option(False, "--verify", help="Exit 1 if the replay's events differ "
                                "from the recorded ones, naming the first tick."),
    scenario: str | None = typer.Option(None, help="Scenario file, if not where the log says."),
) -> int:
    """Re-run a recorded session through the simulator."""
    from simulator.replay import open_log
    from simulator.replay import replay as run_replay

    data, world, _ = open_log(log, scenario, progress=say)
    bar = progress_bar(data.ticks, "replay")
    result = run_replay(data, world, verify=verify,
                        progress=lambda tick, total: bar.update(tick - bar.n))
    bar.close()
    note = " (log was cut off; replayed up to its last complete line)" if data.truncated else ""
    if verify and result.mismatch is not None:
        m = result.mismatch
        print(f"{log}: replay differs at tick {m.tick} "
              f"(t = {m.tick * world.dt_s:.3f} s):\n"
              f"  recorded: {[e.to_json() for e in m.recorded]}\n"
              f"  replayed: {[e.to_json() for e in m.replayed]}")
        return 1
    print(f"{log}: replayed {result.ticks} ticks"
          f"{' and verified: events identical' if verify else ''}{note}")
    return 0


@app.command()
def score(
    log: Path = typer.Argument(..., help="Session log (JSON Lines)."),
    out: Path | None = typer.Option(None, help="Where to write score.json "
                                    "(default: beside the log)."),
    scenario: str | None = typer.Option(None, help="Scenario file, if not where the log says."),
) -> None:
    """Re-score a session log with the scenario's rubric; writes score.json."""
    from scoring.score import score_log, write_score

    doc, result = score_log(log, scenario)
    if result.mismatch is not None:
        raise not_replayed(log, result.mismatch.tick)
    target = out or Path(log).with_name("score.json")
    write_score(doc, target)
    _print_summary(doc, Path(log).parent)
    print(f"  wrote {target}")
