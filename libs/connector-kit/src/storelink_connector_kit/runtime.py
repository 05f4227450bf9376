"""A connector process: one platform module plugged into the kit's machinery.

HTTP (FastAPI, served by uvicorn): the webhook ingress, `/healthz`, `/readyz`, `/status`.
Kafka (FastStream): connections (every instance reads all), stock and prices (consumer groups,
batched). Background: a poll loop per connection and the debounced push flusher.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict
from typing import Any

from aiokafka import ConsumerRecord
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import Field

from storelink_connector_kit.connections import ShopConnections
from storelink_connector_kit.http import HttpPolicy
from storelink_connector_kit.orders import OrderIngest
from storelink_connector_kit.platform import ShopPlatform
from storelink_connector_kit.polling import Poller, PollPolicy, PollScheduler
from storelink_connector_kit.push import SyncPusher
from storelink_connector_kit.skus import SkuCatalog
from storelink_connector_kit.store import ConnectorStore
from storelink_connector_kit.webhooks import DEFAULT_MAX_BODY, WebhookIngress, make_webhook_app
from storelink_contracts import ConnectionConfigured, ConnectionRemoved, Envelope, PriceChanged, StockChanged
from storelink_contracts.envelope import EnvelopeError, decode_event
from storelink_kit.broker import consumer_options, make_broker
from storelink_kit.connections import ConnectionRegistry, subscribe_connections
from storelink_kit.dead_letters import send_dead_letter
from storelink_kit.observability import instrument
from storelink_kit.publishing import EventPublisher
from storelink_kit.secrets import SecretBox
from storelink_kit.settings import ServiceSettings

log = logging.getLogger("storelink.connector")


class ConnectorSettings(ServiceSettings):
    """Every connector's settings; a platform subclasses it with its own env prefix."""

    database_url: str = Field(
        default="sqlite+aiosqlite:///./connector.db",
        description="Watermarks, order hashes, push state (SQLite file by default, or PostgreSQL)",
    )
    shop_base_url: str | None = Field(default=None, description="Override the shop API (simulators)")
    max_webhook_body: int = Field(default=DEFAULT_MAX_BODY, ge=1024)
    push_debounce_seconds: float = Field(default=2.0, ge=0)
    push_retry_seconds: float = Field(default=30.0, gt=0)
    push_max_delay_seconds: float = Field(default=30.0, gt=0, description="Longest a burst is held back")
    push_batch_records: int = Field(default=5000, ge=1)
    http_timeout_seconds: float = Field(default=20.0, gt=0)
    http_max_attempts: int = Field(default=6, ge=1)
    http_backoff_initial: float = Field(default=0.5, ge=0)
    http_rate_per_minute: float = Field(default=200.0, gt=0)
    breaker_threshold: int = Field(default=5, ge=1, description="Failed calls in a row that pause a shop")
    breaker_pause_seconds: float = Field(default=60.0, gt=0)
    poll_overlap_seconds: float = Field(default=600.0, ge=0)
    catalog_max_age_seconds: float = Field(default=3600.0, gt=0)

    def http_policy(self) -> HttpPolicy:
        return HttpPolicy(
            timeout_seconds=self.http_timeout_seconds,
            max_attempts=self.http_max_attempts,
            backoff_initial=self.http_backoff_initial,
            rate_per_minute=self.http_rate_per_minute,
            breaker_threshold=self.breaker_threshold,
            breaker_pause_seconds=self.breaker_pause_seconds,
        )


