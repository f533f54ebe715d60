"""The assess benchmark's cohort: relabelled copies of a recorded log are distinct attempts
whose hash chain holds and which verify by replay."""

from __future__ import annotations

from simulator.bench.assess import relabel
from simulator.bench.core import busy_actions
from simulator.log import read_log
from simulator.session import Session


def test_a_relabelled_copy_is_another_valid_attempt_with_the_same_record(hip_us_world,
                                                                          tmp_path):
    from scoring.score import score_log

    source = tmp_path / "source.jsonl"
    session = Session(hip_us_world, log_path=source, trainee="a", mode="assessment",
                      signer=None)
    for a in busy_actions(hip_us_world, 20.0, seed=3):
        session.step(a)
    session.close({"policy": "novice"})
    copy = relabel(source, tmp_path / "copy.jsonl", "copy000001", "bench 7",
                   "2026-01-01T00:01:00+00:00")
    original, relabelled = read_log(source), read_log(copy)  # raises if the chain broke
    assert relabelled.header["run_id"] == "copy000001" != original.header["run_id"]
    assert relabelled.header["trainee"] == "bench 7"
    assert relabelled.chain_hash != original.chain_hash
    assert relabelled.events == original.events and relabelled.end == original.end
    doc, result = score_log(copy)
    assert result.mismatch is None and doc.verification.replay_verified
    assert doc.identity.run_id == "copy000001"
    assert doc.verification.log_status == "unsigned"  # chained, not sealed
