"""the ERP ledger: documents, observed stock/price values, poll rounds

A ledger made by the numbered migrations that came before Alembic (`storelink_schema_migrations`)
is adopted: only what it lacks is created, and the old record of versions is dropped.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

OLD_VERSIONS_TABLE = "storelink_schema_migrations"


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "erp_document_ledger" not in existing:
        op.create_table(
            "erp_document_ledger",
            sa.Column("idempotency_key", sa.String(length=400), primary_key=True),
            sa.Column("erp", sa.String(length=40), nullable=False),
            sa.Column("tenant_id", sa.String(length=200), nullable=False),
            sa.Column("connection_id", sa.String(length=200), nullable=False),
            sa.Column("kind", sa.String(length=40), nullable=False),
            sa.Column("reference", sa.String(length=200), nullable=False),
            sa.Column("state", sa.String(length=20), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("lease_owner", sa.String(length=200), nullable=True),
            sa.Column("lease_until", sa.Float(), nullable=True),
            sa.Column("erp_document_id", sa.String(length=200), nullable=True),
            sa.Column("erp_number", sa.String(length=200), nullable=True),
            sa.Column("fiscal_zoi", sa.String(length=100), nullable=True),
            sa.Column("fiscal_eor", sa.String(length=100), nullable=True),
            sa.Column("error_code", sa.String(length=100), nullable=True),
            sa.Column("error_reason", sa.Text(), nullable=True),
            sa.Column("created_at", sa.Float(), nullable=False),
            sa.Column("updated_at", sa.Float(), nullable=False),
            sa.Column("call_deadline", sa.Float(), nullable=True),
        )
    else:
        columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("erp_document_ledger")}
        if "call_deadline" not in columns:  # a ledger made before the deadline was recorded
            op.add_column("erp_document_ledger", sa.Column("call_deadline", sa.Float(), nullable=True))
    if "erp_observed_values" not in existing:
        op.create_table(
            "erp_observed_values",
            sa.Column("scope", sa.String(length=400), nullable=False),
            sa.Column("item", sa.String(length=400), nullable=False),
            sa.Column("value", sa.String(length=400), nullable=False),
            sa.Column("observed_at", sa.Float(), nullable=False),
            sa.UniqueConstraint("scope", "item", name="uq_erp_observed_values_scope_item"),
        )
    if "erp_poll_rounds" not in existing:
        op.create_table(
            "erp_poll_rounds",
            sa.Column("scope", sa.String(length=400), primary_key=True),
            sa.Column("due_at", sa.Float(), nullable=False),
        )
    if OLD_VERSIONS_TABLE in existing:
        op.drop_table(OLD_VERSIONS_TABLE)


def downgrade() -> None:
    op.drop_table("erp_poll_rounds")
    op.drop_table("erp_observed_values")
    op.drop_table("erp_document_ledger")
