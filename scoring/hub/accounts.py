"""The dashboard's local accounts, kept in the results database beside the sessions.

``hub_accounts``: one row per person (``name`` is the trainee name the sessions carry, so a
trainee account sees the sessions stored under that name), a role (educator or trainee) and
an Argon2id password hash (argon2-cffi, the OWASP-recommended password hash).
``hub_secret``: the random key that signs the dashboard's session cookies, made on first use
so that sign-ins survive a restart of ``jointsim serve``.

These tables belong to the dashboard, not to the assessment store's schema: they are
created here when missing and the store's migrations never touch them.
"""

from __future__ import annotations

import secrets

from sqlalchemy import Column, MetaData, String, Table, select

from simulator.errors import InputError

ROLES = ("educator", "trainee")
MAX_NAME_CHARS = 200  # the sessions table's trainee column
MIN_PASSWORD_CHARS = 8

HUB_META = MetaData()
ACCOUNTS = Table("hub_accounts", HUB_META,
                 Column("name", String(MAX_NAME_CHARS), primary_key=True),
                 Column("role", String(16), nullable=False),
                 Column("password_hash", String(200), nullable=False))
SECRET = Table("hub_secret", HUB_META, Column("key", String(128), primary_key=True))


def check_role(role: str) -> None:
    if role not in ROLES:
        raise InputError(f"role {role!r} is not one of {', '.join(ROLES)}", field="--role")


class Accounts:
    """Accounts over an SQLAlchemy ``engine`` (the store's)."""

    def __init__(self, engine):
        from argon2 import PasswordHasher

        self.engine = engine
        self.hasher = PasswordHasher()
        HUB_META.create_all(engine, checkfirst=True)

    def add(self, name: str, role: str, password: str) -> None:
        """Create or replace the account ``name``; ``InputError`` for a bad name, role or
        password."""
        name = name.strip()
        if not name or len(name) > MAX_NAME_CHARS:
            raise InputError(f"give a name of 1 to {MAX_NAME_CHARS} characters", field="NAME")
        check_role(role)
        if len(password) < MIN_PASSWORD_CHARS:
            raise InputError(f"the password is shorter than {MIN_PASSWORD_CHARS} characters; "
                             "choose a longer one", field="password")
        row = {"name": name, "role": role, "password_hash": self.hasher.hash(password)}
        with self.engine.begin() as conn:
            conn.execute(ACCOUNTS.delete().where(ACCOUNTS.c.name == name))
            conn.execute(ACCOUNTS.insert(), row)

    def check(self, name: str, password: str) -> str | None:
        """The role of ``name`` if ``password`` is theirs, else None."""
        from argon2.exceptions import InvalidHashError, VerificationError

        with self.engine.connect() as conn:
            row = conn.execute(select(ACCOUNTS).where(ACCOUNTS.c.name == name)).first()
        if row is None:
            self.hasher.hash(password)  # the same work as a known name: no timing hint
            return None
        try:
            self.hasher.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        return row.role

    def secret_key(self) -> str:
        """The cookie-signing key, made (256 random bits) on first use."""
        with self.engine.begin() as conn:
            key = conn.execute(select(SECRET.c.key)).scalar()
            if key is None:
                key = secrets.token_hex(32)
                conn.execute(SECRET.insert(), {"key": key})
        return key
