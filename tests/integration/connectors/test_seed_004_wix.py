"""Seed 004 (e-računi ↔ Wix) on Wix's documented shapes, on a real broker, against the simulator:

- orders arrive about every hour (polling, the default interval) and at once by webhook;
- a paid Wix order becomes an e-računi invoice with the right VAT, fiscally verified;
- stock from the chosen warehouse reaches the Wix shop (Catalog V1 and V3), other warehouses' not.

The orders are the corpus examples (tests/corpus/wix/*.json, each naming its source).
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from storelink_connector_kit.polling import PollPolicy, jittered
from storelink_connector_kit.push import STOCK
from storelink_contracts import (
    ConnectionConfigured,
    DocumentKind,
    ErpSystem,
    OrderReceived,
    PaymentMethod,
    StockChanged,
    TopicNames,
)
from storelink_kit.settings import KafkaSettings
from storelink_kit.testing.expect import read_topic
from storelink_kit.testing.samples import sample_company
from storelink_mapper.mapping import map_order

from .conftest import Rig, running_rig
from .harness_wix import WixHarness, wix_harness
from .test_push_journeys import wait_wanted

pytestmark = pytest.mark.kafka
CORPUS = Path(__file__).parents[2] / "corpus" / "wix"
D = Decimal


def documented(name: str) -> dict[str, Any]:
    """A corpus order as the shop's next new order (Wix gives it an id, dates and a number)."""
    order: dict[str, Any] = json.loads((CORPUS / f"{name}.json").read_text())["order"]
    for key in ("id", "number", "createdDate", "updatedDate"):
        order.pop(key)
    return order


@pytest.fixture(params=["wix-v3", "wix-v1"])
def wix(request: pytest.FixtureRequest) -> WixHarness:
    return wix_harness(request.param)


@pytest_asyncio.fixture
async def seed_rig(
    wix: WixHarness, kafka_settings: KafkaSettings, topic_names: TopicNames, tmp_path: Path
) -> AsyncIterator[Rig]:
    async with (
        wix.serve() as url,
        running_rig(wix, url, kafka_settings, topic_names, tmp_path / "c.db") as rig,
    ):
        yield rig


async def test_paid_orders_arrive_hourly_and_by_webhook_and_become_verified_invoices(
    seed_rig: Rig, kafka_bootstrap: str
) -> None:
    rig = seed_rig
    h = rig.harness
    assert isinstance(h, WixHarness)
    company = sample_company(erp=ErpSystem.ERACUNI, fiscal_verification=True)
    connection = await rig.configure(
        company=company, target_document="sales_order", auto_invoice_paid=True, polling_interval_seconds=3600
    )
    assert rig.connector is not None
    # "approximately every 1 hour": the default interval, each poll jittered by at most a tenth
    assert ConnectionConfigured.model_fields["polling_interval_seconds"].default == 3600
    rng = random.Random(4)
    assert all(3240 <= jittered(3600, PollPolicy().jitter_fraction, rng) <= 3960 for _ in range(200))

    polled = h.sim.put_order(h.site, documented("order_taxinfo_gross"))  # the shop records a card payment
    await rig.connector.poller.poll(connection)
    rung = h.sim.put_order(h.site, documented("order_line_discount"))
    reply = await rig.ring({"data": {"orderId": rung["id"], "orderNumber": rung["number"]}})
    assert reply.status_code == 200, reply.text
    assert reply.json()["orders"] == [rung["id"]]

    records = await read_topic(
        kafka_bootstrap,
        rig.topics.orders,
        until=lambda rs: len([r for r in rs if isinstance(r.event, OrderReceived)]) >= 2,
        timeout=30,
    )
    orders = {e.external_id: e for e in (r.event for r in records) if isinstance(e, OrderReceived)}
    assert set(orders) == {polled["id"], rung["id"]}
    for order, vat, gross in ((orders[polled["id"]], "7.18", "51.18"), (orders[rung["id"]], "4.33", "24.00")):
        assert order.payment_method is PaymentMethod.CARD  # asked of Wix's List Transactions
        result = map_order(order, connection)
        assert not result.attention, result.attention
        invoice = next(d for d in result.documents if d.kind is DocumentKind.INVOICE_DOMESTIC)
        assert (invoice.erp, invoice.fiscalize) == (ErpSystem.ERACUNI, True)
        assert (invoice.totals.tax, invoice.totals.gross) == (D(vat), D(gross))
    assert [b.rate for b in orders[polled["id"]].totals.tax_by_rate or []] == [D(22), D("9.5")]


async def test_stock_of_the_chosen_warehouse_reaches_the_wix_shop(seed_rig: Rig) -> None:
    rig = seed_rig
    h = rig.harness
    names = ["MUG-01", "BOOK-9", "GRIND-2", "CUP-4"]
    h.seed_catalog(names)
    await rig.configure(stock_sync=True, warehouse="MAIN")
    assert rig.connector is not None
    as_of = datetime.now(UTC) - timedelta(minutes=1)
    chosen = [
        StockChanged(tenant_id="acme", warehouse="MAIN", sku=s, quantity=D(5 + i), as_of=as_of)
        for i, s in enumerate(names)
    ]
    other = StockChanged(
        tenant_id="acme",
        warehouse="SHOWROOM",
        sku="MUG-01",
        quantity=D(999),
        as_of=as_of + timedelta(seconds=1),
    )
    await rig.publisher.publish_many([(e, None) for e in [*chosen, other]])
    await wait_wanted(rig, STOCK, {s: str(5 + i) for i, s in enumerate(names)})
    await rig.connector.pusher.flush_all()
    assert dict(h.shop_stock()) == {s: 5 + i for i, s in enumerate(names)}
