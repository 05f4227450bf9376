"""The readers of the reconciliation: the shop's API (through the platform module's client, on a
budget of its own), control's tables (the hub's view), the ERP (through the adapter's client).

Why here, in control: control alone holds the three things the report needs together: the hub's
records (orders seen, documents requested and their results), the encrypted shop and ERP
credentials with the key to open them, and the platform and adapter modules (entry points) it
already uses for 'Test connection'. A CLI-side job would need the secrets on the operator's machine;
going through the connectors' processes would need read endpoints they do not have.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from storelink_connector_kit.errors import ShopError
from storelink_connector_kit.http import HttpPolicy
from storelink_connector_kit.platform import MappingProblem, OrderContext, ShopApi, ShopPlatform
from storelink_contracts import OrderNeedsAttention, OrderReceived, decode_event
from storelink_control.auth import Principal
from storelink_control.control import Control
from storelink_control.db.tables import Connection, DocumentRequest, DocumentState, OrderSeen, Tenant
from storelink_control.errors import Conflict
from storelink_control.operations import get_connection
from storelink_control.reconcile import HubDocument, HubOrder, OrderFacts, Report, order_facts, reconcile
from storelink_erp_kit.adapters import adapter_for
from storelink_erp_kit.errors import ErpError
from storelink_erp_kit.listing import DocumentLister, ErpDocument

log = logging.getLogger("storelink.control.reconcile")

ERP_GRACE_DAYS = 7
"""An invoice may be dated after its order (issued when paid): the ERP is read this many days
past the range, and only documents of the range's orders count."""
MAX_PAGES = 10_000


@dataclass(frozen=True, slots=True)
class ShopRead:
    orders: list[OrderFacts]
    unreadable: list[str]
    """Shop orders the mapping could not read (their numbers or ids, and why)."""


def day_start(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), zone)


def in_range(facts: OrderFacts, first: date, last: date) -> bool:
    return first <= facts.day <= last


async def read_shop(
    platform: ShopPlatform, api: ShopApi, ctx: OrderContext, first: date, last: date, zone: tzinfo
) -> ShopRead:
    """Orders created within the days: every order changed since the first day is listed (an order
    created in the range was changed at or after its creation) and filtered by its creation day."""
    seen: dict[str, OrderFacts] = {}
    unreadable: dict[str, str] = {}
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        page = await api.list_orders(day_start(first, zone), cursor)
        for raw in page.orders:
            try:
                order = platform.map_order(raw, ctx)
            except MappingProblem as exc:
                unreadable[str(raw.get("number") or raw.get("id"))] = str(exc)
                continue
            if order is not None:
                facts = order_facts(order, zone)
                if in_range(facts, first, last):
                    seen[order.external_id] = facts  # keyset paging repeats a few: the latest wins
        cursor = page.next_cursor
        if cursor is None:
            break
    return ShopRead(list(seen.values()), [f"{k}: {v}" for k, v in sorted(unreadable.items())])


async def read_hub(
    control: Control, connection_id: str, first: date, last: date, zone: tzinfo
) -> list[HubOrder]:
    """The latest snapshot of each order control received, with its documents' states: created or
    failed as the adapter reported, waiting when the mapper asked and no result came yet."""
    in_view = (OrderSeen.connection_id == connection_id, OrderSeen.order_updated_at >= day_start(first, zone))
    orders_in_view = select(OrderSeen.external_id).where(*in_view)
    async with control.sessions() as session:
        seen = (await session.scalars(select(OrderSeen).where(*in_view))).all()
        # only the documents of the orders read above, not every document the connection ever had
        states = (
            await session.scalars(
                select(DocumentState).where(
                    DocumentState.connection_id == connection_id,
                    DocumentState.order_external_id.in_(orders_in_view),
                )
            )
        ).all()
        requests = (
            await session.scalars(
                select(DocumentRequest).where(
                    DocumentRequest.connection_id == connection_id,
                    DocumentRequest.external_id.in_(orders_in_view),
                )
            )
        ).all()
    documents: dict[str, list[HubDocument]] = {}
    known = set()
    for state in states:
        known.add(state.idempotency_key)
        documents.setdefault(state.order_external_id, []).append(
            HubDocument(state.kind, "created" if state.state == "created" else "failed", state.reason)
        )
    for request in requests:
        if request.idempotency_key not in known:
            pending = "shadow" if request.shadow else "waiting"
            documents.setdefault(request.external_id, []).append(HubDocument(request.kind, pending))
    hub: list[HubOrder] = []
    for row in seen:
        _, event = decode_event(row.record_headers, row.record_value)
        if not isinstance(event, OrderReceived):
            continue
        facts = order_facts(event, zone)
        if in_range(facts, first, last):
            hub.append(HubOrder(facts, tuple(documents.get(row.external_id, ()))))
    return hub


