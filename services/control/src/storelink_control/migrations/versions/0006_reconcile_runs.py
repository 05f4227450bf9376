"""scheduled reconciliation: one row per connection and day, the claim and then the outcome

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reconcile_runs",
        sa.Column("connection_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("findings", sa.Integer(), nullable=True),
        sa.Column("attention_items", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("connection_id", "day"),
    )
    op.create_index("ix_reconcile_runs_tenant_id", "reconcile_runs", ["tenant_id"])


def downgrade() -> None:
    op.drop_index("ix_reconcile_runs_tenant_id", table_name="reconcile_runs")
    op.drop_table("reconcile_runs")
