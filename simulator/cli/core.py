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
from simulator.integrity import COMPLETE


@app.command()
def demo(
    scenario: str = typer.Option(DEFAULT_SCENARIO, help="Scenario file or shipped name."),
    seed: int = typer.Option(0, help="Session seed."),
    out: Path = typer.Option(Path("out/demo"), help="Output folder."),
    policy: str = typer.Option("expert", help="Scripted trainee: expert or novice (they "
                               "plan from the anatomy), or perceiving_expert, "
                               "perceiving_intermediate or perceiving_novice (they see only "
                               "the image, as a person does)."),
    trainee: str = typer.Option("", help="Name recorded in the log (default: the policy)."),
    report: bool = typer.Option(True, "--report/--no-report", help="Also write the session "
                                "report (HTML, PDF) and the key-frame images."),
    key: Path | None = typer.Option(None, "--key", help="Private key that signs the log "
                                    "(default: $JOINTSIM_SIGNING_KEY, else "
                                    "~/.config/jointsim/signing_key if it exists; without a "
                                    "key the log is chained but unsigned)."),
) -> None:
    """Run a scripted trainee headless: writes the session log, its score, the session report
    (HTML and PDF) and the key-frame images (PNG) into OUT."""
    from scoring.score import Scorer, score_claim, write_score
    from simulator.loading import load_world
    from simulator.paths import scenario_path
    from simulator.policies import make_policy
    from simulator.session import SITE_KEY, Session, run_policy
    from simulator.signing import load_signer

    signer = load_signer(key) if key is not None else SITE_KEY
    path = scenario_path(scenario)
    world = load_world(path, seed=seed, progress=say)
    scorer = Scorer(world)
    with staged_dir(out) as stage:
        log = stage / "session.jsonl"
        session = Session(world, log_path=log, trainee=trainee or policy, mode="assessment",
                          scenario_path=path.resolve(), observers=[scorer], signer=signer)
        actor = make_policy(policy, world, seed)
        say(f"running the {policy} policy on {world.scenario.id} (seed {seed})")
        run_policy(session, actor, max_ticks=int(world.scenario.limits.time_s / world.dt_s) + 5)
        header = json.loads(log.open().readline())
        scored = scorer.scored(header, policy=policy, log_file=log.name)
        # the end record claims the live score: a replay that scores otherwise flags the log
        session.close({"policy": policy, **score_claim(scored)})
        written = []
        if report:  # the report's score comes from replaying the log, as an assessor's would
            scored, written = _report(stage, path, say)
        write_score(scored, stage / "score.json")
    _print_summary(scored, out / "session.jsonl", out / "score.json")
    for name in written:
        print(f"  {out / name}")


def _report(stage: Path, scenario: Path, progress) -> tuple:
    """Replay the demo's log once: its ``ScoredSession``, and its session report and key
    frames (without the report extra: the score only, with a note)."""
    from importlib.util import find_spec

    from scoring.report.session import analyse
    pictured = all(find_spec(m) is not None for m in ("matplotlib", "reportlab"))
    analysis = analyse(stage / "session.jsonl", scenario, timeline=pictured)
    if not pictured:
        progress("report skipped: install jointsim[report] for the HTML/PDF report")
        return analysis.scored, []
    from scoring.report import session_pictures, write_session_report
    from simulator.slow_wait import COMPILING, noted_if_slow

    progress("writing the session report and key frames")
    with noted_if_slow("rendering the key frames", progress, compiling=COMPILING):
        pictures = session_pictures(analysis)
    write_session_report(analysis.scored, stage, pictures=pictures)
    names = ["report.html", "report.pdf"]
    for frame in pictures.get("frames", []):
        name = f"keyframe_{frame.key.kind}_{frame.modality}.png"
        (stage / name).write_bytes(frame.png)
        names.append(name)
    return analysis.scored, names


def _print_summary(scored, log: Path, score_file: Path) -> None:
    """What ``demo`` and ``score`` print: the verdict, hard fails, the headline figures
    (those of the end screen) and where the files are."""
    check = scored.verification
    if check.log_status and check.log_status not in COMPLETE:
        print(f"{check.log_status.upper()} LOG: {check.log_status_detail}; the score below "
              "is not a complete assessment record")
    print(verdict(scored))
    for h in scored.hard_fails:
        print(f"  hard fail: {h.reason}")
    for line in scored.summary():
        print(f"  {line}")
    if check.log_status:
        print(f"  log status: {check.log_status}: {check.log_status_detail}")
    print(f"  log: {log}\n  score: {score_file}")


