"""The xAPI 2.0 (IEEE 9274.1.1-2023) statement rules jointsim's statements rely on.

:func:`problems` lists every rule a statement breaks as ``"where: what"`` (empty: valid):
required and known properties, an Agent with exactly one identifier, IRIs, UUIDs, RFC 3339
timestamps, ISO 8601 durations, language maps, score ranges and extension keys. It covers
the parts of the standard jointsim uses (Agents, Activities, result, context), not Groups,
sub-statements or attachments, which it reports as unsupported.
"""

from __future__ import annotations

import math
import re

STATEMENT_KEYS = {"id", "actor", "verb", "object", "result", "context", "timestamp", "stored",
                  "authority", "version", "attachments"}
AGENT_KEYS = {"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"}
IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
ACTIVITY_KEYS = {"objectType", "id", "definition"}
DEFINITION_KEYS = {"name", "description", "type", "moreInfo", "extensions",
                   "interactionType", "correctResponsesPattern", "choices", "scale", "source",
                   "target", "steps"}
RESULT_KEYS = {"score", "success", "completion", "response", "duration", "extensions"}
SCORE_KEYS = {"scaled", "raw", "min", "max"}
CONTEXT_KEYS = {"registration", "instructor", "team", "contextActivities", "contextAgents",
                "contextGroups", "revision", "platform", "language", "statement",
                "extensions"}
CONTEXT_ACTIVITY_KEYS = {"parent", "grouping", "category", "other"}

# An absolute IRI (RFC 3987): a scheme, a colon, then no spaces or characters IRIs exclude.
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?"
                      r"(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")  # RFC 5646, its shape
MBOX = re.compile(r"^mailto:[^@\s]+@[^@\s]+$")


def problems(statement) -> list[str]:
    """Every rule ``statement`` (a decoded JSON object) breaks, as ``"where: what"``."""
    out: list[str] = []
    if not _mapping(statement, "statement", out):
        return out
    _keys(statement, STATEMENT_KEYS, {"actor", "verb", "object"}, "statement", out)
    if "id" in statement:
        _uuid(statement["id"], "id", out)
    if "actor" in statement:
        _agent(statement["actor"], "actor", out)
    if "verb" in statement and _mapping(statement["verb"], "verb", out):
        _keys(statement["verb"], {"id", "display"}, {"id"}, "verb", out)
        _iri(statement["verb"].get("id"), "verb.id", out)
        if "display" in statement["verb"]:
            _language_map(statement["verb"]["display"], "verb.display", out)
    if "object" in statement:
        _activity(statement["object"], "object", out)
    if "result" in statement:
        _result(statement["result"], out)
    if "context" in statement:
        _context(statement["context"], out)
    for key in ("timestamp", "stored"):
        if key in statement and not (isinstance(statement[key], str)
                                     and TIMESTAMP.match(statement[key])):
            out.append(f"{key}: {statement[key]!r} is not an RFC 3339 timestamp")
    if "version" in statement and not (isinstance(statement["version"], str)
                                       and re.match(r"^2\.0\.\d+$", statement["version"])):
        out.append(f"version: {statement['version']!r} is not a 2.0.x version")
    for key in ("authority", "attachments"):
        if key in statement:
            out.append(f"{key}: not supported by this validator")
    return out


def _mapping(value, where: str, out: list[str]) -> bool:
    if not isinstance(value, dict):
        out.append(f"{where}: expected an object, got {type(value).__name__}")
        return False
    return True


def _keys(value: dict, allowed: set[str], required: set[str], where: str,
          out: list[str]) -> None:
    out += [f"{where}.{k}: not a property xAPI defines here" for k in sorted(set(value)
                                                                            - allowed)]
    out += [f"{where}.{k}: required" for k in sorted(required - set(value))]


def _iri(value, where: str, out: list[str]) -> None:
    if not (isinstance(value, str) and IRI.match(value)):
        out.append(f"{where}: {value!r} is not an absolute IRI")


def _uuid(value, where: str, out: list[str]) -> None:
    if not (isinstance(value, str) and UUID.match(value)):
        out.append(f"{where}: {value!r} is not a UUID (RFC 4122, lower case)")


def _language_map(value, where: str, out: list[str]) -> None:
    if not _mapping(value, where, out):
        return
    if not value:
        out.append(f"{where}: an empty language map")
    for tag, text in value.items():
        if not LANGUAGE_TAG.match(tag):
            out.append(f"{where}: {tag!r} is not an RFC 5646 language tag")
        if not isinstance(text, str):
            out.append(f"{where}.{tag}: expected a string")


def _extensions(value, where: str, out: list[str]) -> None:
    if _mapping(value, where, out):
        for key in value:
            _iri(key, f"{where} key", out)


