"""The mesh-set manifest: which mesh file is which structure, of what tissue, in which frame.

A model is a folder holding mesh files and ``manifest.yaml``. The same format serves the
procedurally generated models and meshes exported from 3D Slicer or other tools.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path, PurePosixPath, PureWindowsPath

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from simulator.bounds import Coordinate, UnitComponent, bounded_int
from simulator.errors import InputError
from simulator.files import written_into_place
from simulator.tissues import TISSUE_KEYS
from simulator.yamlfile import read_yaml

MANIFEST_NAME = "manifest.yaml"
MESH_SUFFIXES = (".ply", ".stl", ".obj", ".vtk", ".vtp", ".off", ".glb")


class Role(StrEnum):
    """What a structure is for the procedure, independent of its tissue."""

    skin = "skin"
    soft_tissue = "soft_tissue"
    tendon = "tendon"
    capsule = "capsule"
    joint_cavity = "joint_cavity"
    bursa = "bursa"
    cartilage = "cartilage"
    bone = "bone"
    artery = "artery"
    vein = "vein"
    nerve = "nerve"


ROLE_TISSUES = {
    Role.skin: ("skin",),
    Role.soft_tissue: ("subcutaneous_fat", "muscle", "tendon", "ligament", "nerve", "bursa"),
    Role.tendon: ("tendon", "ligament"),
    Role.capsule: ("joint_capsule", "ligament"),
    Role.joint_cavity: ("synovial_fluid",),
    Role.bursa: ("bursa", "synovial_fluid"),
    Role.cartilage: ("hyaline_cartilage", "labrum"),
    Role.bone: ("cortical_bone", "cancellous_bone"),
    Role.artery: ("arterial_blood",),
    Role.vein: ("venous_blood",),
    Role.nerve: ("nerve",),
}


class StructureEntry(BaseModel):
    """One closed surface of the model."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field(description="Unique structure name used by scenarios (snake_case).",
                      pattern=r"^[a-z][a-z0-9_]*$")
    file: str = Field(description="Mesh file relative to the manifest (PLY, STL, OBJ, VTK, "
                      "VTP), inside the manifest's folder.")
    tissue: str = Field(description="Tissue key from the tissue table (simulator.tissues).")
    role: Role = Field(description="What the structure is for the procedure.")
    label: str = Field("", description="Display name for people; defaults to the name.")
    color: str = Field("#c0c0c0", description="Display colour as #rrggbb.",
                       pattern=r"^#[0-9a-fA-F]{6}$")
    priority: bounded_int(-1000, 1000) = Field(0, description="Where structures overlap, the "
                                               "higher priority wins (-1000 to 1000).")
    fibre_direction: tuple[UnitComponent, UnitComponent, UnitComponent] | None = Field(
        None, description="Main fibre direction (unit vector, model frame) for anisotropic "
        "tissue such as tendon or capsule; omit for isotropic tissue.")

    @field_validator("tissue")
    @classmethod
    def _known_tissue(cls, value: str) -> str:
        if value not in TISSUE_KEYS:
            raise ValueError(f"unknown tissue {value!r}; valid: {', '.join(TISSUE_KEYS)}")
        return value

    @field_validator("file")
    @classmethod
    def _mesh_file_in_folder(cls, value: str) -> str:
        if not value.lower().endswith(MESH_SUFFIXES):
            raise ValueError(f"{value!r} is not a mesh file; use one of {', '.join(MESH_SUFFIXES)}")
        posix, windows = PurePosixPath(value), PureWindowsPath(value)
        if posix.is_absolute() or windows.is_absolute() or windows.drive or ".." in windows.parts:
            raise ValueError(f"{value!r} points outside the manifest's folder; give a path "
                             "relative to it without '..' and put the mesh there")
        return value

    @field_validator("fibre_direction")
    @classmethod
    def _direction(cls, value):
        if value is not None and sum(c * c for c in value) < 0.25:
            raise ValueError("fibre_direction must be a unit vector, e.g. [0, 0, 1]")
        return value

    @model_validator(mode="after")
    def _role_fits_tissue(self):
        allowed = ROLE_TISSUES[self.role]
        if self.tissue not in allowed:
            raise ValueError(f"role '{self.role.value}' does not fit tissue '{self.tissue}' "
                             f"(structure {self.name!r}); use tissue {' or '.join(allowed)}, "
                             "or another role")
        return self

    @property
    def display_name(self) -> str:
        return self.label or self.name.replace("_", " ")


class Manifest(BaseModel):
    """A mesh set: structures, landmarks and the frame they are given in."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    format_version: int = Field(1, description="Manifest format version (1).", ge=1, le=1)
    model: str = Field(description="Model name, e.g. 'hip'.")
    coordinate_system: str = Field(
        "RAS", description="RAS (x right, y anterior, z superior) or LPS (3D Slicer's default "
        "export since 4.11); LPS meshes are flipped to RAS on load.", pattern="^(RAS|LPS)$")
    units: str = Field("mm", description="Length unit of the mesh files: mm or m.",
                       pattern="^(mm|m)$")
    structures: tuple[StructureEntry, ...] = Field(description="The closed surfaces.")
    landmarks: dict[str, tuple[Coordinate, Coordinate, Coordinate]] = Field(
        default_factory=dict, description="Named points (same frame and units as the meshes; "
        "inside the model).")
    generator: dict | None = Field(
        None, description="For generated models: generator name, version, patient and seed.")

    @field_validator("structures")
    @classmethod
    def _unique_names(cls, value):
        names = [s.name for s in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"structure names must be unique; repeated: {', '.join(dupes)}")
        if not value:
            raise ValueError("a model needs at least one structure")
        return value

    def structure(self, name: str) -> StructureEntry:
        for entry in self.structures:
            if entry.name == name:
                return entry
        raise KeyError(name)


def format_validation_error(error: ValidationError) -> list[tuple[str, str]]:
    """Turn a pydantic error into ``(dotted.field.path, message)`` pairs, one per problem.

    An error on a container that follows from an error inside it (a list left with no valid
    item after its one item failed) is dropped: the inner error is the one to fix.
    """
    items = error.errors()
    locs = [tuple(item["loc"]) for item in items]
    problems = []
    for item, loc in zip(items, locs, strict=True):
        if any(len(other) > len(loc) and other[:len(loc)] == loc for other in locs):
            continue
        where = ".".join(_loc_part(p) for p in loc) or "(top level)"
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown field; remove it or check its spelling"
        elif message.startswith("Value error, "):
            message = message[len("Value error, "):]
        problems.append((where, message))
    return problems


def _loc_part(part) -> str:
    """A field path element as written, or quoted when it is not a plain name (an unknown key
    with spaces or line breaks in it must not break the one-line message)."""
    text = str(part)
    return text if text.isprintable() and text and not any(c in text for c in " .:") else (
        repr(text))


def read_manifest(folder: str | Path) -> Manifest:
    """Read and validate ``folder/manifest.yaml``; raise ``InputError`` naming file and field."""
    path = Path(folder) / MANIFEST_NAME
    if not path.is_file():
        raise InputError(f"no {MANIFEST_NAME} here; a mesh set is a folder with a manifest",
                         path=folder)
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError("expected a mapping of manifest fields", path=path)
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        field, message = format_validation_error(exc)[0]
        raise InputError(message, path=path, field=field) from None


def write_manifest(manifest: Manifest, folder: str | Path) -> Path:
    """Write ``manifest.yaml`` atomically into ``folder``."""
    path = Path(folder) / MANIFEST_NAME
    data = manifest.model_dump(mode="json", exclude_none=True)
    with written_into_place(path) as tmp:
        tmp.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
