"""``jointsim anatomy``: build and inspect anatomy mesh sets."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from simulator.cli.common import say, staged_dir

app = typer.Typer(no_args_is_help=True, help="Build and inspect anatomy models.")


@app.command()
def build(
    model: str = typer.Argument("hip", help="Generator name, e.g. hip."),
    out: Path = typer.Option(..., help="Folder to write the meshes and manifest.yaml into."),
    sex: str = typer.Option("female", help="female or male."),
    bmi: float = typer.Option(27.0, help="Body-mass index, kg/m2 (16-60)."),
    side: str = typer.Option("right", help="right or left."),
    oa_grade: int = typer.Option(0, help="Kellgren-Lawrence grade 0-4."),
    effusion_mm: float = typer.Option(0.0, help="Effusion depth in the recess, mm (0-15)."),
    seed: int = typer.Option(0, help="Anatomical variation seed."),
) -> None:
    """Generate a patient's mesh set into OUT (watertight PLY meshes + manifest.yaml)."""
    from pydantic import ValidationError

    from simulator.anatomy.generated import write_mesh_set
    from simulator.anatomy.generators import GENERATORS, generate
    from simulator.anatomy.manifest import format_validation_error
    from simulator.anatomy.patient import PatientParams
    from simulator.errors import InputError

    if model not in GENERATORS:
        raise InputError(f"unknown model {model!r}; valid: {', '.join(GENERATORS)}",
                         field="model")
    try:
        patient = PatientParams(sex=sex, bmi=bmi, side=side, oa_grade=oa_grade,
                                effusion_mm=effusion_mm)
    except ValidationError as exc:
        field, message = format_validation_error(exc)[0]
        raise InputError(message, field=f"--{field.replace('_', '-')}") from None
    start = time.perf_counter()
    generated = generate(model, patient, seed)
    with staged_dir(out) as stage:
        manifest = write_mesh_set(generated, stage)
    triangles = sum(len(s.faces) for s in generated.structures)
    say(f"built {model} for {patient.key()} seed {seed} in {time.perf_counter() - start:.1f} s")
    print(f"{out}: {len(manifest.structures)} structures, {triangles} triangles, "
          f"{len(manifest.landmarks)} landmarks")


@app.command()
def info(folder: Path = typer.Argument(..., help="Mesh-set folder.")) -> None:
    """Check a mesh set loads (watertight, oriented) and list its structures."""
    from simulator.anatomy.model import Anatomy

    anatomy = Anatomy.load(folder, progress=say)
    for s in anatomy.structures:
        print(f"{s.index:3d} {s.name:36s} {s.tissue.key:20s} {s.role.value:13s} "
              f"{len(s.faces):7d} triangles")
    lo, hi = anatomy.bounds_mm
    print(f"bounds {lo.round(1).tolist()} .. {hi.round(1).tolist()} mm; label volume "
          f"{anatomy.grid.shape} at {anatomy.grid.spacing_mm:.2f} mm")

