"""Wix REST calls for one site: eCom orders and Test connection here; the catalog (products, stock,
prices) in `catalog_v1.py` or `catalog_v3.py`, whichever version the site runs (asked once, cached)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from storelink_connector_kit.errors import (
    ShopAuthError,
    ShopError,
    ShopForbidden,
    ShopNotFound,
    ShopRateLimited,
    ShopUnavailable,
)
from storelink_connector_kit.http import ShopHttp
from storelink_connector_kit.platform import (
    CatalogItem,
    OrderPage,
    PriceUpdate,
    PushOutcome,
    ShopApi,
    StockUpdate,
)
from storelink_connector_wix.assumptions import (
    MONEY_MOVED,
    ORDER_TRANSACTIONS_KEY,
    SEARCH_NEXT_CURSOR,
    SEARCH_PAGE_LIMIT,
    SKIPPED_ORDER_STATUSES,
    TRANSACTIONS_MAX_IDS,
    TRANSACTIONS_PATH,
)
from storelink_connector_wix.catalog import WixCatalog, chunks, dig
from storelink_connector_wix.catalog_v1 import CatalogV1
from storelink_connector_wix.catalog_v3 import CatalogV3
from storelink_kit.verdicts import ConnectionVerdict, Verdict

V1 = "V1_CATALOG"
V3 = "V3_CATALOG"
NOT_INSTALLED = "STORES_NOT_INSTALLED"


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _wants_payments(order: Mapping[str, Any]) -> bool:
    """Orders whose money moved: their payment method decides fiscal verification."""
    return order.get("paymentStatus") in MONEY_MOVED and order.get("status") not in SKIPPED_ORDER_STATUSES


class WixApi(ShopApi):
    def __init__(self, http: ShopHttp, *, site_id: str, buyer_vat_id_field: str | None = None) -> None:
        self.http = http
        self.site_id = site_id
        self._options = {} if buyer_vat_id_field is None else {"buyer_vat_id_field": buyer_vat_id_field}
        self._version: str | None = None
        self._catalog_api: WixCatalog | None = None

    @property
    def order_options(self) -> Mapping[str, str]:
        return self._options

    async def aclose(self) -> None:
        await self.http.aclose()

    # ------------------------------------------------------------------ orders

    async def list_orders(self, updated_since: datetime, cursor: str | None) -> OrderPage:
        if cursor:
            search: dict[str, Any] = {"cursorPaging": {"limit": SEARCH_PAGE_LIMIT, "cursor": cursor}}
        else:
            search = {
                "filter": {"updatedDate": {"$gte": _iso(updated_since)}},
                "sort": [{"fieldName": "updatedDate", "order": "ASC"}],
                "cursorPaging": {"limit": SEARCH_PAGE_LIMIT},
            }
        data = await self.http.request_json("POST", "/ecom/v1/orders/search", json_body={"search": search})
        orders = [o for o in data.get("orders") or [] if isinstance(o, Mapping)]
        has_next = dig(data, ("metadata", "hasNext"))
        next_cursor = dig(data, SEARCH_NEXT_CURSOR)
        if has_next is False or not orders:
            next_cursor = None
        return OrderPage(
            orders=await self._with_payments(orders), next_cursor=str(next_cursor) if next_cursor else None
        )

    async def fetch_order(self, external_id: str) -> Mapping[str, Any] | None:
        if external_id in ("", ".", ".."):
            return None  # not an order id, and as a path segment it would climb the path
        # whatever it holds (an operator typed it), the id is one path segment: never a path, a query
        # or a character the HTTP client refuses
        segment = quote(external_id, safe="")
        try:
            data = await self.http.request_json("GET", f"/ecom/v1/orders/{segment}")
        except ShopNotFound:
            return None
        order = data.get("order")
        if not isinstance(order, Mapping):
            return None
        return (await self._with_payments([order]))[0]

    async def _with_payments(self, orders: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """Each paid order with its documented `OrderTransactions` attached (assumptions:
        TRANSACTIONS_PATH): one List Transactions call per page, through the same rate limit.
        A failure here fails the page, so the poll retries it instead of importing a paid order
        without its payment method."""
        ids = [str(o["id"]) for o in orders if o.get("id") and _wants_payments(o)]
        if not ids:
            return orders
        found: dict[str, Mapping[str, Any]] = {}
        for chunk in chunks(ids, TRANSACTIONS_MAX_IDS):
            data = await self.http.request_json(
                "POST", TRANSACTIONS_PATH, json_body={"orderIds": list(chunk)}
            )
            for tx in data.get("orderTransactions") or []:
                if isinstance(tx, Mapping) and tx.get("orderId"):
                    found[str(tx["orderId"])] = tx
        return [
            {**o, ORDER_TRANSACTIONS_KEY: found[str(o["id"])]} if str(o.get("id")) in found else o
            for o in orders
        ]

    async def find_order_ids_by_number(self, number: str) -> list[str]:
        body = {"search": {"filter": {"number": {"$eq": number}}, "cursorPaging": {"limit": 10}}}
        data = await self.http.request_json("POST", "/ecom/v1/orders/search", json_body=body)
        return [str(o["id"]) for o in data.get("orders") or [] if isinstance(o, Mapping) and o.get("id")]

    # ------------------------------------------------------------------ catalog

    async def catalog_version(self) -> str:
        if self._version is None:
            data = await self.http.request_json("GET", "/stores/v3/provision/version")
            self._version = str(data.get("catalogVersion") or NOT_INSTALLED)
        return self._version

    async def _catalog(self) -> WixCatalog:
        """The site's catalog, in the version it runs (asked once; V1 unless Wix says V3)."""
        version = await self.catalog_version()
        wanted = CatalogV3 if version == V3 else CatalogV1
        if not isinstance(self._catalog_api, wanted):
            self._catalog_api = wanted(self.http)
        return self._catalog_api

    async def load_catalog(self) -> list[CatalogItem]:
        if await self.catalog_version() not in (V1, V3):
            raise ShopNotFound("Wix Stores is not installed on this site", status=404)
        return await (await self._catalog()).load()

    async def set_stock(self, updates: Sequence[StockUpdate]) -> PushOutcome:
        return await (await self._catalog()).set_stock(updates)

    async def set_prices(self, updates: Sequence[PriceUpdate]) -> PushOutcome:
        return await (await self._catalog()).set_prices(updates)

    # ------------------------------------------------------------------ test connection

    async def test_connection(self) -> ConnectionVerdict:
        try:
            version = await self.catalog_version()
        except ShopAuthError:
            return ConnectionVerdict(
                Verdict.WRONG_SECRET,
                "Wix refused the API key. Copy the whole key again from the API Keys Manager "
                "(https://manage.wix.com/account/api-keys).",
            )
        except ShopNotFound:
            return self._wrong_site()
        except ShopForbidden as exc:
            if "site" in exc.body.lower():
                return self._wrong_site()
            return self._missing_permission("read the store's catalog version")
        except ShopError as exc:
            return self._transport(exc)
        if version == NOT_INSTALLED:
            return ConnectionVerdict(
                Verdict.WRONG_ACCOUNT,
                f"Wix Stores is not installed on site {self.site_id}: is this the shop's site?",
            )
        try:
            await self.http.request_json(
                "POST", "/ecom/v1/orders/search", json_body={"search": {"cursorPaging": {"limit": 1}}}
            )
        except ShopForbidden:
            return self._missing_permission("read orders")
        except ShopError as exc:
            return self._transport(exc)
        catalog = await self._catalog()
        try:
            await catalog.probe()
        except ShopForbidden:
            return self._missing_permission("read products")
        except ShopError as exc:
            return self._transport(exc)
        return ConnectionVerdict(
            Verdict.OK,
            f"Connected to Wix site {self.site_id} (catalog {catalog.label}): "
            "orders and products can be read.",
        )

    def _wrong_site(self) -> ConnectionVerdict:
        return ConnectionVerdict(
            Verdict.WRONG_ACCOUNT,
            f"Wix does not know site {self.site_id} for this key's account. Check the Site ID (the id after "
            "/dashboard/ in the dashboard address) and that the key was made in the account that owns "
            "the site.",
        )

    @staticmethod
    def _missing_permission(what: str) -> ConnectionVerdict:
        return ConnectionVerdict(
            Verdict.MISSING_PERMISSION,
            f"The API key may not {what}. Edit the key in the API Keys Manager and tick the Wix Stores "
            "and eCommerce permissions (All site permissions → Wix Stores).",
        )

    @staticmethod
    def _transport(exc: ShopError) -> ConnectionVerdict:
        if isinstance(exc, ShopRateLimited):
            return ConnectionVerdict(
                Verdict.RATE_LIMITED,
                "Wix is rate limiting this site right now (200 calls a minute); try again shortly.",
            )
        if isinstance(exc, ShopUnavailable):
            return ConnectionVerdict(Verdict.UNREACHABLE, f"Wix could not be reached: {exc}")
        return ConnectionVerdict(exc.verdict, str(exc))
