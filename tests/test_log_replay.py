"""Session logs: written as they go, replayed exactly, damage reported clearly."""

import json
import subprocess
import sys

import pytest

from simulator.cli import main
from simulator.log import read_log
from simulator.session import Session
from simulator.state import Action


@pytest.fixture(scope="module")
def novice_log(block_scenario, tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--scenario", str(block_scenario), "--policy", "novice", "--seed",
                 "1", "--out", str(out)]) == 0
    return out / "session.jsonl"


@pytest.fixture(scope="module")
def pin(block_scenario):
    """The assessor's scenario folder for the block phantom's logs."""
    return ["--scenarios", str(block_scenario.parent)]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "simulator.cli", *args], capture_output=True,
                          text=True)


def test_demo_writes_log_and_score(novice_log):
    header = json.loads(novice_log.read_text().splitlines()[0])
    for key in ("jointsim_log", "simulator_version", "scenario_sha256", "seed", "dt_s",
                "trainee", "run_id"):
        assert key in header
    score = json.loads((novice_log.parent / "score.json").read_text())
    assert {"passed", "score", "hard_fails", "metrics"} <= set(score)
    assert all({"value", "unit", "label"} <= set(m) for m in score["metrics"].values())


def test_replay_verify_passes_on_a_recorded_log(novice_log, pin, capsys):
    assert main(["replay", str(novice_log), "--verify", *pin]) == 0
    out = capsys.readouterr().out
    assert "events identical" in out and ("unsigned" in out or "signed by" in out)


def test_replay_verify_names_the_first_differing_tick(novice_log, pin, tmp_path, capsys):
    # an edit with the hash chain recomputed (what an attacker without a key can do):
    # the replay itself still catches the changed input
    lines = [json.loads(line) for line in novice_log.read_text().splitlines()]
    n = next(i for i, r in enumerate(lines) if "advance_mm_s" in r.get("a", {}))
    lines[n]["a"]["advance_mm_s"] /= 2
    edited = tmp_path / "edited.jsonl"
    edited.write_text(rechain(lines))
    assert read_log(edited).end is not None  # the recomputed chain holds
    assert main(["replay", str(edited), "--verify", *pin]) == 1
    assert "replay differs at tick" in capsys.readouterr().out


def rechain(records: list[dict]) -> str:
    """The log text of ``records`` with a freshly computed hash chain (no signature)."""
    from simulator.log import CHAIN_START, canonical, chain_hash

    out, previous = [], CHAIN_START
    for record in records:
        body = {k: v for k, v in record.items() if k not in ("h", "sig")}
        previous = chain_hash(previous, body)
        out.append(canonical({**body, "h": previous}).decode() + "\n")
    return "".join(out)


def test_truncated_log_loads_to_its_last_whole_line(novice_log, pin, tmp_path, capsys):
    cut = tmp_path / "cut.jsonl"
    raw = novice_log.read_bytes()
    # cut halfway into the first whole line after two thirds of the log (a cut exactly on a
    # line break would leave an untruncated log)
    start = raw.index(b"\n", len(raw) * 2 // 3) + 1
    cut.write_bytes(raw[: start + (raw.index(b"\n", start) - start) // 2])
    data = read_log(cut)
    assert data.truncated and data.end is None and data.ticks > 100
    assert main(["replay", str(cut), *pin]) == 0  # it replays up to the cut
    assert "incomplete: cut off" in capsys.readouterr().out
    assert main(["replay", str(cut), "--verify", *pin]) == 1  # but is no complete record
    assert "NOT VERIFIED (incomplete)" in capsys.readouterr().out


def test_corrupted_middle_line_is_an_error_naming_the_line(novice_log, pin, tmp_path):
    lines = novice_log.read_text().splitlines()
    lines[5] = lines[5][: len(lines[5]) // 2]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    result = _cli("replay", str(bad), "--verify", *pin)
    assert result.returncode == 2
    assert "line 6: corrupted record" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("field, value, message", [
    ("scenario_sha256", "0" * 64, "differs from the assessor's copy"),
    ("mechanics_version", 999, "mechanics"),
])
def test_log_from_another_scenario_or_version_is_refused(novice_log, pin, tmp_path, field,
                                                         value, message):
    lines = [json.loads(line) for line in novice_log.read_text().splitlines()]
    lines[0][field] = value
    other = tmp_path / "other.jsonl"
    other.write_text(rechain(lines))  # a consistent chain: the header itself is refused
    result = _cli("score", str(other), *pin)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_not_a_log_is_refused(tmp_path):
    junk = tmp_path / "junk.jsonl"
    junk.write_text("hello\n")
    result = _cli("replay", str(junk))
    assert result.returncode == 2 and "not a jointsim session log" in result.stderr


def test_log_is_flushed_as_it_is_written(block_world, tmp_path):
    log = tmp_path / "live.jsonl"
    s = Session(block_world, log_path=log)
    s.step(Action(mark="skin_prep"))
    assert "skin_prep" in log.read_text()  # readable before the session ends
    s.close()
    assert json.loads(log.read_text().splitlines()[-1])["end"]["ticks"] == 1


def test_score_from_replay_matches_live_score(novice_log, block_scenario):
    from scoring.score import read_score, score_log

    scored, result = score_log(novice_log, scenarios=block_scenario.parent)
    live = json.loads(novice_log.read_text().splitlines()[-1])["end"]  # the demo's live score
    written = read_score(novice_log.parent / "score.json")
    assert result.mismatch is None and scored.verification.log_status != "tampered"
    assert scored.score == live["score"] and scored.passed == live["passed"]
    assert scored.values() == written.values() and scored.score == written.score
