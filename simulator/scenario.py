"""Scenario files: the educator-facing YAML schema, loading and validation.

The pydantic models are the schema: every field carries a description written for an
educator, ``jointsim schema`` prints it as JSON Schema and ``scenarios/README.md`` is generated
from it. Unknown keys, impossible numbers and unknown structure or landmark names are errors
that name the file, the field path and what would be valid.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from simulator.anatomy.manifest import format_validation_error
from simulator.bounds import MAX_SEED, OFFSET_LIMIT_MM, MetricValue, OffsetMm, Seed
from simulator.errors import InputError
from simulator.variety import PatientSpec
from simulator.yamlfile import read_yaml

SCHEMA_VERSION = 1
MAX_ID_CHARS = 64      # ids name files and folders; file systems allow 255 bytes per name
MIN_TIME_S = 60.0      # the fastest expert hip injection takes 47 s (clinical.md, 1.1)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True,
                              allow_inf_nan=False)


class Step(StrEnum):
    """Procedure steps in their clinical order."""

    patient_positioning = "patient_positioning"
    skin_prep = "skin_prep"
    time_out = "time_out"
    imaging_setup = "imaging_setup"
    needle_placement = "needle_placement"
    aspiration = "aspiration"
    injection = "injection"
    completion = "completion"

    @property
    def label(self) -> str:
        """The step's name for people (reports, score documents)."""
        return _STEP_LABELS[self]


_STEP_LABELS = {
    Step.patient_positioning: "Patient positioning",
    Step.skin_prep: "Skin preparation (asepsis)",
    Step.time_out: "Time-out (right patient, side and procedure)",
    Step.imaging_setup: "Imaging set-up",
    Step.needle_placement: "Needle placement",
    Step.aspiration: "Aspiration",
    Step.injection: "Injection",
    Step.completion: "Completion",
}


class AnatomySpec(_Model):
    model: str = Field("hip", description="Anatomy model: a generator name ('hip') or a path "
                       "(relative to the scenario file) to a folder with a mesh-set manifest.")
    patient: PatientSpec = Field(default_factory=PatientSpec,
                                 description="The patient the model is generated for; any "
                                 "field may be a distribution drawn from the session seed.")
    seed: Seed | Literal["session"] = Field(
        0, description=f"Anatomical variation seed of the generated model (0 to {MAX_SEED}), "
        "or 'session' to take the session seed (a different anatomy every attempt).")

    @field_validator("seed", mode="before")
    @classmethod
    def _seed_in_range(cls, value):
        """One message for both forms (the union would report each alternative)."""
        if value == "session" or (isinstance(value, int) and not isinstance(value, bool)
                                  and 0 <= value <= MAX_SEED):
            return value
        raise ValueError(f"seed must be a whole number from 0 to {MAX_SEED}, or 'session'")


class NeedleSpec(_Model):
    gauge: int = Field(22, ge=16, le=30, description="Needle gauge (22 G spinal by default).")
    length_mm: float = Field(89.0, gt=20.0, le=200.0, description="Needle length in mm "
                             "(89 mm = 3.5 in spinal; 127 mm = 5 in for large patients).")


class SyringeSpec(_Model):
    name: str = Field(description="Short name shown to the trainee, e.g. 'steroid + LA'.")
    contents: Literal["therapeutic", "anaesthetic", "contrast", "saline"] = Field(
        description="What the syringe holds; 'contrast' is radiopaque.")
    volume_ml: float = Field(gt=0.0, le=60.0, description="Volume loaded, mL.")
    drug: str = Field("", description="Drug and dose as written on the label (free text).")


class ProbeSpec(_Model):
    preset: Literal["curvilinear", "linear"] = Field(
        "curvilinear", description="Curvilinear 2-6 MHz (adult hip default) or linear "
        "6-12 MHz (slim patients, superficial targets).")
    depth_mm: float = Field(90.0, ge=20.0, le=150.0, description="Starting imaging depth, mm.")
    frequency_mhz: float | None = Field(None, gt=1.0, le=15.0, description="Starting centre "
                                        "frequency (default: the preset's centre).")
    gain_db: float = Field(0.0, ge=-30.0, le=30.0, description="Starting overall gain, dB.")


class CArmSpec(_Model):
    source_to_detector_mm: float = Field(1000.0, ge=700.0, le=1300.0,
                                         description="Source-to-detector distance, mm.")
    source_to_isocentre_mm: float = Field(600.0, ge=400.0, le=900.0,
                                          description="Source-to-isocentre distance, mm.")
    detector_mm: float = Field(300.0, ge=150.0, le=450.0,
                               description="Width of the square flat-panel detector, mm.")
    pulse_rate_hz: float = Field(7.5, gt=0.0, le=30.0, description="Pulse rate of "
                                 "continuous (pulsed) fluoroscopy.")
    image_px: int = Field(512, ge=128, le=1024, description="Image size in pixels (square); "
                          "the low-dose mode halves it.")
    intensifier_mm: float | None = Field(None, ge=100.0, le=400.0, description="Diameter of "
                                         "an image intensifier's circular field (e.g. 230 for "
                                         "a 9-inch intensifier); omit for a square flat panel.")


