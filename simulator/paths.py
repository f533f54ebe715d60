"""Where the shipped data (meshes/, scenarios/) lives: a checkout or an installed wheel."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


@cache
def data_root(kind: str) -> Path:
    """Folder of shipped ``meshes`` or ``scenarios``.

    In a checkout (or editable install) these are the top-level folders; an installed wheel
    carries them as the package ``simulator._data``.
    """
    checkout = _CHECKOUT / kind
    if (_CHECKOUT / "pyproject.toml").is_file() and checkout.is_dir():
        return checkout
    return Path(__file__).resolve().parent / "_data" / kind


def scenario_path(name: str) -> Path:
    """Resolve a scenario given as a path or as the name of a shipped scenario."""
    path = Path(name)
    if path.is_file():
        return path
    shipped = data_root("scenarios") / (name if name.endswith(".yaml") else f"{name}.yaml")
    return shipped if shipped.is_file() else path


def shipped_scenarios() -> list[Path]:
    return sorted(data_root("scenarios").glob("*.yaml"))
