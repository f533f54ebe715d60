"""The cmi5 course package: cmi5.xml validates against the cmi5 Course Structure XSD, has one
AU per scenario whose masteryScore is the scenario's pass mark / 100, and the package is
written whole or not at all."""

from __future__ import annotations

import zipfile

import pytest

pytest.importorskip("lxml")

from lxml import etree  # noqa: E402

from scoring.xapi.cmi5 import schema_problems  # noqa: E402
from scoring.xapi.cmi5_schema import NAMESPACE  # noqa: E402
from simulator.cli import main  # noqa: E402
from simulator.paths import shipped_scenarios  # noqa: E402
from simulator.scenario import load_scenario  # noqa: E402

NS = {"c": NAMESPACE}


def test_the_package_has_an_au_per_scenario_with_its_pass_mark_and_validates(tmp_path):
    out = tmp_path / "course.zip"
    assert main(["cmi5", "package", "--out", str(out), "--move-on", "Passed"]) == 0
    with zipfile.ZipFile(out) as zf:
        xml_text = zf.read("cmi5.xml").decode("utf-8")
        names = set(zf.namelist())
    assert schema_problems(xml_text) == []
    doc = etree.fromstring(xml_text.encode())
    aus = doc.findall("c:au", NS)
    scenarios = {load_scenario(p).id: load_scenario(p) for p in shipped_scenarios()}
    assert len(aus) == len(scenarios)
    for au in aus:
        sid = au.get("id").rsplit("/", 1)[1]
        assert float(au.get("masteryScore")) == pytest.approx(
            scenarios[sid].rubric.pass_score / 100)
        assert au.get("moveOn") == "Passed"
        assert au.get("launchMethod") in ("AnyWindow", "OwnWindow")
        assert au.find("c:url", NS).text in names  # the launch page is in the package
        assert au.find("c:title/c:langstring", NS).text == scenarios[sid].title


def test_the_xsd_check_refuses_what_the_cmi5_schema_forbids(tmp_path):
    out = tmp_path / "course.zip"
    assert main(["cmi5", "package", "--out", str(out), "--scenarios", "hip_anterior_us"]) == 0
    xml_text = zipfile.ZipFile(out).read("cmi5.xml").decode()
    assert 'moveOn="CompletedAndPassed"' in xml_text
    assert schema_problems(xml_text) == []
    for broken in (xml_text.replace('masteryScore="0.', 'masteryScore="7'),
                   xml_text.replace('moveOn="CompletedAndPassed"', 'moveOn="Completed And"'),
                   xml_text.replace("<url>", "<link>").replace("</url>", "</link>"),
                   xml_text.replace(' id="https://jointsim.org/xapi/course"', "")):
        assert schema_problems(broken), broken


def test_a_bad_scenario_leaves_no_package_and_says_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\n")
    out = tmp_path / "course.zip"
    assert main(["cmi5", "package", "--out", str(out), "--scenarios", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert "bad.yaml" in err and "\n" not in err
    assert main(["cmi5", "package", "--out", str(out), "--scenarios", "hip_anterior_us",
                 "--scenarios", "hip_anterior_us"]) == 2
    assert "twice" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [bad]