class Placement(_Model):
    landmark: str = Field(description="Anatomy landmark the pose is relative to.")
    offset_mm: tuple[OffsetMm, OffsetMm, OffsetMm] = Field(
        (0.0, 0.0, 0.0), description="Offset from the landmark in mm: x lateral (toward the "
        f"injected side), y anterior, z superior; each within +-{OFFSET_LIMIT_MM:g} mm.")


SURFACES = {"anterior": (0.0, 1.0, 0.0), "posterior": (0.0, -1.0, 0.0),
            "lateral": (1.0, 0.0, 0.0), "medial": (-1.0, 0.0, 0.0)}


class ProbeStart(Placement):
    surface: Literal["anterior", "posterior", "lateral", "medial"] = Field(
        "anterior", description="Skin surface the probe sits on: the probe is placed where a "
        "line from this side through the landmark meets the skin.")
    rotation_deg: float = Field(90.0, ge=-180.0, le=180.0, description="Angle of the probe's "
                                "long axis from the head-foot line in the skin plane: 0 = "
                                "sagittal, 90 = transverse; positive turns the upper end medially.")
    tilt_deg: float = Field(0.0, ge=-45.0, le=45.0, description="Fan tilt of the beam "
                            "about the probe's long axis.")


class CArmStart(Placement):
    field_mm: float | None = Field(None, ge=40.0, le=450.0, description="Starting collimated "
                                   "field width at the detector, mm (default 220 mm, about "
                                   "100 cm2 at the reference point).")
    orbital_deg: float = Field(0.0, ge=-90.0, le=90.0, description="Orbital (LAO/RAO) angle; "
                               "0 = straight through the table, positive swings the detector "
                               "toward the injected side (ipsilateral oblique), negative toward "
                               "the other side, for supine and prone patients alike.")
    cranial_deg: float = Field(0.0, ge=-45.0, le=45.0, description="Cranial (+) or caudal (-) "
                               "tilt.")


class EntryZone(Placement):
    radius_mm: float = Field(80.0, gt=0.0, le=300.0, description="Skin entry points farther "
                             "than this from the landmark (plus offset) are refused.")


class Target(_Model):
    structure: str = Field(description="Structure the needle tip must reach (e.g. "
                           "'anterior_recess').")
    landmark: str = Field(description="Landmark at the ideal tip position, for the "
                          "tip-to-target distance.")
    tolerance_mm: float = Field(3.0, gt=0.0, le=20.0, description="Tip within this distance "
                                "of the landmark counts as on target even outside the structure.")


class Danger(_Model):
    structure: str = Field(description="Structure that must not be touched.")
    severity: Literal["hard_fail", "major", "minor"] = Field(
        "major", description="hard_fail fails the attempt on contact; major and minor lower "
        "the safety score.")


class Limits(_Model):
    time_s: float = Field(900.0, ge=MIN_TIME_S, le=7200.0, description="The attempt ends "
                          "after this much simulated time; at least "
                          f"{MIN_TIME_S:g} s, since an expert's ultrasound-guided hip "
                          "injection takes 47-187 s from first scan to injection (mean 112 s).")
    fluoro_time_s: float = Field(300.0, gt=0.0, le=3600.0, description="Fluoroscopy time "
                                 "after which the C-arm refuses further exposure (5-min alarm).")


class Procedure(_Model):
    steps: tuple[Step, ...] = Field(tuple(Step), description="Expected steps, in order.")
    require_aspiration: bool = Field(True, description="Aspirate before injecting (rules out "
                                     "intravascular injection). When true, injecting without "
                                     "aspirating at that needle position fails the attempt.")
    min_dose_share: float = Field(0.8, ge=0.1, le=1.0, description="Share of the prescribed "
                                  "(therapeutic) volume that must be injected; less fails the "
                                  "attempt (an under-dosed injection does not treat the joint).")


AllergyName = Annotated[str, Field(min_length=2, max_length=40)]


