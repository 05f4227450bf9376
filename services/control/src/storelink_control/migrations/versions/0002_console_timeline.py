"""console: order timeline (snapshots, document requests with their why), ERP results with fiscal
codes and failure details, document retries, each user's console language

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_topic", sa.String(length=300), nullable=False),
        sa.Column("record_partition", sa.Integer(), nullable=False),
        sa.Column("record_offset", sa.BigInteger(), nullable=False),
        sa.Column("connection_id", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("payment_status", sa.String(length=32), nullable=False),
        sa.Column("total", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("order_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_topic", "record_partition", "record_offset"),
    )
    with op.batch_alter_table("order_snapshots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_snapshots_number"), ["number"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_snapshots_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "document_requests",
        sa.Column("idempotency_key", sa.String(length=300), nullable=False),
        sa.Column("connection_id", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("erp", sa.String(length=32), nullable=False),
        sa.Column("settings_version", sa.Integer(), nullable=False),
        sa.Column("gross", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("fiscalize", sa.Boolean(), nullable=False),
        sa.Column("why", sa.JSON(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key"),
    )
    with op.batch_alter_table("document_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_requests_tenant_id"), ["tenant_id"], unique=False)

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fiscal_zoi", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("fiscal_eor", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("code", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("retryable", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("retried_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("retry_count", sa.Integer(), server_default="0", nullable=False))

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        for column in ("retry_count", "retried_at", "retryable", "code", "fiscal_eor", "fiscal_zoi"):
            batch_op.drop_column(column)
    op.drop_table("document_requests")
    op.drop_table("order_snapshots")
