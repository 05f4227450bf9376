"""control's times in the hub's one encoding: microseconds since the epoch (were DATETIME)

Revision ID: 0007
Revises: 0006
"""

from storelink_kit.migrations import store_as_instants

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TIMES = {
    "tenants": ["created_at", "updated_at"],
    "api_tokens": ["created_at", "revoked_at"],
    "connections": ["webhook_rotated_at", "created_at", "updated_at", "removed_at"],
    "audit_log": ["at"],
    "orders_seen": ["order_updated_at", "received_at"],
    "order_snapshots": ["order_updated_at", "received_at"],
    "connection_activity": ["last_order_at", "last_webhook_at", "last_poll_at"],
    "documents": ["at", "retried_at"],
    "document_requests": ["requested_at"],
    "attention_items": ["first_seen", "last_seen", "replayed_at"],
    "dead_letters": ["failed_at", "replayed_at"],
    "backfills": ["started_at", "updated_at"],
    "reconcile_runs": ["claimed_at", "finished_at"],
}


def upgrade() -> None:
    for table, columns in TIMES.items():
        store_as_instants(table, columns, "datetime")


def downgrade() -> None:
    raise NotImplementedError("control does not go back to DATETIME columns")
