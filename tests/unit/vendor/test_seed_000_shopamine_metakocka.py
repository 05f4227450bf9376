"""Seed 000 (MetaKocka <-> Shopamine) on documented shapes, through both simulators over real HTTP:
a Shopamine order becomes the chosen MetaKocka document (offer, sales order, domestic or foreign
invoice) in a request MetaKocka documents; MetaKocka's documented product_list and warehouse_stock
answers reach the shop as stock and as B2C-gross / B2B-net prices; "Test connection" names what is
wrong. The Kafka legs between these steps are covered by tests/erp and tests/connectors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio

from storelink_connector_kit.platform import OrderContext, PriceUpdate, StockUpdate
from storelink_connector_kit.prices import shop_price
from storelink_connector_shopamine.api import ShopamineApi
from storelink_connector_shopamine.platform import ShopaminePlatform
from storelink_contracts import Platform, PriceListKind, PriceListSetting, TargetDocument
from storelink_erp_kit.polling import price_events, stock_events
from storelink_erp_metakocka.client import MetakockaClient
from storelink_kit.testing.samples import sample_company, sample_connection
from storelink_kit.verdicts import Verdict
from storelink_mapper.mapping import map_order
from storelink_sim_shopamine.samples import new_order
from storelink_sim_shopamine.server import running
from storelink_sim_shopamine.state import ALL_SCOPES, Shop, Sim

from ...corpus import MK_COMPANY, MK_SECRET, MkSim, example

DOMAIN = "www.trgovina-test.si"
TOKEN = "sh-test-token-0f9d8c7b6a5e4d3c"
AS_OF = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


class ShopRig:
    def __init__(self, sim: Sim, shop: Shop, api: ShopamineApi) -> None:
        self.sim, self.shop, self.api = sim, shop, api


@pytest_asyncio.fixture
async def shop() -> AsyncIterator[ShopRig]:
    sim = Sim()
    one = sim.add_shop(DOMAIN, {TOKEN: ALL_SCOPES})
    async with running(sim) as url:
        api = ShopaminePlatform().connect(
            {"shop_domain": DOMAIN, "api_token": TOKEN}, connection_id="conn-sh-1", base_url=url
        )
        assert isinstance(api, ShopamineApi)
        yield ShopRig(sim, one, api)
        await api.aclose()


def mk(sim: MkSim, **kw: str) -> MetakockaClient:
    return MetakockaClient(
        company_id=kw.get("company_id", MK_COMPANY),
        secret_key=kw.get("secret_key", MK_SECRET),
        base_url=sim.base_url,
        timeout=5,
    )


TARGETS = [
    (TargetDocument.OFFER, "SI", False, ["sales_offer"]),
    (TargetDocument.SALES_ORDER, "SI", False, ["sales_order"]),
    (TargetDocument.SALES_ORDER, "SI", True, ["sales_order", "sales_bill_domestic"]),
    (TargetDocument.INVOICE, "SI", True, ["sales_bill_domestic"]),
    (TargetDocument.INVOICE, "AT", True, ["sales_bill_foreign"]),
]


@pytest.mark.parametrize(
    ("target", "country", "paid", "doc_types"),
    TARGETS,
    ids=[
        "offer",
        "sales order",
        "sales order + invoice of a paid order",
        "domestic invoice",
        "foreign invoice",
    ],
)
async def test_shopamine_order_becomes_the_chosen_metakocka_document(
    shop: ShopRig, mk_sim: MkSim, target: TargetDocument, country: str, paid: bool, doc_types: list[str]
) -> None:
    raw_order = new_order(
        lines=[("art1", 2, "24.40")], country=country, payment_status="paid" if paid else "unpaid"
    )
    with shop.sim.lock:
        order_id = shop.shop.add_order(raw_order)["id"]
    raw = await shop.api.fetch_order(str(order_id))
    assert raw is not None
    order = ShopaminePlatform().map_order(raw, OrderContext(tenant_id="acme", connection_id="conn-sh-1"))
    assert order is not None
    connection = sample_connection(
        connection_id="conn-sh-1",
        platform=Platform.SHOPAMINE,
        target_document=target,
        company=sample_company(fiscal_verification=False),
    )
    result = map_order(order, connection)
    assert result.attention == [], result.attention
    client = mk(mk_sim)
    for doc in result.documents:
        await client.create_document(doc)
    await client.aclose()
    stored = mk_sim.state.documents[MK_COMPANY]
    assert [d["doc_type"] for d in stored] == doc_types
    for d in stored:  # what MetaKocka documents, and our shop order number as the reference
        assert d["buyer_order"] == order.number
        assert d["duo_payment"] == d["doc_date"]
        assert {"code", "amount", "tax_factor"} <= set(d["product_list"][0])


async def test_documented_stock_and_prices_reach_the_shop_b2c_gross_b2b_net(
    shop: ShopRig, mk_sim: MkSim
) -> None:
    product = {**example("metakocka", "resp_product_list_one_with_pricelist")["body"]["product_list"]}
    mk_sim.state.products[MK_COMPANY] = [product]  # ONE product: MetaKocka answers an object
    mk_sim.state.warehouses[MK_COMPANY] = example("metakocka", "resp_warehouse_list")["body"][
        "warehouse_list"
    ]
    mk_sim.state.stock[MK_COMPANY] = [
        {"warehouse_id": "1600000042", "mk_id": "1600000392", "count_code": "PA_115_PA", "code": "art1",
         "amount": "7", "reserved_amount": "2", "free_amount": "5", "unit": "kos", "microlocation": "A1"},
        {"warehouse_id": "1600000042", "mk_id": "1600000392", "count_code": "PA_115_PA", "code": "art1",
         "amount": "1", "reserved_amount": "0", "free_amount": "1", "unit": "kos", "microlocation": "B2"},
    ]  # fmt: skip
    with shop.sim.lock:
        shop.shop.add_item("art1", stock_amount=0, price="9.99")
    catalog = {item.sku: item for item in await shop.api.load_catalog()}

    client = mk(mk_sim)
    settings = [
        PriceListSetting(name="PC-2016", kind=PriceListKind.B2C),  # gross 20 less 15 % discount
        PriceListSetting(name="PC_115", kind=PriceListKind.B2B),  # net 2
    ]
    levels = await client.read_prices([s.name for s in settings])
    stock = await client.read_stock("oznaka1")
    await client.aclose()

    updates: list[PriceUpdate] = []
    for setting in settings:
        event = price_events("acme", levels, settings, AS_OF)[f"{setting.name}\x1fart1"]
        amount, gross = shop_price(event, setting)
        updates.append(PriceUpdate("art1", amount, gross, "EUR", catalog["art1"], setting.name, setting.kind))
    changed = stock_events("acme", stock, AS_OF)
    stock_updates = [StockUpdate(e.sku, e.quantity, catalog[e.sku]) for e in changed.values()]
    assert (await shop.api.set_prices(updates)).failed == {}
    assert (await shop.api.set_stock(stock_updates)).failed == {}

    item: dict[str, Any] | None = shop.shop.item_by_sku("art1")
    assert item is not None
    assert (item["price"], item["price_b2b"]) == ("17.00", "2.00")
    assert item["stock_amount"] == 6  # free amounts of both microlocations; the purchase tier never published
    assert [u.gross for u in updates] == [True, False]
    assert Decimal(updates[0].amount) == Decimal("17.00")


@pytest.mark.parametrize(
    ("kw", "allowed_ips", "verdict", "says"),
    [
        ({}, None, Verdict.OK, "answers"),
        ({"secret_key": "wrong-key-123"}, None, Verdict.WRONG_SECRET, "secret key and company id"),
        ({"company_id": "999"}, None, Verdict.WRONG_SECRET, "secret key and company id"),
        ({}, {"192.1.1.1"}, Verdict.IP_NOT_ALLOWED, "IP address"),
    ],
    ids=["ok", "wrong key", "wrong company", "ip not allowed"],
)
async def test_metakocka_test_connection_says_what_is_wrong(
    mk_sim: MkSim, kw: dict[str, str], allowed_ips: set[str] | None, verdict: Verdict, says: str
) -> None:
    mk_sim.state.companies[MK_COMPANY].allowed_ips = allowed_ips
    client = mk(mk_sim, **kw)
    result = await client.test_connection()
    await client.aclose()
    assert result.verdict is verdict, result
    assert says in result.message
