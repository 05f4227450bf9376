"""MetaKocka's stock webhook (`warehouse_product_stock_update`), signature verified.

MetaKocka signs the raw body: `X-MetaKocka-Signature` = base64(HMAC-SHA1(body, client_secret)).
The body has the shape of a `warehouse_stock` answer. Only values that changed are published, and
the webhook is answered only after Kafka has them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from storelink_contracts import ErpSystem
from storelink_erp_kit.client import StockLevel
from storelink_erp_kit.errors import ErpError
from storelink_erp_kit.polling import publish_changes, stock_events
from storelink_erp_kit.service import Adapter
from storelink_erp_metakocka.client import MetakockaClient, parse_stock_levels
from storelink_kit.jsonbody import parse_json_body

SIGNATURE_HEADER = "X-MetaKocka-Signature"
EVENT_HEADER = "X-MetaKocka-Event"


def signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha1).digest()).decode()


def signature_valid(body: bytes, secret: str, given: str | None) -> bool:
    """Constant-time, on bytes: a header with non-ASCII characters is just a wrong signature."""
    if not given:
        return False
    return hmac.compare_digest(signature(body, secret).encode(), given.encode("utf-8", "surrogatepass"))


def levels_from_body(data: dict[str, Any], marks: dict[str, str]) -> list[StockLevel]:
    """The webhook body has the warehouse_stock answer's shape (webhooks.md, read 2026-12-01)."""
    return parse_stock_levels(data, marks)


def create_webhook_app(adapter: Adapter) -> FastAPI:
    app = FastAPI(title="MetaKocka stock webhook")

    @app.post("/webhooks/metakocka/{tenant_id}")
    async def stock_update(tenant_id: str, request: Request) -> JSONResponse:
        body = await request.body()
        conns = [c for c in adapter.registry.for_tenant(tenant_id) if c.company.erp is ErpSystem.METAKOCKA]
        if not conns:
            return JSONResponse({"status": "error", "reason": "unknown tenant"}, status_code=404)
        conn = conns[0]
        try:
            client = adapter.pool.for_connection(conn)
        except ErpError as exc:
            return JSONResponse({"status": "error", "reason": exc.reason}, status_code=409)
        assert isinstance(client, MetakockaClient)
        if not client.webhook_secret:
            return JSONResponse(
                {"status": "error", "reason": "no webhook client_secret is configured for this tenant"}, 409
            )
        if not signature_valid(body, client.webhook_secret, request.headers.get(SIGNATURE_HEADER)):
            return JSONResponse({"status": "error", "reason": "signature does not match"}, status_code=401)
        try:
            data = parse_json_body(body)
            if not isinstance(data, dict):
                raise ValueError("not an object")
            marks = await client.warehouses()
            levels = levels_from_body(data, marks)
        except (ValueError, ErpError) as exc:  # JsonBodyError is a ValueError
            reason = exc.reason if isinstance(exc, ErpError) else f"body is not a stock list: {exc}"
            return JSONResponse({"status": "error", "reason": reason}, status_code=400)
        if conn.warehouse:
            levels = [lv for lv in levels if lv.warehouse == conn.warehouse]
        scope = f"{ErpSystem.METAKOCKA.value}:stock:{tenant_id}:{conn.warehouse or '*'}"
        events = stock_events(tenant_id, levels, datetime.now(UTC))
        sent = await publish_changes(
            adapter.observed, adapter.publisher, scope, events, origin="erp:metakocka"
        )
        return JSONResponse({"status": "ok", "published": len(sent)})

    return app
