"""Control's status consumer folds a batch of records in one transaction (issue 13: a transaction
per record cost control a third of a core at 20 orders/s on a 2-core machine)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest_asyncio
from faststream.kafka import KafkaBroker
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_contracts import DocumentCreated, DocumentFailed, Event, OrderReceived, PaymentStatus
from storelink_control.db.engine import make_sessions, migrate
from storelink_control.db.tables import (
    ConnectionActivity,
    DocumentRequest,
    DocumentState,
    OrderSeen,
    OrderSnapshot,
)
from storelink_control.status import (
    Fold,
    StatusFolder,
    fold_document_requests,
    fold_document_results,
    fold_orders,
)
from storelink_kit.database import make_engine
from storelink_kit.testing.samples import event_record, sample_document, sample_events, sample_order

TOPIC = "status-test.storelink.orders"


def _record(evt: Event, offset: int, *, origin: str = "webhook:c1", value: bytes | None = None) -> Any:
    return event_record(evt, offset, topic=TOPIC, origin=origin, value=value)


class _DeadLetterBroker:
    """Stands in for the broker: keeps what would go to the dead-letter topic."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def publish(self, value: bytes, **kwargs: Any) -> None:
        self.sent.append({"value": value, **kwargs})


@pytest_asyncio.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'status.db'}")
    await migrate(engine)
    yield engine
    await engine.dispose()


def _count_commits(engine: AsyncEngine) -> list[int]:
    commits: list[int] = []
    event.listen(engine.sync_engine, "commit", lambda _conn: commits.append(1))
    return commits


def _folder(engine: AsyncEngine) -> StatusFolder:
    return StatusFolder(cast(KafkaBroker, _DeadLetterBroker()), make_sessions(engine), "control")


async def _fold_each(engine: AsyncEngine, fold: Fold, *batches: list[Event]) -> None:
    """Each list one batch, its records at offsets that go on from the previous batch's."""
    folder, offset = _folder(engine), 0
    for events in batches:
        await folder.fold([_record(e, offset + i) for i, e in enumerate(events)], fold)
        offset += len(events)


async def test_a_batch_of_orders_is_one_transaction(engine: AsyncEngine) -> None:
    broker = _DeadLetterBroker()
    folder = StatusFolder(cast(KafkaBroker, broker), make_sessions(engine), "control")
    orders = [sample_order(connection_id="c1", external_id=f"o{i}") for i in range(50)]
    # the same order twice in one batch (a redelivery): one row, its snapshot stored per record
    records = [_record(o, i) for i, o in enumerate(orders)] + [_record(orders[0], 50)]
    commits = _count_commits(engine)

    await folder.fold(records, fold_orders)

    assert len(commits) == 1
    async with make_sessions(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(OrderSeen)) == 50
        assert await session.scalar(select(func.count()).select_from(OrderSnapshot)) == 51
        activity = await session.get(ConnectionActivity, "c1")
        assert activity is not None
        assert activity.last_webhook_at is not None
    assert broker.sent == []


async def test_an_unreadable_record_goes_to_dead_letters_and_the_rest_of_its_batch_is_kept(
    engine: AsyncEngine,
) -> None:
    broker = _DeadLetterBroker()
    folder = StatusFolder(cast(KafkaBroker, broker), make_sessions(engine), "control")
    good = [sample_order(connection_id="c1", external_id=f"o{i}") for i in range(3)]
    records = [_record(good[0], 0), _record(good[1], 1, value=b"{not json"), _record(good[2], 2)]

    await folder.fold(records, fold_orders)

    assert [s["topic"] for s in broker.sent] == [f"{TOPIC}.dlq"]
    async with make_sessions(engine)() as session:
        kept = set(await session.scalars(select(OrderSeen.external_id)))
    assert kept == {"o0", "o2"}


async def test_a_batch_folded_again_changes_nothing(engine: AsyncEngine) -> None:
    """Redelivery after a crash between the commit and the offset commit."""
    folder = StatusFolder(cast(KafkaBroker, _DeadLetterBroker()), make_sessions(engine), "control")
    orders: list[OrderReceived] = [sample_order(connection_id="c1", external_id=f"o{i}") for i in range(5)]
    records = [_record(o, i) for i, o in enumerate(orders)]
    await folder.fold(records, fold_orders)
    await folder.fold(records, fold_orders)
    async with make_sessions(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(OrderSeen)) == 5
        assert await session.scalar(select(func.count()).select_from(OrderSnapshot)) == 5


