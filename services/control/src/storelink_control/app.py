"""The control service: FastAPI app whose lifespan migrates the database and starts Kafka."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from storelink_control.api import (
    backfill,
    connections,
    documents,
    problems,
    reconcile,
    replay_diff,
    shadow,
    tenants,
)
from storelink_control.auth import ensure_operator_token
from storelink_control.console.routes import install as install_console
from storelink_control.control import Control
from storelink_control.db.engine import make_sessions, migrate
from storelink_control.errors import document_shared_answers, install_handlers
from storelink_control.operations import republish_all
from storelink_control.ratelimit import RateLimit
from storelink_control.reconcile_schedule import DailyReconciliation, run_schedule
from storelink_control.settings import ControlSettings
from storelink_control.status import subscribe_status
from storelink_control.testers import TesterRegistry
from storelink_kit.broker import make_broker, start_with_retry
from storelink_kit.database import make_engine
from storelink_kit.health import database_answers, health_router, kafka_answers
from storelink_kit.observability import REGISTRY, instrument
from storelink_kit.publishing import EventPublisher
from storelink_kit.secrets import SecretBox
from storelink_kit.service import ServiceApp

DESCRIPTION = """\
Where a person connects a shop to the company's ERP: add a tenant (the company and its ERP), add a
shop connection with its settings, press *Test connection*, copy the webhook URL into the shop, and
later see whether it works (status, needs-attention items, dead letters, replays).

Every call needs `Authorization: Bearer <token>`. A token belongs to one tenant and sees only that
tenant's data (anything else answers 404); an operator token sees every tenant.
"""


def build(
    settings: ControlSettings | None = None,
    *,
    testers: TesterRegistry | None = None,
    box: SecretBox | None = None,
) -> ServiceApp[FastAPI]:
    """Control's HTTP API is its core (the console and the CLI are its clients); the running
    `Control` (database, broker, publisher) is made in the lifespan and kept in `app.state.control`."""
    settings = settings or ControlSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        secret_box = box or SecretBox.from_env()
        engine = make_engine(settings.database_url)
        await migrate(engine)
        sessions = make_sessions(engine)
        if settings.operator_token is not None:
            async with sessions() as session, session.begin():
                await ensure_operator_token(session, settings.operator_token.get_secret_value())
        broker = make_broker(settings)
        instrument(broker, settings.service_name)
        topics = settings.kafka.topics
        if settings.consume_status:
            subscribe_status(
                broker, sessions, topics, settings.status_group_id, service=settings.service_name
            )
        await start_with_retry(broker, settings.kafka)
        control = Control(
            settings=settings,
            engine=engine,
            sessions=sessions,
            broker=broker,
            publisher=EventPublisher(broker, topics, source=settings.service_name),
            topics=topics,
            box=secret_box,
            testers=testers if testers is not None else TesterRegistry.from_entry_points(),
            limiter=RateLimit(settings.rate_limit, settings.rate_limit_storage),
        )
        app.state.control = control
        schedule: asyncio.Task[None] | None = None
        if settings.reconcile_schedule_seconds > 0:
            schedule = asyncio.create_task(
                run_schedule(DailyReconciliation(control), settings.reconcile_schedule_seconds)
            )
        try:
            await republish_all(control)
            yield
        finally:
            if schedule is not None:
                schedule.cancel()
                with suppress(asyncio.CancelledError):
                    await schedule
            await broker.stop()
            await engine.dispose()

    app = FastAPI(
        title="Storelink control plane",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    install_handlers(app)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        """Prometheus text: the kit's event metrics, FastStream's, the process's."""
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    fastapi_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        """FastAPI's document plus the answers every operation shares (FastAPI's "extending OpenAPI")."""
        return document_shared_answers(fastapi_openapi())

    app.openapi = openapi  # type: ignore[method-assign]

    app.include_router(tenants.router)
    app.include_router(connections.router)
    app.include_router(problems.router)
    app.include_router(documents.router)
    app.include_router(reconcile.router)
    app.include_router(shadow.router)
    app.include_router(backfill.router)
    app.include_router(replay_diff.router)
    install_console(app)

    def control() -> Control:
        running: Control = app.state.control
        return running

    app.include_router(
        health_router(
            database_answers(lambda: control().engine),
            kafka_answers(lambda: control().broker),
            tags=["health"],
        )
    )

    return ServiceApp(app, app)
