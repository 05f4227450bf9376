"""The status read model: what the pipeline did per connection, built from the events it publishes.

A small consumer (its own group) reads orders, attention, document results and every dead-letter
topic into the database, in batches: one transaction per batch. Every write is an idempotent upsert,
so a redelivery changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Literal, TypeAlias, TypeVar

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker, KafkaMessage
from sqlalchemy import func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storelink_contracts import (
    DocumentCreated,
    DocumentFailed,
    DocumentRequested,
    Event,
    OrderNeedsAttention,
    OrderReceived,
    TopicNames,
)
from storelink_contracts.envelope import H_ORIGIN, H_TENANT
from storelink_control.db.tables import (
    AttentionItem,
    ConnectionActivity,
    DeadLetter,
    DocumentRequest,
    DocumentState,
    OrderSeen,
    OrderSnapshot,
)
from storelink_kit.consuming import BatchConsumer, Received, batch_subscriber, records_of
from storelink_kit.dead_letters import (
    H_ATTEMPTS,
    H_ERROR,
    H_ERROR_CLASS,
    H_FAILED_AT,
    H_ORIGINAL_KEY,
    H_ORIGINAL_TOPIC,
    H_SERVICE,
)
from storelink_kit.errors import TransientError

log = logging.getLogger("storelink.control.status")

Sessions = async_sessionmaker[AsyncSession]


Record: TypeAlias = "ConsumerRecord[bytes, bytes]"
Fold = Callable[[AsyncSession, Record, dict[str, str], Event], Awaitable[None]]
"""Folds one decoded record into the read model, inside the batch's transaction."""

BATCH_RECORDS = 500
BATCH_WAIT_MS = 200
FETCH_MIN_BYTES = 256 * 1024
FETCH_WAIT_MS = 500
"""The broker holds a status fetch until this much has gathered or this long has passed: a read model
may lag half a second, and folding a few large batches costs less than many small ones (aiokafka's
`getmany` returns whatever one fetch brought, so `BATCH_WAIT_MS` alone never makes a batch larger)."""


def _headers(record: Record) -> dict[str, str]:
    return {k: v.decode(errors="replace") for k, v in (record.headers or ())}


def origin_kind(origin: str | None) -> Literal["webhook", "poll"] | None:
    """'webhook…' or 'poll…' origins tell how the connector learnt of the order (the connector
    kit publishes orders with origin `webhook:<connection>` or `poll:<connection>`)."""
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


async def record_order(session: AsyncSession, raw: Record, headers: dict[str, str], event: Event) -> None:
    if not isinstance(event, OrderReceived):
        return
    now = datetime.now(UTC)
    origin = headers.get(H_ORIGIN)
    key = (event.connection_id, event.external_id)
    row = await _row(session, OrderSeen, key)
    if row is None:
        row = OrderSeen(connection_id=event.connection_id, external_id=event.external_id)
        _add(session, OrderSeen, key, row)
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
        row.record_value = raw.value or b""
    if not await _snapshot_known(session, raw):
        session.add(
            OrderSnapshot(
                record_topic=raw.topic,
                record_partition=raw.partition,
                record_offset=raw.offset,
                connection_id=event.connection_id,
                external_id=event.external_id,
                tenant_id=event.tenant_id,
                number=event.number,
                status=event.status.value,
                payment_status=event.payment_status.value,
                total=str(event.totals.total),
                currency=event.currency,
                order_updated_at=event.updated_at,
                received_at=now,
                origin=origin,
            )
        )
    activity = await _row(session, ConnectionActivity, event.connection_id)
    if activity is None:
        activity = ConnectionActivity(connection_id=event.connection_id)
        _add(session, ConnectionActivity, event.connection_id, activity)
    activity.last_order_at = _later(activity.last_order_at, event.updated_at)
    kind = origin_kind(origin)
    if kind == "webhook":
        activity.last_webhook_at = _later(activity.last_webhook_at, now)
    elif kind == "poll":
        activity.last_poll_at = _later(activity.last_poll_at, now)


async def _snapshot_known(session: AsyncSession, raw: Record) -> bool:
    """A redelivered record is stored once (the timeline shows what arrived, not how often). Within
    a batch `preload` has read which of its records are stored; this one counts as stored now."""
    where = (raw.topic, raw.partition, raw.offset)
    known: set[tuple[str, int, int]] | None = session.info.get(KNOWN_SNAPSHOTS)
    if known is not None:
        found = where in known
        known.add(where)
        return found
    stored = await session.scalar(
        select(OrderSnapshot.id).where(
            OrderSnapshot.record_topic == raw.topic,
            OrderSnapshot.record_partition == raw.partition,
            OrderSnapshot.record_offset == raw.offset,
        )
    )
    return stored is not None


KNOWN_SNAPSHOTS = "storelink.status.known_snapshots"
"""`session.info` key: the (topic, partition, offset) of the batch's order records already stored."""


