"""The results-store backends the store tests run on: a SQLite file, and the PostgreSQL
server named by ``JOINTSIM_TEST_PG_URL`` (``.ci/run`` starts one; without it the PostgreSQL
cases skip, except under CI=true where a missing server fails)."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

PG_ENV = "JOINTSIM_TEST_PG_URL"
BACKENDS = ("sqlite", "postgresql")


@contextmanager
def store_url(kind: str, tmp_path: Path):
    """A URL of an empty store of ``kind``; PostgreSQL stores live in a fresh schema of the
    test database, dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'results.sqlite'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{PG_ENV} is not set: CI must start PostgreSQL (see .ci/run)")
        pytest.skip(f"no PostgreSQL server: set {PG_ENV}=postgresql://user@host/db to run")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