@app.command()
def validate(
    files: list[Path] = typer.Argument(..., help="Scenario YAML files."),
    deep: bool = typer.Option(False, "--deep", help="Also build the anatomy, prove the target "
                              "is reachable and report the expert's best score."),
) -> int:
    """Check scenario files; print FILE: field.path: message per problem; exit 1 on any."""
    from scoring.rubric import rubric_problems
    from simulator.scenario import parse_scenario

    bad = 0
    for path in files:
        scenario, problems = parse_scenario(path)
        if scenario is not None:
            problems += rubric_problems(scenario)
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


SCENARIOS_HELP = ("Folder of the assessor's scenario files; the log's scenario is looked up "
                  "there by id and must have the checksum the log was recorded with "
                  "(default: the shipped scenarios; the log's own scenario path is never used).")
TRUST_HELP = ("Public key (.pub from 'jointsim keys init') whose signature the log must carry; "
              "repeat for several sites. Without it a signed log is only checked against "
              "the key it embeds.")


@app.command()
def replay(
    log: Path = typer.Argument(..., help="Session log (JSON Lines)."),
    verify: bool = typer.Option(False, "--verify", help="Exit 1 unless the log is a complete, "
                                "unedited record: events identical on replay, hash chain and "
                                "end record intact (and signed by a --trust key if given)."),
    scenario: str | None = typer.Option(None, help="The assessor's scenario file for this "
                                        "log (instead of looking it up in --scenarios)."),
    scenarios: Path | None = typer.Option(None, "--scenarios", help=SCENARIOS_HELP),
    trust: list[Path] = typer.Option(None, "--trust", help=TRUST_HELP),
) -> int:
    """Re-run a recorded session through the simulator; with --verify also re-score it and
    check the end record's claims (ticks, score, passed)."""
    from scoring.score import Scorer, replayed
    from simulator.integrity import LogStatus, log_status, trusted_keys
    from simulator.replay import open_log
    from simulator.replay import replay as run_replay

    keys = trusted_keys(trust)
    data, world, _ = open_log(log, scenario, progress=say, scenarios=scenarios)
    scorer = Scorer(world)
    bar = progress_bar(data.ticks, "replay")
    result = run_replay(data, world, verify=verify, observers=[scorer] if verify else (),
                        progress=lambda tick, total: bar.update(tick - bar.n))
    bar.close()
    if verify and result.mismatch is not None:
        m = result.mismatch
        print(f"{log}: replay differs at tick {m.tick} "
              f"(t = {m.tick * world.dt_s:.3f} s):\n"
              f"  recorded: {[e.to_json() for e in m.recorded]}\n"
              f"  replayed: {[e.to_json() for e in m.replayed]}")
        return 1
    if verify:  # the re-score checks the end record's claims (score, passed)
        check = replayed(scorer, data, result, trusted=keys).verification
        status = LogStatus(check.log_status, check.log_status_detail, check.log_signer)
    else:
        status = log_status(data, None, keys, "")
    print(f"{log}: replayed {result.ticks} ticks"
          f"{'; events identical' if verify else ''}; {status}")
    if verify and not status.accepted(require_trust=bool(keys)):
        print(f"{log}: NOT VERIFIED ({status.status})")
        return 1
    return 0


@app.command()
def score(
    log: Path = typer.Argument(..., help="Session log (JSON Lines)."),
    out: Path | None = typer.Option(None, help="Where to write score.json "
                                    "(default: beside the log)."),
    scenario: str | None = typer.Option(None, help="The assessor's scenario file for this "
                                        "log (instead of looking it up in --scenarios)."),
    scenarios: Path | None = typer.Option(None, "--scenarios", help=SCENARIOS_HELP),
    trust: list[Path] = typer.Option(None, "--trust", help=TRUST_HELP),
) -> int:
    """Re-score a session log with the scenario's rubric; writes score.json. Exits 1 when the
    log is not a complete record (incomplete, legacy, or not signed by a --trust key)."""
    from scoring.score import score_log, write_score
    from simulator.integrity import TAMPERED, LogStatus, trusted_keys
    from simulator.log import TamperedLog

    keys = trusted_keys(trust)
    scored, result = score_log(log, scenario, scenarios=scenarios, trusted=keys)
    check = scored.verification
    if result.mismatch is not None:
        raise not_replayed(log, result.mismatch.tick)
    if check.log_status == TAMPERED:
        raise TamperedLog(check.log_status_detail, path=log)
    target = out or Path(log).with_name("score.json")
    write_score(scored, target)
    _print_summary(scored, Path(log), target)
    status = LogStatus(check.log_status, check.log_status_detail)
    return 0 if status.accepted(require_trust=bool(keys)) else 1
