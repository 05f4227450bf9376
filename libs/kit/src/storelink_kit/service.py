"""The one service skeleton's kit side: what `app.build(settings)` returns (`ServiceApp`), the
FastStream app with health and readiness for broker-centred services (`make_app`), and `run`/`serve`
(uvicorn) for every `__main__`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import uvicorn
from faststream.asgi import AsgiFastStream
from faststream.asgi.types import ASGIApp
from faststream.kafka import KafkaBroker

from storelink_kit.broker import connect_with_retry
from storelink_kit.health import health_asgi_routes, kafka_answers
from storelink_kit.logs import configure_logging
from storelink_kit.settings import KafkaSettings, ServiceSettings

Core = TypeVar("Core")
S = TypeVar("S", bound=ServiceSettings)


@dataclass(frozen=True, slots=True)
class ServiceApp(Generic[Core]):
    """What every service's `build(settings)` returns.

    `asgi` is the process: health, readiness, metrics, the service's own routes, and its lifecycle
    (Kafka waited for, consumers and background tasks started and stopped) in the ASGI lifespan.
    `core` is what the service is made of, for tests and tools that drive it without HTTP.
    """

    asgi: ASGIApp
    core: Core


def run(build: Callable[[S], ServiceApp[Any]], settings: S) -> None:
    """Every `__main__`: build the service from its settings and serve it until SIGTERM."""
    serve(build(settings).asgi, settings)


def make_app(
    broker: KafkaBroker,
    *,
    extra_routes: Sequence[tuple[str, ASGIApp]] = (),
    kafka: KafkaSettings | None = None,
    **kwargs: Any,
) -> AsgiFastStream:
    """`/healthz` (liveness) and `/readyz` (Kafka answers; `storelink_kit.health`).

    With `kafka`, the app waits at start until Kafka answers (`connect_with_retry`) instead of
    failing when it is unreachable.
    """
    routes = [*health_asgi_routes(kafka_answers(lambda: broker)), *extra_routes]
    app = AsgiFastStream(broker, asgi_routes=routes, **kwargs)
    if kafka is not None:

        async def wait_for_kafka() -> None:
            await connect_with_retry(broker, kafka)

        app.on_startup(wait_for_kafka)
    return app


def serve(app: ASGIApp, settings: ServiceSettings) -> None:
    """Run until SIGTERM/SIGINT; uvicorn's graceful shutdown stops the broker's consumers."""
    configure_logging(settings.service_name, settings.log_level)
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.graceful_timeout_seconds),
        log_level=logging.getLevelName(logging.getLogger().level).lower(),
    )
    uvicorn.Server(config).run()
