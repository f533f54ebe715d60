"""xAPI 2.0 (IEEE 9274.1.1-2023) statements for one scored attempt.

Per attempt: ``attempted`` at the start; at the end ``completed`` (a finished procedure)
and ``passed`` or ``failed`` with the score, or for an abandoned attempt nothing more than
the ``attempted`` statement's result (not completed). Per procedure step: ``completed``
when it was done, else ``attempted``, with the step's share of its marks. Every statement
of an attempt carries the same ``registration`` (UUID5 of the run id) and the course as
grouping activity; statement ids are UUID5 of run id, verb and activity, so sending the
same attempt twice gives the same statements (an LRS keeps the first and accepts the
repeat as a duplicate).
"""

from __future__ import annotations

import datetime as _dt
import uuid
from dataclasses import dataclass, field

from scoring.scored import HEADLINE_METRICS, ScoredSession
from simulator.errors import InputError

# Fixed namespace for jointsim's UUID5s (uuid5(NAMESPACE_URL, "https://jointsim.org/xapi")).
JOINTSIM_NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://jointsim.org/xapi")
ADL_VERBS = "http://adlnet.gov/expapi/verbs/"
VERBS = ("attempted", "completed", "passed", "failed")
ACTIVITY_TYPES = {
    "course": "https://w3id.org/xapi/cmi5/activitytype/course",
    "scenario": "http://adlnet.gov/expapi/activities/simulation",
    "step": "http://adlnet.gov/expapi/activities/objective",
}
LANG = "en-US"


@dataclass(frozen=True)
class XapiConfig:
    """Where the statements point. ``base_iri``: activities and extensions live under it
    (``{base}/scenarios/<id>``, ``{base}/extensions/<key>``). ``home_page``: the site whose
    accounts name trainees. ``mboxes``: trainee name -> e-mail, used instead of the account
    for those listed."""

    base_iri: str = "https://jointsim.org/xapi"
    home_page: str = "https://jointsim.org"
    course_title: str = "jointsim image-guided joint injections"
    mboxes: dict[str, str] = field(default_factory=dict)

    @property
    def course_iri(self) -> str:
        return f"{self.base_iri}/course"

    def scenario_iri(self, scenario_id: str) -> str:
        return f"{self.base_iri}/scenarios/{scenario_id}"

    def extension_iri(self, key: str) -> str:
        return f"{self.base_iri}/extensions/{key}"


def registration(run_id: str) -> str:
    """The attempt's xAPI registration: the same UUID for the same run id."""
    return str(uuid.uuid5(JOINTSIM_NS, f"registration/{run_id}"))


def statements(scored: ScoredSession, config: XapiConfig) -> list[dict]:
    """The attempt's statements: attempt start, attempt end, then one per procedure step."""
    who = scored.identity
    if not who.run_id:
        raise InputError("the score has no run id, so its statements could not be told "
                         "apart from another attempt's; score the log with 'jointsim score'",
                         field="run_id")
    start = _timestamp(who.date)
    duration_s = scored.value("total_time_s") or 0.0
    end = _timestamp(who.date, duration_s)
    scenario = _scenario_activity(scored, config)
    context = _context(scored, config, parent=False)
    score = _score(scored.score)
    abandoned = {"completion": False, "duration": iso_duration(duration_s)}
    out = [_statement(scored, config, "attempted", scenario, start, context,
                      abandoned if scored.abandoned else None)]
    if not scored.abandoned:
        done = {"completion": True, "duration": iso_duration(duration_s)}
        out.append(_statement(scored, config, "completed", scenario, end, context, done))
        verdict = "passed" if scored.passed else "failed"
        out.append(_statement(scored, config, verdict, scenario, end, context, {
            "score": score, "success": scored.passed, **done,
            "extensions": _metric_extensions(scored, config)}))
    step_context = _context(scored, config, parent=True)
    for step in scored.steps:
        activity = {"objectType": "Activity",
                    "id": f"{scenario['id']}/steps/{step.step}",
                    "definition": {"name": {LANG: step.label},
                                   "description": {LANG: f"{step.label}: a step of "
                                                   f"{who.scenario_title or who.scenario}"},
                                   "type": ACTIVITY_TYPES["step"]}}
        result = {"completion": step.done}
        if step.score is not None:
            result["score"] = _score(step.score)
        out.append(_statement(scored, config, "completed" if step.done else "attempted",
                              activity, end, step_context, result))
    return out


