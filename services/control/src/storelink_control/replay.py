"""Replays: a dead letter goes back to its original topic; an attention item resends its order."""

from __future__ import annotations

from datetime import UTC, datetime

from storelink_contracts import OrderReceived, decode_event
from storelink_control.control import Control
from storelink_control.db.tables import AttentionItem, DeadLetter, DocumentState, OrderSeen
from storelink_kit.dead_letters import DLQ_HEADERS

H_REPLAY_OF = "storelink_replay_of"
REPLAY_ORIGIN = "control-replay"
RETRY_ORIGIN = "control-retry"


def _replayable_topics(control: Control) -> set[str]:
    return {name for name, spec in control.topics.all() if not spec.id.endswith(".dlq")}


async def replay_dead_letter(control: Control, row: DeadLetter) -> str | None:
    """Republish the record unchanged (minus the dlq_* headers); a reason when it cannot be."""
    if row.original_topic not in _replayable_topics(control):
        return f"its original topic {row.original_topic!r} is not a topic of this deployment"
    headers = {k: v for k, v in row.headers.items() if k not in DLQ_HEADERS}
    headers[H_REPLAY_OF] = f"{row.dlq_topic}:{row.dlq_partition}:{row.dlq_offset}"
    await control.broker.publish(
        row.value,
        topic=row.original_topic,
        key=row.original_key.encode() if row.original_key is not None else None,
        headers=headers,
    )
    row.replayed_at = datetime.now(UTC)
    row.replay_count += 1
    return None


async def resend_order(control: Control, order: OrderSeen | None, origin: str) -> str | None:
    """Resend the latest order snapshot, so the mapper maps it again with the current settings
    (and the ERP adapter creates what is missing: created documents are found in its ledger)."""
    if order is None:
        return "the control plane has not seen this order's snapshot, so it cannot resend it"
    envelope, event = decode_event(order.record_headers, order.record_value)
    if not isinstance(event, OrderReceived):
        return "the stored record is not an order snapshot"
    await control.publisher.publish(event, caused_by=envelope, origin=origin)
    return None


async def replay_attention(control: Control, item: AttentionItem, order: OrderSeen | None) -> str | None:
    """Resend the latest order snapshot, so the mapper maps it again with the current settings."""
    if reason := await resend_order(control, order, REPLAY_ORIGIN):
        return reason
    item.replayed_at = datetime.now(UTC)
    item.replay_count += 1
    return None


async def retry_document(control: Control, document: DocumentState, order: OrderSeen | None) -> str | None:
    """A failed ERP document is tried again: its order goes through the mapper with today's settings
    (e.g. the fixed ERP key), the same idempotency key reaches the adapter, which creates it once."""
    if document.state == "created":
        return "it was created in the ERP already"
    if reason := await resend_order(control, order, RETRY_ORIGIN):
        return reason
    document.retried_at = datetime.now(UTC)
    document.retry_count = (document.retry_count or 0) + 1
    return None
