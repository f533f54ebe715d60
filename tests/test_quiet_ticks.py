"""Re-scoring's shortcuts give exactly what the plain way gives: quiet ticks (nothing held,
nothing moving) replayed in one jump, and the Scorer feeding each metric only the ticks it
reads (``Metric.watches``), against every tick replayed one by one into every metric: the
same final state, the same verification, every metric equal."""

import math
from dataclasses import replace
from pathlib import Path

import pytest

from scoring.score import Scorer
from simulator import events as ev
from simulator.bench.core import busy_actions
from simulator.events import Event
from simulator.log import read_log
from simulator.replay import open_log, replay
from simulator.session import Session
from simulator.state import NOOP, Action
from simulator.step import initial_state, quiet_ticks, skip_quiet, step

FIXTURE = Path(__file__).parent / "data" / "legacy_block_expert.jsonl"


class TickCounter:
    """Observer counting ticks seen one by one and in quiet jumps."""

    def __init__(self):
        self.stepped = self.jumped = self.jumps = 0

    def __call__(self, prev, state, action, events):
        self.stepped += 1

    def quiet(self, prev, state, action, ticks):
        assert state.tick == prev.tick + ticks and state == replace(prev, tick=state.tick)
        self.jumped += ticks
        self.jumps += 1


def _record(world, path: Path, actions) -> Path:
    session = Session(world, log_path=path, trainee="t", mode="assessment", signer=None)
    for a in actions:
        if session.ended:
            break
        session.step(a)
    session.close({"policy": "novice"})
    return path


def _busy_then_inject_then_wait(world, seed: int) -> list[Action]:
    """Busy needle and probe work with idle bursts, an injection, then nothing until the
    time limit ends the session."""
    actions = busy_actions(world, 40.0, seed=seed)
    actions += [Action(advance_mm_s=4.0)] * 90 + [Action(inject_ml_s=0.5)] * 60
    actions += [NOOP] * (int(world.scenario.limits.time_s / world.dt_s) + 10)
    return actions


class EveryMetricEveryTick(Scorer):
    """The plain way: every metric fed every tick."""

    def __call__(self, prev, state, action, events):
        for metric in self.metrics:
            metric.update(prev, state, action, events)


def _score_both_ways(log, world):
    out = []
    for plain in (True, False):
        scorer = EveryMetricEveryTick(world) if plain else Scorer(world)
        counter = TickCounter()
        result = replay(log, world, observers=[scorer, counter], quiet_jumps=not plain)
        out.append((result, scorer.values(), counter))
    return out


def _assert_same(log, world, *, expect_jumps: bool = True):
    (plain, plain_values, plain_count), (fast, fast_values, fast_count) = \
        _score_both_ways(log, world)
    assert plain_count.jumps == 0 and plain_count.stepped == log.ticks
    assert fast_count.stepped + fast_count.jumped == log.ticks
    if expect_jumps:
        assert fast_count.jumped > 0.1 * log.ticks  # the jumps really happened
    assert fast.final_state == plain.final_state
    assert (fast.mismatch, fast.end_mismatch) == (plain.mismatch, plain.end_mismatch)
    assert fast_values.keys() == plain_values.keys()
    for key, value in plain_values.items():  # exactly equal, not approximately
        other = fast_values[key]
        assert other == value or (isinstance(value, float) and isinstance(other, float)
                                  and math.isnan(value) and math.isnan(other)), key
    return plain, fast_values


@pytest.mark.parametrize("seed", [0, 3])
def test_a_busy_session_scores_identically_with_quiet_jumps(block_world, tmp_path, seed):
    path = _record(block_world, tmp_path / "busy.jsonl",
                   _busy_then_inject_then_wait(block_world, seed))
    log = read_log(path)
    assert log.end is not None
    assert any(e.kind == ev.INJECTION_STOPPED for es in log.events.values() for e in es)
    plain, values = _assert_same(log, block_world)
    assert plain.mismatch is None and not plain.end_mismatch
    assert plain.final_state.ended and values["injected_ml"] > 0


def test_a_busy_session_ended_early_without_injecting_scores_identically(block_world,
                                                                         tmp_path):
    """No injection: the tip-to-target distance is the tip's last position."""
    actions = busy_actions(block_world, 30.0, seed=5) + [Action(end=True)]
    log = read_log(_record(block_world, tmp_path / "early.jsonl", actions))
    plain, values = _assert_same(log, block_world)
    assert plain.mismatch is None and values["injected_ml"] == 0
    assert values["tip_to_target_mm"] is not None


def test_the_fixture_log_still_verifies_and_scores_identically(block_scenario):
    log, world, _ = open_log(FIXTURE, scenarios=block_scenario.parent)
    plain, _ = _assert_same(log, world)
    assert plain.mismatch is None and not plain.end_mismatch


def test_events_recorded_on_a_quiet_tick_are_found_at_the_same_tick(block_world, tmp_path):
    path = _record(block_world, tmp_path / "idle.jsonl",
                   [Action(advance_mm_s=2.0)] * 30 + [NOOP] * 400 + [Action(end=True)])
    log = read_log(path)
    assert 200 not in log.events
    log.events[200] = (Event(ev.ASPIRATION, {"result": "nothing"}),)  # an edited log
    plain, _ = _assert_same(log, block_world)
    assert plain.mismatch is not None and plain.mismatch.tick == 200


def test_quiet_ticks_stop_before_the_tick_the_time_limit_ends(block_world):
    state = initial_state(block_world)
    limit_ticks = round(block_world.scenario.limits.time_s / block_world.dt_s)
    state = replace(state, tick=limit_ticks - 50)
    n = quiet_ticks(block_world, state, NOOP, 10**6)
    stepped, events = state, ()
    for _ in range(n):
        stepped, events = step(block_world, stepped, NOOP)
        assert events == ()
    assert stepped == skip_quiet(state, n)
    after, events = step(block_world, stepped, NOOP)
    assert [e.kind for e in events] == [ev.SESSION_ENDED] and after.ended
    assert quiet_ticks(block_world, state, Action(advance_mm_s=1.0), 10) == 0
    assert quiet_ticks(block_world, after, Action(advance_mm_s=1.0), 10) == 10
