"""Tamper-evident, signed, bounded session logs (issue 13, findings 1, 2, 4 and 8): every
edit fails verification naming the line, a re-simulated log fails under --trust, a log
cannot choose its rubric, hostile numbers give one clear line (never a hang), and cut logs
are reported incomplete."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from dataclasses import fields

import pytest
from log_edits import as_text, danger_session, rechain, records, write

from scoring.score import score_log
from simulator.cli import main
from simulator.errors import InputError
from simulator.integrity import log_status, trusted_keys
from simulator.log import TamperedLog, read_log
from simulator.replay import open_log, replay
from simulator.signing import create_keys, load_signer
from simulator.state import _ACTION_SHAPES, Action


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """The site's key pair and an attacker's."""
    site = create_keys(tmp_path_factory.mktemp("site"))
    other = create_keys(tmp_path_factory.mktemp("attacker"))
    return {"site": site, "other": other}


@pytest.fixture(scope="module")
def signed(block_world, keys, tmp_path_factory):
    """A signed attempt that hits the artery (hard fail)."""
    path = tmp_path_factory.mktemp("signed") / "danger.jsonl"
    return danger_session(block_world, path, load_signer(keys["site"][0]))


@pytest.fixture(scope="module")
def pin(block_scenario):
    return ["--scenarios", str(block_scenario.parent)]


def status_of(path, block_scenario, keys=None):
    """The status ``assess`` and ``score`` would give ``path`` (InputError if refused)."""
    trusted = trusted_keys([keys["site"][1]]) if keys else frozenset()
    scored, _ = score_log(path, scenarios=block_scenario.parent, trusted=trusted)
    return scored.verification


def test_signed_log_verifies_under_trust_and_not_under_another_key(signed, keys, pin,
                                                                   capsys):
    assert main(["replay", str(signed), "--verify", *pin, "--trust", str(keys["site"][1])]) == 0
    assert "trusted: signed by trusted key ed25519:" in capsys.readouterr().out
    assert main(["replay", str(signed), "--verify", *pin, "--trust",
                 str(keys["other"][1])]) == 1
    assert "NOT VERIFIED (untrusted)" in capsys.readouterr().out
    assert main(["replay", str(signed), "--verify", *pin]) == 0
    assert "signed by ed25519:" in capsys.readouterr().out  # embedded key, untrusted


def test_added_probe_tilt_lines_break_the_chain_at_the_first_added_line(signed, tmp_path):
    recs = records(signed)
    n = len(recs) // 2
    tilt = [{"t": recs[n]["t"], "a": {"probe_tilt_rad_s": 0.2}, "h": "0" * 64}] * 2
    edited = write(tmp_path / "tilt.jsonl", as_text(recs[:n + 1] + tilt + recs[n + 1:]))
    with pytest.raises(TamperedLog) as err:
        read_log(edited)
    assert str(err.value).startswith(f"{edited}: line {n + 2}: hash chain broken")


def test_added_lines_with_a_recomputed_chain_fail_the_seal(signed, keys, block_scenario,
                                                           tmp_path):
    # probe motion produces no events: replay alone cannot see added tilt inputs, the seal
    # can (the chain anyone can recompute)
    recs = records(signed)
    contact = next(r["t"] for r in recs
                   if any(e[0] == "danger_contact" for e in r.get("e", [])))
    tilts = [{"t": t, "a": {"probe_tilt_rad_s": 0.3}} for t in (contact + 5, contact + 6)]
    at = next(i for i, r in enumerate(recs) if r.get("t", -1) > contact + 5)
    edited = recs[:at] + tilts + recs[at:]
    edited[at + 2:at + 2] = [{"t": contact + 7, "a": {}}]  # back to holding still
    resealed = write(tmp_path / "resealed.jsonl", rechain(edited, keep_sig=True))
    check = status_of(resealed, block_scenario)
    assert check.log_status == "tampered" and "signature" in check.log_status_detail
    # without the seal it is consistent, but unsigned: refused under --trust
    unsigned = write(tmp_path / "unsigned.jsonl", rechain(edited))
    assert status_of(unsigned, block_scenario).log_status == "unsigned"
    assert status_of(unsigned, block_scenario, keys).log_status == "unsigned"
    assert main(["score", str(unsigned), "--scenarios", str(block_scenario.parent), "--trust",
                 str(keys["site"][1]), "--out", str(tmp_path / "s.json")]) == 1


def test_end_record_moved_before_the_danger_contact_is_refused(signed, block_scenario,
                                                               tmp_path):
    recs = records(signed)
    contact = next(i for i, r in enumerate(recs)
                   if any(e[0] == "danger_contact" for e in r.get("e", [])))
    end = dict(recs[-1])
    end["t"] = end["end"]["ticks"] = recs[contact]["t"]
    moved = recs[:contact] + [end] + recs[contact:-1]
    with pytest.raises(TamperedLog, match=f"line {contact + 1}: hash chain broken"):
        read_log(write(tmp_path / "moved.jsonl", as_text(moved)))
    with pytest.raises(TamperedLog, match=f"line {contact + 2}: a record follows the end"):
        read_log(write(tmp_path / "moved2.jsonl", rechain(moved, keep_sig=True)))
    # cut there and re-chained: the claimed score no longer matches, nor the seal
    cut = write(tmp_path / "cut.jsonl", rechain(recs[:contact] + [end], keep_sig=True))
    check = status_of(cut, block_scenario)
    assert check.log_status == "tampered" and "claims" in check.log_status_detail


@pytest.mark.parametrize("line, field, value", [
    (0, "trainee", "Someone Else"), (0, "mode", "learning"),
    (0, "started_utc", "2020-01-01T00:00:00+00:00"), (0, "seed", 7),
    (-1, "end.score", 99.0), (-1, "end.passed", True),
])
def test_edited_header_or_summary_fields_are_tampering(signed, keys, block_scenario, pin,
                                                       tmp_path, capsys, line, field, value):
    recs = records(signed)
    target = recs[line]
    if field.startswith("end."):
        target["end"][field[4:]] = value
    else:
        target[field] = value
    with pytest.raises(TamperedLog, match=f"line {len(recs) if line else 1}:"):
        read_log(write(tmp_path / "plain.jsonl", as_text(recs)))
    rechained = write(tmp_path / "rechained.jsonl", rechain(recs, keep_sig=True))
    check = status_of(rechained, block_scenario, keys)
    assert check.log_status == "tampered"
    # even unsigned, an edited end summary differs from the re-score
    if field.startswith("end."):
        bare = write(tmp_path / "bare.jsonl", rechain(recs))
        assert status_of(bare, block_scenario).log_status == "tampered"
        assert main(["replay", str(bare), "--verify", *pin]) == 1
        assert "NOT VERIFIED (tampered)" in capsys.readouterr().out


def test_resimulated_log_fails_under_trust(signed, keys, block_world, block_scenario, tmp_path,
                                           capsys):
    """Inputs edited, events re-generated by the simulator, chain and seal recomputed with
    the attacker's own key: consistent in itself, but not signed by the site."""
    from simulator.session import Session

    data = read_log(signed)
    fake = tmp_path / "resim.jsonl"
    session = Session(block_world, log_path=fake, trainee="Dr Edit", mode="assessment",
                      signer=load_signer(keys["other"][0]))
    action = Action()
    for tick in range(data.ticks):
        action = data.actions.get(tick, action)
        if action.advance_mm_s:
            action = Action(advance_mm_s=action.advance_mm_s / 2)  # a gentler attempt
        session.step(action)
    session.close({"reason": "ended"})
    pin = ["--scenarios", str(block_scenario.parent)]
    assert main(["replay", str(fake), "--verify", *pin]) == 0  # consistent in itself
    capsys.readouterr()
    assert main(["replay", str(fake), "--verify", *pin, "--trust", str(keys["site"][1])]) == 1
    assert "NOT VERIFIED (untrusted)" in capsys.readouterr().out