async def test_a_batch_is_a_statement_per_table_whatever_its_size(engine: AsyncEngine) -> None:
    """A batch of orders is written with one statement per table it folds into (issue 13: the ORM's
    queries and unit of work per record were most of control's CPU at 100 orders/s)."""
    folder = _folder(engine)
    statements: list[str] = []

    def executed(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "PRAGMA")):
            statements.append(statement)

    asked: dict[int, int] = {}
    for size, first in ((10, 0), (200, 10)):
        orders = [sample_order(connection_id="c1", external_id=f"n{first + i}") for i in range(size)]
        if first:  # the second batch holds an order of the first again: that row is updated
            orders[0] = sample_order(connection_id="c1", external_id="n0")
        statements.clear()
        event.listen(engine.sync_engine, "before_cursor_execute", executed)
        await folder.fold([_record(o, first + i) for i, o in enumerate(orders)], fold_orders)
        event.remove(engine.sync_engine, "before_cursor_execute", executed)
        asked[size] = len(statements)
    assert asked[10] == asked[200] == 3  # orders seen, snapshots, connection activity
    async with make_sessions(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(OrderSeen)) == 209
        assert await session.scalar(select(func.count()).select_from(OrderSnapshot)) == 210


async def test_an_older_snapshot_never_replaces_a_newer_one_in_a_batch_or_across_batches(
    engine: AsyncEngine,
) -> None:
    newer = sample_order(connection_id="c1", external_id="o1", payment_status=PaymentStatus.PAID)
    older = newer.model_copy(
        update={"updated_at": newer.updated_at - timedelta(minutes=5), "payment_status": PaymentStatus.UNPAID}
    )
    other = sample_order(connection_id="c1", external_id="o2", payment_status=PaymentStatus.UNPAID)
    later = other.model_copy(
        update={"updated_at": other.updated_at + timedelta(minutes=5), "payment_status": PaymentStatus.PAID}
    )
    await _fold_each(engine, fold_orders, [newer, older, other], [older, later])
    async with make_sessions(engine)() as session:
        seen = {r.external_id: r.payment_status for r in await session.scalars(select(OrderSeen))}
        snapshots = await session.scalar(select(func.count()).select_from(OrderSnapshot))
    assert seen == {"o1": "paid", "o2": "paid"}
    assert snapshots == 5  # every record on the timeline, the late one too


async def test_connection_activity_keeps_the_latest_of_each_time(engine: AsyncEngine) -> None:
    first = sample_order(connection_id="c1", external_id="o1")
    older = sample_order(
        connection_id="c1", external_id="o2", updated_at=first.updated_at - timedelta(days=1)
    )
    folder = _folder(engine)
    await folder.fold([_record(first, 0, origin="webhook:c1")], fold_orders)
    async with make_sessions(engine)() as session:
        before = await session.get(ConnectionActivity, "c1")
    await folder.fold([_record(older, 1, origin="poll:c1")], fold_orders)
    async with make_sessions(engine)() as session:
        after = await session.get(ConnectionActivity, "c1")
    assert before is not None
    assert after is not None
    assert before.last_poll_at is None
    assert after.last_poll_at is not None
    assert after.last_webhook_at == before.last_webhook_at  # a poll-only batch leaves it alone
    assert after.last_order_at == first.updated_at  # an older order does not move it back


def _results() -> tuple[DocumentCreated, DocumentFailed]:
    """A document created, and a failure of the same document (as one that arrives late)."""
    created = next(e for e in sample_events() if isinstance(e, DocumentCreated))
    failed = next(e for e in sample_events() if isinstance(e, DocumentFailed))
    return created, failed.model_copy(update={"idempotency_key": created.idempotency_key})


async def test_a_created_document_stays_created_whatever_a_late_failure_says(engine: AsyncEngine) -> None:
    created, failed = _results()
    await _fold_each(engine, fold_document_results, [created, failed], [failed])
    async with make_sessions(engine)() as session:
        states = list(await session.scalars(select(DocumentState)))
    assert [(s.state, s.erp_document_id, s.reason) for s in states] == [("created", "1600000123", None)]


async def test_a_failure_is_replaced_by_the_document_that_was_created(engine: AsyncEngine) -> None:
    created, failed = _results()
    await _fold_each(engine, fold_document_results, [failed], [created])
    async with make_sessions(engine)() as session:
        states = list(await session.scalars(select(DocumentState)))
    assert [(s.state, s.code, s.retry_count) for s in states] == [("created", None, 0)]


async def test_an_older_request_arriving_late_is_ignored(engine: AsyncEngine) -> None:
    v2 = sample_document(settings_version=2, why=["settings v2"])
    v1 = v2.model_copy(update={"settings_version": 1, "why": ["settings v1"]})
    v3 = v2.model_copy(update={"settings_version": 3, "why": ["settings v3"]})
    await _fold_each(engine, fold_document_requests, [v2, v1], [v1])
    async with make_sessions(engine)() as session:
        assert [r.why for r in await session.scalars(select(DocumentRequest))] == [["settings v2"]]
    await _fold_each(engine, fold_document_requests, [v3])
    async with make_sessions(engine)() as session:
        assert [r.why for r in await session.scalars(select(DocumentRequest))] == [["settings v3"]]