def _agent(value, where: str, out: list[str]) -> None:
    if not _mapping(value, where, out):
        return
    _keys(value, AGENT_KEYS, set(), where, out)
    if value.get("objectType", "Agent") != "Agent":
        out.append(f"{where}.objectType: only Agent is supported, got {value['objectType']!r}")
    ifis = [k for k in IFIS if k in value]
    if len(ifis) != 1:
        out.append(f"{where}: needs exactly one of {', '.join(IFIS)}, has {len(ifis)}")
    if "name" in value and not isinstance(value["name"], str):
        out.append(f"{where}.name: expected a string")
    if "mbox" in value and not (isinstance(value["mbox"], str) and MBOX.match(value["mbox"])):
        out.append(f"{where}.mbox: {value['mbox']!r} is not a mailto: IRI")
    if "account" in value and _mapping(value["account"], f"{where}.account", out):
        account = value["account"]
        _keys(account, {"homePage", "name"}, {"homePage", "name"}, f"{where}.account", out)
        _iri(account.get("homePage"), f"{where}.account.homePage", out)
        if not (isinstance(account.get("name"), str) and account.get("name")):
            out.append(f"{where}.account.name: expected a non-empty string")


def _activity(value, where: str, out: list[str]) -> None:
    if not _mapping(value, where, out):
        return
    _keys(value, ACTIVITY_KEYS, {"id"}, where, out)
    if value.get("objectType", "Activity") != "Activity":
        out.append(f"{where}.objectType: only Activity objects are supported, got "
                   f"{value['objectType']!r}")
    _iri(value.get("id"), f"{where}.id", out)
    if "definition" not in value or not _mapping(value["definition"], f"{where}.definition",
                                                 out):
        return
    d, at = value["definition"], f"{where}.definition"
    _keys(d, DEFINITION_KEYS, set(), at, out)
    for key in ("name", "description"):
        if key in d:
            _language_map(d[key], f"{at}.{key}", out)
    for key in ("type", "moreInfo"):
        if key in d:
            _iri(d[key], f"{at}.{key}", out)
    if "extensions" in d:
        _extensions(d["extensions"], f"{at}.extensions", out)


def _number(value) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _result(value, out: list[str]) -> None:
    if not _mapping(value, "result", out):
        return
    _keys(value, RESULT_KEYS, set(), "result", out)
    for key in ("success", "completion"):
        if key in value and not isinstance(value[key], bool):
            out.append(f"result.{key}: expected true or false")
    if "duration" in value and not (isinstance(value["duration"], str)
                                    and DURATION.match(value["duration"])):
        out.append(f"result.duration: {value['duration']!r} is not an ISO 8601 duration")
    if "response" in value and not isinstance(value["response"], str):
        out.append("result.response: expected a string")
    if "extensions" in value:
        _extensions(value["extensions"], "result.extensions", out)
    if "score" in value and _mapping(value["score"], "result.score", out):
        _score(value["score"], out)


def _score(score: dict, out: list[str]) -> None:
    _keys(score, SCORE_KEYS, set(), "result.score", out)
    for key in SCORE_KEYS & set(score):
        if not _number(score[key]):
            out.append(f"result.score.{key}: expected a finite number")
            return
    if "scaled" in score and not -1 <= score["scaled"] <= 1:
        out.append(f"result.score.scaled: {score['scaled']} is outside [-1, 1]")
    low, high, raw = score.get("min"), score.get("max"), score.get("raw")
    if low is not None and high is not None and not low < high:
        out.append("result.score: min must be less than max")
    if raw is not None and ((low is not None and raw < low) or
                            (high is not None and raw > high)):
        out.append(f"result.score.raw: {raw} is outside [min, max]")


def _context(value, out: list[str]) -> None:
    if not _mapping(value, "context", out):
        return
    _keys(value, CONTEXT_KEYS, set(), "context", out)
    if "registration" in value:
        _uuid(value["registration"], "context.registration", out)
    for key in ("revision", "platform", "language"):
        if key in value and not isinstance(value[key], str):
            out.append(f"context.{key}: expected a string")
    if isinstance(value.get("language"), str) and not LANGUAGE_TAG.match(value["language"]):
        out.append(f"context.language: {value['language']!r} is not an RFC 5646 tag")
    if "extensions" in value:
        _extensions(value["extensions"], "context.extensions", out)
    for key in ("instructor", "team", "contextAgents", "contextGroups", "statement"):
        if key in value:
            out.append(f"context.{key}: not supported by this validator")
    if "contextActivities" in value and _mapping(value["contextActivities"],
                                                 "context.contextActivities", out):
        ca = value["contextActivities"]
        _keys(ca, CONTEXT_ACTIVITY_KEYS, set(), "context.contextActivities", out)
        for key in CONTEXT_ACTIVITY_KEYS & set(ca):
            if not isinstance(ca[key], list):
                out.append(f"context.contextActivities.{key}: xAPI 2.0 wants an array")
                continue
            for n, item in enumerate(ca[key]):
                _activity(item, f"context.contextActivities.{key}.{n}", out)
