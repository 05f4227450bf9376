"""Alembic environment: runs on the connection handed over by `db.engine.migrate`."""

from __future__ import annotations

from alembic import context

from storelink_control.db.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations through storelink_control.db.engine.migrate (or `storelink control migrate`)"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
