"""Events the step emits: what happened during a tick, for the log, scoring and the HUD."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened. ``data`` holds plain JSON values only."""

    kind: str
    data: dict = field(default_factory=dict)

    def to_json(self) -> list:
        return [self.kind, self.data] if self.data else [self.kind]

    @classmethod
    def from_json(cls, item) -> Event:
        if not isinstance(item, list) or not item or not isinstance(item[0], str):
            raise ValueError(f"malformed event {item!r}")
        return cls(item[0], item[1] if len(item) > 1 else {})


# Event kinds, with the data each carries.
NEEDLE_PLACED = "needle_placed"            # entry_mm, direction
ENTRY_REFUSED = "entry_refused"            # reason
SKIN_PUNCTURE = "skin_puncture"            # entry_mm, count
STRUCTURE_ENTERED = "structure_entered"    # structure, tissue
STRUCTURE_LEFT = "structure_left"          # structure
CAPSULE_ENTERED = "capsule_entered"        # structure
JOINT_ENTERED = "joint_entered"            # structure
TARGET_REACHED = "target_reached"          # structure, distance_mm
BONE_CONTACT = "bone_contact"              # structure
DANGER_CONTACT = "danger_contact"          # structure, severity
REDIRECT = "redirect"                      # angle_deg
WITHDRAW = "withdraw"                      # (needle left the skin)
BEVEL_FLIPPED = "bevel_flipped"            # bevel_deg
ASPIRATION = "aspiration"                  # result, structure
INJECTION_STARTED = "injection_started"    # syringe, contents, compartment, structure, pressure
INJECTION_STOPPED = "injection_stopped"    # syringe, volume_ml, compartment, peak_pressure_kpa
INJECTION_REFUSED = "injection_refused"    # reason
SYRINGE_SELECTED = "syringe_selected"      # syringe, name
FLUORO_ON = "fluoro_on"                    # thickness_mm
FLUORO_OFF = "fluoro_off"                  # frames, kerma_mgy, kap_ugym2
FLUORO_SHOT = "fluoro_shot"                # kerma_mgy, kap_ugym2
FLUORO_REFUSED = "fluoro_refused"          # reason
STEP_MARKED = "step_marked"                # step
STEP_STARTED = "step_started"              # step (automatic steps)
STEP_OUT_OF_ORDER = "step_out_of_order"    # step, missing
PROBE_PLACED = "probe_placed"              # contact_mm
SESSION_ENDED = "session_ended"            # reason
SIDE_CHOSEN = "side_chosen"                # side (the trainee moved to that side)
SKIN_PREPPED = "skin_prepped"              # centre_mm, radius_mm, side
PROBE_COVERED = "probe_covered"            # (sterile cover on the probe)
TIME_OUT = "time_out"                      # side, allergy, problems (what it got wrong)
LOCAL_ANAESTHETIC = "local_anaesthetic"    # at_mm
ACT_REFUSED = "act_refused"                # act, reason
