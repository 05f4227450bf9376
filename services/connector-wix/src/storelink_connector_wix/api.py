"""Wix REST calls for one site: eCom orders, Catalog V1 or V3 (detected once, cached), stock and
prices with the bulk endpoints each version has."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from storelink_connector_kit.errors import (
    ShopAuthError,
    ShopError,
    ShopForbidden,
    ShopNotFound,
    ShopRateLimited,
    ShopRejected,
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
from storelink_connector_kit.verdicts import ConnectionVerdict, Verdict
from storelink_connector_wix.assumptions import (
    BULK_MAX,
    MONEY_MOVED,
    ORDER_TRANSACTIONS_KEY,
    SEARCH_NEXT_CURSOR,
    SEARCH_PAGE_LIMIT,
    SKIPPED_ORDER_STATUSES,
    TRANSACTIONS_MAX_IDS,
    TRANSACTIONS_PATH,
    V1_DEFAULT_VARIANT,
    V1_STALE_CODES,
    V3_GET_PRODUCT_PATH,
    V3_NEXT_CURSOR,
    V3_PRECONDITION_STATUS,
    V3_QUERY_PRODUCTS_PATH,
)

V1 = "V1_CATALOG"
V3 = "V3_CATALOG"
NOT_INSTALLED = "STORES_NOT_INSTALLED"
V3_GET_PRODUCT_CONCURRENCY = 8
"""Get Product calls in flight at once while reading the catalog (our choice, not Wix's: the
per-site rate limiter still meters every call)."""


def _path(data: Any, path: Sequence[str]) -> Any:
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _quantity(value: Decimal) -> int:
    return max(0, int(value))


def _error_text(exc: ShopError) -> str:
    """Wix's own code and description from a documented error body, else the error itself."""
    try:
        error = json.loads(exc.body).get("details", {}).get("applicationError", {})
    except (ValueError, AttributeError):
        error = {}
    if isinstance(error, Mapping) and error.get("code"):
        return f"HTTP {exc.status} {error['code']}: {error.get('description') or ''}".strip()
    return str(exc)


def _wants_payments(order: Mapping[str, Any]) -> bool:
    """Orders whose money moved: their payment method decides fiscal verification."""
    return order.get("paymentStatus") in MONEY_MOVED and order.get("status") not in SKIPPED_ORDER_STATUSES


def _repriced_product(product: Mapping[str, Any], updates: Sequence[PriceUpdate]) -> dict[str, Any]:
    """The V3 update of one product: its id and revision, every variant as Wix gave it with the
    new prices, and its options (variants and options are updated together [V V3_PRODUCTS])."""
    prices = {u.item.variant_id: u.amount for u in updates}
    variants = [dict(v) for v in copy.deepcopy(_path(product, ("variantsInfo", "variants")) or [])]
    for variant in variants:
        if variant.get("id") in prices:
            price = variant.setdefault("price", {})
            price["actualPrice"] = {
                **(price.get("actualPrice") or {}),
                "amount": format(prices[variant["id"]], "f"),
            }
    repriced: dict[str, Any] = {
        "id": product.get("id"),
        "revision": str(product.get("revision") or ""),
        "variantsInfo": {"variants": variants},
    }
    options = product.get("options")
    if isinstance(options, list):
        repriced["options"] = copy.deepcopy(options)
    return repriced


