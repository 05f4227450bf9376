"""The push machinery without any shop or broker: a fake platform records what it is asked to write."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from storelink_connector_kit.connections import ShopConnections
from storelink_connector_kit.http import ShopHttp
from storelink_connector_kit.platform import (
    CatalogItem,
    Doorbell,
    OrderContext,
    OrderPage,
    PriceUpdate,
    PushOutcome,
    ShopApi,
    ShopPlatform,
    StockUpdate,
)
from storelink_connector_kit.push import SyncPusher
from storelink_connector_kit.store import ConnectorStore
from storelink_contracts import (
    Envelope,
    OrderReceived,
    Platform,
    PriceChanged,
    PriceListKind,
    PriceListSetting,
)
from storelink_kit.connections import ConnectionRegistry
from storelink_kit.testing.samples import T0, sample_connection
from storelink_kit.verdicts import ConnectionVerdict, Verdict


class FakeApi(ShopApi):
    def __init__(self) -> None:
        self.prices: list[list[PriceUpdate]] = []
        self.stock: list[list[StockUpdate]] = []

    async def list_orders(self, updated_since: datetime, cursor: str | None) -> OrderPage:
        return OrderPage([])

    async def fetch_order(self, external_id: str) -> Mapping[str, Any] | None:
        return None

    async def load_catalog(self) -> list[CatalogItem]:
        return [CatalogItem(sku=s, product_id=f"p-{s}") for s in ("A", "B")]

    async def set_stock(self, updates: Sequence[StockUpdate]) -> PushOutcome:
        self.stock.append(list(updates))
        return PushOutcome(written=[u.sku for u in updates])

    async def set_prices(self, updates: Sequence[PriceUpdate]) -> PushOutcome:
        self.prices.append(list(updates))
        return PushOutcome(written=[u.sku for u in updates])

    async def test_connection(self) -> ConnectionVerdict:
        return ConnectionVerdict(Verdict.OK, "fine")

    async def aclose(self) -> None:
        return None


class FakePlatform(ShopPlatform):
    platform = Platform.SHOPAMINE

    def __init__(self) -> None:
        self.api = FakeApi()

    def map_order(self, raw: Mapping[str, Any], ctx: OrderContext) -> OrderReceived | None:
        return None

    def parse_webhook(self, body: Any) -> Doorbell:
        return Doorbell()

    def parse_credentials(self, credentials: Mapping[str, Any]) -> Mapping[str, str]:
        return {}

    def api_base_url(self, credentials: Mapping[str, str], base_url: str | None) -> str:
        return base_url or "http://shop.invalid/"

    def auth_headers(self, credentials: Mapping[str, str]) -> dict[str, str]:
        return {}

    def make_api(self, http: ShopHttp, credentials: Mapping[str, str]) -> ShopApi:
        return self.api

    def connect(self, credentials: Mapping[str, str], **kwargs: Any) -> ShopApi:
        return self.api  # no HTTP layer: the fake answers itself


def price(lst: str, sku: str, amount: str, minutes: int) -> tuple[PriceChanged, Envelope | None]:
    event = PriceChanged(
        tenant_id="acme",
        price_list=lst,
        sku=sku,
        amount=Decimal(amount),
        currency="EUR",
        includes_tax=False,
        tax_rate=Decimal(22),
        as_of=T0 + timedelta(minutes=minutes),
    )
    return event, None


async def make() -> tuple[FakePlatform, SyncPusher, Callable[[], Any]]:
    platform = FakePlatform()
    registry = ConnectionRegistry()
    registry.apply(
        sample_connection(
            platform=Platform.SHOPAMINE,
            price_sync=True,
            price_lists=[
                PriceListSetting(name="MPC", kind=PriceListKind.B2C),
                PriceListSetting(name="VPC", kind=PriceListKind.B2B),
            ],
        )
    )
    store = ConnectorStore()
    await store.start()
    connections = ShopConnections(platform, registry, None, credentials_of=lambda _c: {})
    return platform, SyncPusher(connections, store), store.close


async def test_price_updates_carry_list_kind_basis_and_newest_value() -> None:
    platform, pusher, close = await make()
    try:
        await pusher.accept_prices(
            [price("MPC", "A", "10.00", 5), price("MPC", "A", "99.00", 1), price("VPC", "B", "10.00", 5)]
        )
        await pusher.flush_all()
        sent = {(u.price_list, u.sku): u for batch in platform.api.prices for u in batch}
        assert sent[("MPC", "A")].amount == Decimal("12.20")
        assert sent[("MPC", "A")].gross is True
        assert sent[("MPC", "A")].list_kind is PriceListKind.B2C
        assert sent[("VPC", "B")].amount == Decimal("10.00")
        assert sent[("VPC", "B")].gross is False
        assert sent[("VPC", "B")].list_kind is PriceListKind.B2B
        calls = len(platform.api.prices)
        # the same values again, and a stale one: nothing new is written
        await pusher.accept_prices([price("MPC", "A", "10.00", 6), price("VPC", "B", "50.00", 0)])
        await pusher.flush_all()
        assert len(platform.api.prices) == calls
    finally:
        await close()