def _decode_batch(records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[tuple[Any, Envelope | None, Any]]:
    out: list[tuple[Any, Envelope | None, Any]] = []
    for record in records:
        headers = {k: v.decode(errors="replace") for k, v in (record.headers or ())}
        try:
            envelope, event = decode_event(headers, record.value or b"")
        except EnvelopeError as exc:
            out.append((record, None, exc))
            continue
        out.append((record, envelope, event))
    return out


class Connector:
    def __init__(
        self,
        platform: ShopPlatform,
        settings: ConnectorSettings,
        *,
        secrets: SecretBox | None = None,
        broker: KafkaBroker | None = None,
        poll_policy: PollPolicy | None = None,
    ) -> None:
        from datetime import timedelta

        self.platform = platform
        self.settings = settings
        self.topics = settings.kafka.topics
        self.broker = broker or make_broker(settings)
        self.metrics_routes = instrument(self.broker, settings.service_name) if broker is None else []
        self.registry = ConnectionRegistry()
        self.store = ConnectorStore(settings.database_url)
        self.connections = ShopConnections(
            platform,
            self.registry,
            secrets,
            policy=settings.http_policy(),
            base_url=settings.shop_base_url,
        )
        self.publisher = EventPublisher(
            self.broker, self.topics, source=f"storelink/connector-{platform.platform}"
        )
        self.ingest = OrderIngest(platform, self.publisher, self.store)
        self.poller = Poller(
            self.connections,
            self.ingest,
            self.store,
            policy=poll_policy or PollPolicy(overlap=timedelta(seconds=settings.poll_overlap_seconds)),
        )
        self.scheduler = PollScheduler(self.poller)
        self.pusher = SyncPusher(
            self.connections,
            self.store,
            SkuCatalog(max_age=settings.catalog_max_age_seconds),
            debounce_seconds=settings.push_debounce_seconds,
            retry_seconds=settings.push_retry_seconds,
            max_delay_seconds=settings.push_max_delay_seconds,
        )
        self.background = False
        self.webhooks = WebhookIngress(self.connections, self.ingest, max_body=settings.max_webhook_body)
        self._subscribe()

    def _subscribe(self) -> None:

        async def on_connection(event: ConnectionConfigured | ConnectionRemoved) -> None:
            if self.background:
                self.scheduler.sync()

        subscribe_connections(self.broker, self.registry, self.topics, on_change=on_connection)
        options = consumer_options(self.settings, f"{self.settings.service_name}-stock")
        prices_options = consumer_options(self.settings, f"{self.settings.service_name}-prices")

        @self.broker.subscriber(
            self.topics.stock,
            batch=True,
            max_records=self.settings.push_batch_records,
            batch_timeout_ms=500,
            group_id=options["group_id"],
            auto_offset_reset="earliest",
            ack_policy=options["ack_policy"],
        )
        async def on_stock(message: KafkaMessage) -> None:
            batch = await self._good_events(message, StockChanged)
            await self.pusher.accept_stock(batch)

        @self.broker.subscriber(
            self.topics.prices,
            batch=True,
            max_records=self.settings.push_batch_records,
            batch_timeout_ms=500,
            group_id=prices_options["group_id"],
            auto_offset_reset="earliest",
            ack_policy=prices_options["ack_policy"],
        )
        async def on_prices(message: KafkaMessage) -> None:
            batch = await self._good_events(message, PriceChanged)
            await self.pusher.accept_prices(batch)

    async def _good_events(self, message: Any, kind: type[Any]) -> list[tuple[Any, Envelope | None]]:
        raw = message.raw_message
        records = list(raw) if isinstance(raw, tuple | list) else [raw]
        good: list[tuple[Any, Envelope | None]] = []
        for record, envelope, event in _decode_batch(records):
            if isinstance(event, kind):
                good.append((event, envelope))
            elif isinstance(event, Exception):
                await send_dead_letter(
                    self.broker, record, event, service=self.settings.service_name, attempts=1
                )
        return good

    # ------------------------------------------------------------------ lifecycle

    async def start(self, *, background: bool = True) -> None:
        await self.store.start()
        self.background = background
        await self.broker.start()
        if background:
            self.scheduler.sync()
            self.pusher.start()

    async def stop(self) -> None:
        await self.scheduler.stop()
        await self.pusher.stop()
        await self.broker.stop()
        await self.connections.aclose()
        await self.store.close()

    def status(self) -> dict[str, Any]:
        return {
            "platform": self.platform.platform.value,
            "connections": [c.connection_id for c in self.connections.mine()],
            "paused": {
                cid: {k: (v.value if hasattr(v, "value") else v) for k, v in asdict(r).items()}
                for cid, r in self.connections.breaker_reports.items()
            },
            "polls_skipped_overlapping": self.poller.skipped_overlapping,
        }

    def app(self, *, manage_lifecycle: bool = True) -> FastAPI:
        ops = APIRouter()

        @ops.get("/healthz")
        async def healthz() -> JSONResponse:
            return JSONResponse({"status": "ok"})

        @ops.get("/readyz")
        async def readyz() -> JSONResponse:
            ok = await self.broker.ping(timeout=5.0)
            return JSONResponse({"status": "ok" if ok else "kafka unreachable"}, 200 if ok else 503)

        @ops.get("/status")
        async def status() -> JSONResponse:
            return JSONResponse({**self.status(), "skus_not_synced": await self.store.parked_all()})

        app = make_webhook_app(self.webhooks, extra=[ops])
        for path, asgi in self.metrics_routes:
            app.mount(path, asgi)

        @contextlib.asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        if manage_lifecycle:
            app.router.lifespan_context = lifespan
        return app
