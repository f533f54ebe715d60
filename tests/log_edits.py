"""Editing session logs the way an attacker or a damaged disk would, for the integrity and
fuzz tests: records in and out, with or without a recomputed hash chain."""

from __future__ import annotations

import json
from pathlib import Path

from simulator.log import CHAIN_START, canonical, chain_hash


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


def rechain(recs: list[dict], keep_sig: bool = False) -> str:
    """Log text of ``recs`` with the hash chain recomputed (as anyone can, without the key);
    the old signature is kept only with ``keep_sig``."""
    out, previous = [], CHAIN_START
    for record in recs:
        body = {k: v for k, v in record.items() if k not in ("h", "sig")}
        previous = chain_hash(previous, body)
        line = {**body, "h": previous}
        if keep_sig and "sig" in record:
            line["sig"] = record["sig"]
        out.append(canonical(line).decode() + "\n")
    return "".join(out)


def as_text(recs: list[dict]) -> str:
    """Log text of ``recs`` as they are (hashes untouched, canonical form)."""
    return "".join(canonical(r).decode() + "\n" for r in recs)


def write(path: Path, text: str) -> Path:
    Path(path).write_text(text)
    return Path(path)


def danger_session(world, path: Path, signer=None) -> Path:
    """A scripted attempt on the block phantom that hits the artery (a hard fail), then ends;
    its end record claims the live score, as the trainer's does."""
    from scoring.score import Scorer, score_claim
    from simulator.session import Session
    from simulator.state import NOOP, Action

    scorer = Scorer(world)
    session = Session(world, log_path=path, trainee="Dr Edit", mode="assessment",
                      observers=[scorer], signer=signer)
    session.step(Action(place_needle=((-30.0, 40.0, 0.0), (0.0, -1.0, 0.0))))
    for _ in range(600):
        _, events = session.step(Action(advance_mm_s=20.0))
        if any(e.kind == "danger_contact" for e in events):
            break
    for _ in range(30):
        session.step(Action(probe_tilt_rad_s=0.1) if _ % 10 == 0 else NOOP)
    session.step(Action(end=True))
    scored = scorer.scored()
    session.close({"reason": "ended", **score_claim(scored)})
    return Path(path)
