"""The simulator's HTTP face: the Wix endpoints the connector uses, plus `/_sim/*` switches."""

from __future__ import annotations

import asyncio
import base64
import json
import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from storelink_sim_wix.state import NOT_INSTALLED, V1, V1_DEFAULT_VARIANT, V3, Site, WixSim, new_id

MAX_PAGE = 100
BULK_MAX = 100
_DEC = re.compile(r'"\\u0000dec:(-?\d+(?:\.\d+)?)"')


class SimError(Exception):
    def __init__(
        self, status: int, message: str, headers: dict[str, str] | None = None, **details: Any
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.details = details


def respond(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return "\u0000dec:" + format(value, "f")
        raise TypeError(type(value).__name__)

    text = _DEC.sub(lambda m: m.group(1), json.dumps(data, default=default))
    return Response(text, status, headers=headers, media_type="application/json")


async def body_of(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    try:
        return json.loads(raw, parse_float=Decimal)
    except ValueError:
        raise SimError(400, "INVALID_ARGUMENT: body is not JSON") from None


def _cursor(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def _uncursor(text: str) -> dict[str, Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(text.encode()))
    except ValueError:
        raise SimError(400, "INVALID_ARGUMENT: bad cursor") from None
    if not isinstance(value, dict):
        raise SimError(400, "INVALID_ARGUMENT: bad cursor")
    return value


def _limit(paging: Any) -> int:
    limit = paging.get("limit", MAX_PAGE) if isinstance(paging, dict) else MAX_PAGE
    if not isinstance(limit, int) or limit < 1 or limit > MAX_PAGE:
        raise SimError(400, f"INVALID_ARGUMENT: paging limit must be 1..{MAX_PAGE}")
    return limit


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "$eq": lambda a, b: a == b,
    "$ne": lambda a, b: a != b,
    "$gt": lambda a, b: a is not None and a > b,
    "$gte": lambda a, b: a is not None and a >= b,
    "$lt": lambda a, b: a is not None and a < b,
    "$lte": lambda a, b: a is not None and a <= b,
    "$in": lambda a, b: a in b,
    "$nin": lambda a, b: a not in b,
}


def _matches(order: dict[str, Any], filt: dict[str, Any]) -> bool:
    for field, cond in filt.items():
        value = order.get(field)
        if not isinstance(cond, dict):
            cond = {"$eq": cond}
        for op, arg in cond.items():
            if op not in _OPS:
                raise SimError(400, f"INVALID_ARGUMENT: unsupported operator {op}")
            if not _OPS[op](value, arg):
                return False
    return True


def create_app(sim: WixSim) -> FastAPI:
    app = FastAPI(title="Wix API simulator", docs_url=None, redoc_url=None)
    fail_counter = {"n": 0}

    @app.exception_handler(SimError)
    async def sim_error(request: Request, exc: SimError) -> Response:
        sim.statuses[exc.status] += 1
        return respond({"message": exc.message, "details": exc.details}, exc.status, exc.headers)

    async def guard(request: Request, route: str, permission: str) -> Site:
        sim.calls[route] += 1
        faults = sim.faults
        if faults.applies(request.url.path):
            if faults.delay_next > 0:
                faults.delay_next -= 1
                await asyncio.sleep(faults.delay_seconds)
            if faults.fail_next > 0:
                faults.fail_next -= 1
                raise SimError(faults.fail_status, "INTERNAL: injected failure")
            if faults.fail_every > 0:
                fail_counter["n"] += 1
                if fail_counter["n"] % faults.fail_every == 0:
                    raise SimError(faults.fail_status, "INTERNAL: injected failure")
        key = sim.keys.get(request.headers.get("authorization", ""))
        if key is None:
            raise SimError(401, "UNAUTHENTICATED: the API key is not valid")
        site_id = request.headers.get("wix-site-id")
        if request.headers.get("wix-account-id") and site_id:
            raise SimError(400, "INVALID_ARGUMENT: pass wix-site-id or wix-account-id, not both")
        if not site_id:
            raise SimError(403, "PERMISSION_DENIED: missing wix-site-id header")
        site = sim.sites.get(site_id)
        if site is None or site.account_id != key.account_id:
            raise SimError(404, f"NOT_FOUND: site {site_id} not found")
        if permission not in key.permissions:
            raise SimError(403, f"PERMISSION_DENIED: the API key lacks the {permission} permission")
        wait = sim.rate_check(site.site_id)
        if wait is not None:
            headers = {"Retry-After": str(math.ceil(wait))} if sim.send_retry_after else {}
            raise SimError(429, "RESOURCE_EXHAUSTED: too many requests", headers)
        sim.statuses[200] += 1
        return site

    def need(site: Site, version: str) -> None:
        if site.catalog != version:
            raise SimError(428, f"FAILED_PRECONDITION: this site runs {site.catalog}, not {version}")

    # ------------------------------------------------------------------ eCom orders

    @app.post("/ecom/v1/orders/search")
    async def search_orders(request: Request) -> Response:
        site = await guard(request, "POST /ecom/v1/orders/search", "ecom")
        search = (await body_of(request)).get("search") or {}
        paging = search.get("cursorPaging") or {}
        limit = _limit(paging)
        if paging.get("cursor"):
            state = _uncursor(paging["cursor"])
            if search.get("filter") or search.get("sort"):
                raise SimError(400, "INVALID_ARGUMENT: send only the cursor after the first page")
        else:
            sort = search.get("sort") or [{"fieldName": "createdDate", "order": "DESC"}]
            state = {"filter": search.get("filter") or {}, "sort": sort, "after": None, "offset": 0}
        orders = [o for o in site.orders.values() if o.get("status") != "INITIALIZED"]
        orders = [o for o in orders if _matches(o, state["filter"])]
        sort = state["sort"][0]
        field, desc = sort.get("fieldName", "createdDate"), sort.get("order", "ASC") == "DESC"
        orders.sort(key=lambda o: (str(o.get(field)), o["id"]), reverse=desc)
        if state.get("after") is not None and not desc:
            after = tuple(state["after"])
            orders = [o for o in orders if (str(o.get(field)), o["id"]) > after]
            page = orders[:limit]
        else:
            page = orders[state["offset"] : state["offset"] + limit]
        has_next = len(orders) > (limit if not desc else state["offset"] + limit)
        next_cursor = None
        if has_next and page:
            last = page[-1]
            next_cursor = _cursor(
                {
                    **state,
                    "after": [str(last.get(field)), last["id"]] if not desc else None,
                    "offset": state["offset"] + limit if desc else 0,
                }
            )
        return respond(
            {
                "orders": page,
                "metadata": {"count": len(page), "cursors": {"next": next_cursor}, "hasNext": has_next},
            }
        )

    @app.get("/ecom/v1/orders/{order_id}")
    async def get_order(order_id: str, request: Request) -> Response:
        site = await guard(request, "GET /ecom/v1/orders/{id}", "ecom")
        order = site.orders.get(order_id)
        if order is None:
            raise SimError(404, f"NOT_FOUND: order {order_id}")
        return respond({"order": order})

    # ------------------------------------------------------------------ catalog version

    @app.get("/stores/v3/provision/version")
    async def version(request: Request) -> Response:
        site = await guard(request, "GET /stores/v3/provision/version", "stores")
        return respond({"catalogVersion": site.catalog})

    # ------------------------------------------------------------------ Catalog V1

    def v1_json(p: Any, with_variants: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": p.id,
            "name": p.name,
            "sku": p.sku,
            "manageVariants": p.managed,
            "priceData": {"currency": "EUR", "price": p.price},
        }
        if with_variants:
            data["variants"] = [
                {
                    "id": vid,
                    "choices": v.get("choices", {}),
                    "variant": {
                        "sku": v["sku"],
                        "priceData": {"price": v["price"] if p.managed else p.price},
                    },
                    "stock": {"trackQuantity": True, "quantity": p.stock.get(vid, 0)},
                }
                for vid, v in p.variants.items()
            ]
        return data

    @app.post("/stores/v1/products/query")
    async def v1_query(request: Request) -> Response:
        site = await guard(request, "POST /stores/v1/products/query", "stores")
        need(site, V1)
        body = await body_of(request)
        paging = (body.get("query") or {}).get("paging") or {}
        limit, offset = _limit(paging), int(paging.get("offset", 0))
        products = sorted(site.v1_products.values(), key=lambda p: p.id)
        page = products[offset : offset + limit]
        return respond(
            {
                "products": [v1_json(p, bool(body.get("includeVariants"))) for p in page],
                "metadata": {"items": len(page), "offset": offset},
                "totalResults": len(products),
            }
        )

    @app.patch("/stores/v2/inventoryItems/product/{product_id}")
    async def v1_inventory(product_id: str, request: Request) -> Response:
        site = await guard(request, "PATCH /stores/v2/inventoryItems/product/{id}", "stores")
        need(site, V1)
        product = site.v1_products.get(product_id)
        if product is None:
            raise SimError(404, f"NOT_FOUND: product {product_id}")
        item = (await body_of(request)).get("inventoryItem") or {}
        changes = {}
        for v in item.get("variants") or []:
            vid = v.get("variantId")
            if vid not in product.variants:
                raise SimError(400, f"INVALID_ARGUMENT: variant {vid} not in product {product_id}")
            quantity = v.get("quantity")
            if not isinstance(quantity, int) or quantity < 0:
                raise SimError(400, "INVALID_ARGUMENT: quantity must be a non-negative integer")
            changes[vid] = quantity
        product.stock.update(changes)
        return respond({})

    @app.post("/stores/v1/bulk/products/update")
    async def v1_bulk_update(request: Request) -> Response:
        site = await guard(request, "POST /stores/v1/bulk/products/update", "stores")
        need(site, V1)
        body = await body_of(request)
        ids, setting = body.get("ids") or [], body.get("set") or {}
        if not ids or len(ids) > BULK_MAX:
            raise SimError(400, f"INVALID_ARGUMENT: ids must hold 1..{BULK_MAX} products")
        price = setting.get("price")
        if not isinstance(price, Decimal | int) or price < 0:
            raise SimError(400, "INVALID_ARGUMENT: set.price must be a non-negative number")
        results = []
        for index, pid in enumerate(ids):
            product = site.v1_products.get(pid)
            if product is None:
                results.append(
                    {
                        "itemMetadata": {
                            "id": pid,
                            "originalIndex": index,
                            "success": False,
                            "error": {"code": "NOT_FOUND", "description": "no such product"},
                        }
                    }
                )
                continue
            product.price = Decimal(price)
            results.append({"itemMetadata": {"id": pid, "originalIndex": index, "success": True}})
        ok = sum(1 for r in results if r["itemMetadata"]["success"])
        return respond(
            {
                "results": results,
                "bulkActionMetadata": {
                    "totalSuccesses": ok,
                    "totalFailures": len(ids) - ok,
                    "undetailedFailures": 0,
                },
            }
        )

    @app.patch("/stores/v1/products/{product_id}/variants")
    async def v1_variants(product_id: str, request: Request) -> Response:
        site = await guard(request, "PATCH /stores/v1/products/{id}/variants", "stores")
        need(site, V1)
        product = site.v1_products.get(product_id)
        if product is None:
            raise SimError(404, f"NOT_FOUND: product {product_id}")
        if not product.managed:
            raise SimError(400, "FAILED_PRECONDITION: product does not manage variants")
        for change in (await body_of(request)).get("variants") or []:
            price = change.get("price")
            if not isinstance(price, Decimal | int) or price < 0:
                raise SimError(400, "INVALID_ARGUMENT: price must be a non-negative number")
            for vid in change.get("variantIds") or []:
                if vid not in product.variants:
                    raise SimError(400, f"INVALID_ARGUMENT: variant {vid} not in product")
                product.variants[vid]["price"] = Decimal(price)
        return respond({"variants": []})

    # ------------------------------------------------------------------ Catalog V3

    def v3_page(items: list[Any], body: dict[str, Any], key: str, to_json: Any) -> Response:
        paging = (body.get("query") or {}).get("cursorPaging") or {}
        limit = _limit(paging)
        offset = _uncursor(paging["cursor"])["offset"] if paging.get("cursor") else 0
        page = items[offset : offset + limit]
        has_next = offset + limit < len(items)
        return respond(
            {
                key: [to_json(x) for x in page],
                "pagingMetadata": {
                    "count": len(page),
                    "cursors": {"next": _cursor({"offset": offset + limit}) if has_next else None},
                    "hasNext": has_next,
                },
            }
        )

    def v3_product_json(p: Any) -> dict[str, Any]:
        return {
            "id": p.id,
            "name": p.name,
            "revision": str(p.revision),
            "variantsInfo": {"variants": p.variants},
        }

    def v3_inventory_json(i: Any) -> dict[str, Any]:
        return {
            "id": i.id,
            "revision": str(i.revision),
            "productId": i.product_id,
            "variantId": i.variant_id,
            "locationId": "default",
            "trackQuantity": i.track,
            "quantity": i.quantity,
        }

    @app.post("/stores/v3/products/query")
    async def v3_products(request: Request) -> Response:
        site = await guard(request, "POST /stores/v3/products/query", "stores")
        need(site, V3)
        products = sorted(site.v3_products.values(), key=lambda p: p.id)
        return v3_page(products, await body_of(request), "products", v3_product_json)

    @app.post("/stores/v3/inventory-items/query")
    async def v3_inventory(request: Request) -> Response:
        site = await guard(request, "POST /stores/v3/inventory-items/query", "stores")
        need(site, V3)
        items = sorted(site.v3_inventory.values(), key=lambda i: i.id)
        return v3_page(items, await body_of(request), "inventoryItems", v3_inventory_json)

    def bulk_result(index: int, item_id: str, error: str | None, item: Any = None) -> dict[str, Any]:
        meta: dict[str, Any] = {"id": item_id, "originalIndex": index, "success": error is None}
        if error:
            meta["error"] = {"code": error, "description": error.lower().replace("_", " ")}
        result: dict[str, Any] = {"itemMetadata": meta}
        if item is not None:
            result["item"] = item
        return result

    def revision_ok(given: Any, current: int) -> bool:
        return str(given) == str(current)

    @app.post("/stores/v3/bulk/inventory-items/update")
    async def v3_bulk_inventory(request: Request) -> Response:
        site = await guard(request, "POST /stores/v3/bulk/inventory-items/update", "stores")
        need(site, V3)
        body = await body_of(request)
        wrapped = body.get("inventoryItems") or []
        if not wrapped or len(wrapped) > BULK_MAX:
            raise SimError(400, f"INVALID_ARGUMENT: inventoryItems must hold 1..{BULK_MAX} items")
        results = []
        for index, w in enumerate(wrapped):
            data = (w or {}).get("inventoryItem") or {}
            item = site.v3_inventory.get(str(data.get("id")))
            if item is None:
                results.append(bulk_result(index, str(data.get("id")), "NOT_FOUND"))
                continue
            if not revision_ok(data.get("revision"), item.revision):
                results.append(bulk_result(index, item.id, "REVISION_MISMATCH"))
                continue
            quantity = data.get("quantity")
            if quantity is not None and (not isinstance(quantity, int) or quantity < 0):
                results.append(bulk_result(index, item.id, "INVALID_QUANTITY"))
                continue
            if quantity is not None:
                item.quantity = quantity
            if "trackQuantity" in data:
                item.track = bool(data["trackQuantity"])
            item.revision += 1
            results.append(
                bulk_result(
                    index, item.id, None, v3_inventory_json(item) if body.get("returnEntity") else None
                )
            )
        ok = sum(1 for r in results if r["itemMetadata"]["success"])
        return respond(
            {
                "results": results,
                "bulkActionMetadata": {"totalSuccesses": ok, "totalFailures": len(results) - ok},
            }
        )

    @app.post("/stores/v3/bulk/products/update")
    async def v3_bulk_products(request: Request) -> Response:
        site = await guard(request, "POST /stores/v3/bulk/products/update", "stores")
        need(site, V3)
        body = await body_of(request)
        wrapped = body.get("products") or []
        if not wrapped or len(wrapped) > BULK_MAX:
            raise SimError(400, f"INVALID_ARGUMENT: products must hold 1..{BULK_MAX} products")
        results = []
        for index, w in enumerate(wrapped):
            data = (w or {}).get("product") or {}
            product = site.v3_products.get(str(data.get("id")))
            if product is None:
                results.append(bulk_result(index, str(data.get("id")), "NOT_FOUND"))
                continue
            if data.get("revision") in (None, ""):
                results.append(bulk_result(index, product.id, "REVISION_MUST_NOT_BE_EMPTY"))
                continue
            if not revision_ok(data.get("revision"), product.revision):
                results.append(bulk_result(index, product.id, "REVISION_MISMATCH"))
                continue
            variants = (data.get("variantsInfo") or {}).get("variants")
            if variants is not None:
                bad = [v for v in variants if not isinstance(_amount(v), str)]
                if bad:
                    results.append(bulk_result(index, product.id, "INVALID_PRICE"))
                    continue
                # Arrays are replaced whole: a variant left out is gone, one without id is new.
                kept = {v.get("id") for v in variants}
                site.variants_lost += sum(1 for v in product.variants if v["id"] not in kept)
                product.variants = [{**v, "id": v.get("id") or new_id()} for v in variants]
            product.revision += 1
            results.append(
                bulk_result(
                    index, product.id, None, v3_product_json(product) if body.get("returnEntity") else None
                )
            )
        ok = sum(1 for r in results if r["itemMetadata"]["success"])
        return respond(
            {
                "results": results,
                "bulkActionMetadata": {"totalSuccesses": ok, "totalFailures": len(results) - ok},
            }
        )

    # ------------------------------------------------------------------ simulator controls

    @app.get("/_sim/calls")
    async def calls() -> Response:
        return respond(
            {"total": sim.total_calls, "by_route": dict(sim.calls), "by_status": dict(sim.statuses)}
        )

    @app.post("/_sim/faults")
    async def faults(request: Request) -> Response:
        body = await body_of(request)
        for name in ("fail_next", "fail_status", "fail_every", "delay_next"):
            if name in body:
                setattr(sim.faults, name, int(body[name]))
        if "delay_seconds" in body:
            sim.faults.delay_seconds = float(body["delay_seconds"])
        return respond({"ok": True})

    @app.post("/_sim/sites/{site_id}/orders")
    async def put_order(site_id: str, request: Request) -> Response:
        site = sim.sites.get(site_id)
        if site is None:
            raise SimError(404, "no such site")
        return respond({"order": sim.put_order(site, await body_of(request))})

    @app.get("/_sim/sites/{site_id}/stock")
    async def stock(site_id: str) -> Response:
        site = sim.sites.get(site_id)
        if site is None:
            raise SimError(404, "no such site")
        return respond({"stock": site.stock_by_sku(), "prices": site.price_by_sku()})

    return app


def _amount(variant: dict[str, Any]) -> Any:
    return ((variant.get("price") or {}).get("actualPrice") or {}).get("amount")


__all__ = ["NOT_INSTALLED", "V1", "V1_DEFAULT_VARIANT", "V3", "create_app"]
