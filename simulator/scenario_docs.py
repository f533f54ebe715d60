"""Scenario documentation from the schema: commented YAML templates and the scenario guide.

The field descriptions in ``simulator.scenario`` are the single source: ``jointsim scenario
new`` writes them as comments above each key, and ``scenarios/README.md`` is generated from
them (``jointsim scenario guide``).
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import BaseModel

from simulator.scenario import Scenario, parse_scenario

WIDTH = 96


def _scalar(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix(
        "\n...").removesuffix("...").strip()


def _comment(text: str, indent: str) -> list[str]:
    words, lines, line = text.split(), [], ""
    for w in words:
        if len(indent) + 2 + len(line) + len(w) + 1 > WIDTH and line:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    if line:
        lines.append(line)
    return [f"{indent}# {x}" for x in lines]


def _emit(model: BaseModel, data: dict, indent: str) -> list[str]:
    out = []
    fields = type(model).model_fields
    for name, value in data.items():
        field = fields.get(name)
        if field is not None and field.description:
            out += _comment(field.description, indent)
        child = getattr(model, name, None)
        if isinstance(child, BaseModel) and isinstance(value, dict):
            out.append(f"{indent}{name}:")
            out += _emit(child, value, indent + "  ")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            out.append(f"{indent}{name}:")
            out += [f"{indent}  - {_scalar(item)}" for item in value]
        elif isinstance(value, str) and len(value) > 60:
            out.append(f"{indent}{name}: >-")
            out += [f"{indent}  {line.lstrip()[2:]}" for line in _comment(value, indent)]
        else:
            out.append(f"{indent}{name}: {_scalar(value)}")
    return out


def commented_yaml(scenario: Scenario, header: str = "") -> str:
    """The scenario as YAML with each field's description as a comment above it."""
    data = scenario.model_dump(mode="json", exclude_defaults=False)
    lines = [f"# {line}" for line in header.splitlines()] if header else []
    lines += _emit(scenario, data, "")
    return "\n".join(lines) + "\n"


def _shipped():
    """``(scenario, path)`` of every shipped scenario that loads without problems."""
    from simulator.paths import shipped_scenarios

    for path in shipped_scenarios():
        scenario, problems = parse_scenario(path)
        if scenario is not None and not problems:
            yield scenario, path


def template(joint: str, modality: str) -> tuple[Scenario, Path]:
    """The shipped scenario for ``joint`` under ``modality`` (to copy and adapt)."""
    for scenario, path in _shipped():
        if scenario.anatomy.model == joint and scenario.modality in (modality, "both"):
            return scenario, path
    raise KeyError(joint, modality)


def available_templates() -> list[tuple[str, str]]:
    return sorted({(scenario.anatomy.model, scenario.modality) for scenario, _ in _shipped()})


def guide() -> str:
    """``scenarios/README.md``: every field with its description, then one example per joint."""
    schema = Scenario.model_json_schema()
    parts = [
        "# Writing scenarios",
        "",
        "A scenario is a YAML file: the anatomy and patient, the equipment, where the probe or",
        "C-arm starts, where the needle may enter, the target and the structures not to touch,",
        "limits, the expected procedure steps and the rubric that turns metrics into a score.",
        "This guide is generated from the schema (`jointsim scenario guide`); the field",
        "descriptions below are the same ones `jointsim schema` prints.",
        "",
        "Start from a template and check it:",
        "",
        "```bash",
        "jointsim scenario new --joint knee --modality ultrasound > my_case.yaml",
        "jointsim validate --deep my_case.yaml      # builds the anatomy, proves the target",
        "jointsim preview my_case.yaml --out preview/   # 3D scene and starting images",
        "jointsim run my_case.yaml                  # play it",
        "```",
        "",
        "Patient fields may be distributions, drawn from the session seed (every attempt a",
        "different patient, logs still replay exactly): `bmi: {uniform: [22, 36]}`,",
        "`sex: {choice: [female, male], weights: [2, 1]}`, `effusion_mm: {normal: [3, 1.5]}`.",
        "Custom anatomy: set `anatomy.model` to a folder (relative to the scenario) holding",
        "STL/OBJ/PLY/VTK/VTP meshes and a `manifest.yaml` (see `meshes/hip/manifest.yaml`);",
        "nested or overlapping surfaces are resolved by `priority`, LPS meshes from 3D Slicer",
        "are flipped to RAS.",
        "",
        "## Fields",
        "",
    ]
    parts += _fields_table(schema, schema, "")
    metric_lines = _metrics_table()
    parts += ["", "## Metrics a rubric can use", "", *metric_lines, "", "## Examples", ""]
    for scenario, path in _shipped():
        parts += [f"### {scenario.title}", "",
                  f"`scenarios/{path.name}` ({scenario.anatomy.model}, {scenario.modality})",
                  "", "```yaml", path.read_text().strip(), "```", ""]
    return "\n".join(parts) + "\n"


def _resolve(schema, node):
    if "$ref" in node:
        return schema["$defs"][node["$ref"].split("/")[-1]]
    for key in ("anyOf", "allOf"):
        for option in node.get(key, []):
            if "$ref" in option:
                return schema["$defs"][option["$ref"].split("/")[-1]]
            if option.get("type") == "array" and "$ref" in option.get("items", {}):
                return schema["$defs"][option["items"]["$ref"].split("/")[-1]]
    if node.get("type") == "array" and "$ref" in node.get("items", {}):
        return schema["$defs"][node["items"]["$ref"].split("/")[-1]]
    return None


def _fields_table(schema, node, prefix) -> list[str]:
    rows = []
    if not prefix:
        rows += ["| Field | Default | Description |", "|---|---|---|"]
    for name, prop in node.get("properties", {}).items():
        path = f"{prefix}{name}"
        default = prop.get("default", "required" if name in node.get("required", []) else "")
        if isinstance(default, dict | list):
            default = json.dumps(default) if len(json.dumps(default)) < 40 else "(see example)"
        desc = (prop.get("description") or "").replace("|", "/")
        rows.append(f"| `{path}` | {default} | {desc} |")
        child = _resolve(schema, prop)
        if child is not None and child.get("properties") and child.get("title") != "Draw":
            sep = "[]." if prop.get("type") == "array" or any(
                o.get("type") == "array" for o in prop.get("anyOf", [])) else "."
            rows += _fields_table(schema, child, path + sep)
    return rows


def _metrics_table() -> list[str]:
    from scoring.metrics import METRIC_CLASSES

    rows = ["| Metric | Unit | Step | What it measures |", "|---|---|---|---|"]
    for cls in METRIC_CLASSES:
        doc = (cls.__doc__ or cls.label).strip().splitlines()[0]
        rows.append(f"| `{cls.key}` | {cls.unit} | {cls.step} | {cls.label}: {doc} |")
    return rows
