"""The HTTP face of the simulator: `/<shop-domain>/api/v1/<entity>/...` with the documented generic
verbs, and `/_sim/...` to arrange shops and faults when it runs as a process.

Checks run in the gateway's assumed order: injected fault, unknown shop (404 `unknown_shop`), API
access not enabled by support (403 `api_not_enabled`), bearer token (401), rate limit (429 +
Retry-After), scope (403 `scope_missing`), then the entity verb.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

from fastapi import FastAPI, Request
from fastapi.responses import Response

from storelink_sim_shopamine.state import Call, Fault, Shop, Sim, SimError, parse_iso

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
ENTITY_SCOPES = {"items": "items", "orders": "orders"}


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return format(value, "f")
        raise TypeError(type(value).__name__)

    body = json.dumps(data, default=default, ensure_ascii=False)
    return Response(body, status, headers=headers, media_type="application/json")


def _failed(err: SimError) -> Response:
    return _json(
        {"status": "failed", "error_code": err.code, "error_msg": err.message}, err.status, err.headers
    )


def _page_params(request: Request) -> tuple[int, int]:
    try:
        page = int(request.query_params.get("page", "1"))
        limit = int(request.query_params.get("limit", str(DEFAULT_LIMIT)))
    except ValueError:
        raise SimError(400, "invalid", "page and limit must be integers") from None
    if page < 1 or limit < 1:
        raise SimError(400, "invalid", "page and limit start at 1")
    return page, min(limit, MAX_LIMIT)


def _paged(rows: list[dict[str, Any]], page: int, limit: int) -> dict[str, Any]:
    """Documented (https://misc.shopamine.com/restapi/, read 2026-12-01): a list answer is a JSON
    object with a single field `data`. Paging by `page` / `limit` is assumption LIST_PAGE_PARAM."""
    return {"data": rows[(page - 1) * limit : page * limit]}


def _retry_after(wait: float, shop: Shop) -> str:
    """Whole seconds, as HTTP says; a test's sub-second window gets the exact wait instead, so that a
    throttled client is not held for a whole second by a limit that resets every 0.2 s."""
    window = shop.rate_limit[1] if shop.rate_limit else 60.0
    return f"{wait:.3f}" if window < 1 else str(math.ceil(wait))


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        data = json.loads(raw or b"{}", parse_float=Decimal)
    except ValueError:
        raise SimError(400, "invalid", "body is not valid JSON") from None
    if not isinstance(data, dict):
        raise SimError(400, "invalid", "body must be a JSON object")
    return data


class Gateway:
    def __init__(self, sim: Sim) -> None:
        self.sim = sim

    async def handle(self, request: Request) -> Response:
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        parts = [unquote(p) for p in raw_path.decode().split("?")[0].split("/") if p]
        method = request.method
        shop_domain = parts[0] if parts else ""
        route = "/".join(parts[3:5]) if len(parts) > 3 else "?"
        status = 500
        try:
            response = await self._dispatch(request, method, parts)
            status = response.status_code
            return response
        except SimError as err:
            status = err.status
            return _failed(err)
        finally:
            if len(parts) > 4 and parts[4] not in ("list", "create", "by_sku", "by_external_id"):
                route = f"{parts[3]}/{{id}}"
            self.sim.record(Call(shop_domain, method, route, status, "/".join(parts)))

    async def _dispatch(self, request: Request, method: str, parts: list[str]) -> Response:
        if self.sim.latency:
            await asyncio.sleep(self.sim.latency)
        fault = self.sim.take_fault(method, "/".join(parts))
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status:
                headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
                raise SimError(fault.status, "injected", f"injected HTTP {fault.status}", headers)
        if len(parts) < 4 or parts[1:3] != ["api", "v1"]:
            raise SimError(404, "not_found", "expected /<shop-domain>/api/v1/<entity>/...")
        shop = self.sim.shops.get(parts[0].lower())
        if shop is None:
            raise SimError(404, "unknown_shop", f"no Shopamine shop is published on {parts[0]}")
        if not shop.api_enabled:
            raise SimError(
                403,
                "api_not_enabled",
                "API access is not enabled for this shop; contact support@shopamine.com",
            )
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        scopes = shop.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if scopes is None:
            raise SimError(
                401, "unauthorized", "missing or invalid bearer token", {"WWW-Authenticate": "Bearer"}
            )
        wait = shop.admit()
        if wait is not None:
            raise SimError(
                429, "rate_limited", "too many requests", {"Retry-After": _retry_after(wait, shop)}
            )
        entity = parts[3]
        if entity not in ENTITY_SCOPES:
            raise SimError(404, "not_found", f"unknown entity {entity}")
        if ENTITY_SCOPES[entity] not in scopes:
            raise SimError(403, "scope_missing", f"the token's scopes do not include {ENTITY_SCOPES[entity]}")
        rest = parts[4:]
        with self.sim.lock:
            if entity == "items":
                return await self._items(request, method, shop, rest)
            return await self._orders(request, method, shop, rest)

    async def _items(self, request: Request, method: str, shop: Shop, rest: list[str]) -> Response:
        if rest == ["list"] and method == "GET":
            page, limit = _page_params(request)
            return _json(_paged([shop.items[i] for i in sorted(shop.items)], page, limit))
        if rest == ["create"] and method == "POST":
            body = await _body(request)
            try:
                item = shop.add_item(
                    body.get("sku"),
                    name=body.get("name"),
                    external_id=body.get("external_id"),
                    stock_amount=int(body.get("stock_amount", 0)),
                    type=str(body.get("type", "physical")),
                )
            except ValueError as exc:
                raise SimError(409, "duplicate", str(exc)) from None
            return _json(
                shop.update_item(item, {k: v for k, v in body.items() if k in ("price", "price_b2b")})
            )
        finder: Callable[[], dict[str, Any] | None]
        if len(rest) >= 2 and rest[0] == "by_sku":
            sku = "/".join(rest[1:])
            finder = lambda: shop.item_by_sku(sku)  # noqa: E731
        elif len(rest) == 2 and rest[0] == "by_external_id":
            finder = lambda: shop.item_by_external_id(rest[1])  # noqa: E731
        elif len(rest) == 1 and rest[0].isdigit():
            finder = lambda: shop.items.get(int(rest[0]))  # noqa: E731
        else:
            raise SimError(404, "not_found", "no such items route")
        found = finder()
        if found is None:
            raise SimError(404, "not_found", "item not found")
        if method == "GET":
            return _json(found)
        if method == "POST":
            return _json(shop.update_item(found, await _body(request)))
        if method == "DELETE":
            del shop.items[found["id"]]
            return _json({"status": "ok"})
        raise SimError(405, "invalid", f"{method} is not allowed here")

    async def _orders(self, request: Request, method: str, shop: Shop, rest: list[str]) -> Response:
        if rest == ["list"] and method == "GET":
            page, limit = _page_params(request)
            since_text = request.query_params.get("modified_since")
            try:
                since = parse_iso(since_text) if since_text else None
            except ValueError:
                raise SimError(400, "invalid", "modified_since must be ISO-8601") from None
            rows = shop.orders_since(since)
            number = request.query_params.get("number")
            if number is not None:
                rows = [o for o in rows if str(o.get("number")) == number]
            return _json(_paged(rows, page, limit))
        if rest == ["create"] and method == "POST":
            return _json(shop.add_order(await _body(request)))
        if len(rest) != 1 or not rest[0].isdigit():
            raise SimError(404, "not_found", "no such orders route")
        order_id = int(rest[0])
        if order_id not in shop.orders:
            raise SimError(404, "not_found", "order not found")
        if method == "GET":
            return _json(shop.orders[order_id])
        if method == "POST":
            body = await _body(request)
            body.pop("id", None)
            return _json(shop.update_order(order_id, **body))
        if method == "DELETE":
            del shop.orders[order_id]
            return _json({"status": "ok"})
        raise SimError(405, "invalid", f"{method} is not allowed here")


def make_app(sim: Sim) -> FastAPI:
    """The simulator app. `/_sim/*` arranges it over HTTP (for `make up` and manual tries)."""
    app = FastAPI(title="Shopamine API simulator", docs_url=None, redoc_url=None, openapi_url=None)
    gateway = Gateway(sim)

    @app.post("/_sim/shops")
    async def add_shop(request: Request) -> Response:
        body = await _body(request)
        shop = sim.add_shop(
            str(body["domain"]).lower(),
            {str(t): list(s) for t, s in dict(body.get("tokens", {})).items()},
            api_enabled=bool(body.get("api_enabled", True)),
        )
        for item in body.get("items", []):
            shop.add_item(
                item.get("sku"),
                name=item.get("name"),
                stock_amount=int(item.get("stock_amount", 0)),
                price=item.get("price"),
                price_b2b=item.get("price_b2b"),
            )
        for order in body.get("orders", []):
            shop.add_order(order)
        return _json({"domain": shop.domain, "items": len(shop.items), "orders": len(shop.orders)})

    @app.post("/_sim/shops/{domain}/orders")
    async def add_order(domain: str, request: Request) -> Response:
        shop = sim.shops.get(domain)
        if shop is None:
            return _json({"error": "unknown shop"}, 404)
        return _json(shop.add_order(await _body(request)))

    @app.post("/_sim/faults")
    async def add_fault(request: Request) -> Response:
        """One-off faults (`status`, `times`, ...), or every `every`-th API call failing in turn as
        each fault of `cycle` (`{"every": 5, "cycle": [{"status": 429, "retry_after": 1}, ...]}`;
        `{"every": 0}` ends it)."""
        body = await _body(request)
        if "every" in body:
            with sim.lock:
                sim.fail_every = int(body["every"])
                sim.fail_cycle = [
                    Fault(
                        int(f.get("status", 503)),
                        0,
                        retry_after=float(f["retry_after"]) if f.get("retry_after") is not None else None,
                        delay=float(f.get("delay", 0)),
                    )
                    for f in body.get("cycle", [])
                ]
            return _json({"every": sim.fail_every, "cycle": len(sim.fail_cycle)})
        sim.inject(
            int(body["status"]),
            times=int(body.get("times", 1)),
            path_contains=str(body.get("path_contains", "")),
            method=str(body.get("method", "")),
            retry_after=float(body["retry_after"]) if body.get("retry_after") is not None else None,
            delay=float(body.get("delay", 0)),
        )
        return _json({"faults": len(sim.faults)})

    @app.get("/_sim/calls")
    async def calls() -> Response:
        counts: dict[str, int] = {}
        for call in list(sim.calls):
            key = f"{call.method} {call.route} {call.status}"
            counts[key] = counts.get(key, 0) + 1
        return _json({"total": len(sim.calls), "by_route": counts})

    @app.get("/_sim/shops/{domain}/items")
    async def items(domain: str) -> Response:
        shop = sim.shops.get(domain)
        if shop is None:
            return _json({"error": "unknown shop"}, 404)
        return _json({"data": list(shop.items.values())})

    app.add_api_route(
        "/{path:path}", gateway.handle, methods=["GET", "POST", "DELETE", "PUT", "PATCH"], response_model=None
    )
    return app
