"""The status read model: what the pipeline did per connection, built from the events it publishes.

A small consumer (its own group) reads orders, attention, document results and every dead-letter
topic into the database. Every write is an idempotent upsert, so a redelivery changes nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storelink_contracts import (
    DocumentCreated,
    DocumentFailed,
    OrderNeedsAttention,
    OrderReceived,
    TopicNames,
    decode_event,
)
from storelink_contracts.envelope import H_ORIGIN, H_TENANT
from storelink_control.db.tables import (
    AttentionItem,
    ConnectionActivity,
    DeadLetter,
    DocumentState,
    OrderSeen,
)
from storelink_kit.dead_letters import (
    H_ATTEMPTS,
    H_ERROR,
    H_ERROR_CLASS,
    H_FAILED_AT,
    H_ORIGINAL_KEY,
    H_ORIGINAL_TOPIC,
    H_SERVICE,
)
from storelink_kit.errors import PermanentError

log = logging.getLogger("storelink.control.status")

Sessions = async_sessionmaker[AsyncSession]


def _headers(msg: KafkaMessage) -> dict[str, str]:
    return {k: v.decode(errors="replace") if isinstance(v, bytes) else str(v) for k, v in msg.headers.items()}


def _raw(msg: KafkaMessage) -> Any:
    return msg.raw_message


def _origin_kind(origin: str | None) -> str | None:
    """'webhook…' or 'poll…' origins tell how the connector learnt of the order."""
    if not origin:
        return None
    lowered = origin.lower()
    if lowered.startswith("webhook"):
        return "webhook"
    if lowered.startswith("poll"):
        return "poll"
    return None


def _later(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b > a else a


async def record_order(sessions: Sessions, msg: KafkaMessage) -> None:
    headers = _headers(msg)
    raw = _raw(msg)
    try:
        _, event = decode_event(headers, msg.body)
    except ValueError as exc:
        raise PermanentError(str(exc)) from None
    if not isinstance(event, OrderReceived):
        return
    now = datetime.now(UTC)
    origin = headers.get(H_ORIGIN)
    async with sessions() as session, session.begin():
        row = await session.get(OrderSeen, (event.connection_id, event.external_id))
        if row is None:
            row = OrderSeen(connection_id=event.connection_id, external_id=event.external_id)
            session.add(row)
        elif row.order_updated_at > event.updated_at:
            row = None  # an older snapshot arrived late: keep the newer one
        if row is not None:
            row.tenant_id = event.tenant_id
            row.number = event.number
            row.status = event.status.value
            row.payment_status = event.payment_status.value
            row.order_updated_at = event.updated_at
            row.received_at = now
            row.origin = origin
            row.record_key = event.message_key()
            row.record_headers = headers
            row.record_value = raw.value if raw is not None and raw.value is not None else bytes(msg.body)
        activity = await session.get(ConnectionActivity, event.connection_id)
        if activity is None:
            activity = ConnectionActivity(connection_id=event.connection_id)
            session.add(activity)
        activity.last_order_at = _later(activity.last_order_at, event.updated_at)
        kind = _origin_kind(origin)
        if kind == "webhook":
            activity.last_webhook_at = _later(activity.last_webhook_at, now)
        elif kind == "poll":
            activity.last_poll_at = _later(activity.last_poll_at, now)


async def record_document_result(sessions: Sessions, msg: KafkaMessage) -> None:
    try:
        _, event = decode_event(_headers(msg), msg.body)
    except ValueError as exc:
        raise PermanentError(str(exc)) from None
    if not isinstance(event, DocumentCreated | DocumentFailed):
        return
    at = event.created_at if isinstance(event, DocumentCreated) else event.failed_at
    async with sessions() as session, session.begin():
        row = await session.get(DocumentState, event.idempotency_key)
        if row is not None and row.state == "created" and isinstance(event, DocumentFailed):
            return  # a document that exists stays created, whatever a late failure says
        if row is None:
            row = DocumentState(idempotency_key=event.idempotency_key)
            session.add(row)
        row.connection_id = event.connection_id
        row.tenant_id = event.tenant_id
        row.order_external_id = event.order_external_id
        row.kind = event.kind.value
        row.settings_version = event.settings_version
        row.at = at
        if isinstance(event, DocumentCreated):
            row.state = "created"
            row.erp_document_id = event.erp_document_id
            row.erp_number = event.erp_number
            row.reason = None
        else:
            row.state = "failed"
            row.reason = event.reason


async def record_attention(sessions: Sessions, msg: KafkaMessage) -> None:
    try:
        _, event = decode_event(_headers(msg), msg.body)
    except ValueError as exc:
        raise PermanentError(str(exc)) from None
    if not isinstance(event, OrderNeedsAttention):
        return
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        row = await session.scalar(
            select(AttentionItem).where(
                AttentionItem.connection_id == event.connection_id,
                AttentionItem.external_id == event.external_id,
            )
        )
        if row is None:
            row = AttentionItem(
                connection_id=event.connection_id,
                external_id=event.external_id,
                tenant_id=event.tenant_id,
                first_seen=now,
                replay_count=0,
                replayed_at=None,
            )
            session.add(row)
        row.number = event.number
        row.reasons = list(event.reasons)
        row.resolved = event.resolved
        row.settings_version = event.settings_version
        row.last_seen = now


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _time(text: str | None) -> datetime:
    try:
        parsed = datetime.fromisoformat(text) if text else None
    except ValueError:
        parsed = None
    if parsed is None:
        return datetime.now(UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def connection_of_key(key: str | None) -> str | None:
    """Order-keyed topics use `connection_id:external_id`; connections use `connection_id`."""
    if not key:
        return None
    return key.split(":", 1)[0] if ":" in key else key


async def record_dead_letter(sessions: Sessions, msg: KafkaMessage, connection_keyed: set[str]) -> None:
    raw = _raw(msg)
    headers = _headers(msg)
    original_topic = headers.get(H_ORIGINAL_TOPIC) or raw.topic.removesuffix(".dlq")
    key = headers.get(H_ORIGINAL_KEY) or (raw.key.decode(errors="replace") if raw.key else None)
    row = DeadLetter(
        dlq_topic=raw.topic,
        dlq_partition=raw.partition,
        dlq_offset=raw.offset,
        tenant_id=headers.get(H_TENANT),
        connection_id=connection_of_key(key) if original_topic in connection_keyed else None,
        original_topic=original_topic,
        original_key=key,
        error_class=headers.get(H_ERROR_CLASS, "unknown"),
        error=headers.get(H_ERROR, ""),
        service=headers.get(H_SERVICE),
        attempts=_int(headers.get(H_ATTEMPTS)),
        failed_at=_time(headers.get(H_FAILED_AT)),
        headers=headers,
        value=raw.value or b"",
        replayed_at=None,
        replay_count=0,
    )
    try:
        async with sessions() as session, session.begin():
            exists = await session.scalar(
                select(DeadLetter.id).where(
                    DeadLetter.dlq_topic == row.dlq_topic,
                    DeadLetter.dlq_partition == row.dlq_partition,
                    DeadLetter.dlq_offset == row.dlq_offset,
                )
            )
            if exists is None:
                session.add(row)
    except IntegrityError:
        pass  # the same record, stored by a concurrent redelivery


def subscribe_status(broker: KafkaBroker, sessions: Sessions, topics: TopicNames, group_id: str) -> None:
    """The status consumer's subscribers; explicit group, earliest, commit after success."""
    nack = AckPolicy.NACK_ON_ERROR

    @broker.subscriber(
        topics.orders, group_id=f"{group_id}.orders", auto_offset_reset="earliest", ack_policy=nack
    )
    async def status_orders(msg: KafkaMessage) -> None:
        await record_order(sessions, msg)

    @broker.subscriber(
        topics.document_results,
        group_id=f"{group_id}.documents",
        auto_offset_reset="earliest",
        ack_policy=nack,
    )
    async def status_documents(msg: KafkaMessage) -> None:
        await record_document_result(sessions, msg)

    @broker.subscriber(
        topics.attention, group_id=f"{group_id}.attention", auto_offset_reset="earliest", ack_policy=nack
    )
    async def status_attention(msg: KafkaMessage) -> None:
        await record_attention(sessions, msg)

    connection_keyed = {
        topics.orders,
        topics.attention,
        topics.documents,
        topics.document_results,
        topics.connections,
    }
    dlqs = [
        topics.dlq(topic_id)
        for topic_id in (
            "orders",
            "attention",
            "documents",
            "document_results",
            "connections",
            "stock",
            "prices",
        )
    ]

    @broker.subscriber(
        *dlqs, group_id=f"{group_id}.dead-letters", auto_offset_reset="earliest", ack_policy=nack
    )
    async def status_dead_letters(msg: KafkaMessage) -> None:
        await record_dead_letter(sessions, msg, connection_keyed)


# --------------------------------------------------------------------------- queries


async def counts(session: AsyncSession, column: Any, where: Any) -> dict[str, int]:
    rows = (await session.execute(select(column, func.count()).where(where).group_by(column))).all()
    return {str(k): int(n) for k, n in rows}