class WixApi(ShopApi):
    def __init__(self, http: ShopHttp, *, site_id: str, buyer_vat_id_field: str | None = None) -> None:
        self.http = http
        self.site_id = site_id
        self._options = {} if buyer_vat_id_field is None else {"buyer_vat_id_field": buyer_vat_id_field}
        self._version: str | None = None
        self._inventory_revision: dict[str, str] = {}

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
        has_next = _path(data, ("metadata", "hasNext"))
        next_cursor = _path(data, SEARCH_NEXT_CURSOR)
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
        for chunk in _chunks(ids, TRANSACTIONS_MAX_IDS):
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

    async def load_catalog(self) -> list[CatalogItem]:
        version = await self.catalog_version()
        if version == V3:
            return await self._load_v3()
        if version == V1:
            return await self._load_v1()
        raise ShopNotFound("Wix Stores is not installed on this site", status=404)

    async def _load_v1(self) -> list[CatalogItem]:
        items: list[CatalogItem] = []
        offset = 0
        while True:
            body = {"query": {"paging": {"limit": BULK_MAX, "offset": offset}}, "includeVariants": True}
            data = await self.http.request_json("POST", "/stores/v1/products/query", json_body=body)
            products = [p for p in data.get("products") or [] if isinstance(p, Mapping)]
            for product in products:
                pid = str(product["id"])
                managed = bool(product.get("manageVariants"))
                if not managed:
                    items.append(
                        CatalogItem(
                            sku=str(product.get("sku") or ""),
                            product_id=pid,
                            variant_id=V1_DEFAULT_VARIANT,
                            ref={"managed": False},
                        )
                    )
                    continue
                for variant in product.get("variants") or []:
                    items.append(
                        CatalogItem(
                            sku=str(_path(variant, ("variant", "sku")) or ""),
                            product_id=pid,
                            variant_id=str(variant.get("id")),
                            ref={"managed": True},
                        )
                    )
            offset += len(products)
            total = data.get("totalResults")
            if not products or (isinstance(total, int) and offset >= total):
                return items

    async def _query_v3(
        self, path: str, key: str, extra: Mapping[str, Any] | None = None
    ) -> list[Mapping[str, Any]]:
        found: list[Mapping[str, Any]] = []
        cursor: str | None = None
        while True:
            paging: dict[str, Any] = {"limit": BULK_MAX}
            if cursor:
                paging["cursor"] = cursor
                body: dict[str, Any] = {"query": {"cursorPaging": paging}}
            else:
                body = {"query": {"cursorPaging": paging}, **(extra or {})}
            data = await self.http.request_json("POST", path, json_body=body)
            page = [x for x in data.get(key) or [] if isinstance(x, Mapping)]
            found += page
            next_cursor = _path(data, V3_NEXT_CURSOR)
            if not page or not next_cursor or _path(data, ("pagingMetadata", "hasNext")) is False:
                return found
            cursor = str(next_cursor)

    async def _get_product_v3(self, product_id: str) -> Mapping[str, Any] | None:
        """[V V3_GET_PRODUCT] the product with its variants and current revision; None when Wix no
        longer has it."""
        try:
            data = await self.http.request_json(
                "GET", V3_GET_PRODUCT_PATH.format(id=quote(product_id, safe=""))
            )
        except ShopNotFound:
            return None
        product = data.get("product")
        return product if isinstance(product, Mapping) else None

    async def _get_products_v3(self, product_ids: Sequence[str]) -> dict[str, Mapping[str, Any]]:
        """Get Product for each id, a few at a time (the rate limiter meters them); the ones Wix
        no longer has are left out."""
        found: dict[str, Mapping[str, Any]] = {}
        for chunk in _chunks(product_ids, V3_GET_PRODUCT_CONCURRENCY):
            for pid, product in zip(
                chunk, await asyncio.gather(*(self._get_product_v3(p) for p in chunk)), strict=True
            ):
                if product is not None:
                    found[pid] = product
        return found

    async def _load_v3(self) -> list[CatalogItem]:
        """Query Products lists the products without their variants [V V3_QUERY]; each product's
        variants come from Get Product [V V3_GET_PRODUCT]; inventory items give the stock ids."""
        listed = await self._query_v3(V3_QUERY_PRODUCTS_PATH, "products")
        inventory = await self._query_v3("/stores/v3/inventory-items/query", "inventoryItems")
        products = await self._get_products_v3([str(p["id"]) for p in listed if p.get("id")])
        by_variant = {str(i.get("variantId")): i for i in inventory}
        items: list[CatalogItem] = []
        for pid, product in products.items():
            for variant in _path(product, ("variantsInfo", "variants")) or []:
                if not isinstance(variant, Mapping):
                    continue
                vid = str(variant.get("id"))
                inv = by_variant.get(vid)
                if inv is not None:
                    self._inventory_revision[str(inv["id"])] = str(inv.get("revision"))
                items.append(
                    CatalogItem(
                        sku=str(variant.get("sku") or ""),
                        product_id=pid,
                        variant_id=vid,
                        ref={"inventory_id": str(inv["id"]) if inv is not None else None},
                    )
                )
        return items

    # ------------------------------------------------------------------ stock

    async def set_stock(self, updates: Sequence[StockUpdate]) -> PushOutcome:
        if await self.catalog_version() == V3:
            return await self._stock_v3(updates)
        return await self._stock_v1(updates)

    async def _stock_v1(self, updates: Sequence[StockUpdate]) -> PushOutcome:
        """V1 has no bulk absolute set: one PATCH per product, all its variants at once."""
        outcome = PushOutcome()
        by_product: dict[str, list[StockUpdate]] = {}
        for u in updates:
            by_product.setdefault(u.item.product_id, []).append(u)
        for pid, group in by_product.items():
            body = {
                "inventoryItem": {
                    "trackQuantity": True,
                    "variants": [
                        {
                            "variantId": u.item.variant_id or V1_DEFAULT_VARIANT,
                            "quantity": _quantity(u.quantity),
                        }
                        for u in group
                    ],
                }
            }
            try:
                await self.http.request_json(
                    "PATCH", f"/stores/v2/inventoryItems/product/{pid}", json_body=body
                )
            except (ShopNotFound, ShopRejected) as exc:
                outcome.catalog_stale = outcome.catalog_stale or isinstance(exc, ShopNotFound)
                outcome.failed.update({u.sku: str(exc) for u in group})
                continue
            outcome.written += [u.sku for u in group]
        return outcome

    async def _stock_v3(self, updates: Sequence[StockUpdate]) -> PushOutcome:
        outcome = PushOutcome()
        ready: list[StockUpdate] = []
        for u in updates:
            if u.item.ref.get("inventory_id"):
                ready.append(u)
            else:
                outcome.failed[u.sku] = (
                    "this variant has no inventory item in Wix; turn on inventory tracking for it"
                )
        for chunk in _chunks(ready, BULK_MAX):
            await self._stock_v3_chunk(chunk, outcome)
        return outcome

    async def _stock_v3_chunk(self, chunk: Sequence[StockUpdate], outcome: PushOutcome) -> None:
        """One bulk update. A 428 refuses the whole request (assumptions.V3_PRECONDITION_STATUS):
        the chunk is split in halves until the refused item(s) stand alone, so the rest is written."""
        body = {
            "inventoryItems": [
                {
                    "inventoryItem": {
                        "id": u.item.ref["inventory_id"],
                        "revision": self._inventory_revision.get(str(u.item.ref["inventory_id"]), "0"),
                        "trackQuantity": True,
                        "quantity": _quantity(u.quantity),
                    }
                }
                for u in chunk
            ],
            "returnEntity": True,
            "reason": "MANUAL",
        }
        try:
            data = await self.http.request_json(
                "POST", "/stores/v3/bulk/inventory-items/update", json_body=body
            )
        except ShopRejected as exc:
            if exc.status != V3_PRECONDITION_STATUS:
                raise
            if len(chunk) > 1:
                half = len(chunk) // 2
                await self._stock_v3_chunk(chunk[:half], outcome)
                await self._stock_v3_chunk(chunk[half:], outcome)
                return
            outcome.failed[chunk[0].sku] = f"Wix refused it: {_error_text(exc)}"
            outcome.catalog_stale = True  # a stale revision is one precondition: reload, retry once
            return
        self._bulk_results(data, chunk, outcome, self._inventory_revision)

    @staticmethod
    def _bulk_results(
        data: Mapping[str, Any],
        chunk: Sequence[StockUpdate | PriceUpdate],
        outcome: PushOutcome,
        revisions: dict[str, str],
    ) -> None:
        results = data.get("results") or []
        for index, u in enumerate(chunk):
            result = results[index] if index < len(results) and isinstance(results[index], Mapping) else {}
            meta = result.get("itemMetadata") or {}
            if meta.get("success") is True:
                outcome.written.append(u.sku)
                item = result.get("item")
                if isinstance(item, Mapping) and item.get("id"):
                    revisions[str(item["id"])] = str(item.get("revision"))
            else:
                code = _path(meta, ("error", "code")) or "UNKNOWN"
                outcome.failed[u.sku] = (
                    f"Wix refused it: {code} {_path(meta, ('error', 'description')) or ''}".strip()
                )
                if code in V1_STALE_CODES:
                    outcome.catalog_stale = True

    # ------------------------------------------------------------------ prices

    async def set_prices(self, updates: Sequence[PriceUpdate]) -> PushOutcome:
        if await self.catalog_version() == V3:
            return await self._prices_v3(updates)
        return await self._prices_v1(updates)

    async def _prices_v1(self, updates: Sequence[PriceUpdate]) -> PushOutcome:
        """Unmanaged products: bulk set (≤100 ids sharing one price). Managed variants: one
        PATCH per product (V1 has no bulk per-variant price)."""
        outcome = PushOutcome()
        by_price: dict[Decimal, list[PriceUpdate]] = {}
        by_product: dict[str, list[PriceUpdate]] = {}
        for u in updates:
            if u.item.ref.get("managed"):
                by_product.setdefault(u.item.product_id, []).append(u)
            else:
                by_price.setdefault(u.amount, []).append(u)
        for amount, group in by_price.items():
            for chunk in _chunks(group, BULK_MAX):
                body = {"ids": [u.item.product_id for u in chunk], "set": {"price": amount}}
                data = await self.http.request_json("POST", "/stores/v1/bulk/products/update", json_body=body)
                self._bulk_results(data, chunk, outcome, {})
        for pid, group in by_product.items():
            body = {"variants": [{"variantIds": [u.item.variant_id], "price": u.amount} for u in group]}
            try:
                await self.http.request_json("PATCH", f"/stores/v1/products/{pid}/variants", json_body=body)
            except (ShopNotFound, ShopRejected) as exc:
                outcome.catalog_stale = outcome.catalog_stale or isinstance(exc, ShopNotFound)
                outcome.failed.update({u.sku: str(exc) for u in group})
                continue
            outcome.written += [u.sku for u in group]
        return outcome

    async def _prices_v3(self, updates: Sequence[PriceUpdate]) -> PushOutcome:
        """Bulk product update (≤100 products). Each product is re-read with Get Product first
        [V V3_PRODUCTS: "Re-read the product before every variant-level update"]: the variants
        array is replaced whole, so every variant is sent back as Wix has it now, with the new
        prices in it, together with the product's options and current revision."""
        outcome = PushOutcome()
        by_product: dict[str, list[PriceUpdate]] = {}
        for u in updates:
            by_product.setdefault(u.item.product_id, []).append(u)
        for chunk in _chunks(list(by_product), BULK_MAX):
            current = await self._get_products_v3(chunk)
            for pid in chunk:
                if pid not in current:
                    outcome.catalog_stale = True
                    outcome.failed.update(
                        {u.sku: f"Wix has no product {pid} any more" for u in by_product[pid]}
                    )
            written = [pid for pid in chunk if pid in current]
            if not written:
                continue
            bodies = [{"product": _repriced_product(current[pid], by_product[pid])} for pid in written]
            data = await self.http.request_json(
                "POST", "/stores/v3/bulk/products/update", json_body={"products": bodies}
            )
            results = data.get("results") or []
            for index, pid in enumerate(written):
                result = (
                    results[index] if index < len(results) and isinstance(results[index], Mapping) else {}
                )
                meta = result.get("itemMetadata") or {}
                group = by_product[pid]
                if meta.get("success") is True:
                    outcome.written += [u.sku for u in group]
                else:
                    code = _path(meta, ("error", "code")) or "UNKNOWN"
                    outcome.failed.update({u.sku: f"Wix refused it: {code}" for u in group})
                    if code in V1_STALE_CODES:
                        outcome.catalog_stale = True
        return outcome

    # ------------------------------------------------------------------ test connection

    async def test_connection(self) -> ConnectionVerdict:
        try:
            version = await self.catalog_version()
        except ShopAuthError:
            return ConnectionVerdict(
                Verdict.BAD_KEY,
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
                Verdict.WRONG_SHOP,
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
        try:
            path = V3_QUERY_PRODUCTS_PATH if version == V3 else "/stores/v1/products/query"
            body = (
                {"query": {"cursorPaging": {"limit": 1}}}
                if version == V3
                else {"query": {"paging": {"limit": 1}}}
            )
            await self.http.request_json("POST", path, json_body=body)
        except ShopForbidden:
            return self._missing_permission("read products")
        except ShopError as exc:
            return self._transport(exc)
        label = "V3" if version == V3 else "V1"
        return ConnectionVerdict(
            Verdict.OK,
            f"Connected to Wix site {self.site_id} (catalog {label}): orders and products can be read.",
        )

    def _wrong_site(self) -> ConnectionVerdict:
        return ConnectionVerdict(
            Verdict.WRONG_SHOP,
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