def test_a_look_alike_scenario_cannot_choose_the_rubric(tmp_path, capsys):
    """Header naming hip_anterior_us but recorded with a copy whose pass_score is 1: graded
    with the shipped copy, and refused naming both checksums and the assessor's file."""
    import yaml

    from simulator.log import LogWriter, make_header
    from simulator.paths import data_root
    from simulator.scenario import load_scenario

    shipped = data_root("scenarios") / "hip_anterior_us.yaml"
    data = yaml.safe_load(shipped.read_text())
    data["rubric"]["pass_score"] = 1  # passes nearly everyone
    fake = tmp_path / "lookalike.yaml"
    fake.write_text(yaml.safe_dump(data))
    fake_digest = load_scenario(fake).digest()
    log = tmp_path / "lookalike.jsonl"
    writer = LogWriter(log, make_header(
        scenario_id="hip_anterior_us", scenario_sha256=fake_digest, scenario_path=str(fake),
        seed=0, dt_s=1 / 60, trainee="T", run_id="r", mode="assessment", started=""), 60)
    writer.record(0, Action(), ())
    writer.finish(1, {})
    assert main(["score", str(log)]) == 2
    err = capsys.readouterr().err
    real = load_scenario(shipped).digest()
    assert "'hip_anterior_us' differs from the assessor's copy" in err
    assert fake_digest[:12] in err and real[:12] in err and str(shipped) in err
    assert str(fake) not in err and len(err.strip().splitlines()) == 1
    # and a log of an id the assessor does not have points at --scenarios
    assert main(["replay", str(log), "--scenarios", str(tmp_path / "nowhere")]) == 2
    assert "--scenarios" in capsys.readouterr().err


