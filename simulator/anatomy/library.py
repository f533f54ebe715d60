"""Finding or generating the mesh set a scenario asks for, and loading it."""

from __future__ import annotations

from pathlib import Path

from simulator.anatomy import cache
from simulator.anatomy.manifest import Manifest, read_manifest
from simulator.anatomy.patient import PatientParams
from simulator.errors import InputError
from simulator.paths import data_root


def shipped_model_folder(model: str) -> Path:
    return data_root("meshes") / model


def reference_manifest(model: str, folder: Path | None) -> Manifest:
    """Manifest listing the structure and landmark names of a model (for validation).

    Generated variants of a model share the names of its shipped default mesh set.
    """
    from simulator.anatomy.generators import GENERATORS

    if folder is None:
        if model not in GENERATORS:
            raise InputError(f"unknown anatomy model {model!r}; use one of "
                             f"{', '.join(GENERATORS)} or a folder with a manifest.yaml")
        folder = shipped_model_folder(model)
    return read_manifest(folder)


def _generator_code(model: str) -> str:
    """Hash of the sources a model's generator is built from (its own modules and the shared
    ones), so a changed generator never reuses stale cached meshes while an edit to another
    joint's generator leaves this one's cache alone."""
    from simulator.anatomy import generators

    models = set(generators.GENERATORS)
    files = [f for f in sorted(Path(generators.__file__).parent.glob("*.py"))
             if model in f.stem.split("_") or not models & set(f.stem.split("_"))]
    return cache.file_digest(files)


def model_folder(model: str, patient: PatientParams, seed: int, progress=None) -> Path:
    """Folder holding the generated mesh set for ``(model, patient, seed)``.

    The shipped ``meshes/<model>`` is used when it was generated with these parameters;
    otherwise the model is generated once into the cache and reused.
    """
    from simulator.anatomy.generated import write_mesh_set
    from simulator.anatomy.generators import GENERATORS, generate

    if model not in GENERATORS:
        raise InputError(f"unknown anatomy model {model!r}; valid: {', '.join(GENERATORS)}")
    wanted = {"name": model, "patient": patient.key(), "seed": seed}
    shipped = shipped_model_folder(model)
    try:
        gen = read_manifest(shipped).generator or {}
        if {k: gen.get(k) for k in wanted} == wanted:
            return shipped
    except InputError:
        pass
    key = cache.digest(wanted, _generator_code(model))
    folder = cache.cache_dir() / "anatomy" / f"{model}-{key}"
    if not (folder / "manifest.yaml").is_file():
        if progress:
            progress(f"generating {model} anatomy for {patient.key()} seed {seed}")
        write_mesh_set(generate(model, patient, seed), folder)
    return folder
