"""Per-trainee facts an educator gives as a two-column CSV (``trainee,<column>``): skill
groups for ``assess --groups``, e-mail addresses for ``xapi --actors``."""

from __future__ import annotations

import csv
from pathlib import Path

from simulator.errors import InputError


def read_trainee_column(path: Path | None, column: str, option: str) -> dict[str, str]:
    """``{trainee: value}`` from the CSV at ``path`` with the header ``trainee,<column>``
    (values stripped; ``{}`` without a file). ``option`` names the command-line option in
    errors."""
    if path is None:
        return {}
    if not path.is_file():
        raise InputError(f"file not found; give a CSV with the columns trainee,{column}",
                         path=path, field=option)
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if rows and not {"trainee", column} <= set(rows[0]):
        raise InputError(f"needs the header line 'trainee,{column}'", path=path, field=option)
    return {(r["trainee"] or "").strip(): (r[column] or "").strip() for r in rows}
