"""The simulator's HTTP face: the Wix endpoints the connector uses, plus `/_sim/*` switches.

It follows Wix's documentation (the sources are listed in storelink_connector_wix/assumptions.py and
the examples in tests/corpus/wix/); where the documentation is silent, a behaviour is marked
ASSUMPTION with the name of its entry in that module.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response

from storelink_sim_wix.fixtures import seed_catalog
from storelink_sim_wix.state import NOT_INSTALLED, V1, V1_DEFAULT_VARIANT, V3, Site, WixSim, new_id

T = TypeVar("T")

MAX_PAGE = 100
BULK_MAX = 100  # ASSUMPTION (assumptions.BULK_MAX) for the V3 bulk endpoints
TRANSACTIONS_MAX_IDS = 100  # ASSUMPTION (assumptions.TRANSACTIONS_MAX_IDS)
PRECONDITION = 428  # [V ERRORS] "Preconditions must be met"; see assumptions.V3_PRECONDITION_STATUS
INVALID_PAGING = 400  # ASSUMPTION: see assumptions.INVALID_PAGING_STATUS


class SimError(Exception):
    def __init__(
        self, status: int, message: str, headers: dict[str, str] | None = None, **details: Any
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.details = details


def _exact_decimal(value: Any) -> orjson.Fragment:
    """A Decimal as a JSON number token, fixed point, every digit kept (never through a float)."""
    if isinstance(value, Decimal) and value.is_finite():
        return orjson.Fragment(format(value, "f"))
    raise TypeError(f"cannot encode {value!r} ({type(value).__name__}) as JSON")


def respond(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """JSON as Wix writes it: amounts the simulator holds as Decimal become numbers digit for digit.

    orjson writes the number text itself (a Fragment), so no string can be mistaken for a number."""
    text = orjson.dumps(data, default=_exact_decimal, option=orjson.OPT_NON_STR_KEYS)
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


def _search_state(state: dict[str, Any]) -> dict[str, Any]:
    """A Search Orders cursor we issued (filter, sort, keyset position), else a 400 — a forged or
    damaged cursor is the caller's error, never a 500."""
    sort, after = state.get("sort"), state.get("after")
    if (
        not isinstance(state.get("filter"), dict)
        or not isinstance(sort, list)
        or not sort
        or not isinstance(sort[0], dict)
        or not (after is None or (isinstance(after, list) and len(after) == 2))
    ):
        raise SimError(400, "INVALID_ARGUMENT: bad cursor")
    return state


def page_of(items: list[T], offset: int, limit: int) -> tuple[list[T], int | None]:
    """One page of `limit` items from `offset`, and where the next page starts (None: this is the
    last). Every listing of the simulator pages this way; what it reads from the request and puts in
    its answer is the endpoint's own (each route names its source)."""
    end = offset + limit
    return items[offset:end], (end if end < len(items) else None)