class SiteCheck(_Model):
    """What the time-out checks, and the asepsis the case asks for."""

    patient: str = Field("", max_length=80, description="The patient's name and date of "
                         "birth as on the request and the wristband, shown at the time-out.")
    site: str = Field("", max_length=40, description="The site as the request names it "
                      "(e.g. 'hip joint'); default: the target structure.")
    allergies: tuple[AllergyName, ...] = Field(
        (), max_length=10, description="The patient's allergies (at most 10), shown at the "
        "time-out. An allergy whose text appears in a syringe's name or drug label is an "
        "allergy to that syringe: the time-out must report it, and injecting that syringe "
        "fails the attempt. The side to inject is anatomy.patient.side.")
    prep_radius_mm: float = Field(50.0, ge=20.0, le=150.0, description="Radius of the "
                                  "antiseptic prep around the point the trainee preps; a skin "
                                  "puncture outside every prepped area is an asepsis breach "
                                  "(a hard fail).")

    def allergens(self, syringes) -> tuple[int, ...]:
        """Indices of the ``syringes`` holding something the patient is allergic to."""
        return tuple(k for k, s in enumerate(syringes)
                     if any(a.lower() in f"{s.name} {s.drug}".lower() for a in self.allergies))


class ViewLandmark(_Model):
    structure: str = Field(description="Structure that must show in the standard view.")
    min_width_share: float = Field(0.0, ge=0.0, le=1.0, description="Least share of the "
                                   "image's width it must span (e.g. 0.5 for a bone seen in "
                                   "long axis, running across the image); 0: just visible.")


class StandardView(_Model):
    """The ultrasound view the approach starts from, graded live in learning mode from the
    structures in the image."""

    name: str = Field(min_length=3, max_length=60, description="Name shown to the trainee, "
                      "e.g. 'head-neck junction in long axis'.")
    landmarks: tuple[ViewLandmark, ...] = Field((), max_length=6, description="Structures "
                                                "(at most 6) the view shows besides the "
                                                "target.")
    how: str = Field("", max_length=160, description="How to find the view, said when "
                     "the probe is where the cue aims it and a landmark still does not show "
                     "(e.g. 'rotate the probe along the femoral neck').")
    target_centred: bool = Field(True, description="The target must sit in the image's "
                                 "middle third (false where the approach keeps it to one "
                                 "side).")


class Criterion(_Model):
    metric: str = Field(description="Metric key (see 'jointsim metrics').")
    weight: float = Field(gt=0.0, le=100.0, description="Share of the 0-100 score.")
    best: MetricValue = Field(description="Value that earns full marks (expert benchmark).")
    worst: MetricValue = Field(description="Value that earns no marks; between best and worst "
                               "marks fall linearly.")

    @model_validator(mode="after")
    def _distinct(self):
        if self.best == self.worst:
            raise ValueError("best and worst must differ")
        return self


class HardFail(_Model):
    metric: str = Field(description="Metric key.")
    max: MetricValue | None = Field(None, description="Fail if the value is above this.")
    min: MetricValue | None = Field(None, description="Fail if the value is below this.")
    reason: str = Field(description="Plain-language reason shown to the trainee.")

    @model_validator(mode="after")
    def _one_bound(self):
        if (self.max is None) == (self.min is None):
            raise ValueError("give exactly one of 'max' or 'min'")
        return self


class Rubric(_Model):
    pass_score: float = Field(70.0, ge=0.0, le=100.0, description="Score needed to pass "
                              "(when no hard fail applies).")
    pass_score_set_by: str = Field("", max_length=400, description="How the pass score was "
                                   "set (written by 'jointsim scenario passmark': contrasting "
                                   "groups of scripted trainees); empty: by the author.")
    hard_fails: tuple[HardFail, ...] = Field((), description="Conditions that fail the attempt "
                                             "whatever the score.")
    criteria: tuple[Criterion, ...] = Field(description="Weighted metrics making the score.")


class Sim(_Model):
    dt_s: float = Field(1.0 / 60.0, ge=0.002, le=0.1, description="Simulation time step, s.")