async def connection_and_tenant(
    control: Control, caller: Principal, connection_id: str
) -> tuple[Connection, Tenant]:
    """The caller's connection (404 for another tenant's) and its tenant."""
    async with control.sessions() as session:
        connection = await get_connection(session, caller, connection_id)
        tenant = await session.get(Tenant, connection.tenant_id)
    assert tenant is not None  # a connection's tenant exists (foreign key)
    return connection, tenant


def _clear(control: Control, encrypted: str) -> dict[str, Any]:
    clear: dict[str, Any] = control.box.decrypt_json(encrypted)
    return clear


async def read_erp(control: Control, tenant: Tenant, first: date, last: date) -> list[ErpDocument]:
    if not tenant.erp_credentials_encrypted:
        raise Conflict(f"no {tenant.erp} credentials are saved for this company: the ERP cannot be read")
    spec = adapter_for(tenant.erp)
    client = spec.make_client(
        {k: str(v) for k, v in _clear(control, tenant.erp_credentials_encrypted).items()},
        url=control.settings.erp_base_urls.get(tenant.erp),
        timeout=control.settings.test_timeout_seconds,
    )
    try:
        if not isinstance(client, DocumentLister):
            raise Conflict(f"the {tenant.erp} adapter cannot list its documents yet: no reconciliation")
        return await client.list_documents(first, last + timedelta(days=ERP_GRACE_DAYS))
    finally:
        await client.aclose()


@asynccontextmanager
async def shop_of(
    control: Control, connection: Connection
) -> AsyncIterator[tuple[ShopPlatform, ShopApi, OrderContext]]:
    """The connection's platform module and its API client on control's own budget of calls (well
    under the shop's limit, so the connector's live traffic keeps the rest), with short retries."""
    from storelink_connector_kit.cli import load_platform

    platform = load_platform(connection.platform)
    credentials = platform.parse_credentials(_clear(control, connection.credentials_encrypted))
    api = platform.connect(
        credentials,
        connection_id=connection.id,
        policy=HttpPolicy(
            rate_per_minute=control.settings.reconcile_shop_rate_per_minute,
            timeout_seconds=control.settings.test_timeout_seconds,
            max_attempts=3,  # a person is waiting for the answer: a short, bounded retry
            backoff_initial=0.2,
            backoff_max=2.0,
            max_retry_after=10.0,
        ),
        base_url=control.settings.shop_base_urls.get(connection.platform),
    )
    try:
        yield platform, api, OrderContext(connection.tenant_id, connection.id, api.order_options)
    finally:
        await api.aclose()


async def read_connection_shop(
    control: Control, connection: Connection, first: date, last: date, zone: tzinfo
) -> ShopRead:
    async with shop_of(control, connection) as (platform, api, ctx):
        return await read_shop(platform, api, ctx, first, last, zone)


async def read_report(
    control: Control, connection: Connection, tenant: Tenant, first: date, last: date
) -> tuple[Report, list[str]]:
    """The report of the days and the shop orders it could not read. Raises ShopError or ErpError
    when the shop or the ERP cannot be read (nothing to compare), Conflict when it cannot list."""
    zone = ZoneInfo(control.settings.reconcile_timezone)
    shop = await read_connection_shop(control, connection, first, last, zone)
    erp = await read_erp(control, tenant, first, last)
    hub = await read_hub(control, connection.id, first, last, zone)
    return reconcile(shop.orders, hub, erp), shop.unreadable


def unreadable_reason(exc: ShopError | ErpError) -> str:
    """Plain words for a side that could not be read (the errors carry no secrets)."""
    if isinstance(exc, ErpError):
        return f"the ERP could not be read: {exc.reason}"
    return f"the shop could not be read: {exc}"


def attention_events(connection: Connection, report: Report) -> list[OrderNeedsAttention]:
    """One needs-attention item per order with differences, each difference a reason."""
    reasons: dict[str, tuple[str, list[str]]] = {}
    for p in report.problems:
        if p.external_id is not None:
            reasons.setdefault(p.external_id, (p.number, []))[1].append(
                f"reconciliation: {p.finding.value.replace('_', ' ')}: {p.detail}"
            )
    return [
        OrderNeedsAttention(
            tenant_id=connection.tenant_id,
            connection_id=connection.id,
            external_id=external_id,
            number=number,
            reasons=found,
        )
        for external_id, (number, found) in sorted(reasons.items())
    ]


async def publish_attention(control: Control, connection: Connection, report: Report) -> int:
    """Each order with a difference becomes a needs-attention item; how many were raised."""
    events = attention_events(connection, report)
    await control.publisher.publish_many(
        [(e, None) for e in events], origin=f"reconciliation:{connection.id}"
    )
    return len(events)
