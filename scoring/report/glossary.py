"""Plain-language names and one-line explanations for educators.

Metric *names* come from the metric classes (``label``); this module adds what each metric
means and how to read it, so a report can be read without knowing the simulator.
"""

from __future__ import annotations

from scoring.metrics import METRICS

METRIC_HELP = {
    "tip_to_target_mm": "How far the needle tip was from the planned target point when the "
                        "injection started (or at the end, if there was no injection).",
    "inside_target_at_injection": "Whether the tip was inside the joint target when the "
                                  "injection began.",
    "intra_articular_fraction": "Share of the injected volume that ended up inside the joint.",
    "injected_ml": "Total volume pushed from the syringes.",
    "skin_punctures": "How many times the needle went through the skin. Ideally once.",
    "needle_passes": "Forward passes of the needle: each skin puncture and each re-advance "
                     "after pulling back at least 5 mm.",
    "redirections": "Times the needle was pulled back and steered in a new direction.",
    "bone_contacts": "Times the tip struck bone. Gentle contact at the target is expected; "
                     "repeated contact means searching.",
    "danger_contacts": "Times the tip entered an artery, vein, nerve or other structure the "
                       "scenario marks as dangerous.",
    "hard_fail_contacts": "Contacts with structures the scenario marks as critical "
                          "(any contact fails the attempt).",
    "intravascular_injection_ml": "Volume injected with the tip inside a blood vessel.",
    "intraneural_injection_ml": "Volume injected with the tip inside a nerve.",
    "aspirated_before_injection": "Whether the trainee aspirated (pulled back on the syringe) "
                                  "at the injection site before injecting.",
    "closest_danger_mm": "Closest the needle tip came to any danger structure.",
    "total_time_s": "From the start of the session to its end, including preparation.",
    "time_to_target_s": "From the first skin puncture to the tip first reaching the target.",
    "time_in_tissue_s": "How long the needle tip was under the skin.",
    "path_in_tissue_mm": "Length of the path the tip travelled inside tissue; probing and "
                         "re-insertions make it longer.",
    "tissue_damage_mm2": "Area swept sideways by the needle shaft inside tissue; grows with "
                         "levering and windscreen-wiper movements.",
    "tip_in_beam_share": "Share of needle advancement made with the tip visible in the "
                         "ultrasound image. Advancing without seeing the tip is the commonest "
                         "novice error.",
    "blind_advance_mm": "Distance the needle was advanced with its tip outside the "
                        "ultrasound image.",
    "fluoro_time_s": "Total time the X-ray beam was on (pulsed fluoroscopy).",
    "fluoro_shots": "Single spot X-ray images taken.",
    "fluoro_frames": "X-ray frames acquired in total (fluoroscopy and spot images).",
    "kap_ugym2": "Kerma-area product: the patient's radiation dose times the exposed area.",
    "kerma_mgy": "Radiation dose at the reference point (entrance skin dose indicator).",
    "steps_out_of_order": "Procedure steps begun before the steps that should come first.",
    "steps_missing": "Procedure steps (for example the time-out) that were never done.",
}

STEP_NAMES = {
    "patient_positioning": "Patient positioning",
    "skin_prep": "Skin preparation (asepsis)",
    "time_out": "Time-out (right patient, side and procedure)",
    "imaging_setup": "Imaging set-up",
    "needle_placement": "Needle placement",
    "aspiration": "Aspiration",
    "injection": "Injection",
    "completion": "Completion",
}


def metric_help(key: str) -> str:
    """Explanation of a metric key; named parts (``danger_contacts.artery``) use their
    parent's explanation."""
    base = key.split(".")[0]
    text = METRIC_HELP.get(base, "")
    if "." in key and text:
        part = key.split(".", 1)[1].replace("_", " ")
        return f"Counted for the {part} only. {text}"
    return text


def lower_is_better(key: str) -> bool:
    cls = METRICS.get(key.split(".")[0])
    return True if cls is None else cls.lower_is_better


def step_name(step: str) -> str:
    return STEP_NAMES.get(step, step.replace("_", " ").capitalize())