def test_unknown_scenario_id_suggests_scenarios(signed, capsys):
    assert main(["score", str(signed)]) == 2
    err = capsys.readouterr().err
    assert "'block_us' is not among the assessor's scenarios" in err and "--scenarios" in err


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "simulator.cli", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("edit, message", [
    ("end_ticks_2e9", "out of range (a whole number from 0 to"),
    ("end_ticks_over_limit", "time limit plus 1 s"),
    ("heartbeat_1e10", "out of range (a whole number from 0 to"),
    ("heartbeat_int_1e10", "out of range (a whole number from 0 to"),
    ("nan_steer", "NaN is not a finite number"),
    ("inf_advance", "not a finite number"),
    ("huge_advance", "is not a finite number within"),
])
def test_hostile_numbers_give_one_line_naming_file_and_line(signed, pin, tmp_path, edit,
                                                            message):
    recs = records(signed)
    mid = len(recs) // 2
    if edit == "end_ticks_2e9":
        recs[-1]["t"] = recs[-1]["end"]["ticks"] = 2_000_000_000
        bad_line = len(recs)
    elif edit == "end_ticks_over_limit":
        recs[-1]["t"] = recs[-1]["end"]["ticks"] = 3_000_000
        bad_line = len(recs)
    elif edit.startswith("heartbeat"):
        recs.insert(mid, {"t": 1e10 if edit == "heartbeat_1e10" else 10**10})
        bad_line = mid + 1
    else:
        field, value = {"nan_steer": ("steer_rad_s", [float("nan"), 0.0]),
                        "inf_advance": ("advance_mm_s", float("inf")),
                        "huge_advance": ("advance_mm_s", 1e300)}[edit]
        recs.insert(mid, {"t": recs[mid - 1]["t"], "a": {field: value}})
        bad_line = mid + 1
    if edit in ("nan_steer", "inf_advance"):  # canonical JSON cannot hold them: hand-made
        text = as_text(recs[:mid]) + json.dumps(recs[mid]) + "\n" + as_text(recs[mid + 1:])
    else:
        text = rechain(recs)  # the chain holds: the bounds themselves must refuse it
    bad = write(tmp_path / f"{edit}.jsonl", text)
    for command in (["replay", str(bad), "--verify", *pin], ["score", str(bad), *pin]):
        result = _cli(*command)
        err = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(err) == 1, result.stderr[-2000:]
        assert str(bad) in err[0] and f"line {bad_line}" in err[0] and message in err[0]


