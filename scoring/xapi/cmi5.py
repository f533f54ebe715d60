"""A cmi5 course package: ``cmi5.xml`` (one course, one AU per scenario) and a launch page
per AU, zipped, so a learning management system can import the scenarios.

Each AU's id is the scenario's xAPI activity IRI (:meth:`XapiConfig.scenario_iri`), the
same the attempt statements use; its ``masteryScore`` is the scenario's pass mark / 100
and ``moveOn`` says what counts as done. ``cmi5.xml`` is checked against the cmi5 Course
Structure XSD (:mod:`scoring.xapi.cmi5_schema`) before the package is written.
"""

from __future__ import annotations

import html
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from scoring.xapi.cmi5_schema import COURSE_STRUCTURE_XSD, NAMESPACE
from scoring.xapi.statements import LANG, XapiConfig
from simulator.errors import InputError
from simulator.files import written_into_place

MOVE_ON = ("Passed", "CompletedAndPassed")


@dataclass(frozen=True)
class Unit:
    """One assignable unit: a scenario, its title, instructions and pass mark (0..100)."""

    scenario_id: str
    title: str
    instructions: str
    pass_score: float

    @property
    def launch_page(self) -> str:
        return f"au/{self.scenario_id}/index.html"


def units(scenario_paths: list[Path]) -> list[Unit]:
    """The AUs for these scenario files (validated; ``InputError`` names a bad one)."""
    from simulator.scenario import load_scenario

    out, seen = [], set()
    for path in scenario_paths:
        s = load_scenario(path)
        if s.id in seen:
            raise InputError(f"scenario id {s.id!r} is given twice; each AU needs its own "
                             "scenario", path=path, field="--scenarios")
        seen.add(s.id)
        out.append(Unit(s.id, s.title, s.instructions, float(s.rubric.pass_score)))
    return out


def course_structure(unit_list: list[Unit], config: XapiConfig, move_on: str) -> str:
    """``cmi5.xml`` text for a course of ``unit_list``."""
    if move_on not in MOVE_ON:
        raise InputError(f"moveOn must be one of {', '.join(MOVE_ON)}, got {move_on!r}",
                         field="--move-on")
    if not unit_list:
        raise InputError("a course needs at least one scenario", field="--scenarios")

    def text(tag: str, value: str, indent: str) -> str:
        return (f"{indent}<{tag}><langstring lang=\"{LANG}\">{escape(value)}</langstring>"
                f"</{tag}>\n")

    lines = ['<?xml version="1.0" encoding="utf-8"?>\n',
             f'<courseStructure xmlns="{NAMESPACE}">\n',
             f"  <course id={quoteattr(config.course_iri)}>\n",
             text("title", config.course_title, "    "),
             text("description", "Image-guided joint injection scenarios in the jointsim "
                  "simulator; each is passed at its scenario's pass mark.", "    "),
             "  </course>\n"]
    for u in unit_list:
        lines += [f"  <au id={quoteattr(config.scenario_iri(u.scenario_id))} "
                  f"moveOn=\"{move_on}\" masteryScore=\"{u.pass_score / 100:.4g}\" "
                  "launchMethod=\"OwnWindow\">\n",
                  text("title", u.title, "    "),
                  text("description", u.instructions or u.title, "    "),
                  f"    <url>{escape(u.launch_page)}</url>\n",
                  "  </au>\n"]
    lines.append("</courseStructure>\n")
    return "".join(lines)


def schema_problems(xml_text: str) -> list[str]:
    """Where ``xml_text`` breaks the cmi5 Course Structure XSD (empty: valid)."""
    try:
        from lxml import etree
    except ImportError:
        raise InputError("checking cmi5.xml needs lxml: pip install 'jointsim[lms]'") from None
    schema = etree.XMLSchema(etree.fromstring(COURSE_STRUCTURE_XSD.encode()))
    try:
        doc = etree.fromstring(xml_text.encode("utf-8"))
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def launch_page(unit: Unit) -> str:
    """The page the LMS opens for an AU: what to do, and the command that starts it."""
    title = html.escape(unit.title)
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n"
            f"<p>{html.escape(unit.instructions or unit.title)}</p>\n"
            f"<p>Pass mark: {unit.pass_score:g} / 100.</p>\n"
            "<p>Start the scenario in the jointsim simulator:</p>\n"
            f"<pre>jointsim run {html.escape(unit.scenario_id)} --mode assessment "
            "--trainee \"Your Name\"</pre>\n"
            "<p>Your educator sends the scored attempt to the learning record store "
            "(<code>jointsim xapi</code>).</p>\n</body></html>\n")


def write_package(unit_list: list[Unit], out: Path, config: XapiConfig,
                  move_on: str = "CompletedAndPassed") -> str:
    """Write the zip (``cmi5.xml`` at its root, a launch page per AU) to ``out``, whole
    or not at all; returns the ``cmi5.xml`` text."""
    xml_text = course_structure(unit_list, config, move_on)
    problems = schema_problems(xml_text)
    if problems:  # a bug, not bad input: the package is never written
        raise RuntimeError(f"cmi5.xml breaks the cmi5 XSD: {problems[0]}")
    out = Path(out)
    if out.is_dir():
        raise InputError("is a folder; give a file name such as course.zip", path=out,
                         field="--out")
    with written_into_place(out) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("cmi5.xml", xml_text)
        for u in unit_list:
            zf.writestr(u.launch_page, launch_page(u))
    return xml_text
