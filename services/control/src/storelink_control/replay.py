"""Replays: a dead letter goes back to its original topic; an attention item resends its order."""

from __future__ import annotations

from datetime import UTC, datetime

from storelink_contracts import OrderReceived, decode_event
from storelink_control.control import Control
from storelink_control.db.tables import AttentionItem, DeadLetter, OrderSeen
from storelink_kit.dead_letters import DLQ_HEADERS

H_REPLAY_OF = "storelink_replay_of"


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


async def replay_attention(control: Control, item: AttentionItem, order: OrderSeen | None) -> str | None:
    """Resend the latest order snapshot, so the mapper maps it again with the current settings."""
    if order is None:
        return "the control plane has not seen this order's snapshot, so it cannot resend it"
    envelope, event = decode_event(order.record_headers, order.record_value)
    if not isinstance(event, OrderReceived):
        return "the stored record is not an order snapshot"
    await control.publisher.publish(event, caused_by=envelope, origin="control-replay")
    item.replayed_at = datetime.now(UTC)
    item.replay_count += 1
    return None
