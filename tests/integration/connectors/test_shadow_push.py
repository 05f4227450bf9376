"""Shadow mode at the connector (issue 16): while a connection is in shadow mode no stock and no
price is written to the shop (the simulator's write counter stays put); after leaving it, the next
changes are written."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from storelink_connector_kit.push import STOCK
from storelink_contracts import PriceChanged, PriceListKind, PriceListSetting, StockChanged

from .conftest import Rig
from .test_push_journeys import publish_all, skus, wait_consumed, wait_wanted

pytestmark = pytest.mark.kafka
T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def stock(sku: str, quantity: int) -> StockChanged:
    return StockChanged(tenant_id="acme", warehouse="MAIN", sku=sku, quantity=Decimal(quantity), as_of=T0)


def price(sku: str, amount: str) -> PriceChanged:
    return PriceChanged(
        tenant_id="acme",
        price_list="MPC",
        sku=sku,
        amount=Decimal(amount),
        currency="EUR",
        includes_tax=True,
        tax_rate=Decimal(22),
        as_of=T0,
    )


async def test_shadow_mode_writes_no_stock_or_price_and_leaving_it_does(rig: Rig) -> None:
    h = rig.harness
    names = skus(4)
    h.seed_catalog(names)
    lists = [PriceListSetting(name="MPC", kind=PriceListKind.B2C)]
    settings = {"stock_sync": True, "warehouse": "MAIN", "price_sync": True, "price_lists": lists}
    await rig.configure(shadow=True, **settings)
    assert rig.connector is not None
    before_stock, before_prices, writes = dict(h.shop_stock()), dict(h.shop_prices()), h.write_calls()

    await publish_all(rig, [stock(names[0], 7)])
    await publish_all(rig, [price(names[1], "5.55")])
    await wait_consumed(rig, rig.topics.stock, f"{rig.service_name}-stock")
    await wait_consumed(rig, rig.topics.prices, f"{rig.service_name}-prices")
    await rig.connector.pusher.flush_all()
    assert h.write_calls() == writes
    assert dict(h.shop_stock()) == before_stock
    assert dict(h.shop_prices()) == before_prices
    assert await rig.connector.store.wanted(rig.connection_id, STOCK) == {}

    await rig.configure(shadow=False, **settings)  # leaving shadow mode: from now on it writes
    await publish_all(rig, [stock(names[2], 3)])
    await wait_wanted(rig, STOCK, {names[2]: "3"})
    await rig.connector.pusher.flush_all()
    assert h.shop_stock()[names[2]] == 3
    assert h.shop_stock()[names[0]] == before_stock[names[0]]  # the shadow change stays unsent
    assert h.write_calls() > writes