def _offset(value: Any) -> int:
    """Where a page starts, from the request (V1 `paging.offset`) or our own cursor: a whole number
    >= 0, else a 400 INVALID_ARGUMENT (ASSUMPTION INVALID_PAGING_STATUS; never a 500, nor a slice
    from the end)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)  # as before: a number sent as a string is read as that number
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise SimError(INVALID_PAGING, "INVALID_ARGUMENT: paging offset must be a whole number >= 0")
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


def _listed(order: dict[str, Any], filt: dict[str, Any]) -> bool:
    return order.get("status") != "INITIALIZED" and _matches(order, filt)


def _updated_since(site: Site, state: dict[str, Any], limit: int) -> tuple[list[dict[str, Any]], bool]:
    """A page of the search sorted by updatedDate ascending, read from the site's index where the
    filter's lower bound on updatedDate (or the cursor) starts: the same page as sorting and
    filtering every order, without reading the orders before it."""
    start: tuple[str, ...] = ("",)
    bound = (state["filter"].get("updatedDate") or {}) if isinstance(state["filter"], dict) else {}
    if isinstance(bound, dict):
        for op in ("$gte", "$gt"):
            if isinstance(bound.get(op), str):
                start = max(start, (bound[op],))
    if state.get("after") is not None:
        start = max(start, (*map(str, state["after"]), "\x00"))  # strictly after it
    found: list[dict[str, Any]] = []
    for order in site.orders.updated_from(start):
        if _listed(order, state["filter"]):
            found.append(order)
            if len(found) > limit:
                break
    return found[:limit], len(found) > limit


def create_app(sim: WixSim) -> FastAPI:
    app = FastAPI(title="Wix API simulator", docs_url=None, redoc_url=None)
    fail_counter = {"n": 0, "limit": 0}

    @app.exception_handler(SimError)
    async def sim_error(request: Request, exc: SimError) -> Response:
        """[V ERRORS] {message, details: {applicationError: {code, description, data}}}."""
        sim.statuses[exc.status] += 1
        code, _, description = exc.message.partition(": ")
        body = {
            "message": exc.message,
            "details": {
                "applicationError": {"code": code, "description": description or code, "data": exc.details}
            },
        }
        return respond(body, exc.status, exc.headers)

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
                    await cycled_failure(faults.cycle, fail_counter["n"] // faults.fail_every - 1)
                    raise SimError(faults.fail_status, "INTERNAL: injected failure")
            if faults.limit_every > 0:
                fail_counter["limit"] += 1
                if fail_counter["limit"] % faults.limit_every == 0:
                    raise SimError(429, "RESOURCE_EXHAUSTED: too many requests")
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

    async def cycled_failure(cycle: list[dict[str, Any]], n: int) -> None:
        """The n-th injected failure of a mixed cycle (429 with Retry-After, 5xx, a slow timeout)."""
        if not cycle:
            return
        fault = cycle[n % len(cycle)]
        if fault.get("delay"):
            await asyncio.sleep(float(fault["delay"]))
        headers = {"Retry-After": str(fault["retry_after"])} if fault.get("retry_after") is not None else {}
        status = int(fault.get("status", 503))
        raise SimError(
            status, "RESOURCE_EXHAUSTED: injected" if status == 429 else "INTERNAL: injected", headers
        )

    def need(site: Site, version: str) -> None:
        # ASSUMPTION: calling the other catalog version's endpoint is a 428 precondition failure.
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
            state = _search_state(_uncursor(paging["cursor"]))
            if search.get("filter") or search.get("sort"):
                raise SimError(400, "INVALID_ARGUMENT: send only the cursor after the first page")
        else:
            sort = search.get("sort") or [{"fieldName": "createdDate", "order": "DESC"}]
            state = {"filter": search.get("filter") or {}, "sort": sort, "after": None, "offset": 0}
        sort = state["sort"][0]
        field, desc = sort.get("fieldName", "createdDate"), sort.get("order", "ASC") == "DESC"
        if field == "updatedDate" and not desc:
            page, has_next = _updated_since(site, state, limit)
        else:
            orders = [o for o in site.orders.values() if _listed(o, state["filter"])]
            orders.sort(key=lambda o: (str(o.get(field)), o["id"]), reverse=desc)
            start = _offset(state.get("offset"))
            if state.get("after") is not None and not desc:
                after = tuple(state["after"])
                orders = [o for o in orders if (str(o.get(field)), o["id"]) > after]
                start = 0
            page, next_offset = page_of(orders, start, limit)
            has_next = next_offset is not None
        next_cursor = None
        if has_next and page:
            last = page[-1]
            next_cursor = _cursor(
                {
                    **state,
                    "after": [str(last.get(field)), last["id"]] if not desc else None,
                    "offset": next_offset if desc else 0,
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

    @app.post("/ecom/v1/payments/list-by-ids")
    async def list_transactions(request: Request) -> Response:
        """[V TRANSACTIONS] List Transactions For Multiple Orders: {orderIds} → {orderTransactions}."""
        site = await guard(request, "POST /ecom/v1/payments/list-by-ids", "ecom")
        ids = (await body_of(request)).get("orderIds")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise SimError(400, "INVALID_ARGUMENT: orderIds must be a non-empty list of order ids")
        if len(ids) > TRANSACTIONS_MAX_IDS:
            raise SimError(400, f"INVALID_ARGUMENT: at most {TRANSACTIONS_MAX_IDS} orderIds")
        # ASSUMPTION: ids the site does not know are left out of the answer.
        return respond(
            {
                "orderTransactions": [
                    {"orderId": oid, "payments": site.payments.get(oid, []), "refunds": []}
                    for oid in dict.fromkeys(ids)
                    if oid in site.orders
                ]
            }
        )

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
        limit, offset = _limit(paging), _offset(paging.get("offset", 0))
        products = sorted(site.v1_products.values(), key=lambda p: p.id)
        page, _ = page_of(products, offset, limit)
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
                            "error": {"code": "PRODUCT_NOT_FOUND", "description": "Product is not found"},
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
        offset = _offset(_uncursor(paging["cursor"]).get("offset")) if paging.get("cursor") else 0
        page, next_offset = page_of(items, offset, limit)
        return respond(
            {
                key: [to_json(x) for x in page],
                "pagingMetadata": {
                    "count": len(page),
                    "cursors": {
                        "next": _cursor({"offset": next_offset}) if next_offset is not None else None
                    },
                    "hasNext": next_offset is not None,
                },
            }
        )

    def v3_product_json(p: Any) -> dict[str, Any]:
        """[V V3_GET_PRODUCT] the whole product, its variants included (Get Product, bulk update)."""
        return {**v3_listed_product_json(p), "variantsInfo": {"variants": p.variants}}

    def v3_listed_product_json(p: Any) -> dict[str, Any]:
        """[V V3_QUERY] a product as Query Products lists it: without `variantsInfo.variants`."""
        return {"id": p.id, "name": p.name, "revision": str(p.revision), "options": p.options}

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
        # [V V3_QUERY] no variants, whatever `fields` asks for (none of its values is a variant list).
        return v3_page(products, await body_of(request), "products", v3_listed_product_json)

    @app.get("/stores/v3/products/{product_id}")
    async def v3_get_product(product_id: str, request: Request) -> Response:
        """[V V3_GET_PRODUCT] `GET /stores/v3/products/{productId}` → `{product}` with its variants."""
        site = await guard(request, "GET /stores/v3/products/{id}", "stores")
        need(site, V3)
        product = site.v3_products.get(product_id)
        if product is None:
            # ASSUMPTION (assumptions.V3_GET_PRODUCT_PATH, missing product): an unknown id is a 404 NOT_FOUND
            # with the standard error body [V ERRORS].
            raise SimError(404, f"NOT_FOUND: product {product_id}")
        return respond({"product": v3_product_json(product)})

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

    def bulk_answer(results: list[dict[str, Any]]) -> Response:
        """A V3 bulk update's answer: each item's result and the counts of successes and failures."""
        ok = sum(1 for r in results if r["itemMetadata"]["success"])
        return respond(
            {
                "results": results,
                "bulkActionMetadata": {"totalSuccesses": ok, "totalFailures": len(results) - ok},
            }
        )

    def revision_ok(given: Any, current: int) -> bool:
        return str(given) == str(current)

    def precondition_failed(site: Site, items: list[dict[str, Any]]) -> None:
        """[V V3_INVENTORY] Bulk Update Inventory Items answers 428 for two preconditions. Which ones
        is not in the stored docs; ASSUMPTION (assumptions.V3_PRECONDITION_STATUS): an item without
        `revision`, and a quantity for an item that does not track quantity. Plus a test switch:
        items in `site.v3_precondition_refused` (a precondition the shop has and we cannot see).
        The whole request is refused; nothing is written."""
        for data in items:
            item = site.v3_inventory.get(str(data.get("id")))
            if data.get("revision") in (None, ""):
                raise SimError(
                    PRECONDITION, "REVISION_REQUIRED: revision must not be empty", id=data.get("id")
                )
            if item is None:
                continue
            if data.get("quantity") is not None and not item.track and data.get("trackQuantity") is not True:
                raise SimError(
                    PRECONDITION,
                    "QUANTITY_NOT_TRACKED: the inventory item does not track quantity",
                    id=item.id,
                )
            if item.id in site.v3_precondition_refused:
                raise SimError(PRECONDITION, "FAILED_PRECONDITION: the item cannot be updated", id=item.id)

    @app.post("/stores/v3/bulk/inventory-items/update")
    async def v3_bulk_inventory(request: Request) -> Response:
        site = await guard(request, "POST /stores/v3/bulk/inventory-items/update", "stores")
        need(site, V3)
        body = await body_of(request)
        wrapped = body.get("inventoryItems") or []
        if not wrapped or len(wrapped) > BULK_MAX:
            raise SimError(400, f"INVALID_ARGUMENT: inventoryItems must hold 1..{BULK_MAX} items")
        precondition_failed(site, [(w or {}).get("inventoryItem") or {} for w in wrapped])
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
        return bulk_answer(results)

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
            options = data.get("options")
            if (variants is None) != (options is None) and product.options:
                # [V V3_PRODUCTS] "To update variantsInfo.variants, also pass options, and vice versa".
                # ASSUMPTION: refused as an item failure of the bulk call.
                results.append(bulk_result(index, product.id, "MISSING_PRODUCT_OPTIONS"))
                continue
            if variants is not None:
                bad = [v for v in variants if not isinstance(_amount(v), str)]
                if bad:
                    # [V V3_PRODUCTS] "price must not be empty" (and V3 prices are strings).
                    results.append(bulk_result(index, product.id, "PRICE_MUST_NOT_BE_EMPTY"))
                    continue
                # Arrays are replaced whole: a variant left out is gone, one without id is new.
                kept = {v.get("id") for v in variants}
                site.variants_lost += sum(1 for v in product.variants if v["id"] not in kept)
                product.variants = [{**v, "id": v.get("id") or new_id()} for v in variants]
            if options is not None:
                product.options = list(options)
            product.revision += 1
            results.append(
                bulk_result(
                    index, product.id, None, v3_product_json(product) if body.get("returnEntity") else None
                )
            )
        return bulk_answer(results)

    # ------------------------------------------------------------------ simulator controls

    @app.get("/_sim/calls")
    async def calls() -> Response:
        return respond(
            {"total": sim.total_calls, "by_route": dict(sim.calls), "by_status": dict(sim.statuses)}
        )

    @app.post("/_sim/faults")
    async def faults(request: Request) -> Response:
        body = await body_of(request)
        for name in ("fail_next", "fail_status", "fail_every", "limit_every", "delay_next"):
            if name in body:
                setattr(sim.faults, name, int(body[name]))
        if "delay_seconds" in body:
            sim.faults.delay_seconds = float(body["delay_seconds"])
        if "cycle" in body:
            sim.faults.cycle = [dict(f) for f in body["cycle"]]
        return respond({"ok": True})

    @app.post("/_sim/sites")
    async def add_site(request: Request) -> Response:
        """Arrange a site over HTTP (the simulator as a process): its account's API key, the site and
        a catalog of `skus` (`per_product` variants per product, stock 0)."""
        body = await body_of(request)
        account = str(body.get("account_id") or "acct-" + new_id())
        key = body.get("api_key")
        if key not in sim.keys:
            key = sim.add_key(account, key=str(key) if key else None)
        elif sim.keys[key].account_id != account:
            raise SimError(409, "the API key belongs to another account")
        site = sim.add_site(account, catalog=str(body.get("catalog") or V3), site_id=body.get("site_id"))
        skus = [str(sku) for sku in body.get("skus") or []]
        seed_catalog(
            site,
            skus,
            per_product=int(body.get("per_product") or 1),
            price=Decimal(str(body.get("price") or "10.00")),
        )
        return respond({"site_id": site.site_id, "api_key": key, "skus": len(skus)})

    @app.post("/_sim/sites/{site_id}/orders")
    async def put_order(site_id: str, request: Request) -> Response:
        site = sim.sites.get(site_id)
        if site is None:
            raise SimError(404, "no such site")
        return respond({"order": sim.put_order(site, await body_of(request))})

    @app.put("/_sim/sites/{site_id}/orders/{order_id}/payments")
    async def put_payments(site_id: str, order_id: str, request: Request) -> Response:
        site = sim.sites.get(site_id)
        if site is None:
            raise SimError(404, "no such site")
        site.payments[order_id] = list((await body_of(request)).get("payments") or [])
        return respond({"payments": site.payments[order_id]})

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
