"""Wix Stores Catalog V3: products and inventory items queried by cursor, variants from Get
Product, stock and prices through the bulk updates (with the revisions Wix requires)."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from storelink_connector_kit.errors import ShopNotFound, ShopRejected
from storelink_connector_kit.http import ShopHttp
from storelink_connector_kit.platform import CatalogItem, PriceUpdate, PushOutcome, StockUpdate
from storelink_connector_wix.assumptions import (
    BULK_MAX,
    V1_STALE_CODES,
    V3_GET_PRODUCT_PATH,
    V3_NEXT_CURSOR,
    V3_PRECONDITION_STATUS,
    V3_QUERY_PRODUCTS_PATH,
)
from storelink_connector_wix.catalog import chunks, dig, error_text, quantity, record_bulk_results

GET_PRODUCT_CONCURRENCY = 8
"""Get Product calls in flight at once while reading the catalog (our choice, not Wix's: the
per-site rate limiter still meters every call)."""


def repriced_product(product: Mapping[str, Any], updates: Sequence[PriceUpdate]) -> dict[str, Any]:
    """The V3 update of one product: its id and revision, every variant as Wix gave it with the
    new prices, and its options (variants and options are updated together [V V3_PRODUCTS])."""
    prices = {u.item.variant_id: u.amount for u in updates}
    variants = [dict(v) for v in copy.deepcopy(dig(product, ("variantsInfo", "variants")) or [])]
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


class CatalogV3:
    label = "V3"

    def __init__(self, http: ShopHttp) -> None:
        self.http = http
        self._inventory_revision: dict[str, str] = {}

    async def _query(
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
            next_cursor = dig(data, V3_NEXT_CURSOR)
            if not page or not next_cursor or dig(data, ("pagingMetadata", "hasNext")) is False:
                return found
            cursor = str(next_cursor)

    async def _get_product(self, product_id: str) -> Mapping[str, Any] | None:
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

    async def _get_products(self, product_ids: Sequence[str]) -> dict[str, Mapping[str, Any]]:
        """Get Product for each id, a few at a time (the rate limiter meters them); the ones Wix
        no longer has are left out."""
        found: dict[str, Mapping[str, Any]] = {}
        for chunk in chunks(product_ids, GET_PRODUCT_CONCURRENCY):
            for pid, product in zip(
                chunk, await asyncio.gather(*(self._get_product(p) for p in chunk)), strict=True
            ):
                if product is not None:
                    found[pid] = product
        return found

    async def load(self) -> list[CatalogItem]:
        """Query Products lists the products without their variants [V V3_QUERY]; each product's
        variants come from Get Product [V V3_GET_PRODUCT]; inventory items give the stock ids."""
        listed = await self._query(V3_QUERY_PRODUCTS_PATH, "products")
        inventory = await self._query("/stores/v3/inventory-items/query", "inventoryItems")
        products = await self._get_products([str(p["id"]) for p in listed if p.get("id")])
        by_variant = {str(i.get("variantId")): i for i in inventory}
        items: list[CatalogItem] = []
        for pid, product in products.items():
            for variant in dig(product, ("variantsInfo", "variants")) or []:
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

    async def set_stock(self, updates: Sequence[StockUpdate]) -> PushOutcome:
        outcome = PushOutcome()
        ready: list[StockUpdate] = []
        for u in updates:
            if u.item.ref.get("inventory_id"):
                ready.append(u)
            else:
                outcome.failed[u.sku] = (
                    "this variant has no inventory item in Wix; turn on inventory tracking for it"
                )
        for chunk in chunks(ready, BULK_MAX):
            await self._stock_chunk(chunk, outcome)
        return outcome

    async def _stock_chunk(self, chunk: Sequence[StockUpdate], outcome: PushOutcome) -> None:
        """One bulk update. A 428 refuses the whole request (assumptions.V3_PRECONDITION_STATUS):
        the chunk is split in halves until the refused item(s) stand alone, so the rest is written."""
        body = {
            "inventoryItems": [
                {
                    "inventoryItem": {
                        "id": u.item.ref["inventory_id"],
                        "revision": self._inventory_revision.get(str(u.item.ref["inventory_id"]), "0"),
                        "trackQuantity": True,
                        "quantity": quantity(u.quantity),
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
                await self._stock_chunk(chunk[:half], outcome)
                await self._stock_chunk(chunk[half:], outcome)
                return
            outcome.failed[chunk[0].sku] = f"Wix refused it: {error_text(exc)}"
            outcome.catalog_stale = True  # a stale revision is one precondition: reload, retry once
            return
        record_bulk_results(data, chunk, outcome, self._inventory_revision)

    async def set_prices(self, updates: Sequence[PriceUpdate]) -> PushOutcome:
        """Bulk product update (≤100 products). Each product is re-read with Get Product first
        [V V3_PRODUCTS: "Re-read the product before every variant-level update"]: the variants
        array is replaced whole, so every variant is sent back as Wix has it now, with the new
        prices in it, together with the product's options and current revision."""
        outcome = PushOutcome()
        by_product: dict[str, list[PriceUpdate]] = {}
        for u in updates:
            by_product.setdefault(u.item.product_id, []).append(u)
        for chunk in chunks(list(by_product), BULK_MAX):
            current = await self._get_products(chunk)
            for pid in chunk:
                if pid not in current:
                    outcome.catalog_stale = True
                    outcome.failed.update(
                        {u.sku: f"Wix has no product {pid} any more" for u in by_product[pid]}
                    )
            written = [pid for pid in chunk if pid in current]
            if not written:
                continue
            bodies = [{"product": repriced_product(current[pid], by_product[pid])} for pid in written]
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
                    code = dig(meta, ("error", "code")) or "UNKNOWN"
                    outcome.failed.update({u.sku: f"Wix refused it: {code}" for u in group})
                    if code in V1_STALE_CODES:
                        outcome.catalog_stale = True
        return outcome

    async def probe(self) -> None:
        await self.http.request_json(
            "POST", V3_QUERY_PRODUCTS_PATH, json_body={"query": {"cursorPaging": {"limit": 1}}}
        )