@pytest.mark.parametrize("cut", ["mid_line", "at_line_break", "header_only"])
def test_cut_logs_are_incomplete_everywhere(signed, block_scenario, pin, tmp_path, capsys,
                                            cut):
    raw = signed.read_bytes()
    lines = raw.splitlines(keepends=True)
    text = {"mid_line": raw[: len(raw) * 2 // 3],
            "at_line_break": b"".join(lines[:-1]),
            "header_only": lines[0]}[cut]
    log = tmp_path / "attempt" / "cut.jsonl"
    log.parent.mkdir()
    log.write_bytes(text)
    assert main(["replay", str(log), "--verify", *pin]) == 1
    assert "NOT VERIFIED (incomplete)" in capsys.readouterr().out
    assert main(["score", str(log), *pin]) == 1
    out = capsys.readouterr().out
    assert out.startswith("INCOMPLETE LOG:") and f"log: {log}\n" in out
    assert json.loads((log.parent / "score.json").read_text())["log_status"] == "incomplete"


def test_legacy_format_loads_and_replays_but_is_never_verified(signed, block_scenario, pin,
                                                               tmp_path, capsys):
    recs = records(signed)
    for r in recs:
        r.pop("h")
        r.pop("sig", None)
    recs[0]["jointsim_log"] = 1
    old = write(tmp_path / "old.jsonl", "".join(json.dumps(r) + "\n" for r in recs))
    log, world, _ = open_log(old, scenarios=block_scenario.parent)
    result = replay(log, world)
    assert result.mismatch is None and log.legacy
    status = log_status(log, result)
    assert status.status == "legacy" and "unsealed (legacy format 1)" in status.detail
    assert main(["replay", str(old), "--verify", *pin]) == 1
    assert "NOT VERIFIED (legacy)" in capsys.readouterr().out


def test_assess_lists_bad_logs_stores_only_trusted_and_finishes(signed, keys, block_world,
                                                                block_scenario, tmp_path,
                                                                capsys):
    from scoring.store import Store

    recs = records(signed)
    folder = tmp_path / "logs"
    folder.mkdir()
    write(folder / "good.jsonl", signed.read_text())
    tilt = [{"t": recs[5]["t"], "a": {"probe_tilt_rad_s": 0.2}}]
    write(folder / "tampered.jsonl", rechain(recs[:6] + tilt + recs[6:], keep_sig=True))
    write(folder / "unsigned.jsonl", rechain(recs))
    danger_session(block_world, folder / "untrusted.jsonl", load_signer(keys["other"][0]))
    write(folder / "incomplete.jsonl", "".join(signed.read_text().splitlines(True)[:-1]))
    huge = [dict(r) for r in recs]
    huge[-1]["t"] = huge[-1]["end"]["ticks"] = 2_000_000_000
    write(folder / "huge.jsonl", rechain(huge))
    out = tmp_path / "out"
    assert main(["assess", str(folder), "--out", str(out), "--no-images", "--jobs", "1",
                 "--scenarios", str(block_scenario.parent),
                 "--trust", str(keys["site"][1])]) == 1
    printed = capsys.readouterr().out
    assert "assessed 1 session(s)" in printed
    skipped = (out / "skipped.txt").read_text()
    for name, status in [("tampered", "tampered"), ("unsigned", "unsigned"),
                         ("untrusted", "untrusted"), ("incomplete", "incomplete"),
                         ("huge", "rejected")]:
        assert f"{name}.jsonl: {status}:" in skipped, skipped
    assert "good.jsonl: trusted:" in (out / "log_status.txt").read_text()
    store = Store(f"sqlite:///{out / 'results.sqlite'}")
    rows = store.sessions()
    store.close()
    stored = json.loads(rows[0]["score_json"])
    assert len(rows) == 1 and stored["log_status"] == "trusted"
    assert stored["log_chain_hash"] == read_log(signed).chain_hash  # what the seal signs
    html = (out / "cohort_report.html").read_text()
    assert "tampered.jsonl" in html and "incomplete.jsonl" in html


def test_keys_init_writes_a_private_key_for_the_owner_only_and_never_overwrites(tmp_path,
                                                                                capsys):
    assert main(["keys", "init", "--out", str(tmp_path / "k")]) == 0
    private, public = tmp_path / "k" / "signing_key", tmp_path / "k" / "signing_key.pub"
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    assert b"PUBLIC KEY" in public.read_bytes() and "ed25519:" in capsys.readouterr().out
    before = private.read_bytes()
    assert main(["keys", "init", "--out", str(tmp_path / "k")]) == 2
    assert "never overwritten" in capsys.readouterr().err
    assert private.read_bytes() == before


def test_session_signs_with_the_configured_site_key(block_world, keys, tmp_path, monkeypatch):
    from simulator.session import Session

    def finished(name):
        s = Session(block_world, log_path=tmp_path / name)
        s.step(Action(end=True))
        s.close()
        return read_log(tmp_path / name)

    monkeypatch.setenv("JOINTSIM_SIGNING_KEY", str(keys["site"][0]))
    status = log_status(finished("a.jsonl"), trusted=trusted_keys([keys["site"][1]]))
    assert status.status == "trusted"
    monkeypatch.setenv("JOINTSIM_SIGNING_KEY", "")
    assert log_status(finished("b.jsonl")).status == "unsigned"
    monkeypatch.setenv("JOINTSIM_SIGNING_KEY", str(tmp_path / "missing"))
    with pytest.raises(InputError, match="JOINTSIM_SIGNING_KEY"):
        Session(block_world, log_path=tmp_path / "c.jsonl")


def test_action_shapes_cover_every_action_field():
    assert set(_ACTION_SHAPES) == {f.name for f in fields(Action)}
    full = Action(steer_rad_s=(0.1, -0.2), place_needle=((1.0, 2.0, 3.0), (0.0, -1.0, 0.0)),
                  place_probe=((1.0, 2.0, 3.0), (0.0, 1.0, 0.0), 0.5, 0.1),
                  probe_settings=(("gain_db", 3.0),), select_syringe=1, mark="skin_prep",
                  beam_on=True)
    assert Action.from_json(json.loads(json.dumps(full.to_json()))) == full
    for bad in ({"steer_rad_s": [0.1]}, {"beam_on": 1}, {"advance_mm_s": "5"},
                {"select_syringe": True}, {"place_needle": [[1, 2], [0, 1, 0]]},
                {"place_needle": [[1, 2, 3], [0, 0, 0]]}):
        with pytest.raises(ValueError):
            Action.from_json(bad)


@pytest.mark.parametrize("field, value", [
    ("scenario_id", "a" * 300), ("scenario_id", "../../etc/x"), ("scenario_id", "hip\n"),
    ("scenario_sha256", "zz"), ("seed", -1), ("seed", "abc"), ("seed", 2**64), ("trainee", 5),
])
def test_hostile_header_fields_are_one_clear_error(signed, tmp_path, field, value):
    recs = records(signed)
    recs[0][field] = value
    bad = write(tmp_path / "header.jsonl", rechain(recs))
    with pytest.raises(InputError) as err:
        read_log(bad)
    assert str(err.value).startswith(f"{bad}: line 1: {field}: header field")


def test_a_score_claimed_under_older_scoring_rules_is_not_called_an_edit():
    """A log recorded before the metrics changed claims the score of its day: the replay
    re-scores it by today's rules and only its chain and seal can show an edit, while a claim
    made under today's rules must still match."""
    from types import SimpleNamespace

    from scoring.score import SCORING_VERSION, claimed_score_problem

    today = SimpleNamespace(score=81.0, passed=True)
    older = {"ticks": 10, "score": 64.5, "passed": False}          # no version: version 1
    assert claimed_score_problem(older, today) == ""
    assert claimed_score_problem({**older, "scoring_version": SCORING_VERSION}, today)
    assert claimed_score_problem({"ticks": 10, "score": 81.0, "passed": True,
                                  "scoring_version": SCORING_VERSION}, today) == ""