class Scenario(_Model):
    """One training case: anatomy, equipment, start, targets, dangers, limits and rubric."""

    schema_version: Literal[1] = Field(SCHEMA_VERSION, description="Scenario format version.")
    id: str = Field(description=f"Short unique id (snake_case, at most {MAX_ID_CHARS} "
                    "characters); it names the output files.", pattern=r"^[a-z][a-z0-9_]*$",
                    max_length=MAX_ID_CHARS)
    title: str = Field(description="Title shown to trainees.")
    instructions: str = Field("", description="What the trainee is asked to do.")
    modes: tuple[Literal["learning", "assessment"], ...] = Field(
        ("learning", "assessment"), description="Modes this case may be played in; learning "
        "mode shows anatomy overlays, assessment mode hides them.", min_length=1)
    modality: Literal["ultrasound", "fluoroscopy", "both"] = Field(
        description="Imaging guidance available.")
    patient_position: Literal["supine", "prone", "lateral_decubitus"] = Field(
        "supine", description="How the patient lies on the table: sets where the C-arm's "
        "tube is (under the table) and how the 3D view is oriented. Lateral decubitus lies "
        "on the other side, the injected side up.")
    anatomy: AnatomySpec = Field(default_factory=AnatomySpec, description="Patient model.")
    needle: NeedleSpec = Field(default_factory=NeedleSpec, description="Needle.")
    syringes: tuple[SyringeSpec, ...] = Field(description="Syringes on the tray, in order of "
                                              "use.", min_length=1)
    probe: ProbeSpec | None = Field(None, description="Ultrasound probe (ultrasound cases).")
    carm: CArmSpec | None = Field(None, description="C-arm (fluoroscopy cases).")
    probe_start: ProbeStart | None = Field(None, description="Starting probe placement.")
    carm_start: CArmStart | None = Field(None, description="Starting C-arm pose and isocentre.")
    entry_zone: EntryZone = Field(description="Where on the skin the needle may enter.")
    targets: tuple[Target, ...] = Field(description="Target(s); the first is primary.",
                                        min_length=1)
    dangers: tuple[Danger, ...] = Field((), description="Structures not to touch.")
    limits: Limits = Field(default_factory=Limits, description="Time and dose limits.")
    procedure: Procedure = Field(default_factory=Procedure, description="Procedure flow.")
    site_check: SiteCheck = Field(default_factory=SiteCheck, description="Patient details "
                                  "for the time-out, and the skin prep's size.")
    standard_view: StandardView | None = Field(None, description="The ultrasound view to "
                                               "find before the needle (learning mode grades "
                                               "it); ultrasound cases only.")
    rubric: Rubric = Field(description="How metrics become a score and pass/fail.")
    sim: Sim = Field(default_factory=Sim, description="Simulation settings.")

    @model_validator(mode="after")
    def _equipment_matches_modality(self):
        us = self.modality in ("ultrasound", "both")
        fl = self.modality in ("fluoroscopy", "both")
        if us and (self.probe is None or self.probe_start is None):
            raise ValueError("ultrasound cases need 'probe' and 'probe_start'")
        if fl and (self.carm is None or self.carm_start is None):
            raise ValueError("fluoroscopy cases need 'carm' and 'carm_start'")
        if self.standard_view is not None and not us:
            raise ValueError("'standard_view' grades an ultrasound view: remove it from a "
                             "fluoroscopy case")
        return self

    @property
    def uses_ultrasound(self) -> bool:
        return self.modality in ("ultrasound", "both")

    @property
    def uses_fluoroscopy(self) -> bool:
        return self.modality in ("fluoroscopy", "both")

    def digest(self) -> str:
        """SHA-256 of the validated content.

        Comments, key order and fields left at their defaults do not matter, so adding a new
        optional field to the schema does not orphan older logs.
        """
        data = json.dumps(self.model_dump(mode="json", exclude_defaults=True),
                          sort_keys=True).encode()
        return hashlib.sha256(data).hexdigest()


def schema() -> dict:
    """JSON Schema of scenario files."""
    return Scenario.model_json_schema()


def parse_scenario(path: str | Path) -> tuple[Scenario | None, list[tuple[str, str]]]:
    """Read and validate one file. Returns ``(scenario or None, [(field, message), ...])``."""
    path = Path(path)
    if not path.is_file():
        return None, [("(file)", "file not found")]
    try:
        data = read_yaml(path)
    except InputError as exc:
        return None, [(exc.field or "(file)", exc.message)]
    if not isinstance(data, dict):
        return None, [("(top level)", "expected a mapping of scenario fields")]
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        return None, format_validation_error(exc)
    from simulator.scenario_checks import reference_problems

    return scenario, reference_problems(scenario, path)


def load_scenario(path: str | Path) -> Scenario:
    """Load a valid scenario or raise ``InputError`` naming the first problem."""
    scenario, problems = parse_scenario(path)
    if problems:
        field, message = problems[0]
        raise InputError(message, path=path, field=field)
    return scenario


def problem_from(error: InputError, path: str | Path, field: str) -> tuple[str, str]:
    """``(field, message)`` for a problem found while using scenario ``path``: an error in
    another file (a manifest, a mesh) keeps that file's name and field in the message."""
    if error.path is None or Path(error.path) == Path(path):
        return error.field or field, error.message
    return field, str(error)


def anatomy_folder(scenario: Scenario, scenario_path: str | Path | None) -> Path | None:
    """Folder of a custom anatomy model, or ``None`` for a generated one."""
    from simulator.anatomy.generators import GENERATORS

    if scenario.anatomy.model in GENERATORS:
        return None
    base = Path(scenario_path).parent if scenario_path else Path.cwd()
    return (base / scenario.anatomy.model).resolve()
