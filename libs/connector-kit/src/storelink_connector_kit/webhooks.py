"""Webhook ingress: `POST /webhooks/{platform}/{connection_id}/{token}`.

A webhook is a doorbell: it says which order changed. Once the token (and a signature, where the
platform signs) is verified and the body names orders, the doorbell is written to the doorbells
topic (acks=all, keyed by connection) and answered 200: in milliseconds, whatever the shop API is
doing. The replica that owns the connection fetches the orders behind it, coalescing doorbells that
arrive together into one incremental search (polling.Poller.catch_up). Bad input gets a 4xx with
the reason and writes nothing; when Kafka cannot take the doorbell the answer is 503, so the
sender tries again (and the hourly poll is there anyway).

A token that matches is believed only once the connection's settings are known to be current
(`settings_fresh`: everything on the connections topic at that moment has been read), so a token
rotated or a connection removed in control is refused from the moment control answered.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from storelink_connector_kit.connections import ShopConnections, token_matches
from storelink_connector_kit.errors import WebhookRejected
from storelink_connector_kit.platform import Doorbell
from storelink_contracts import ConnectionConfigured
from storelink_kit.jsonbody import JsonBodyError, parse_json_body

log = logging.getLogger("storelink.connector.webhooks")

DEFAULT_MAX_BODY = 256 * 1024


def _problem(status: int, reason: str, **extra: Any) -> JSONResponse:
    return JSONResponse(
        {"status": "rejected" if status < 500 else "error", "reason": reason, **extra}, status
    )


SettingsFresh = Callable[[], Awaitable[bool]]
"""True once the connection settings this process holds are as new as Kafka's (False: not in time)."""

RingDoorbell = Callable[[ConnectionConfigured, Doorbell], Awaitable[None]]
"""Writes a verified doorbell durably (Kafka, acks=all); raises when it could not."""


class WebhookIngress:
    def __init__(
        self,
        connections: ShopConnections,
        ring: RingDoorbell,
        *,
        max_body: int = DEFAULT_MAX_BODY,
        settings_fresh: SettingsFresh | None = None,
    ) -> None:
        self.connections = connections
        self.ring = ring
        self.max_body = max_body
        self.platform = connections.platform
        self.settings_fresh = settings_fresh

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
                return parse_json_body(raw)
            except JsonBodyError as exc:
                raise WebhookRejected(str(exc), status=400) from None
        if kind == "application/x-www-form-urlencoded":
            try:
                form = parse_qs(raw.decode(), strict_parsing=True)
            except (ValueError, UnicodeDecodeError):
                raise WebhookRejected("form body cannot be parsed", status=400) from None
            flat: dict[str, Any] = {k: v[-1] for k, v in form.items()}
            for key, value in flat.items():
                if isinstance(value, str) and value.lstrip().startswith("{"):
                    with contextlib.suppress(JsonBodyError):
                        flat[key] = parse_json_body(value)
            return flat
        raise WebhookRejected(
            f"content type {kind or '(none)'!r} is not accepted; send application/json", status=415
        )

    def _known(self, connection_id: str, token: str) -> ConnectionConfigured | JSONResponse:
        connection = self.connections.registry.get(connection_id)
        if connection is None or connection.platform is not self.platform.platform:
            return _problem(404, "unknown connection")
        if not token_matches(token, connection.webhook_token_sha256):
            return _problem(403, "the webhook token does not match this connection")
        return connection

    async def _admit(self, connection_id: str, token: str) -> ConnectionConfigured | JSONResponse:
        """The connection, if the token is its current one; else the answer that says why not."""
        known = self._known(connection_id, token)
        if isinstance(known, JSONResponse) or self.settings_fresh is None:
            return known
        try:
            fresh = await self.settings_fresh()
        except Exception as exc:  # Kafka unreachable: nothing could be published either
            log.warning(
                "webhook: the connection settings could not be confirmed",
                extra={"connection_id": connection_id, "error": type(exc).__name__},
            )
            fresh = False
        if not fresh:
            return _problem(503, "the connection's settings could not be confirmed just now; try again later")
        return self._known(connection_id, token)

    async def handle(self, platform: str, connection_id: str, token: str, request: Request) -> JSONResponse:
        if platform != self.platform.platform.value:
            return _problem(
                404, f"this endpoint serves {self.platform.platform.value} webhooks, not {platform!r}"
            )
        connection = await self._admit(connection_id, token)
        if isinstance(connection, JSONResponse):
            return connection
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
            await self.ring(connection, doorbell)
        except Exception as exc:  # Kafka did not take it: the shop must send it again
            log.warning(
                "webhook: the doorbell could not be written",
                extra={"connection_id": connection_id, "error": type(exc).__name__},
            )
            return _problem(503, "the webhook could not be stored just now; try again later")
        return JSONResponse(
            {
                "status": "accepted",
                "orders": list(doorbell.order_ids),
                "numbers": list(doorbell.order_numbers),
            },
            200,  # not 202: some senders count only 200 as delivered
        )


def make_webhook_app(ingress: WebhookIngress, *, extra: list[APIRouter] | None = None) -> FastAPI:
    app = FastAPI(
        title=f"Storelink {ingress.platform.platform.value} connector", docs_url=None, redoc_url=None
    )
    app.include_router(ingress.router())
    for router in extra or []:
        app.include_router(router)
    return app
