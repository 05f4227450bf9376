"""A connector process: one platform module plugged into the kit's machinery.

HTTP (FastAPI, served by uvicorn): the webhook ingress, `/healthz`, `/readyz`, `/status`.
Kafka: connections (every instance reads all), stock and prices (consumer groups, batched; any
replica stores the wanted values), doorbells (a consumer group: the partition's owner answers a
connection's webhooks, polls it and pushes to it, see doorbells.py). Background: a poll loop per
owned connection and the debounced push flusher.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from pydantic import Field

from storelink_connector_kit.connections import ShopConnections
from storelink_connector_kit.doorbells import DoorbellDesk
from storelink_connector_kit.http import HttpPolicy
from storelink_connector_kit.orders import OrderIngest
from storelink_connector_kit.platform import Doorbell, ShopPlatform
from storelink_connector_kit.polling import Poller, PollPolicy, PollScheduler
from storelink_connector_kit.push import SyncPusher
from storelink_connector_kit.skus import SkuCatalog
from storelink_connector_kit.store import ConnectorStore
from storelink_connector_kit.webhooks import DEFAULT_MAX_BODY, WebhookIngress, make_webhook_app
from storelink_contracts import (
    ConnectionConfigured,
    ConnectionRemoved,
    DoorbellReason,
    PriceChanged,
    ShopDoorbell,
    StockChanged,
)
from storelink_kit.broker import make_broker, start_with_retry
from storelink_kit.connections import ConnectionRegistry, SingleFlight, TopicEnds, subscribe_connections
from storelink_kit.consuming import BatchConsumer, Received
from storelink_kit.health import health_router, kafka_answers
from storelink_kit.observability import instrument
from storelink_kit.publishing import EventPublisher
from storelink_kit.secrets import SecretBox
from storelink_kit.service import ServiceApp
from storelink_kit.settings import ServiceSettings

log = logging.getLogger("storelink.connector")

PUSH_BATCH_WAIT_MS = 500


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
    http_rate_per_minute: float = Field(
        default=200.0, gt=0, description="Shop calls allowed per 60 s window (the shop's documented limit)"
    )
    http_rate_burst: int = Field(
        default=10, ge=1, description="Calls that may go at once after a quiet spell"
    )
    breaker_threshold: int = Field(default=5, ge=1, description="Failed calls in a row that pause a shop")
    breaker_pause_seconds: float = Field(default=60.0, gt=0)
    poll_overlap_seconds: float = Field(default=600.0, ge=0)
    doorbell_overlap_seconds: float = Field(
        default=2.0,
        ge=0,
        description="How far before the watermark a webhook's catch-up sweep starts (a shop shows an "
        "order in its search at most this long after its updatedDate)",
    )
    # Each order is read twice (a round, then a sweep): at 100 orders/s on one Wix site, rounds every
    # 0.75 s and sweeps every 10 s need ~2.5 of the 3.3 calls/s allowed, which leaves a quarter for
    # polls and stock and price pushes; rounds every 0.5 s and sweeps every 5 s needed 3.4 (issue 13)
    doorbell_sweep_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Shortest time between two catch-up sweeps of one connection; the rounds between "
        "search only what is newer than the watermark",
    )
    doorbell_round_interval_seconds: float = Field(
        default=0.75,
        ge=0,
        description="Shortest time between two catch-up searches of one connection (doorbells coalesce)",
    )
    doorbell_retry_max_seconds: float = Field(
        default=60.0, gt=0, description="Longest wait before answering doorbells again after a shop failure"
    )
    webhook_settings_wait_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Longest a webhook waits for the connection settings to be current (then 503)",
    )
    catalog_max_age_seconds: float = Field(default=3600.0, gt=0)

    def http_policy(self) -> HttpPolicy:
        return HttpPolicy(
            timeout_seconds=self.http_timeout_seconds,
            max_attempts=self.http_max_attempts,
            backoff_initial=self.http_backoff_initial,
            rate_per_minute=self.http_rate_per_minute,
            rate_burst=self.http_rate_burst,
            breaker_threshold=self.breaker_threshold,
            breaker_pause_seconds=self.breaker_pause_seconds,
        )


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
            policy=poll_policy
            or PollPolicy(
                overlap=timedelta(seconds=settings.poll_overlap_seconds),
                doorbell_overlap=timedelta(seconds=settings.doorbell_overlap_seconds),
                doorbell_sweep_every=timedelta(seconds=settings.doorbell_sweep_seconds),
            ),
        )
        self.background = False
        self.connection_ends = TopicEnds(
            settings.kafka.bootstrap_servers, self.topics.connections, request_timeout_ms=5000
        )
        self._fresh_ends = SingleFlight(self.connection_ends)
        self.desk = DoorbellDesk(
            kafka=settings.kafka,
            topic=self.topics.doorbells,
            group_id=f"{settings.service_name}-doorbells",
            client_id=settings.service_name,
            platform=platform.platform,
            registry=self.registry,
            poller=self.poller,
            settings_fresh=self._settings_fresh,
            owned_changed=self._owned_changed,
            wake_push=self._wake_push,
            retry_max_seconds=settings.doorbell_retry_max_seconds,
            round_interval_seconds=settings.doorbell_round_interval_seconds,
        )
        self.scheduler = PollScheduler(self.poller, owns=self.desk.owns)
        self.pusher = SyncPusher(
            self.connections,
            self.store,
            SkuCatalog(max_age=settings.catalog_max_age_seconds),
            debounce_seconds=settings.push_debounce_seconds,
            retry_seconds=settings.push_retry_seconds,
            max_delay_seconds=settings.push_max_delay_seconds,
            owns=self.desk.owns,
            ring=self._ring_push,
        )
        self.webhooks = WebhookIngress(
            self.connections,
            self._ring_webhook,
            max_body=settings.max_webhook_body,
            settings_fresh=self._settings_fresh,
        )
        self._subscribe()

    async def _settings_fresh(self) -> bool:
        """Every connection setting on Kafka right now has been read (a rotated token is dead).
        Concurrent webhooks share one end-offsets query (SingleFlight), each one asked after them."""
        ends = await self._fresh_ends()
        return await self.registry.wait_caught_up(ends, self.settings.webhook_settings_wait_seconds)

    def _owned_changed(self) -> None:
        if self.background:
            self.scheduler.sync()

    def _wake_push(self) -> None:
        self.pusher.wake()

    async def _ring_webhook(self, connection: ConnectionConfigured, doorbell: Doorbell) -> None:
        """A verified webhook, durable in Kafka (acks=all) for whichever replica owns the connection."""
        await self.publisher.publish(
            ShopDoorbell(
                tenant_id=connection.tenant_id,
                connection_id=connection.connection_id,
                platform=self.platform.platform,
                reason=DoorbellReason.WEBHOOK,
                order_ids=list(dict.fromkeys(doorbell.order_ids)),
                order_numbers=list(dict.fromkeys(doorbell.order_numbers)),
                rung_at=datetime.now(UTC),
            )
        )

    async def _ring_push(self, connection_ids: list[str]) -> None:
        """Wake the owners of connections whose wanted stock/prices this replica stored."""
        now = datetime.now(UTC)
        doorbells = [
            (
                ShopDoorbell(
                    tenant_id=c.tenant_id,
                    connection_id=c.connection_id,
                    platform=self.platform.platform,
                    reason=DoorbellReason.PUSH,
                    rung_at=now,
                ),
                None,
            )
            for cid in connection_ids
            if (c := self.registry.get(cid)) is not None
        ]
        await self.publisher.publish_many(doorbells)

    def _subscribe(self) -> None:

        async def on_connection(event: ConnectionConfigured | ConnectionRemoved) -> None:
            if self.background:
                self.scheduler.sync()

        subscribe_connections(self.broker, self.registry, self.topics, on_change=on_connection)
        name = self.settings.service_name
        # the other kind of change on a topic is not a record gone wrong: skipped
        BatchConsumer(
            self.broker, self._accept_stock, kinds=(StockChanged,), service=name, strays="skip"
        ).subscribe(self.topics.stock, group_id=f"{name}-stock", **self._push_batches())
        BatchConsumer(
            self.broker, self._accept_prices, kinds=(PriceChanged,), service=name, strays="skip"
        ).subscribe(self.topics.prices, group_id=f"{name}-prices", **self._push_batches())

    def _push_batches(self) -> dict[str, int]:
        return {"max_records": self.settings.push_batch_records, "batch_timeout_ms": PUSH_BATCH_WAIT_MS}

    async def _accept_stock(self, batch: list[Received[StockChanged]]) -> None:
        await self.pusher.accept_stock([(item.event, item.envelope) for item in batch])

    async def _accept_prices(self, batch: list[Received[PriceChanged]]) -> None:
        await self.pusher.accept_prices([(item.event, item.envelope) for item in batch])

    # ------------------------------------------------------------------ lifecycle

    async def start(self, *, background: bool = True) -> None:
        await self.store.start()
        self.background = background
        await start_with_retry(self.broker, self.settings.kafka)
        await self.desk.start()
        if background:
            self.scheduler.sync()
            self.pusher.start()

    async def stop(self) -> None:
        await self.desk.stop()
        await self.poller.stop()
        await self.scheduler.stop()
        await self.pusher.stop()
        await self.broker.stop()
        await self.connection_ends.close()
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
            "owned_partitions": sorted(self.desk.assigned),
            "owned_connections": [
                c.connection_id for c in self.connections.mine() if self.desk.owns(c.connection_id)
            ],
            "doorbell_rounds": self.desk.rounds,
            "rebalances": self.desk.rebalances,
        }

    def app(self, *, manage_lifecycle: bool = True) -> FastAPI:
        ops = health_router(kafka_answers(lambda: self.broker))

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


def build_connector(
    platform: ShopPlatform, settings: ConnectorSettings, secrets: SecretBox | None = None, **kwargs: Any
) -> ServiceApp[Connector]:
    """A platform's `app.build`: the kit's Connector with the platform module, and its HTTP app
    (webhooks, health, readiness, status, metrics; the connector starts and stops with it)."""
    connector = Connector(platform, settings, secrets=secrets or SecretBox.from_env(), **kwargs)
    return ServiceApp(connector.app(), connector)
