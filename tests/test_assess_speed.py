"""The shortcuts that make re-scoring fast give exactly what the plain way gives."""

from dataclasses import replace

import pytest

from simulator.state import Needle, SimState, replace_state


def test_replace_state_is_dataclasses_replace():
    state = SimState(tick=3, needle=Needle(depth_mm=2.0), probe=None, carm=None,
                     injected_ml=(0.5,))
    for changes in ({"tick": 4}, {"needle": Needle(), "retracted_mm": 1.5},
                    {"ended": True, "side": "left"}):
        fast, plain = replace_state(state, **changes), replace(state, **changes)
        assert fast == plain and type(fast) is SimState
        assert all(getattr(fast, k) is getattr(plain, k) for k in SimState.__slots__)
    assert state.tick == 3 and not state.ended   # the original is untouched
    with pytest.raises(TypeError):
        replace_state(state, tik=4)
