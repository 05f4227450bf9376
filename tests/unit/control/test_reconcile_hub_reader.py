"""Issue 16: the hub's reader of the reconciliation loads only the documents of the orders in view
(the range), not every document the connection ever had, and gives the same orders as before."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlalchemy.orm import Session

from storelink_contracts import Envelope, encode_event
from storelink_control.control import Control
from storelink_control.db.engine import make_sessions, migrate
from storelink_control.db.tables import DocumentState, OrderSeen
from storelink_control.reconcile_sources import read_hub
from storelink_kit.database import make_engine
from storelink_kit.testing.samples import sample_order

LJ = ZoneInfo("Europe/Ljubljana")
CID = "conn-wix-1"


def _seen(external_id: str, at: datetime) -> OrderSeen:
    order = sample_order(external_id=external_id, number=external_id, created_at=at, updated_at=at)
    return OrderSeen(
        connection_id=CID,
        external_id=external_id,
        tenant_id="acme",
        number=external_id,
        status="pending",
        payment_status="paid",
        order_updated_at=at,
        received_at=at,
        origin=None,
        record_key=f"{CID}:{external_id}",
        record_headers=Envelope.for_event(order, source="test").to_headers(),
        record_value=encode_event(order),
    )


def _document(external_id: str, at: datetime) -> DocumentState:
    return DocumentState(
        idempotency_key=f"{external_id}:sales_order",
        connection_id=CID,
        tenant_id="acme",
        order_external_id=external_id,
        kind="sales_order",
        state="created",
        settings_version=1,
        at=at,
    )


async def test_read_hub_loads_only_the_documents_of_the_orders_in_the_range(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
    await migrate(engine)
    sessions = make_sessions(engine)
    march = datetime(2026, 3, 4, 9, tzinfo=UTC)
    async with sessions() as session, session.begin():
        for n in range(5):
            at = march - timedelta(days=60 + n)
            session.add_all([_seen(f"old-{n}", at), _document(f"old-{n}", at)])
        session.add_all([_seen("in-range", march), _document("in-range", march)])
    loaded: list[str] = []

    def count(_: Session, instance: Any) -> None:
        if isinstance(instance, DocumentState):
            loaded.append(instance.order_external_id)

    event.listen(Session, "loaded_as_persistent", count)
    try:
        control = cast(Control, type("Stub", (), {"sessions": sessions})())
        hub = await read_hub(control, CID, date(2026, 3, 4), date(2026, 3, 4), LJ)
    finally:
        event.remove(Session, "loaded_as_persistent", count)
        await engine.dispose()
    assert [h.order.external_id for h in hub] == ["in-range"]
    assert [d.state for d in hub[0].documents] == ["created"]
    assert loaded == ["in-range"]
