"""Alembic, the one way every database of the hub gets its schema (control, the ERP ledger, the
connector store).

Each schema is a package's Alembic script directory (`env.py` calling `run_environment`, and
`versions/`) with a version table of its own, so two schemas can share one PostgreSQL database.
Migrations run at every start, inside `migrations_serialised`: replicas starting together take
turns, and the later ones find the schema at head.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_kit.database import migrations_serialised


@dataclass(frozen=True, slots=True)
class Schema:
    name: str
    """Names the lock replicas take turns on, e.g. "storelink-erp-ledger"."""
    scripts: Path
    """The Alembic script directory: `env.py` and `versions/`."""
    version_table: str


async def upgrade(engine: AsyncEngine, schema: Schema) -> list[str]:
    """Bring `schema` to its head; returns the revisions applied now, oldest first.

    On SQLite, foreign keys are not enforced while the revisions run: a batch-mode revision rebuilds
    a table (copy, drop, rename), and dropping a table that other rows refer to would fail
    (https://alembic.sqlalchemy.org/en/latest/batch.html, "Dealing with Referencing Tables", read
    2026-12-03). SQLite ignores the pragma inside a transaction, so it is set before; the references
    are checked before the commit, and enforcement is back on for whoever uses the connection next.
    """
    async with migrations_serialised(engine, schema.name), engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            await conn.commit()
        try:
            async with conn.begin():
                applied = await conn.run_sync(_upgrade, schema)
                if sqlite and (broken := (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()):
                    raise RuntimeError(
                        f"migrating {schema.name} left rows without their parent: {broken[:5]}"
                    )
            return applied
        finally:
            if sqlite:
                await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                await conn.commit()


def alembic_config(schema: Schema, connection: Connection | None = None) -> Config:
    """For Alembic's own commands too (e.g. `alembic.command.check` in a test)."""
    config = Config()
    config.set_main_option("script_location", str(schema.scripts))
    config.attributes["version_table"] = schema.version_table
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, schema: Schema) -> list[str]:
    config = alembic_config(schema, connection)
    script = ScriptDirectory.from_config(config)
    current = MigrationContext.configure(
        connection, opts={"version_table": schema.version_table}
    ).get_current_heads()
    pending = [
        revision.revision for revision in script.iterate_revisions("heads", current[0] if current else "base")
    ]
    command.upgrade(config, "heads")
    return list(reversed(pending))


def run_environment(target_metadata: MetaData) -> None:
    """The body of every schema's `env.py`: migrate on the connection `upgrade` handed over."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("migrations run through storelink_kit.migrations.upgrade, on its connection")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=context.config.attributes["version_table"],
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


TimeSource = Literal["datetime", "epoch_seconds"]

_AS_MICROS: dict[tuple[str, TimeSource], str] = {
    # PostgreSQL: extract(epoch ...) is numeric (exact to the microsecond) since version 14
    ("postgresql", "datetime"): "(extract(epoch from {c}) * 1000000)::bigint",
    ("postgresql", "epoch_seconds"): "round({c} * 1000000)::bigint",
    # SQLite: SQLAlchemy writes a DATETIME as 'YYYY-MM-DD HH:MM:SS.ffffff' text, in UTC here
    ("sqlite", "datetime"): (
        "CAST(strftime('%s', substr({c}, 1, 19)) AS INTEGER) * 1000000"
        " + CAST(substr({c} || '.000000', 21, 6) AS INTEGER)"
    ),
    ("sqlite", "epoch_seconds"): "CAST(round({c} * 1000000) AS INTEGER)",
}


def store_as_instants(table: str, columns: Sequence[str], source: TimeSource) -> None:
    """In a revision: turn `columns` of `table` into `storelink_kit.database.Instant`'s encoding
    (microseconds since the epoch, BIGINT), converting the rows they hold.

    SQLite keeps any value in any column, so the values are rewritten in place and then the table is
    rebuilt with the new declared type (Alembic's batch mode); PostgreSQL converts in the ALTER.
    """
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for column in columns:
            using = _AS_MICROS[("postgresql", source)].format(c=column)
            op.alter_column(table, column, type_=sa.BigInteger(), postgresql_using=using)
        return
    for column in columns:  # names from the revision itself, never from input
        op.execute(f"UPDATE {table} SET {column} = {_AS_MICROS[('sqlite', source)].format(c=column)}")  # noqa: S608
    with op.batch_alter_table(table) as batch:
        for column in columns:
            batch.alter_column(column, type_=sa.BigInteger())