async def preload(session: AsyncSession, batch: Sequence[Received[Event]]) -> None:
    """Read the rows a batch's records fold into with one query per table, before folding: the
    folds then find them (or know they are new) without asking the database per record (issue 13:
    that was most of control's CPU at 100 orders/s)."""
    orders = [i.event for i in batch if isinstance(i.event, OrderReceived)]
    requests = {i.event.idempotency_key for i in batch if isinstance(i.event, DocumentRequested)}
    results = {
        i.event.idempotency_key for i in batch if isinstance(i.event, DocumentCreated | DocumentFailed)
    }
    rows = _BatchRows()
    if orders:
        seen = {(o.connection_id, o.external_id) for o in orders}
        found = await session.scalars(
            select(OrderSeen).where(
                tuple_(OrderSeen.connection_id, OrderSeen.external_id).in_(_bucketed(seen))
            )
        )
        rows.load(OrderSeen, seen, {(r.connection_id, r.external_id): r for r in found})
        connections = {o.connection_id for o in orders}
        active = await session.scalars(
            select(ConnectionActivity).where(ConnectionActivity.connection_id.in_(_bucketed(connections)))
        )
        rows.load(ConnectionActivity, connections, {r.connection_id: r for r in active})
        offsets = {(i.record.topic, i.record.partition, i.record.offset) for i in batch}
        snapshot = (OrderSnapshot.record_topic, OrderSnapshot.record_partition, OrderSnapshot.record_offset)
        stored = await session.execute(select(*snapshot).where(tuple_(*snapshot).in_(_bucketed(offsets))))
        session.info[KNOWN_SNAPSHOTS] = {(t, p, o) for t, p, o in stored}
    if requests:
        asked = await session.scalars(
            select(DocumentRequest).where(DocumentRequest.idempotency_key.in_(_bucketed(requests)))
        )
        rows.load(DocumentRequest, requests, {r.idempotency_key: r for r in asked})
    if results:
        states = await session.scalars(
            select(DocumentState).where(DocumentState.idempotency_key.in_(_bucketed(results)))
        )
        rows.load(DocumentState, results, {r.idempotency_key: r for r in states})
    session.info[BATCH_ROWS] = rows


T = TypeVar("T")


def _bucketed(values: set[T]) -> list[T]:
    """`values` padded (with a repeat) to a power of two: an IN list of any length then takes one of
    a few statement texts, so the driver's statement cache (per connection) does not fill with one
    text per batch size (it cost control ~30 MB at 100 orders/s)."""
    items = list(values)
    size = 8
    while size < len(items):
        size *= 2
    return items + [items[-1]] * (size - len(items)) if items else items


BATCH_ROWS = "storelink.status.batch_rows"
"""`session.info` key: the batch's preloaded rows (`_BatchRows`)."""

M = TypeVar("M")


class _BatchRows:
    """The rows of a batch's keys: found by `preload`, or added by a fold of the same batch."""

    def __init__(self) -> None:
        self.loaded: set[tuple[type[Any], Any]] = set()
        self.rows: dict[tuple[type[Any], Any], Any] = {}

    def load(self, cls: type[Any], keys: set[Any], found: dict[Any, Any]) -> None:
        self.loaded |= {(cls, key) for key in keys}
        self.rows |= {(cls, key): row for key, row in found.items()}


async def _row(session: AsyncSession, cls: type[M], key: Any) -> M | None:
    """The row of `key`: from the batch's preload when it covers the key, else from the database."""
    batch: _BatchRows | None = session.info.get(BATCH_ROWS)
    if batch is not None and (cls, key) in batch.loaded:
        row: M | None = batch.rows.get((cls, key))
        return row
    return await session.get(cls, key)


def _add(session: AsyncSession, cls: type[Any], key: Any, row: Any) -> None:
    session.add(row)
    batch: _BatchRows | None = session.info.get(BATCH_ROWS)
    if batch is not None:
        batch.rows[(cls, key)] = row


async def record_document_request(
    session: AsyncSession, _raw: Record, _headers: dict[str, str], event: Event
) -> None:
    """What the mapper asked for and why; the latest request per idempotency key wins."""
    if not isinstance(event, DocumentRequested):
        return
    row = await _row(session, DocumentRequest, event.idempotency_key)
    if row is None:
        row = DocumentRequest(idempotency_key=event.idempotency_key)
        _add(session, DocumentRequest, event.idempotency_key, row)
    elif row.settings_version > event.settings_version:
        return  # an older request arrived late
    row.connection_id = event.connection_id
    row.external_id = event.order_external_id
    row.tenant_id = event.tenant_id
    row.kind = event.kind.value
    row.erp = event.erp.value
    row.settings_version = event.settings_version
    row.gross = str(event.totals.gross)
    row.currency = event.currency
    row.fiscalize = event.fiscalize
    row.why = list(event.why)
    row.requested_at = event.issued_at
    row.shadow = event.shadow


