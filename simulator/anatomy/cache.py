"""Where derived data (generated meshes, label volumes) is cached, content hashing, and
storing arrays so a damaged cache file is detected and rebuilt."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path

import numpy as np


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


def _content_hash(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 23):
            h.update(chunk)
    return h.hexdigest()


def save_checked(path: Path, array: np.ndarray) -> None:
    """Store ``array`` as ``path`` (.npy) with a hash of the file beside it, each written
    under a temporary name and renamed, so a damaged or zero-filled file is recognised."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    tmp = path.with_name(f"{path.name}.{tag}.tmp.npy")
    np.save(tmp, array)
    check = path.with_name(f"{path.name}.{tag}.tmp.b2")
    check.write_text(_content_hash(tmp))
    tmp.replace(path)
    check.replace(_check_path(path))


def load_checked(path: Path, shape: tuple, dtype) -> np.ndarray | None:
    """The array ``save_checked`` stored at ``path`` (memory-mapped), or ``None`` when it is
    missing, of another shape or type, or no longer matches its hash (the caller rebuilds
    it); a damaged entry is removed."""
    check = _check_path(path)
    if not path.is_file():
        return None
    try:
        if check.read_text().strip() == _content_hash(path):
            array = np.load(path, mmap_mode="r")
            if array.shape == tuple(shape) and array.dtype == dtype:
                return array
    except (OSError, ValueError):
        pass
    for stale in (path, check):
        stale.unlink(missing_ok=True)
    return None


def _check_path(path: Path) -> Path:
    return path.with_name(path.name + ".b2")
