"""Wix REST calls for one site: eCom orders, Catalog V1 or V3 (detected once, cached), stock and
prices with the bulk endpoints each version has."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

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
    SEARCH_NEXT_CURSOR,
    SEARCH_PAGE_LIMIT,
    V1_DEFAULT_VARIANT,
    V3_NEXT_CURSOR,
)

V1 = "V1_CATALOG"
V3 = "V3_CATALOG"
NOT_INSTALLED = "STORES_NOT_INSTALLED"


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


class WixApi(ShopApi):
    def __init__(self, http: ShopHttp, *, site_id: str) -> None:
        self.http = http
        self.site_id = site_id
        self._version: str | None = None
        self._product_revision: dict[str, str] = {}
        self._product_variants: dict[str, list[dict[str, Any]]] = {}
        self._inventory_revision: dict[str, str] = {}

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
        return OrderPage(orders=orders, next_cursor=str(next_cursor) if next_cursor else None)

    async def fetch_order(self, external_id: str) -> Mapping[str, Any] | None:
        try:
            data = await self.http.request_json("GET", f"/ecom/v1/orders/{external_id}")
        except ShopNotFound:
            return None
        order = data.get("order")
        return order if isinstance(order, Mapping) else None

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

    async def _load_v3(self) -> list[CatalogItem]:
        products = await self._query_v3("/stores/v3/products/query", "products", {"fields": ["VARIANT_INFO"]})
        inventory = await self._query_v3("/stores/v3/inventory-items/query", "inventoryItems")
        by_variant = {str(i.get("variantId")): i for i in inventory}
        items: list[CatalogItem] = []
        for product in products:
            pid = str(product["id"])
            self._product_revision[pid] = str(product.get("revision"))
            variants = [dict(v) for v in _path(product, ("variantsInfo", "variants")) or []]
            self._product_variants[pid] = variants
            for variant in variants:
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
            data = await self.http.request_json(
                "POST", "/stores/v3/bulk/inventory-items/update", json_body=body
            )
            self._bulk_results(data, chunk, outcome, self._inventory_revision)
        return outcome

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
                if code in ("REVISION_MISMATCH", "NOT_FOUND", "ITEM_NOT_FOUND"):
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
        """Bulk product update (≤100 products) with each product's revision; the variants array is
        replaced whole, so every variant is sent back as Wix gave it, with the new prices in it."""
        outcome = PushOutcome()
        by_product: dict[str, list[PriceUpdate]] = {}
        for u in updates:
            by_product.setdefault(u.item.product_id, []).append(u)
        products = list(by_product)
        for chunk in _chunks(products, BULK_MAX):
            bodies = []
            for pid in chunk:
                variants = copy.deepcopy(self._product_variants.get(pid, []))
                prices = {u.item.variant_id: u.amount for u in by_product[pid]}
                for variant in variants:
                    if variant.get("id") in prices:
                        price = variant.setdefault("price", {})
                        price["actualPrice"] = {
                            **(price.get("actualPrice") or {}),
                            "amount": format(prices[variant["id"]], "f"),
                        }
                bodies.append(
                    {
                        "product": {
                            "id": pid,
                            "revision": self._product_revision.get(pid, "0"),
                            "variantsInfo": {"variants": variants},
                        }
                    }
                )
            data = await self.http.request_json(
                "POST",
                "/stores/v3/bulk/products/update",
                json_body={"products": bodies, "returnEntity": True},
            )
            results = data.get("results") or []
            for index, pid in enumerate(chunk):
                result = (
                    results[index] if index < len(results) and isinstance(results[index], Mapping) else {}
                )
                meta = result.get("itemMetadata") or {}
                group = by_product[pid]
                if meta.get("success") is True:
                    outcome.written += [u.sku for u in group]
                    item = result.get("item")
                    if isinstance(item, Mapping):
                        self._product_revision[pid] = str(item.get("revision"))
                        new_variants = _path(item, ("variantsInfo", "variants"))
                        if isinstance(new_variants, list):
                            self._product_variants[pid] = [dict(v) for v in new_variants]
                else:
                    code = _path(meta, ("error", "code")) or "UNKNOWN"
                    outcome.failed.update({u.sku: f"Wix refused it: {code}" for u in group})
                    if code in ("REVISION_MISMATCH", "NOT_FOUND", "ITEM_NOT_FOUND"):
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
            path = "/stores/v3/products/query" if version == V3 else "/stores/v1/products/query"
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
