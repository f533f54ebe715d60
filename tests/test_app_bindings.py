"""Bindings: the default file, user overrides, and one clear error per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

pygame = pytest.importorskip("pygame")

from simulator.app.bindings import AXES, COMMANDS, load_bindings  # noqa: E402
from simulator.app.screens import controls_markdown  # noqa: E402
from simulator.errors import InputError  # noqa: E402

APP = Path(__file__).resolve().parent.parent / "simulator" / "app"


def test_default_binds_every_control_to_a_key():
    b = load_bindings()
    assert set(b.axes) == set(AXES)
    assert set(b.commands) == set(COMMANDS)
    for name, axis in b.axes.items():
        assert axis.plus, f"{name} has no keyboard key"
        assert axis.rate > 0
    for name, command in b.commands.items():
        assert command.keys, f"{name} has no keyboard key"
    assert b.axes["advance"].plus == (pygame.K_SPACE,)
    assert [str(p) for p in b.axes["advance"].pad] == ["right_trigger"]
    assert [str(p) for p in b.axes["aim_pitch"].pad] == ["-left_y"]
    assert [str(p) for p in b.axes["probe_rotate"].pad] == ["lb+right_x"]
    assert b.modifiers() == frozenset({"lb"})


def test_user_file_overrides_only_its_entries(tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text("axes:\n  advance: {rate: 4, plus: [up], pad: [a]}\n"
                 "gamepad: {stick_dead_zone: 0.3}\n")
    b = load_bindings(f)
    assert b.axes["advance"].rate == 4.0
    assert b.axes["advance"].plus == (pygame.K_UP,)
    assert b.gamepad.stick_dead_zone == 0.3
    assert b.gamepad.trigger_dead_zone == load_bindings().gamepad.trigger_dead_zone
    assert b.axes["retract"] == load_bindings().axes["retract"]
    assert b.source == str(f)


@pytest.mark.parametrize("text, field, fix", [
    ("commands:\n  aspirat: {keys: [r]}\n", "commands.aspirat", "did you mean 'aspirate'"),
    ("axes:\n  advance: {rate: 5, plus: [spcae]}\n", "axes.advance.plus.0",
     "unknown key 'spcae'"),
    ("axes:\n  advance: {rate: 5, pad: [right_triger]}\n", "axes.advance.pad.0",
     "did you mean 'right_trigger'"),
    ("axes:\n  advance: {rate: 5, pad: [lbb+a]}\n", "axes.advance.pad.0",
     "unknown modifier button 'lbb'"),
    ("axes:\n  advance: {rate: -5}\n", "axes.advance.rate", "between 0 and 1000"),
    ("axes:\n  advance: {plus: [w]}\n", "axes.advance.rate", "give the speed"),
    ("axes:\n  advance: {rate: 5, pluss: [w]}\n", "axes.advance.pluss", "did you mean 'plus'"),
    ("gamepad: {stick_dead_zone: 2}\n", "gamepad.stick_dead_zone", "between 0 and 0.9"),
    ("gamepad: {rumble: maybe}\n", "gamepad.rumble", "true or false"),
    ("gamepad: {layout: {a: q7}}\n", "gamepad.layout.a", "use aN (axis)"),
    ("gamepad: {deadzone: 0.1}\n", "gamepad.deadzone", "did you mean 'stick_dead_zone'"),
    ("comands: {}\n", "comands", "did you mean 'commands'"),
    ("axes: [1, 2]\n", "axes", "expected a mapping"),
    ("axes:\n  advance: {rate: 5\n", "line", "not valid YAML"),
])
def test_mistakes_give_one_clear_message(tmp_path, text, field, fix):
    f = tmp_path / "keys.yaml"
    f.write_text(text)
    with pytest.raises(InputError) as info:
        load_bindings(f)
    message = str(info.value)
    assert message.startswith(str(f)), message
    assert field in message, message
    assert fix in message, message
    assert "\n" not in message


def test_missing_file_names_it(tmp_path):
    with pytest.raises(InputError, match="bindings file not found"):
        load_bindings(tmp_path / "nope.yaml")


def test_cli_reports_a_bad_bindings_file_in_one_line(tmp_path, capsys):
    from simulator.cli import main

    f = tmp_path / "keys.yaml"
    f.write_text("commands:\n  pasue: {keys: [p]}\n")
    assert main(["run", "--bindings", str(f)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"jointsim: error: {f}: commands.pasue: unknown command; did you mean 'pause'?"


def test_controls_doc_matches_the_default_bindings():
    doc = (APP / "CONTROLS.md").read_text()
    assert controls_markdown(load_bindings()) in doc


def test_readme_shows_the_current_controls_table():
    from conftest import REPO

    controls = (REPO / "simulator" / "app" / "CONTROLS.md").read_text()
    table = controls[controls.index("| Action |"):].strip()
    assert table in (REPO / "README.md").read_text(), "paste simulator/app/CONTROLS.md's table"


def test_no_default_key_does_two_things():
    """A key may only be shared by a probe control and the C-arm control in its place (the
    tool in hand decides); any other double use means one of the two never happens."""
    import yaml

    data = yaml.safe_load((APP / "default_bindings.yaml").read_text())
    uses: dict[str, list[str]] = {}
    for name, axis in data["axes"].items():
        for key in axis.get("minus", []) + axis.get("plus", []):
            uses.setdefault(str(key), []).append(name)
    for name, command in data["commands"].items():
        for key in command.get("keys", []):
            uses.setdefault(str(key), []).append(name)
    shared = {key: names for key, names in uses.items() if len(names) > 1}
    for key, names in shared.items():
        assert len(names) == 2 and names[0].startswith("probe_") \
            and names[1].startswith("carm_"), (key, names)
