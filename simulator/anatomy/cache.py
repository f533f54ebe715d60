"""Where derived data (generated meshes, label volumes) is cached, and content hashing."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path


def cache_dir() -> Path:
    """``$JOINTSIM_CACHE``, else ``$XDG_CACHE_HOME/jointsim``, else ``~/.cache/jointsim``."""
    root = os.environ.get("JOINTSIM_CACHE")
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "jointsim"


def digest(*parts) -> str:
    """Stable short hash of JSON-able parts and ``bytes``."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, bytes):
            h.update(part)
        else:
            h.update(json.dumps(part, sort_keys=True, default=str).encode())
        h.update(b"\0")
    return h.hexdigest()[:20]


def file_digest(paths) -> str:
    """Hash of the contents of several files, in the given order."""
    h = hashlib.sha256()
    for path in paths:
        h.update(Path(path).read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:20]
