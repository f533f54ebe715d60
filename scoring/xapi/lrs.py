"""Deliver xAPI statements: to a JSON file (written whole or not at all) or to a Learning
Record Store's ``/statements`` resource in batches (xAPI 2.0 headers, HTTP Basic auth).

Statement ids are deterministic, so after a failed send the same command can simply be run
again: the LRS keeps what it already has and accepts the repeats.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from simulator.errors import InputError
from simulator.files import written_into_place

XAPI_VERSION = "2.0.0"
BATCH = 50
TIMEOUT_S = 30.0


def write_statements(statements: list[dict], path: Path) -> None:
    """``statements`` as one JSON array in ``path`` (a temporary file renamed into place)."""
    path = Path(path)
    if path.is_dir():
        raise InputError("is a folder; give a file name such as statements.json", path=path,
                         field="--out")
    with written_into_place(path) as tmp:
        tmp.write_text(json.dumps(statements, indent=2, ensure_ascii=False), encoding="utf-8")


def check_lrs(url: str, auth: str | None) -> str:
    """The LRS's ``.../statements`` URL from ``url``; an error line for a bad URL or auth."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"{url!r} is not an http(s) URL; give the LRS endpoint, e.g. "
                         "https://lrs.example.org/xapi", field="--lrs")
    if auth is not None and ":" not in auth:
        raise InputError("give the LRS credentials as user:password", field="--auth")
    base = url.rstrip("/")
    return base if base.endswith("/statements") else f"{base}/statements"


def post_statements(statements: list[dict], url: str, auth: str | None,
                    batch: int = BATCH) -> int:
    """POST ``statements`` to the LRS at ``url`` in batches of ``batch``; returns how many
    were sent. Any HTTP or network failure is one ``InputError`` line saying how many went
    before it."""
    endpoint = check_lrs(url, auth)
    headers = {"Content-Type": "application/json; charset=utf-8",
               "X-Experience-API-Version": XAPI_VERSION}
    if auth is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode("ascii")
    sent = 0
    for start in range(0, len(statements), batch):
        chunk = statements[start:start + batch]
        body = json.dumps(chunk, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read(300).decode("utf-8", "replace").replace("\n", " ").strip()
            raise InputError(f"the LRS answered HTTP {exc.code} {exc.reason}"
                             f"{': ' + detail if detail else ''} ({sent} of {len(statements)} "
                             f"statements sent before it; {_fix(exc.code)})",
                             field="--lrs") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise InputError(f"cannot reach the LRS at {endpoint}: {reason} ({sent} of "
                             f"{len(statements)} statements sent; check the URL and the "
                             "network, then run the command again)", field="--lrs") from None
        sent += len(chunk)
    return sent


def _fix(code: int) -> str:
    if code in (401, 403):
        return "check --auth user:password and the LRS account's rights"
    if code == 404:
        return "check the --lrs endpoint URL"
    return "re-running the command is safe: statement ids do not change"
