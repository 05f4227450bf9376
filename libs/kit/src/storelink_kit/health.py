"""`/healthz` and `/readyz`, the same in every service (they were written four times, and answered
differently: 204/500 in the consumers, 200/503 elsewhere).

Liveness is "the process answers" (200). Readiness asks each of the service's checks in turn and
names the first that fails with 503 — `kafka unreachable`, `database not ready` — so an operator
reading a failed probe learns what to look at. A check is an async callable that returns None when
its part answers, else a short reason; it never raises.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from faststream.asgi import AsgiResponse, get
from faststream.asgi.types import ASGIApp, Scope

if TYPE_CHECKING:
    from fastapi import APIRouter
    from faststream.kafka import KafkaBroker
    from sqlalchemy.ext.asyncio import AsyncEngine

ReadinessCheck = Callable[[], Awaitable[str | None]]

LIVE: dict[str, str] = {"status": "ok"}
KAFKA_UNREACHABLE = "kafka unreachable"
DATABASE_NOT_READY = "database not ready"
PING_SECONDS = 5.0


def kafka_answers(broker_of: Callable[[], KafkaBroker]) -> ReadinessCheck:
    """Kafka answers FastStream's ping within `PING_SECONDS`."""

    async def check() -> str | None:
        return None if await broker_of().ping(timeout=PING_SECONDS) else KAFKA_UNREACHABLE

    return check


def database_answers(engine_of: Callable[[], AsyncEngine]) -> ReadinessCheck:
    """The database answers `SELECT 1` (any failure, also a service not started yet, is "not ready")."""

    async def check() -> str | None:
        try:
            async with engine_of().connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
        except Exception:
            return DATABASE_NOT_READY
        return None

    return check


async def readiness(checks: Sequence[ReadinessCheck]) -> tuple[int, dict[str, str]]:
    """The status code and body of `/readyz`: the first failing check's reason, or ok."""
    for check in checks:
        reason = await check()
        if reason is not None:
            return 503, {"status": reason}
    return 200, dict(LIVE)


def _json(status: int, body: dict[str, str]) -> AsgiResponse:
    return AsgiResponse(json.dumps(body).encode(), status, headers={"content-type": "application/json"})


def health_asgi_routes(*checks: ReadinessCheck) -> list[tuple[str, ASGIApp]]:
    """The two routes for FastStream's `AsgiFastStream` (the consumer-only services)."""

    @get
    async def healthz(scope: Scope) -> AsgiResponse:
        return _json(200, LIVE)

    @get
    async def readyz(scope: Scope) -> AsgiResponse:
        return _json(*await readiness(checks))

    return [("/healthz", healthz), ("/readyz", readyz)]


def health_router(*checks: ReadinessCheck, **router: Any) -> APIRouter:
    """The two routes as a FastAPI `APIRouter` (the services with an HTTP API); `router` kwargs (tags)
    go to the router. Imported here, not at the top: the consumer-only services do not need FastAPI."""
    from fastapi import APIRouter
    from fastapi.responses import JSONResponse

    routes = APIRouter(**router)

    @routes.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process answers."""
        return dict(LIVE)

    @routes.get("/readyz", responses={503: {"description": "A part the service needs does not answer"}})
    async def readyz() -> Any:  # FastAPI reads annotations from the module: JSONResponse is local
        """Every part the service needs (Kafka, its database) answers; 503 names the first that does not."""
        status, body = await readiness(checks)
        return JSONResponse(body, status_code=status)

    return routes
