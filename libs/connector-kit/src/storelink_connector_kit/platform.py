"""What a platform module implements; everything else (schedules, watermarks, dedup, webhooks,
coalescing, rate limits, retries, publishing) is the kit's.

A platform is two halves: pure functions on JSON (map an order, read a webhook) that the CLI and
tests call without a network, and an API object bound to one connection's credentials.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from storelink_contracts import OrderReceived, Platform, PriceListKind
from storelink_kit.verdicts import ConnectionVerdict

if TYPE_CHECKING:  # the pure half (mapping, webhooks) loads without the HTTP client
    from storelink_connector_kit.breaker import BreakerReport
    from storelink_connector_kit.http import HttpPolicy, ShopHttp


@dataclass(frozen=True, slots=True)
class OrderContext:
    """Who an order belongs to: what the pure mapping needs beyond the shop's JSON."""

    tenant_id: str
    connection_id: str
    options: Mapping[str, str] = field(default_factory=dict)
    """Platform-specific connection settings the mapping reads (`ShopApi.order_options`)."""


@dataclass(frozen=True, slots=True)
class OrderPage:
    """One page of full shop orders (raw JSON) and the cursor of the next page, if any."""

    orders: Sequence[Mapping[str, Any]]
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class Doorbell:
    """What a webhook says changed. Orders are then fetched through the API (never trusted)."""

    order_ids: Sequence[str] = ()
    order_numbers: Sequence[str] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class CatalogItem:
    """One sellable thing in the shop, addressed by the ERP's sku.

    `ref` is whatever the platform needs to write it (inventory item id, revision, the whole
    variant JSON, ...); the kit never looks inside.
    """

    sku: str
    product_id: str
    variant_id: str | None = None
    ref: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StockUpdate:
    sku: str
    quantity: Decimal
    item: CatalogItem


@dataclass(frozen=True, slots=True)
class PriceUpdate:
    """A price for one sku, already gross or net as the connection's price list setting wants.

    `price_list` / `list_kind` say which ERP list it came from, for platforms that keep B2C and
    B2B prices in different fields.
    """

    sku: str
    amount: Decimal
    gross: bool
    currency: str
    item: CatalogItem
    price_list: str = ""
    list_kind: PriceListKind | None = None


@dataclass(slots=True)
class PushOutcome:
    """What a bulk write achieved: skus written, skus the shop refused (with why)."""

    written: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    catalog_stale: bool = False


class MappingProblem(ValueError):
    """A shop order the canonical model cannot hold as it is; becomes OrderNeedsAttention."""


class ShopApi(ABC):
    """The API half: bound to one connection's credentials and its ShopHttp client."""

    @abstractmethod
    async def list_orders(self, updated_since: datetime, cursor: str | None) -> OrderPage:
        """Orders updated at or after `updated_since`, oldest first, one page per call."""

    @abstractmethod
    async def fetch_order(self, external_id: str) -> Mapping[str, Any] | None:
        """One order by the shop's id; None when the shop does not know it."""

    @property
    def order_options(self) -> Mapping[str, str]:
        """Connection settings the pure order mapping needs (e.g. which checkout field holds a VAT id)."""
        return {}

    async def find_order_ids_by_number(self, number: str) -> list[str]:
        """Resolve an order number to ids (for doorbells that only carry a number)."""
        return []

    @abstractmethod
    async def load_catalog(self) -> list[CatalogItem]:
        """Every sellable item with its sku, for the sku → shop id mapping."""

    @abstractmethod
    async def set_stock(self, updates: Sequence[StockUpdate]) -> PushOutcome:
        """Absolute quantities, with the platform's bulk endpoints where it has them."""

    @abstractmethod
    async def set_prices(self, updates: Sequence[PriceUpdate]) -> PushOutcome:
        """Prices (already gross or net as the connection wants), bulk where possible."""

    @abstractmethod
    async def test_connection(self) -> ConnectionVerdict:
        """One verdict and a sentence a shop owner understands."""

    @abstractmethod
    async def aclose(self) -> None: ...


class ShopPlatform(ABC):
    """A platform module: pure JSON functions plus a factory for the API half."""

    platform: ClassVar[Platform]
    signed_webhooks: ClassVar[bool] = False
    rate_per_minute: ClassVar[int]
    """The calls a connection may make per minute: the shop's documented (or assumed) budget."""

    @abstractmethod
    def map_order(self, raw: Mapping[str, Any], ctx: OrderContext) -> OrderReceived | None:
        """Shop order JSON → canonical order (pure). None = not an order to import (yet).

        Raises MappingProblem when the order cannot be represented.
        """

    @abstractmethod
    def parse_webhook(self, body: Any) -> Doorbell:
        """A decoded webhook body → which orders changed (pure). Raises WebhookRejected."""

    def verify_signature(self, headers: Mapping[str, str], raw_body: bytes, secret: str | None) -> None:
        """Raise WebhookRejected(status=401) when a signed platform's signature is wrong.

        Platforms that do not sign (Wix Automations) rely on the URL token alone.
        """
        return None

    @abstractmethod
    def parse_credentials(self, credentials: Mapping[str, Any]) -> Mapping[str, str]:
        """Validate and normalise credentials as a person typed them; ValueError with a clear text."""

    @abstractmethod
    def api_base_url(self, credentials: Mapping[str, str], base_url: str | None) -> str:
        """Where one connection's API is; `base_url` replaces the public host (a simulator)."""

    @abstractmethod
    def auth_headers(self, credentials: Mapping[str, str]) -> dict[str, str]:
        """The headers that authenticate every call of one connection."""

    @abstractmethod
    def make_api(self, http: ShopHttp, credentials: Mapping[str, str]) -> ShopApi:
        """The platform's `ShopApi` over the connection's one HTTP layer."""

    def connect(
        self,
        credentials: Mapping[str, str],
        *,
        connection_id: str,
        policy: HttpPolicy | None = None,
        base_url: str | None = None,
        on_breaker_change: Callable[[BreakerReport], None] | None = None,
    ) -> ShopApi:
        """The API half for one connection, paced to the platform's `rate_per_minute` unless `policy`
        says otherwise."""
        from storelink_connector_kit.http import HttpPolicy, ShopHttp  # the pure half stays light

        http = ShopHttp(
            self.api_base_url(credentials, base_url),
            self.auth_headers(credentials),
            connection_id=connection_id,
            policy=policy or HttpPolicy(rate_per_minute=self.rate_per_minute),
            on_breaker_change=on_breaker_change,
            platform=self.platform.value,
        )
        return self.make_api(http, credentials)
