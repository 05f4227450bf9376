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
from typing import Any, Literal, TypeAlias

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker, KafkaMessage
from sqlalchemy import Table, and_, case, func, not_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
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
Fold = Callable[[AsyncSession, Sequence[Received[Event]]], Awaitable[None]]
"""Folds a decoded batch into the read model, inside the batch's transaction."""

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


# --------------------------------------------------------------------------- deciding (pure)
#
# A batch is reduced in Python to one row per key, by the same rules the database applies to what it
# already holds (the upserts' WHERE): one statement per table per batch, whatever its size (issue 13:
# the ORM's unit of work per record was most of control's CPU at 100 orders/s).

Row = dict[str, Any]


def orders_of(batch: Sequence[Received[Event]]) -> list[tuple[OrderReceived, Received[Event]]]:
    return [(item.event, item) for item in batch if isinstance(item.event, OrderReceived)]


def newest_orders(batch: Sequence[Received[Event]]) -> list[tuple[OrderReceived, Received[Event]]]:
    """Per order, the snapshot with the newest `updated_at` (a later record wins a tie)."""
    newest: dict[tuple[str, str], tuple[OrderReceived, Received[Event]]] = {}
    for event, item in orders_of(batch):
        key = (event.connection_id, event.external_id)
        kept = newest.get(key)
        if kept is None or event.updated_at >= kept[0].updated_at:
            newest[key] = (event, item)
    return list(newest.values())


def _order_fields(event: OrderReceived, item: Received[Event], now: datetime) -> Row:
    """What the latest row of an order and each snapshot of it both say."""
    return {
        "connection_id": event.connection_id,
        "external_id": event.external_id,
        "tenant_id": event.tenant_id,
        "number": event.number,
        "status": event.status.value,
        "payment_status": event.payment_status.value,
        "order_updated_at": event.updated_at,
        "received_at": now,
        "origin": item.headers.get(H_ORIGIN),
    }


def order_seen_row(event: OrderReceived, item: Received[Event], now: datetime) -> Row:
    return _order_fields(event, item, now) | {
        "record_key": event.message_key(),
        "record_headers": dict(item.headers),
        "record_value": item.record.value or b"",
    }


def snapshot_rows(batch: Sequence[Received[Event]], now: datetime) -> list[Row]:
    """Every order record once (the timeline shows what arrived, not how often it was delivered)."""
    rows: dict[tuple[str, int, int], Row] = {}
    for event, item in orders_of(batch):
        raw = item.record
        rows[(raw.topic, raw.partition, raw.offset)] = _order_fields(event, item, now) | {
            "record_topic": raw.topic,
            "record_partition": raw.partition,
            "record_offset": raw.offset,
            "total": str(event.totals.total),
            "currency": event.currency,
        }
    return list(rows.values())


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None or (b is not None and b > a) else a


def activity_rows(batch: Sequence[Received[Event]], now: datetime) -> list[Row]:
    """Per connection: its newest order, and when it last heard of one by webhook and by poll."""
    rows: dict[str, Row] = {}
    for event, item in orders_of(batch):
        row = rows.setdefault(
            event.connection_id,
            {
                "connection_id": event.connection_id,
                "last_order_at": None,
                "last_webhook_at": None,
                "last_poll_at": None,
            },
        )
        row["last_order_at"] = _later(row["last_order_at"], event.updated_at)
        kind = origin_kind(item.headers.get(H_ORIGIN))
        if kind is not None:
            row[f"last_{kind}_at"] = now
    return list(rows.values())


def request_rows(batch: Sequence[Received[Event]]) -> list[Row]:
    """Per idempotency key, the request of the newest settings (a later record wins a tie)."""
    rows: dict[str, Row] = {}
    for item in batch:
        event = item.event
        if not isinstance(event, DocumentRequested):
            continue
        kept = rows.get(event.idempotency_key)
        if kept is not None and kept["settings_version"] > event.settings_version:
            continue  # an older request arrived late
        rows[event.idempotency_key] = {
            "idempotency_key": event.idempotency_key,
            "connection_id": event.connection_id,
            "external_id": event.order_external_id,
            "tenant_id": event.tenant_id,
            "kind": event.kind.value,
            "erp": event.erp.value,
            "settings_version": event.settings_version,
            "gross": str(event.totals.gross),
            "currency": event.currency,
            "fiscalize": event.fiscalize,
            "why": list(event.why),
            "requested_at": event.issued_at,
            "shadow": event.shadow,
        }
    return list(rows.values())


def result_rows(batch: Sequence[Received[Event]]) -> list[Row]:
    """Per idempotency key, the latest result; a document once created stays created, whatever a
    late failure says."""
    rows: dict[str, Row] = {}
    for item in batch:
        event = item.event
        if isinstance(event, DocumentCreated):
            fiscal = event.fiscal
            row: Row = {
                "state": "created",
                "at": event.created_at,
                "erp_document_id": event.erp_document_id,
                "erp_number": event.erp_number,
                "fiscal_zoi": fiscal.zoi if fiscal else None,
                "fiscal_eor": fiscal.eor if fiscal else None,
                "reason": None,
                "code": None,
                "retryable": None,
            }
        elif isinstance(event, DocumentFailed):
            kept = rows.get(event.idempotency_key)
            if kept is not None and kept["state"] == "created":
                continue
            row = {"state": "failed", "at": event.failed_at, "reason": event.reason, "code": event.code}
            row |= {"retryable": event.retryable, "erp_document_id": None, "erp_number": None}
            row |= {"fiscal_zoi": None, "fiscal_eor": None}
        else:
            continue
        rows[event.idempotency_key] = row | {
            "idempotency_key": event.idempotency_key,
            "connection_id": event.connection_id,
            "tenant_id": event.tenant_id,
            "order_external_id": event.order_external_id,
            "kind": event.kind.value,
            "settings_version": event.settings_version,
        }
    return list(rows.values())


