"""the connector's state: watermarks, orders seen, wanted/sent values, poll due times, parked skus

A store made before Alembic (its tables created at start, without a version table) is adopted: only
the tables it lacks are created.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "connector_watermarks" not in existing:
        op.create_table(
            "connector_watermarks",
            sa.Column("connection_id", sa.String(length=200), primary_key=True),
            sa.Column("since_us", sa.BigInteger(), nullable=False),
        )
    if "connector_orders_seen" not in existing:
        op.create_table(
            "connector_orders_seen",
            sa.Column("connection_id", sa.String(length=200), primary_key=True),
            sa.Column("external_id", sa.String(length=200), primary_key=True),
            sa.Column("content_hash", sa.String(length=64), nullable=False),
            sa.Column("updated_us", sa.BigInteger(), nullable=False),
        )
    if "connector_sync_state" not in existing:
        op.create_table(
            "connector_sync_state",
            sa.Column("connection_id", sa.String(length=200), primary_key=True),
            sa.Column("kind", sa.String(length=200), primary_key=True),
            sa.Column("sku", sa.String(length=300), primary_key=True),
            sa.Column("wanted", sa.Text(), nullable=False),
            sa.Column("wanted_as_of_us", sa.BigInteger(), nullable=False),
            sa.Column("meta", sa.Text(), nullable=False),
            sa.Column("sent", sa.Text(), nullable=True),
            sa.Column("sent_as_of_us", sa.BigInteger(), nullable=True),
        )
    if "connector_poll_due" not in existing:
        op.create_table(
            "connector_poll_due",
            sa.Column("connection_id", sa.String(length=200), primary_key=True),
            sa.Column("due_us", sa.BigInteger(), nullable=False),
        )
    if "connector_parked_skus" not in existing:
        op.create_table(
            "connector_parked_skus",
            sa.Column("connection_id", sa.String(length=200), primary_key=True),
            sa.Column("kind", sa.String(length=200), primary_key=True),
            sa.Column("sku", sa.String(length=300), primary_key=True),
            sa.Column("reason", sa.Text(), nullable=False),
            sa.Column("since_us", sa.BigInteger(), nullable=False),
        )


def downgrade() -> None:
    for table in (
        "connector_parked_skus",
        "connector_poll_due",
        "connector_sync_state",
        "connector_orders_seen",
        "connector_watermarks",
    ):
        op.drop_table(table)
