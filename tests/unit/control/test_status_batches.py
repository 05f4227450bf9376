"""Control's status consumer folds a batch of records in one transaction (issue 13: a transaction
per record cost control a third of a core at 20 orders/s on a 2-core machine)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest_asyncio
from faststream.kafka import KafkaBroker
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_contracts import Event, OrderReceived
from storelink_control.db.engine import make_sessions, migrate
from storelink_control.db.tables import ConnectionActivity, OrderSeen, OrderSnapshot
from storelink_control.status import StatusFolder, record_order
from storelink_kit.database import make_engine
from storelink_kit.testing.samples import event_record, sample_order

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


async def test_a_batch_of_orders_is_one_transaction(engine: AsyncEngine) -> None:
    broker = _DeadLetterBroker()
    folder = StatusFolder(cast(KafkaBroker, broker), make_sessions(engine), "control")
    orders = [sample_order(connection_id="c1", external_id=f"o{i}") for i in range(50)]
    # the same order twice in one batch (a redelivery): one row, its snapshot stored per record
    records = [_record(o, i) for i, o in enumerate(orders)] + [_record(orders[0], 50)]
    commits = _count_commits(engine)

    await folder.fold(records, record_order)

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

    await folder.fold(records, record_order)

    assert [s["topic"] for s in broker.sent] == [f"{TOPIC}.dlq"]
    async with make_sessions(engine)() as session:
        kept = set(await session.scalars(select(OrderSeen.external_id)))
    assert kept == {"o0", "o2"}


async def test_a_batch_folded_again_changes_nothing(engine: AsyncEngine) -> None:
    """Redelivery after a crash between the commit and the offset commit."""
    folder = StatusFolder(cast(KafkaBroker, _DeadLetterBroker()), make_sessions(engine), "control")
    orders: list[OrderReceived] = [sample_order(connection_id="c1", external_id=f"o{i}") for i in range(5)]
    records = [_record(o, i) for i, o in enumerate(orders)]
    await folder.fold(records, record_order)
    await folder.fold(records, record_order)
    async with make_sessions(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(OrderSeen)) == 5
        assert await session.scalar(select(func.count()).select_from(OrderSnapshot)) == 5


async def test_a_batch_asks_the_database_a_few_times_not_per_record(engine: AsyncEngine) -> None:
    """The rows a batch folds into are read with one query per table, whatever the batch's size
    (issue 13: a query or more per record was most of control's CPU at 100 orders/s)."""
    folder = StatusFolder(cast(KafkaBroker, _DeadLetterBroker()), make_sessions(engine), "control")
    selects: list[str] = []

    def selected(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    asked: dict[int, int] = {}
    for size, first in ((10, 0), (200, 10)):
        orders = [sample_order(connection_id="c1", external_id=f"n{first + i}") for i in range(size)]
        if first:  # the second batch holds an order of the first again: that row is updated
            orders[0] = sample_order(connection_id="c1", external_id="n0")
        selects.clear()
        event.listen(engine.sync_engine, "before_cursor_execute", selected)
        await folder.fold([_record(o, first + i) for i, o in enumerate(orders)], record_order)
        event.remove(engine.sync_engine, "before_cursor_execute", selected)
        asked[size] = len(selects)
    assert asked[10] == asked[200] <= 3
    async with make_sessions(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(OrderSeen)) == 209
        assert await session.scalar(select(func.count()).select_from(OrderSnapshot)) == 210