async def record_document_result(
    session: AsyncSession, _raw: Record, _headers: dict[str, str], event: Event
) -> None:
    if not isinstance(event, DocumentCreated | DocumentFailed):
        return
    at = event.created_at if isinstance(event, DocumentCreated) else event.failed_at
    row = await _row(session, DocumentState, event.idempotency_key)
    if row is not None and row.state == "created" and isinstance(event, DocumentFailed):
        return  # a document that exists stays created, whatever a late failure says
    if row is None:
        row = DocumentState(idempotency_key=event.idempotency_key, retry_count=0)
        _add(session, DocumentState, event.idempotency_key, row)
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
        row.fiscal_zoi = event.fiscal.zoi if event.fiscal else None
        row.fiscal_eor = event.fiscal.eor if event.fiscal else None
        row.reason = None
        row.code = None
        row.retryable = None
    else:
        row.state = "failed"
        row.reason = event.reason
        row.code = event.code
        row.retryable = event.retryable


async def record_attention(
    session: AsyncSession, _raw: Record, _headers: dict[str, str], event: Event
) -> None:
    if not isinstance(event, OrderNeedsAttention):
        return
    now = datetime.now(UTC)
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


async def record_dead_letter(session: AsyncSession, raw: Record, connection_keyed: set[str]) -> None:
    headers = _headers(raw)
    original_topic = headers.get(H_ORIGINAL_TOPIC) or raw.topic.removesuffix(".dlq")
    key = headers.get(H_ORIGINAL_KEY) or (raw.key.decode(errors="replace") if raw.key else None)
    exists = await session.scalar(
        select(DeadLetter.id).where(
            DeadLetter.dlq_topic == raw.topic,
            DeadLetter.dlq_partition == raw.partition,
            DeadLetter.dlq_offset == raw.offset,
        )
    )
    if exists is not None:
        return
    session.add(
        DeadLetter(
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
    )


@asynccontextmanager
async def one_transaction(sessions: Sessions) -> AsyncIterator[AsyncSession]:
    """A whole batch in one transaction. Another replica (or a redelivery racing this one) may have
    inserted the same row first: then nothing of the batch is kept and the broker's middleware runs
    it again (transient), when the row is found and updated instead."""
    try:
        async with sessions() as session, session.begin():
            yield session
    except IntegrityError as exc:
        raise TransientError("a concurrent writer stored a row first; the batch is folded again") from exc


class StatusFolder:
    """Folds batches of events into the read model on the kit's consume loop (undecodable records go
    to dead letters, the rest of the batch is kept), in ONE transaction per batch (issue 13: a
    transaction per record cost control a third of a core at 20 orders/s)."""

    def __init__(self, broker: KafkaBroker, sessions: Sessions, service: str) -> None:
        self.broker = broker
        self.sessions = sessions
        self.service = service

    def folding(self, fold: Fold) -> BatchConsumer[Event]:
        async def fold_batch(batch: list[Received[Event]]) -> None:
            async with one_transaction(self.sessions) as session:
                await preload(session, batch)
                for item in batch:
                    await fold(session, item.record, dict(item.headers), item.event)
            log.debug("status batch folded", extra={"records": len(batch)})

        return BatchConsumer(self.broker, fold_batch, kinds=(Event,), service=self.service)

    async def fold(self, records: Sequence[Record], fold: Fold) -> None:
        await self.folding(fold).consume(records)


def subscribe_status(
    broker: KafkaBroker, sessions: Sessions, topics: TopicNames, group_id: str, *, service: str = "control"
) -> None:
    """The status consumer's batch subscribers, one consumer group per topic."""
    folder = StatusFolder(broker, sessions, service)
    batches = {
        "max_records": BATCH_RECORDS,
        "batch_timeout_ms": BATCH_WAIT_MS,
        "fetch_min_bytes": FETCH_MIN_BYTES,
        "fetch_max_wait_ms": FETCH_WAIT_MS,
    }
    for topic, group, fold in (
        (topics.orders, "orders", record_order),
        (topics.document_results, "documents", record_document_result),
        (topics.documents, "requests", record_document_request),
        (topics.attention, "attention", record_attention),
    ):
        folder.folding(fold).subscribe(topic, group_id=f"{group_id}.{group}", **batches)

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

    async def status_dead_letters(msg: KafkaMessage) -> None:
        """Dead letters are kept as they are, readable or not: no event decoding here."""
        async with one_transaction(sessions) as session:
            for record in records_of(msg):
                await record_dead_letter(session, record, connection_keyed)

    batch_subscriber(broker, *dlqs, group_id=f"{group_id}.dead-letters", **batches)(status_dead_letters)


# --------------------------------------------------------------------------- queries


async def counts(session: AsyncSession, column: Any, where: Any) -> dict[str, int]:
    rows = (await session.execute(select(column, func.count()).where(where).group_by(column))).all()
    return {str(k): int(n) for k, n in rows}
