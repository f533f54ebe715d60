"""Alembic environment for the results store: migrations run on the connection the store
hands over (``config.attributes["connection"]``), inside the store's own transaction, so no
alembic.ini or URL is needed."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
