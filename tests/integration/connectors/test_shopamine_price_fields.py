"""Shopamine keeps B2C and B2B prices in different item fields: each price list lands in its own
field, on the basis (gross/net) the connection chose: the kit's PriceUpdate carries the list's kind
and the Shopamine API picks the field from it. Real broker, simulator over real HTTP, the kit's own
Connector (exactly what the Shopamine service runs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from storelink_contracts import PriceChanged, PriceListKind, PriceListSetting
from storelink_kit.testing.waits import eventually

from .conftest import Rig
from .harness_shopamine import ShopamineHarness, shopamine_harness

pytestmark = pytest.mark.kafka
T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


@pytest.fixture
def harness() -> ShopamineHarness:
    """Shopamine only: these are its two price fields (overrides the per-platform parameter)."""
    return shopamine_harness()


def price(lst: str, sku: str, amount: str, *, gross: bool, minutes: int = 0) -> PriceChanged:
    return PriceChanged(
        tenant_id="acme",
        price_list=lst,
        sku=sku,
        amount=Decimal(amount),
        currency="EUR",
        includes_tax=gross,
        tax_rate=Decimal(22),
        as_of=T0 + timedelta(minutes=minutes),
    )


async def push(rig: Rig, events: list[PriceChanged], kinds: dict[str, int]) -> None:
    """Publish, wait until the connector holds the wanted values, flush once."""
    assert rig.connector is not None
    await rig.publisher.publish_many([(e, None) for e in events])
    connector = rig.connector

    async def holds_them() -> bool:
        pending = {k: len(await connector.store.pending(rig.connection_id, k)) for k in kinds}
        return pending == kinds

    await eventually(holds_them, "the connector to hold the wanted values")
    await rig.connector.pusher.flush_all()


async def test_b2c_goes_gross_into_price_and_b2b_net_into_price_b2b(rig: Rig) -> None:
    h = rig.harness
    assert isinstance(h, ShopamineHarness)
    h.seed_catalog(["A", "B"])
    lists = [
        PriceListSetting(name="MPC", kind=PriceListKind.B2C),
        PriceListSetting(name="VPC", kind=PriceListKind.B2B),
    ]
    await rig.configure(price_sync=True, price_lists=lists)
    # the ERP holds both lists net: B2C is grossed up by 22 %, B2B goes as it is
    await push(
        rig,
        [price("MPC", "A", "10.00", gross=False), price("VPC", "A", "8.00", gross=False)],
        {"price:MPC": 1, "price:VPC": 1},
    )
    item = h.shop.item_by_sku("A")
    assert item is not None
    assert (item["price"], item["price_b2b"]) == ("12.20", "8.00")
    untouched = h.shop.item_by_sku("B")
    assert untouched is not None
    assert (untouched["price"], untouched["price_b2b"]) == ("9.99", None)
    writes = h.sim.count(method="POST", route="items/by_sku")
    assert writes == 2


async def test_each_list_basis_is_overridable_per_connection(rig: Rig) -> None:
    h = rig.harness
    assert isinstance(h, ShopamineHarness)
    h.seed_catalog(["A"])
    lists = [
        PriceListSetting(name="MPC", kind=PriceListKind.B2C, send_gross=False),
        PriceListSetting(name="VPC", kind=PriceListKind.B2B, send_gross=True),
    ]
    await rig.configure(price_sync=True, price_lists=lists)
    # the ERP holds both lists gross: B2C is sent net, B2B gross, as this connection asks
    await push(
        rig,
        [
            price("MPC", "A", "24.40", gross=True, minutes=1),
            price("VPC", "A", "12.20", gross=True, minutes=1),
        ],
        {"price:MPC": 1, "price:VPC": 1},
    )
    item = h.shop.item_by_sku("A")
    assert item is not None
    assert (item["price"], item["price_b2b"]) == ("20.00", "12.20")


async def test_a_price_list_not_on_the_connection_is_never_written(rig: Rig) -> None:
    h = rig.harness
    assert isinstance(h, ShopamineHarness)
    h.seed_catalog(["A"])
    await rig.configure(price_sync=True, price_lists=[PriceListSetting(name="MPC", kind=PriceListKind.B2C)])
    await push(
        rig,
        [price("OTHER", "A", "1.00", gross=True), price("MPC", "A", "5.00", gross=True)],
        {"price:MPC": 1},
    )
    item = h.shop.item_by_sku("A")
    assert item is not None
    assert (item["price"], item["price_b2b"]) == ("5.00", None)
