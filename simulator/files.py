"""Files that appear whole or not at all."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def written_into_place(path: str | Path) -> Iterator[Path]:
    """Yield a hidden temporary sibling of ``path`` to write. When the block ends normally
    it replaces ``path`` in one rename, so a reader never sees a half-written file; when it
    raises, the temporary file is removed and ``path`` is left as it was. The name is unique,
    so processes writing the same ``path`` at once do not share a temporary file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