def checked_statements(scores: list[ScoredSession], config: XapiConfig) -> list[dict]:
    """Every attempt's statements, each checked against the xAPI 2.0 rules (a statement
    breaking them is a bug in jointsim: ``RuntimeError``, nothing is written or sent)."""
    from scoring.xapi.validate import problems

    out = []
    for scored in scores:
        for st in statements(scored, config):
            found = problems(st)
            if found:
                raise RuntimeError(f"statement {st['id']} breaks xAPI 2.0: {found[0]}")
            out.append(st)
    return out


def _statement(scored, config, verb: str, activity: dict, timestamp: str, context: dict,
               result: dict | None) -> dict:
    st = {"id": str(uuid.uuid5(JOINTSIM_NS, f"{scored.identity.run_id}/{verb}/"
                                            f"{activity['id']}")),
          "actor": _actor(scored.identity.trainee, config),
          "verb": {"id": ADL_VERBS + verb, "display": {LANG: verb}},
          "object": activity, "context": context, "timestamp": timestamp}
    if result is not None:
        st["result"] = result
    return st


def _actor(trainee: str, config: XapiConfig) -> dict:
    name = trainee or "anonymous"
    actor = {"objectType": "Agent", "name": name}
    if trainee in config.mboxes:
        actor["mbox"] = f"mailto:{config.mboxes[trainee]}"
    else:
        actor["account"] = {"homePage": config.home_page, "name": name}
    return actor


def _scenario_activity(scored: ScoredSession, config: XapiConfig) -> dict:
    who = scored.identity
    title = who.scenario_title or who.scenario
    return {"objectType": "Activity", "id": config.scenario_iri(who.scenario),
            "definition": {"name": {LANG: title},
                           "description": {LANG: f"jointsim scenario {who.scenario}: {title} "
                                           f"(pass mark {scored.pass_score:g} / 100)"},
                           "type": ACTIVITY_TYPES["scenario"]}}


def _context(scored: ScoredSession, config: XapiConfig, parent: bool) -> dict:
    course = {"objectType": "Activity", "id": config.course_iri,
              "definition": {"name": {LANG: config.course_title},
                             "type": ACTIVITY_TYPES["course"]}}
    activities = {"grouping": [course]}
    if parent:
        activities["parent"] = [{"objectType": "Activity",
                                 "id": config.scenario_iri(scored.identity.scenario)}]
    ext = {config.extension_iri("run_id"): scored.identity.run_id,
           config.extension_iri("mode"): scored.identity.mode or "unknown"}
    return {"registration": registration(scored.identity.run_id),
            "contextActivities": activities, "platform": "jointsim",
            "language": LANG, "extensions": ext}


def _score(score_out_of_100: float) -> dict:
    raw = min(100.0, max(0.0, float(score_out_of_100)))
    return {"scaled": round(raw / 100.0, 4), "raw": round(raw, 2), "min": 0, "max": 100}


def _metric_extensions(scored: ScoredSession, config: XapiConfig) -> dict:
    """The headline metrics' values under ``{base}/extensions/metrics/<key>``, with the pass
    mark; metrics without a value are left out."""
    out = {config.extension_iri("pass_score"): scored.pass_score}
    for key in HEADLINE_METRICS:
        value = scored.value(key)
        if value is not None:
            out[config.extension_iri(f"metrics/{key}")] = value
    return out


def _timestamp(started_utc: str, plus_s: float = 0.0) -> str:
    """RFC 3339 UTC timestamp, ``plus_s`` seconds after the log's start."""
    try:
        t = _dt.datetime.fromisoformat(started_utc)
    except (TypeError, ValueError):
        raise InputError(f"the start time {started_utc!r} is not an ISO 8601 date; score "
                         "the log again with 'jointsim score'", field="date") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=_dt.UTC)
    t = t.astimezone(_dt.UTC) + _dt.timedelta(seconds=plus_s)
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_duration(seconds: float) -> str:
    """ISO 8601 duration with hundredths of a second, e.g. ``PT1M5.25S``."""
    total = max(0, round(float(seconds) * 100))
    hours, rest = divmod(total, 360000)
    minutes, hundredths = divmod(rest, 6000)
    out = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return out + f"{hundredths / 100:g}S"