# --------------------------------------------------------------------------- writing (a statement per table)

Upsert: TypeAlias = "sqlite.Insert | postgresql.Insert"


def _insert(session: AsyncSession, table: Table) -> Upsert:
    """The dialect's INSERT, which has ON CONFLICT (SQLite ≥ 3.24 and PostgreSQL spell it alike)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"the status read model has no upsert for the {dialect!r} database")


def _newer_or_kept(table: Table, stmt: Upsert, column: str) -> Any:
    """The later of the stored value and the new one; a NULL never replaces a value."""
    stored, new = table.c[column], stmt.excluded[column]
    return case((and_(new.is_not(None), or_(stored.is_(None), new > stored)), new), else_=stored)


async def _upsert(
    session: AsyncSession,
    table: Table,
    rows: list[Row],
    keys: Sequence[str],
    *,
    update: Callable[[Upsert], dict[str, Any]] | None = None,
    where: Callable[[Upsert], Any] | None = None,
) -> None:
    """One INSERT … ON CONFLICT for all `rows` (unique per key). `update` gives the SET (default:
    every column the rows carry), `where` when the stored row is replaced; no `update` and no
    columns to set means ON CONFLICT DO NOTHING."""
    if not rows:
        return
    stmt = _insert(session, table)
    sets = update(stmt) if update else {c: stmt.excluded[c] for c in rows[0] if c not in keys}
    final = (
        stmt.on_conflict_do_update(index_elements=list(keys), set_=sets, where=where(stmt) if where else None)
        if sets
        else stmt.on_conflict_do_nothing(index_elements=list(keys))
    )
    # in key order: two replicas upserting rows of the same connections then lock them in one order
    # (PostgreSQL takes the row locks as it goes; opposite orders could deadlock)
    await session.execute(final, sorted(rows, key=lambda row: tuple(row[k] for k in keys)))


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


async def fold_orders(session: AsyncSession, batch: Sequence[Received[Event]]) -> None:
    now = datetime.now(UTC)
    seen, activity = _table(OrderSeen), _table(ConnectionActivity)
    await _upsert(
        session,
        seen,
        [order_seen_row(event, item, now) for event, item in newest_orders(batch)],
        ("connection_id", "external_id"),
        where=lambda stmt: seen.c.order_updated_at <= stmt.excluded.order_updated_at,
    )
    await _upsert(
        session,
        _table(OrderSnapshot),
        snapshot_rows(batch, now),
        ("record_topic", "record_partition", "record_offset"),
        update=lambda _stmt: {},
    )
    times = ("last_order_at", "last_webhook_at", "last_poll_at")
    await _upsert(
        session,
        activity,
        activity_rows(batch, now),
        ("connection_id",),
        update=lambda stmt: {c: _newer_or_kept(activity, stmt, c) for c in times},
    )


async def fold_document_requests(session: AsyncSession, batch: Sequence[Received[Event]]) -> None:
    """What the mapper asked for and why; the latest request per idempotency key wins."""
    requests = _table(DocumentRequest)
    await _upsert(
        session,
        requests,
        request_rows(batch),
        ("idempotency_key",),
        where=lambda stmt: requests.c.settings_version <= stmt.excluded.settings_version,
    )


async def fold_document_results(session: AsyncSession, batch: Sequence[Received[Event]]) -> None:
    states = _table(DocumentState)
    rows = result_rows(batch)
    await _upsert(
        session,
        states,
        [row | {"retry_count": 0} for row in rows],
        ("idempotency_key",),
        update=lambda stmt: {c: stmt.excluded[c] for c in rows[0] if c != "idempotency_key"},
        where=lambda stmt: not_(and_(states.c.state == "created", stmt.excluded.state == "failed")),
    )


async def fold_attention(session: AsyncSession, batch: Sequence[Received[Event]]) -> None:
    """Rare (an order a person must look at), so row by row."""
    for item in batch:
        if isinstance(item.event, OrderNeedsAttention):
            await record_attention(session, item.event)


async def record_attention(session: AsyncSession, event: OrderNeedsAttention) -> None:
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
    """A whole batch in one transaction. The upserts take a row another replica stored first; the
    row-by-row folds (attention, dead letters) may still meet one: then nothing of the batch is kept
    and the broker's middleware runs it again (transient), when the row is found and updated."""
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
                await fold(session, batch)
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
        (topics.orders, "orders", fold_orders),
        (topics.document_results, "documents", fold_document_results),
        (topics.documents, "requests", fold_document_requests),
        (topics.attention, "attention", fold_attention),
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
