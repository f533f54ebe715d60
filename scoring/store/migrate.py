"""Create or upgrade a results store's schema with the Alembic migrations shipped in
``scoring/store/migrations`` (no alembic.ini: the configuration is built here).

A database made before the migrations existed (tables but no ``alembic_version``) is taken
as revision 0001, the schema that version created, and upgraded from there. Upgrades run in
one transaction holding the store's write lock, so two processes opening a new store at
once do not both create it.
"""

from __future__ import annotations

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
FIRST_REVISION = "0001"


class NewerSchema(Exception):
    """The database's schema revision is not one this version knows."""


def _config(connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _script():
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS))


def head() -> str:
    """The newest schema revision this version of jointsim writes."""
    return _script().get_current_head()


def revision(connection) -> str | None:
    """The schema revision of the database behind ``connection`` (None: no tables)."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import inspect

    current = MigrationContext.configure(connection).get_current_revision()
    if current is None and inspect(connection).has_table("sessions"):
        return FIRST_REVISION
    return current


def upgrade(engine, writing) -> None:
    """Bring the database behind ``engine`` to :func:`head`; ``writing(engine)`` opens the
    transaction holding the store's write lock that the upgrade runs in."""
    from alembic import command

    with engine.connect() as conn:  # the usual case, without waiting for the write lock
        if revision(conn) == head():
            return
    with writing(engine) as conn:
        current = revision(conn)
        script = _script()
        if current == script.get_current_head():
            return
        if current is not None and current not in {s.revision for s in
                                                    script.walk_revisions()}:
            raise NewerSchema(current)
        cfg = _config(conn)
        if current is not None:
            command.stamp(cfg, current)
        command.upgrade(cfg, "head")
