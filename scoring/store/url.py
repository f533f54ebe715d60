"""``--db`` as a SQLAlchemy URL, and the checks that turn an unusable one into one clear line
before anything is created."""

from __future__ import annotations

from pathlib import Path

from simulator.errors import InputError

DEFAULT_DB_NAME = "results.sqlite"
SQLITE_MAGIC = b"SQLite format 3\x00"


def database_url(db: str | None, out: Path) -> str:
    """``--db`` as a SQLAlchemy URL: a URL as given, a plain path as a SQLite file, nothing
    as ``OUT/results.sqlite``."""
    if not db:
        return f"sqlite:///{(Path(out) / DEFAULT_DB_NAME).resolve()}"
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).resolve()}"


def shown(url: str) -> str:
    """The URL without any password, for messages and reports."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown as given
        return url
    return url if parsed.password is None else parsed.render_as_string(hide_password=True)


def check_url(url: str):
    """Parse ``url``; raise InputError if it cannot hold a lasting results store.

    The store runs on SQLite and PostgreSQL. A SQLite store must be a file (not
    ``:memory:``) in an existing folder, and an existing file must be a SQLite database.
    Returns the parsed ``sqlalchemy.engine.URL``.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputError(f"{url!r} is not a database URL; give a SQLAlchemy URL such as "
                         "sqlite:///results.sqlite or postgresql://user@host/db, or a file "
                         "path", field="--db") from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed
    if backend != "sqlite":
        raise InputError(f"{shown(url)}: the results store runs on SQLite or PostgreSQL; give "
                         "a file path or a SQLAlchemy URL such as sqlite:///results.sqlite or "
                         "postgresql://user@host/db", field="--db")
    name = parsed.database or ""
    if name in ("", ":memory:") or parsed.query.get("mode") == "memory":
        raise InputError(f"{shown(url)} is an in-memory database, gone when the run ends; give "
                         "a file, e.g. --db results.sqlite", field="--db")
    if name.startswith("file:"):
        raise InputError(f"{shown(url)}: give the SQLite file as a plain path, e.g. "
                         "sqlite:////data/results.sqlite", field="--db")
    path = Path(name)
    if not path.parent.is_dir():
        raise InputError(f"the folder {path.parent} of {shown(url)} does not exist; create "
                         "it first or give a database in an existing folder", field="--db")
    if path.is_dir():
        raise InputError(f"{shown(url)} is a folder; give a database file inside it, e.g. "
                         f"{path / DEFAULT_DB_NAME}", field="--db")
    if path.is_file() and path.stat().st_size and not _starts_with(path, SQLITE_MAGIC):
        raise InputError(f"{shown(url)} is not a SQLite database; give a new file name or an "
                         "existing results database", path=path, field="--db")
    return parsed


def _starts_with(path: Path, magic: bytes) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(magic)) == magic
    except OSError:
        return False
