"""Assembling an ERP adapter service: broker, connections registry, ledger, consume loop, polling.

Each adapter (erp-metakocka, erp-eracuni) supplies only its settings and a client factory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from faststream.asgi import AsgiFastStream
from faststream.asgi.types import ASGIApp
from faststream.kafka import KafkaBroker
from pydantic import Field, model_validator
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_contracts import ErpSystem
from storelink_erp_kit.changes import ObservedValues, PollRounds
from storelink_erp_kit.consumer import DocumentConsumer, subscribe_documents
from storelink_erp_kit.database import migrate
from storelink_erp_kit.ledger import Ledger
from storelink_erp_kit.polling import Poller
from storelink_erp_kit.processor import AttemptPolicy, DocumentProcessor
from storelink_erp_kit.tenants import ClientFactory, ErpClientPool
from storelink_kit.broker import make_broker
from storelink_kit.connections import ConnectionRegistry, subscribe_connections
from storelink_kit.database import make_engine
from storelink_kit.observability import instrument
from storelink_kit.publishing import EventPublisher
from storelink_kit.secrets import SecretBox
from storelink_kit.service import make_app
from storelink_kit.settings import ServiceSettings


class AdapterSettings(ServiceSettings):
    """Settings every ERP adapter has (each adapter sets its own env prefix)."""

    database_url: str = Field(default="", description="SQLAlchemy URL; empty = SQLite under STORELINK_STATE")
    request_timeout_seconds: float = Field(default=30.0, gt=0)
    lease_seconds: float = Field(default=120.0, gt=0, description="How long a key stays locked to one worker")
    create_window_seconds: float = Field(
        default=45.0,
        gt=0,
        description="A create is sent and awaited only this long after its attempt is recorded "
        "(at least request_timeout_seconds)",
    )
    landing_grace_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How long after a create's deadline the ERP may still store it; nobody creates "
        "that document again before (ERP-ASSUMPTIONS.md, Both)",
    )
    max_attempts: int = Field(default=5, ge=1, description="Transient failures retried before DocumentFailed")
    attempt_backoff_seconds: float = Field(default=1.0, ge=0)
    attempt_backoff_max_seconds: float = Field(default=30.0, ge=0)
    max_concurrency: int = Field(default=16, ge=1, description="Orders processed at once")
    max_batch: int = Field(default=200, ge=1)
    session_timeout_ms: int = Field(default=10_000, ge=6000)
    polling: bool = True
    poll_interval_seconds: float = Field(default=300.0, gt=0)

    @model_validator(mode="after")
    def _window_covers_a_request(self) -> AdapterSettings:
        if self.create_window_seconds < self.request_timeout_seconds:
            raise ValueError(
                "create_window_seconds must be at least request_timeout_seconds, or a create that is "
                "merely slow would be abandoned"
            )
        return self

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        state = Path(os.environ.get("STORELINK_STATE", ".state"))
        state.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{state / (self.service_name + '.db')}"


@dataclass
class Adapter:
    erp: ErpSystem
    settings: AdapterSettings
    broker: KafkaBroker
    registry: ConnectionRegistry
    pool: ErpClientPool
    engine: AsyncEngine
    ledger: Ledger
    publisher: EventPublisher
    processor: DocumentProcessor
    observed: ObservedValues
    poller: Poller
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    metrics_routes: list[tuple[str, Any]] = field(default_factory=list)
    """`/metrics` (Prometheus), served next to /healthz and /readyz."""

    async def prepare(self) -> None:
        """Before the broker starts: the ledger's tables."""
        await migrate(self.engine)

    async def start_polling(self) -> None:
        """After the broker started: the ERP poller publishes through it. (Async: FastStream runs a
        plain function hook in a thread, where there is no event loop to start a task on.)"""
        if self.settings.polling:
            self.tasks.append(asyncio.create_task(self.poller.run_forever()))

    async def start_background(self) -> None:
        """`prepare` and `start_polling` for a caller that runs the broker itself (a test, a tool)."""
        await self.prepare()
        await self.start_polling()

    async def stop_background(self) -> None:
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.pool.aclose()
        await self.engine.dispose()


def build_adapter(
    erp: ErpSystem,
    settings: AdapterSettings,
    factory: ClientFactory,
    *,
    box: SecretBox | None = None,
    owner: str | None = None,
) -> Adapter:
    topics = settings.kafka.topics
    broker = make_broker(settings)
    metrics_routes = instrument(broker, settings.service_name)
    registry = ConnectionRegistry()
    subscribe_connections(broker, registry, topics)
    pool = ErpClientPool(erp=erp, registry=registry, box=box or SecretBox.from_env(), factory=factory)
    engine = make_engine(settings.resolved_database_url())
    ledger = Ledger(
        engine,
        lease_seconds=settings.lease_seconds,
        create_window_seconds=settings.create_window_seconds,
        landing_grace_seconds=settings.landing_grace_seconds,
    )
    publisher = EventPublisher(broker, topics, source=f"storelink/{settings.service_name}")
    processor = DocumentProcessor(
        ledger=ledger,
        client_for=pool.for_document,
        publisher=publisher,
        owner=owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
        policy=AttemptPolicy(
            max_attempts=settings.max_attempts,
            backoff_seconds=settings.attempt_backoff_seconds,
            backoff_max_seconds=settings.attempt_backoff_max_seconds,
        ),
    )
    consumer = DocumentConsumer(
        erp=erp,
        processor=processor,
        broker=broker,
        service=settings.service_name,
        max_concurrency=settings.max_concurrency,
    )
    subscribe_documents(
        consumer,
        topics=topics,
        group_id=settings.service_name,
        max_records=settings.max_batch,
        session_timeout_ms=settings.session_timeout_ms,
    )
    observed = ObservedValues(engine)
    poller = Poller(
        erp=erp,
        connections=registry.all,
        client_for=pool.for_connection,
        observed=observed,
        publisher=publisher,
        interval_seconds=settings.poll_interval_seconds,
        rounds=PollRounds(engine),
    )
    return Adapter(
        erp,
        settings,
        broker,
        registry,
        pool,
        engine,
        ledger,
        publisher,
        processor,
        observed,
        poller,
        metrics_routes=metrics_routes,
    )


def make_adapter_app(adapter: Adapter, http: FastAPI | None = None) -> ASGIApp:
    """The FastStream app (health, readiness, metrics, consumers) with the adapter's start-up hooks.

    With `http` (an adapter's own routes, e.g. MetaKocka's stock webhook), that app is the outer one:
    its routes first, everything else to the FastStream app mounted at the root, whose lifespan
    (broker, consumers, hooks) becomes the outer app's.
    """
    app: AsgiFastStream = make_app(
        adapter.broker, kafka=adapter.settings.kafka, extra_routes=adapter.metrics_routes
    )
    app.on_startup(adapter.prepare)
    app.after_startup(adapter.start_polling)
    app.on_shutdown(adapter.stop_background)
    if http is None:
        return app
    http.mount("", app)
    http.router.lifespan_context = lambda _: app.start_lifespan_context()
    return http
