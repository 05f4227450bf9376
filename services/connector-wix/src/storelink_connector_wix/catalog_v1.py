"""Wix Stores Catalog V1: products queried by offset, stock per product (PATCH), prices in bulk
where one price is shared, per product for managed variants."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from storelink_connector_kit.errors import ShopNotFound, ShopRejected
from storelink_connector_kit.http import ShopHttp
from storelink_connector_kit.platform import CatalogItem, PriceUpdate, PushOutcome, StockUpdate
from storelink_connector_wix.assumptions import BULK_MAX, V1_DEFAULT_VARIANT
from storelink_connector_wix.catalog import chunks, dig, quantity, record_bulk_results


class CatalogV1:
    label = "V1"

    def __init__(self, http: ShopHttp) -> None:
        self.http = http

    async def load(self) -> list[CatalogItem]:
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
                            sku=str(dig(variant, ("variant", "sku")) or ""),
                            product_id=pid,
                            variant_id=str(variant.get("id")),
                            ref={"managed": True},
                        )
                    )
            offset += len(products)
            total = data.get("totalResults")
            if not products or (isinstance(total, int) and offset >= total):
                return items

    async def set_stock(self, updates: Sequence[StockUpdate]) -> PushOutcome:
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
                            "quantity": quantity(u.quantity),
                        }
                        for u in group
                    ],
                }
            }
            await self._patch_product(f"/stores/v2/inventoryItems/product/{pid}", body, group, outcome)
        return outcome

    async def set_prices(self, updates: Sequence[PriceUpdate]) -> PushOutcome:
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
            for chunk in chunks(group, BULK_MAX):
                body = {"ids": [u.item.product_id for u in chunk], "set": {"price": amount}}
                data = await self.http.request_json("POST", "/stores/v1/bulk/products/update", json_body=body)
                record_bulk_results(data, chunk, outcome, {})
        for pid, group in by_product.items():
            body = {"variants": [{"variantIds": [u.item.variant_id], "price": u.amount} for u in group]}
            await self._patch_product(f"/stores/v1/products/{pid}/variants", body, group, outcome)
        return outcome

    async def _patch_product(
        self,
        path: str,
        body: Mapping[str, Any],
        group: Sequence[StockUpdate | PriceUpdate],
        outcome: PushOutcome,
    ) -> None:
        """One product's PATCH: its skus are written, or refused with why (a product Wix no longer
        has means the catalog is stale); the other products go on either way."""
        try:
            await self.http.request_json("PATCH", path, json_body=body)
        except (ShopNotFound, ShopRejected) as exc:
            outcome.catalog_stale = outcome.catalog_stale or isinstance(exc, ShopNotFound)
            outcome.failed.update({u.sku: str(exc) for u in group})
            return
        outcome.written += [u.sku for u in group]

    async def probe(self) -> None:
        await self.http.request_json(
            "POST", "/stores/v1/products/query", json_body={"query": {"paging": {"limit": 1}}}
        )
