"""the ledger's times in the hub's one encoding: microseconds since the epoch (were float seconds)

Revision ID: 0002
Revises: 0001
"""

from storelink_kit.migrations import store_as_instants

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    store_as_instants(
        "erp_document_ledger", ["lease_until", "created_at", "updated_at", "call_deadline"], "epoch_seconds"
    )
    store_as_instants("erp_observed_values", ["observed_at"], "epoch_seconds")
    store_as_instants("erp_poll_rounds", ["due_at"], "epoch_seconds")


def downgrade() -> None:
    raise NotImplementedError("the ledger does not go back to float seconds")
