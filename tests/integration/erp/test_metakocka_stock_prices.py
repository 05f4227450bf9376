"""MetaKocka stock/price polling publishes only changes; the stock webhook is signature-checked."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from decimal import Decimal as D

import httpx
import pytest
import pytest_asyncio
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_contracts import (
    ErpSystem,
    PriceChanged,
    PriceListKind,
    PriceListSetting,
    StockChanged,
    TopicNames,
)
from storelink_erp_kit.changes import ObservedValues
from storelink_erp_kit.polling import Poller
from storelink_erp_metakocka.app import build
from storelink_erp_metakocka.client import MetakockaClient
from storelink_erp_metakocka.settings import MetakockaSettings
from storelink_erp_metakocka.webhook import create_webhook_app, signature
from storelink_kit.broker import make_broker
from storelink_kit.publishing import EventPublisher
from storelink_kit.secrets import SecretBox
from storelink_kit.settings import KafkaSettings, ServiceSettings
from storelink_kit.testing.expect import ExpectedEvent, expect_events
from storelink_kit.testing.kafka_broker import free_port
from storelink_kit.testing.samples import sample_company, sample_connection
from storelink_kit.testing.waits import eventually

from ...support.erp import MK_COMPANY, MK_SECRET, MkSim

pytestmark = pytest.mark.kafka
N_PRODUCTS = 1200  # more than one page of 1,000


def stock_rows(n: int) -> list[dict[str, str]]:
    rows = [
        {
            "warehouse_id": "100",
            "mk_id": str(i),
            "count_code": f"P{i}",
            "code": f"SKU-{i}",
            "title": f"P {i}",
            "amount": "10",
            "free_amount": "8",
            "unit": "kos",
        }
        for i in range(n)
    ]
    rows.append(
        {
            "warehouse_id": "100",
            "mk_id": "0",
            "count_code": "P0",
            "code": "SKU-0",
            "amount": "2",
            "free_amount": "2",
            "unit": "kos",
        }
    )  # a second lot of SKU-0: summed
    rows.append(
        {
            "warehouse_id": "200",
            "mk_id": "0",
            "count_code": "P0",
            "code": "SKU-0",
            "amount": "50",
            "unit": "kos",
        }
    )  # another warehouse: not the connection's
    rows.append(
        {"warehouse_id": "100", "mk_id": "x", "code": "NOT-SYNCED", "amount": "1", "eshop_sync": "false"}
    )
    return rows


def products(n: int) -> list[dict[str, object]]:
    return [
        {
            "code": f"SKU-{i}",
            "count_code": f"P{i}",
            "pricelist": [
                {
                    "count_code": "MPC",
                    "currency_code": "EUR",
                    "price_def": [
                        {"amount_from": "10", "price_with_tax": "10.00", "tax_factor": "0.22"},
                        {"amount_from": "1", "price_with_tax": "12.20", "tax_factor": "0.22"},
                    ],
                },
                {
                    "count_code": "VPC",
                    "currency_code": "EUR",
                    "price_def": {"price": "10.00", "tax_factor": "0.22"},
                },
                {
                    "count_code": "OTHER",
                    "currency_code": "EUR",
                    "price_def": {"price": "1.00", "tax_factor": "0.22"},
                },
            ],
        }
        for i in range(n)
    ]


@pytest_asyncio.fixture
async def publisher(kafka_settings: KafkaSettings, topic_names: TopicNames) -> AsyncIterator[EventPublisher]:
    broker = make_broker(
        ServiceSettings(service_name="test-poller", kafka=kafka_settings), dead_letters=False
    )
    await broker.start()
    yield EventPublisher(broker, topic_names, source="test")
    await broker.stop()


def connection():  # type: ignore[no-untyped-def]
    return sample_connection(
        connection_id="conn-mk",
        company=sample_company(erp=ErpSystem.METAKOCKA),
        warehouse="glavni",
        price_lists=[
            PriceListSetting(name="MPC", kind=PriceListKind.B2C),
            PriceListSetting(name="VPC", kind=PriceListKind.B2B),
        ],
    )


async def test_polling_publishes_everything_once_then_only_changes(
    sqlite_engine: AsyncEngine,
    mk_sim: MkSim,
    publisher: EventPublisher,
    kafka_bootstrap: str,
    topic_names: TopicNames,
) -> None:
    mk_sim.state.warehouses[MK_COMPANY].append({"mk_id": "200", "mark": "trgovina", "name": "Trgovina"})
    mk_sim.state.stock[MK_COMPANY] = stock_rows(N_PRODUCTS)
    mk_sim.state.products[MK_COMPANY] = products(N_PRODUCTS)
    client = MetakockaClient(company_id=MK_COMPANY, secret_key=MK_SECRET, base_url=mk_sim.base_url)
    conn = connection()
    poller = Poller(
        erp=ErpSystem.METAKOCKA,
        connections=lambda: [conn],
        client_for=lambda c: client,
        observed=ObservedValues(sqlite_engine),
        publisher=publisher,
        interval_seconds=60,
    )

    first = await poller.poll_once()
    stock = {(e.warehouse, e.sku): e.quantity for e in first if isinstance(e, StockChanged)}
    prices = {(e.price_list, e.sku): e for e in first if isinstance(e, PriceChanged)}
    assert len(stock) == N_PRODUCTS
    assert len(prices) == 2 * N_PRODUCTS
    assert stock[("glavni", "SKU-0")] == D("10")  # free 8 + free 2 of a second lot; other warehouse left out
    assert ("glavni", "NOT-SYNCED") not in stock
    assert prices[("MPC", "SKU-1")].amount == D("12.20")
    assert prices[("MPC", "SKU-1")].includes_tax
    assert prices[("VPC", "SKU-1")].amount == D("10.00")
    assert not prices[("VPC", "SKU-1")].includes_tax
    assert mk_sim.state.calls["warehouse_stock"] == 2
    assert mk_sim.state.calls["product_list"] == 2

    assert await poller.poll_once() == []  # nothing changed, nothing published

    mk_sim.state.stock[MK_COMPANY][5]["free_amount"] = "3"
    mk_sim.state.stock[MK_COMPANY][6]["free_amount"] = "8.000"  # same number, other text: no change
    mk_sim.state.products[MK_COMPANY][7]["pricelist"][0]["price_def"][1]["price_with_tax"] = "13.50"  # type: ignore[index]
    expected = [
        ExpectedEvent(
            type="storelink.stock.changed.v1",
            key="acme:glavni:SKU-5",
            where=lambda r: r.event.quantity == D("3"),
        ),  # type: ignore[attr-defined]
    ]
    async with expect_events(kafka_bootstrap, topic_names.stock, expected):
        async with expect_events(
            kafka_bootstrap,
            topic_names.prices,
            [
                ExpectedEvent(
                    type="storelink.price.changed.v1",
                    key="acme:MPC:SKU-7",
                    where=lambda r: r.event.amount == D("13.50"),
                ),  # type: ignore[attr-defined]
            ],
        ):
            third = await poller.poll_once()
    assert len(third) == 2
    await client.aclose()


async def test_stock_webhook_checks_the_signature_and_publishes_changes(
    kafka_settings: KafkaSettings, mk_sim: MkSim, kafka_bootstrap: str, topic_names: TopicNames, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    key = SecretBox.generate_key()
    box = SecretBox([key])
    creds = box.encrypt_json(
        {"company_id": MK_COMPANY, "secret_key": MK_SECRET, "webhook_secret": "hook-secret"}
    )
    conn = connection().model_copy(
        update={"company": sample_company(erp=ErpSystem.METAKOCKA, erp_credentials_encrypted=creds)}
    )
    settings = MetakockaSettings(
        kafka=kafka_settings,
        base_url=mk_sim.base_url,
        polling=False,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'mk.db'}",
    )
    adapter = build(settings, box=box).core
    adapter.registry.apply(conn)
    await adapter.start_background()
    await adapter.broker.connect()
    app = create_webhook_app(adapter)
    body = json.dumps(
        {
            "opr_code": "0",
            "stock_list": [
                {"warehouse_id": "100", "code": "MUG-01", "amount": "4", "free_amount": "4"},
            ],
        }
    ).encode()
    url = "http://adapter/webhooks/metakocka/acme"
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
            async with expect_events(kafka_bootstrap, topic_names.stock, [], settle=1.0):
                forged = await http.post(
                    url, content=body, headers={"X-MetaKocka-Signature": signature(body, "wrong")}
                )
                missing = await http.post(url, content=body)
            assert forged.status_code == 401
            assert missing.status_code == 401
            expected = [ExpectedEvent(type="storelink.stock.changed.v1", key="acme:glavni:MUG-01")]
            async with expect_events(kafka_bootstrap, topic_names.stock, expected):
                good = await http.post(
                    url,
                    content=body,
                    headers={
                        "X-MetaKocka-Signature": signature(body, "hook-secret"),
                        "X-MetaKocka-Event": "warehouse_product_stock_update",
                    },
                )
            assert good.status_code == 200
            assert good.json() == {"status": "ok", "published": 1}
            again = await http.post(
                url, content=body, headers={"X-MetaKocka-Signature": signature(body, "hook-secret")}
            )
            assert again.json() == {"status": "ok", "published": 0}  # unchanged: nothing new
    finally:
        await adapter.broker.stop()
        await adapter.stop_background()


@pytest.mark.kafka
async def test_the_served_adapter_answers_its_webhook_and_the_kits_routes(
    kafka_settings: KafkaSettings, mk_sim: MkSim, tmp_path
) -> None:
    """The process as `__main__` serves it: the webhook app outside, the FastStream app (health,
    readiness, metrics, consumers) mounted under it with its lifespan."""
    settings = MetakockaSettings(
        kafka=kafka_settings,
        base_url=mk_sim.base_url,
        polling=False,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'mk.db'}",
    )
    service = build(settings, box=SecretBox([SecretBox.generate_key()]))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(service.asgi, host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await eventually(lambda: server.started, "the adapter to start")

            async def ready() -> bool:  # the lifespan started the broker and the adapter's hooks
                return (await client.get("/readyz")).status_code == 200

            await eventually(ready, "readiness through the mounted FastStream app")
            assert (await client.get("/healthz")).json() == {"status": "ok"}
            assert "storelink" in (await client.get("/metrics")).text
            unknown = await client.post("/webhooks/metakocka/nobody", content=b"{}")
            assert (unknown.status_code, unknown.json()["reason"]) == (404, "unknown tenant")
            assert (await client.get("/nowhere")).status_code == 404
    finally:
        server.should_exit = True
        await task
