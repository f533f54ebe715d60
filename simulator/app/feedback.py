"""What the trainee is told: counters and prompts from the step's events (a Session observer).

Learning mode explains more (tissue entered, target reached, steps out of order); assessment
mode keeps to what a clinician would see or feel at the bedside.
"""

from __future__ import annotations

from collections import deque
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
            seconds: float = PROMPT_SECONDS) -> None:
        self.prompts.append(Prompt(text, level, now_s + seconds))

    def current(self, now_s: float) -> list[Prompt]:
        return [p for p in self.prompts if p.until_s >= now_s]

    def __call__(self, prev, state, action, events) -> None:
        if not events:
            return
        now = state.tick * self.world.dt_s
        for e in events:
            self.rumble(e.kind)  # the pads know which kinds rumble
            self._event(e, now)

    def _event(self, e, now: float) -> None:
        d, say, learning = e.data, self.say, self.learning
        k = e.kind
        if k == ev.SKIN_PUNCTURE:
            self.punctures += 1
            self.passes += 1
            say("Skin punctured", INFO, now)
        elif k == ev.REDIRECT:
            self.passes += 1
            say(f"Redirected ({d.get('angle_deg', 0):.0f} deg): a new pass", WARN, now)
        elif k == ev.BONE_CONTACT:
            self.bone_contacts += 1
            where = f": {_pretty(d['structure'])}" if learning else ""
            say(f"Bone contact{where}. Pull back before redirecting", WARN, now)
        elif k == ev.DANGER_CONTACT:
            self.danger_contacts += 1
            say(f"DANGER: the needle is in the {_pretty(d.get('structure', ''))}!", DANGER,
                now, 6.0)
        elif k == ev.TARGET_REACHED and learning:
            say(f"Tip at the target ({_pretty(d.get('structure', ''))})", GOOD, now)
        elif k == ev.JOINT_ENTERED and learning:
            say("Tip inside the joint", GOOD, now)
        elif k == ev.CAPSULE_ENTERED and learning:
            say("Tip in the capsule: a little further", INFO, now)
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
            say(f"Injected {d.get('volume_ml', 0):.1f} mL", INFO, now)
        elif k == ev.INJECTION_REFUSED:
            say("High resistance: the plunger will not move", WARN, now)
        elif k == ev.ENTRY_REFUSED:
            say(f"Needle not placed: {d.get('reason', '')}", WARN, now)
        elif k == ev.FLUORO_REFUSED:
            say(f"Fluoroscopy refused: {d.get('reason', '')}", WARN, now)
        elif k == ev.WITHDRAW:
            say("Needle out of the skin", INFO, now)
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
