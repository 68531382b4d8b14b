"""Alembic environment: migrations run on the connection igate-sync hands over."""

from __future__ import annotations

from alembic import context

from igate_sync.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("igate-sync migrations run through igate_sync.store.migrate()")
context.configure(
    connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True
)
with context.begin_transaction():
    context.run_migrations()
