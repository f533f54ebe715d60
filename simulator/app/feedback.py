"""What the trainee is told: counters and prompts from the step's events (a Session observer).

Learning mode explains more (tissue entered, target reached, steps out of order); assessment
mode keeps to what a clinician would see or feel at the bedside.

A prompt about the needle's state (where the tip is, in or out of the skin, what has been
injected) holds only while that state lasts: a newer prompt on the same topic replaces it, and
:meth:`Feedback.current` drops it as soon as the state it describes has changed, so nothing
stale stays on screen.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from simulator import events as ev
from simulator.app.trainee import STEP_LABELS
from simulator.scenario import Step

PROMPT_SECONDS = 4.0
ACT_STEPS = (Step.skin_prep.value, Step.time_out.value)

INFO, GOOD, WARN, DANGER = "info", "good", "warn", "danger"


@dataclass
class Prompt:
    text: str
    level: str
    until_s: float
    topic: str = ""                               # a newer prompt on it replaces this one
    holds: Callable[[object], bool] | None = None  # still true of the state? (None: always)
    keyed: bool = False   # ``text`` names keys as ``{command}``, filled from the bindings

    def words(self, keys) -> str:
        """The text, its ``{command}`` fields filled from ``keys`` (a mapping)."""
        return self.text.format_map(keys) if self.keyed else self.text


def _tip_in(label: int) -> Callable[[object], bool]:
    """The tip is still in the skin, in the structure of ``label``."""
    return lambda state: state.needle.in_skin and state.needle.tip_label == label


def _injected(total_ml: float) -> Callable[[object], bool]:
    """Nothing more has been injected since ``total_ml`` (all syringes)."""
    return lambda state: abs(sum(state.injected_ml) - total_ml) < 1e-6


def _pretty(name: str) -> str:
    return str(name).replace("_", " ")


class Feedback:
    """Counts punctures, passes and contacts, and queues prompts; call as an observer.

    ``rumble(kind)`` is told every event kind (``gamepad.RUMBLE`` decides which rumble).
    """

    def __init__(self, world, *, learning: bool, rumble=None):
        self.world = world
        self.learning = learning
        self.rumble = rumble or (lambda kind: 0)
        self.punctures = 0
        self.passes = 0
        self.bone_contacts = 0
        self.danger_contacts = 0
        self.prompts: deque[Prompt] = deque(maxlen=5)

    def say(self, text: str, level: str = INFO, now_s: float = 0.0,
            seconds: float = PROMPT_SECONDS, topic: str = "",
            holds: Callable[[object], bool] | None = None, keyed: bool = False) -> None:
        """Queue ``text`` for ``seconds``; with a ``topic`` it replaces the earlier prompts
        on that topic, and with ``holds`` it lasts only while ``holds(state)`` is true."""
        if topic:
            kept = [p for p in self.prompts if p.topic != topic]
            self.prompts.clear()
            self.prompts.extend(kept)
        self.prompts.append(Prompt(text, level, now_s + seconds, topic, holds, keyed))

    def current(self, now_s: float, state=None) -> list[Prompt]:
        """The prompts still due at ``now_s`` and (given the ``state`` on screen) still true
        of it."""
        return [p for p in self.prompts if p.until_s >= now_s and
                (state is None or p.holds is None or p.holds(state))]

    def __call__(self, prev, state, action, events) -> None:
        if not events:
            return
        now = state.tick * self.world.dt_s
        for e in events:
            self.rumble(e.kind)  # the pads know which kinds rumble
            self._event(e, now, state)

    def _event(self, e, now: float, state) -> None:
        d, say, learning = e.data, self.say, self.learning
        k = e.kind
        tip_here = _tip_in(state.needle.tip_label)
        if k == ev.SKIN_PUNCTURE:
            self.punctures += 1
            self.passes += 1
            say("Skin punctured", INFO, now, topic="skin",
                holds=lambda s: s.needle.in_skin)
        elif k == ev.REDIRECT:
            self.passes += 1
            say(f"Redirected ({d.get('angle_deg', 0):.0f} deg): a new pass", WARN, now)
        elif k == ev.BONE_CONTACT:
            self.bone_contacts += 1
            where = f": {_pretty(d['structure'])}" if learning else ""
            say(f"Bone contact{where}. Pull back ({{retract}}) before redirecting", WARN, now,
                topic="tip", holds=lambda s: s.needle.in_skin, keyed=True)
        elif k == ev.DANGER_CONTACT:
            self.danger_contacts += 1
            say(f"DANGER: the needle is in the {_pretty(d.get('structure', ''))}! Pull back "
                "({retract})", DANGER, now, 6.0, keyed=True)
        elif k == ev.TARGET_REACHED and learning:
            say(f"Tip at the target ({_pretty(d.get('structure', ''))}): hold still, "
                "aspirate ({aspirate}), then inject", GOOD, now, topic="tip", holds=tip_here,
                keyed=True)
        elif k == ev.JOINT_ENTERED and learning:
            say("Tip inside the joint", GOOD, now, topic="tip", holds=tip_here)
        elif k == ev.CAPSULE_ENTERED and learning:
            say("Tip in the capsule: advance a little further ({advance})", INFO, now,
                topic="tip", holds=tip_here, keyed=True)
        elif k == ev.ASPIRATION:
            result = d.get("result", "none")
            text = {"none": "Aspiration: nothing comes back", "synovial_fluid":
                    "Aspiration: clear synovial fluid", "arterial_blood":
                    "Aspiration: bright red blood, pulsatile!", "venous_blood":
                    "Aspiration: dark blood!"}.get(result, f"Aspiration: {_pretty(result)}")
            level = DANGER if "blood" in result else GOOD if result == "synovial_fluid" \
                else INFO
            say(text, level, now)
        elif k == ev.INJECTION_STARTED:
            where = f" into the {_pretty(d.get('compartment', ''))} space" if learning else ""
            say(f"Injecting {_pretty(d.get('contents', ''))}{where}", INFO, now)
        elif k == ev.INJECTION_STOPPED:
            total = float(sum(state.injected_ml))
            say(f"Injected {d.get('volume_ml', 0):.1f} mL ({total:.1f} mL in all)", INFO, now,
                topic="injection", holds=_injected(total))
        elif k == ev.INJECTION_REFUSED:
            say("High resistance: the plunger will not move", WARN, now)
        elif k == ev.ENTRY_REFUSED:
            say(f"Needle not placed: {d.get('reason', '')}", WARN, now)
        elif k == ev.FLUORO_REFUSED:
            say(f"Fluoroscopy refused: {d.get('reason', '')}", WARN, now)
        elif k == ev.WITHDRAW:
            say("Needle out of the skin", INFO, now, topic="skin",
                holds=lambda s: not s.needle.in_skin)
        elif k == ev.STEP_MARKED and d["step"] not in ACT_STEPS:  # acts speak for themselves
            say(f"Done: {STEP_LABELS.get(Step(d['step']), d['step'])}", GOOD, now)
        elif k == ev.STEP_OUT_OF_ORDER and learning:
            missing = ", ".join(STEP_LABELS.get(Step(m), m) for m in d.get("missing", []))
            say(f"Out of order: still to do: {missing}", WARN, now)
        elif k == ev.SYRINGE_SELECTED:
            say(f"Syringe: {d.get('name', '')}", INFO, now)
        elif k == ev.PROBE_PLACED:
            say("Probe placed", INFO, now)
        elif k == ev.SIDE_CHOSEN:
            say(f"You are now at the patient's {d['side']} side: prep again", INFO, now)
        elif k == ev.SKIN_PREPPED:
            say(f"Skin prepped and draped, {d['radius_mm']:g} mm round the entry site",
                GOOD, now)
        elif k == ev.PROBE_COVERED:
            say("Sterile cover on the probe", GOOD, now)
        elif k == ev.TIME_OUT:
            if not learning:   # the assessor notes what was missed; nobody speaks up
                say("Time-out done", INFO, now)
            elif d["problems"]:
                for problem in d["problems"]:
                    say(f"Time-out: {problem}", DANGER, now, 8.0)
            else:
                say("Time-out: patient, side, site, drug and allergies confirmed", GOOD, now)
        elif k == ev.LOCAL_ANAESTHETIC:
            say("Local anaesthetic raised a skin wheal at the entry", GOOD, now)
        elif k == ev.ACT_REFUSED:
            say(f"Not done: {d['reason']}", WARN, now)
