"""What identifies an attempt's log regardless of how the file is laid out."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def log_content_sha256(path: Path) -> str:
    """SHA-256 of a log's records in canonical JSON, one per line.

    Every non-blank line is parsed and re-serialised with sorted keys and no spaces, so
    copies that differ only in whitespace, blank lines or key order have the same digest,
    while any change to a value changes it. A line that is not JSON (a cut last line) is
    taken as its stripped bytes.
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                text = json.dumps(json.loads(line), sort_keys=True, separators=(",", ":"))
                h.update(text.encode("utf-8"))
            except (ValueError, UnicodeDecodeError, RecursionError):
                h.update(line)
            h.update(b"\n")
    return h.hexdigest()
