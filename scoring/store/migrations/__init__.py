"""Alembic migrations of the results store, run by :mod:`scoring.store.migrate` when a store
is opened.

To change the schema: edit ``scoring/store/schema.py``, add ``versions/NNNN_what.py`` with
``revision = "NNNN"`` and ``down_revision`` the previous one (upgrade and downgrade written
with ``op``; batch operations for SQLite), and the test comparing the migrated database
with ``schema.py`` (tests/test_store.py) checks that the two agree.
"""
