"""Webhook ingress: `POST /webhooks/{platform}/{connection_id}/{token}`.

A webhook is a doorbell: it says which order changed, the order itself is fetched through the
shop's API, mapped, deduplicated and published. The answer is 2xx only once Kafka has the event
(acks=all); bad input gets a 4xx with the reason and publishes nothing; a shop or Kafka outage gets
a 5xx so the sender tries again (and the hourly poll is there anyway).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from storelink_connector_kit.connections import ShopConnections, token_matches
from storelink_connector_kit.errors import ShopError, WebhookRejected
from storelink_connector_kit.orders import OrderIngest
from storelink_connector_kit.platform import Doorbell, OrderContext, ShopApi

log = logging.getLogger("storelink.connector.webhooks")

DEFAULT_MAX_BODY = 256 * 1024


def _problem(status: int, reason: str, **extra: Any) -> JSONResponse:
    return JSONResponse(
        {"status": "rejected" if status < 500 else "error", "reason": reason, **extra}, status
    )


class WebhookIngress:
    def __init__(
        self, connections: ShopConnections, ingest: OrderIngest, *, max_body: int = DEFAULT_MAX_BODY
    ) -> None:
        self.connections = connections
        self.ingest = ingest
        self.max_body = max_body
        self.platform = connections.platform

    def router(self) -> APIRouter:
        router = APIRouter()
        router.add_api_route(
            "/webhooks/{platform}/{connection_id}/{token}", self.handle, methods=["POST"], response_model=None
        )
        return router

    async def _read_body(self, request: Request) -> bytes | JSONResponse:
        declared = request.headers.get("content-length")
        if declared is not None:
            try:
                if int(declared) > self.max_body:
                    return _problem(413, f"body larger than {self.max_body} bytes")
            except ValueError:
                return _problem(400, "invalid Content-Length")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body:
                return _problem(413, f"body larger than {self.max_body} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _decode(content_type: str, raw: bytes) -> Any:
        """JSON, or a form whose single field holds JSON (Wix replays have been seen that way)."""
        kind = content_type.split(";")[0].strip().lower()
        if not raw.strip():
            raise WebhookRejected("empty body", status=400)
        if kind == "application/json" or kind.endswith("+json"):
            try:
                return json.loads(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                raise WebhookRejected(f"body is not valid JSON: {exc}", status=400) from None
        if kind == "application/x-www-form-urlencoded":
            try:
                form = parse_qs(raw.decode(), strict_parsing=True)
            except (ValueError, UnicodeDecodeError):
                raise WebhookRejected("form body cannot be parsed", status=400) from None
            flat: dict[str, Any] = {k: v[-1] for k, v in form.items()}
            for key, value in flat.items():
                if isinstance(value, str) and value.lstrip().startswith("{"):
                    with contextlib.suppress(ValueError):
                        flat[key] = json.loads(value)
            return flat
        raise WebhookRejected(
            f"content type {kind or '(none)'!r} is not accepted; send application/json", status=415
        )

    async def handle(self, platform: str, connection_id: str, token: str, request: Request) -> JSONResponse:
        if platform != self.platform.platform.value:
            return _problem(
                404, f"this endpoint serves {self.platform.platform.value} webhooks, not {platform!r}"
            )
        connection = self.connections.registry.get(connection_id)
        if connection is None or connection.platform is not self.platform.platform:
            return _problem(404, "unknown connection")
        if not token_matches(token, connection.webhook_token_sha256):
            return _problem(403, "the webhook token does not match this connection")
        if not connection.enabled or not connection.import_orders:
            return _problem(409, "order import is switched off for this connection; nothing was imported")
        raw = await self._read_body(request)
        if isinstance(raw, JSONResponse):
            return raw
        try:
            body = self._decode(request.headers.get("content-type", ""), raw)
            if self.platform.signed_webhooks:
                secret = self.connections.credentials(connection).get("webhook_secret")
                self.platform.verify_signature(dict(request.headers), raw, secret)
            doorbell = self.platform.parse_webhook(body)
        except WebhookRejected as exc:
            return _problem(exc.status, exc.reason)
        try:
            api = self.connections.api(connection)
            raws, missing = await self._fetch(api, doorbell)
        except ShopError as exc:
            log.warning(
                "webhook: the shop could not be asked for the order",
                extra={"connection_id": connection_id, "error": str(exc), "verdict": exc.verdict.value},
            )
            retryable = exc.status is None or exc.status >= 500 or exc.status == 429
            status = 503 if retryable else 502
            return _problem(status, f"the shop API could not be read ({exc.verdict.value}); try again later")
        if not raws:
            return _problem(
                422, f"the shop does not know order(s) {', '.join(missing)}; nothing was imported"
            )
        ctx = OrderContext(tenant_id=connection.tenant_id, connection_id=connection.connection_id)
        try:
            result = await self.ingest.ingest(ctx, raws, via="webhook")
        except Exception:
            log.exception("webhook: publishing failed", extra={"connection_id": connection_id})
            return _problem(503, "the order could not be stored; try again later")
        return JSONResponse(
            {
                "status": "accepted",
                "published": result.published,
                "unchanged": result.unchanged,
                "needs_attention": result.attention,
                "not_imported": result.skipped,
                "missing": missing,
            },
            200,
        )

    async def _fetch(self, api: ShopApi, doorbell: Doorbell) -> tuple[list[Mapping[str, Any]], list[str]]:
        ids = list(dict.fromkeys(doorbell.order_ids))
        missing: list[str] = []
        for number in doorbell.order_numbers:
            found = await api.find_order_ids_by_number(number)
            if not found:
                missing.append(f"number {number}")
            ids += [i for i in found if i not in ids]
        raws: list[Mapping[str, Any]] = []
        for external_id in ids:
            raw = await api.fetch_order(external_id)
            if raw is None:
                missing.append(external_id)
            else:
                raws.append(raw)
        return raws, missing


def make_webhook_app(ingress: WebhookIngress, *, extra: list[APIRouter] | None = None) -> FastAPI:
    app = FastAPI(
        title=f"Storelink {ingress.platform.platform.value} connector", docs_url=None, redoc_url=None
    )
    app.include_router(ingress.router())
    for router in extra or []:
        app.include_router(router)
    return app
