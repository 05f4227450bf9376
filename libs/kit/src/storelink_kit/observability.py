"""Metrics (Prometheus, at /metrics) and traces (OpenTelemetry) for every service, in one call.

    broker = make_broker(settings)
    routes = instrument(broker, settings.service_name)
    app = make_app(broker, extra_routes=routes)

FastStream's own middlewares do the generic work (messages received/processed/published with
durations, and spans whose context travels in the Kafka headers, so one order's trace runs from the
connector's webhook through the mapper to the ERP document). On top, Storelink's counters: events
in/out by CloudEvents type, handler failures, dead letters, consumer lag, outbound calls and 429s
per connection (helpers the connectors and ERP adapters call), and document latency.

Tracing is configured from the environment (`STORELINK_TRACING_*`, `OTEL_EXPORTER_OTLP_*`); the
exporter is `none` by default. A service without an exporter records no span of its own making
(recording spans nobody exports was 3-10 % of each service's Python time at 100 orders/s, issue 13),
but it continues, recording, every sampled trace it is part of, so it never breaks a trace that
others export: a trace starts sampled where its first service exports (the connectors, for orders).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import prometheus_client
from faststream import BaseMiddleware, ContextRepo
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.message import StreamMessage
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, TraceIdRatioBased
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from storelink_contracts.envelope import H_TYPE
from storelink_contracts.topics import DLQ_SUFFIX

if TYPE_CHECKING:
    from aiokafka import ConsumerRecord
    from faststream.asgi.types import ASGIApp
    from faststream.kafka import KafkaBroker

log = logging.getLogger("storelink.observability")

# One registry per process (one service per process): the kit's metrics, FastStream's, and the
# process/GC collectors. Never the global default registry, so imports cannot add stray metrics.
REGISTRY = CollectorRegistry(auto_describe=True)
prometheus_client.ProcessCollector(registry=REGISTRY)
prometheus_client.GCCollector(registry=REGISTRY)
prometheus_client.PlatformCollector(registry=REGISTRY)

EVENTS_CONSUMED = Counter(
    "storelink_events_consumed_total",
    "Events taken from Kafka by this service's handlers, by topic and CloudEvents type",
    ["topic", "event_type"],
    registry=REGISTRY,
)
EVENTS_PUBLISHED = Counter(
    "storelink_events_published_total",
    "Events this service put on Kafka (acknowledged), by topic and CloudEvents type",
    ["topic", "event_type"],
    registry=REGISTRY,
)
HANDLER_FAILURES = Counter(
    "storelink_handler_failures_total",
    "Failed handler attempts (each retry counts), by topic and error class",
    ["topic", "error_class"],
    registry=REGISTRY,
)
DEAD_LETTERS = Counter(
    "storelink_dead_letters_total",
    "Records this service sent to a dead-letter topic, by original topic",
    ["topic"],
    registry=REGISTRY,
)
CONSUMER_LAG = Gauge(
    "storelink_consumer_lag",
    "Records behind the partition's high watermark, as last seen by this service's consumer",
    ["topic", "partition"],
    registry=REGISTRY,
)
OUTBOUND_REQUESTS = Counter(
    "storelink_outbound_requests_total",
    "Calls to shop and ERP APIs, by connection, platform and HTTP status (or 'error')",
    ["connection_id", "platform", "status"],
    registry=REGISTRY,
)
OUTBOUND_RATE_LIMITED = Counter(
    "storelink_outbound_rate_limited_total",
    "429 answers from shop and ERP APIs, by connection and platform",
    ["connection_id", "platform"],
    registry=REGISTRY,
)
DOCUMENT_LATENCY = Histogram(
    "storelink_document_latency_seconds",
    "From the order's arrival at the hub to the ERP's answer about its document",
    ["erp", "kind", "outcome"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600),
    registry=REGISTRY,
)


# ------------------------------------------------------------------ helpers ----


def record_outbound(connection_id: str, platform: str, status: int | None) -> None:
    """Count one call to a shop / ERP API; `status=None` for a call that got no answer."""
    OUTBOUND_REQUESTS.labels(connection_id, platform, "error" if status is None else str(status)).inc()
    if status == 429:
        OUTBOUND_RATE_LIMITED.labels(connection_id, platform).inc()


def httpx_event_hooks(connection_id: str, platform: str) -> dict[str, list[Callable[[Any], Awaitable[None]]]]:
    """`httpx.AsyncClient(event_hooks=...)` that counts every response of that connection's client."""

    async def on_response(response: Any) -> None:
        record_outbound(connection_id, platform, int(response.status_code))

    return {"response": [on_response]}


def observe_document(
    erp: str, kind: str, outcome: Literal["created", "failed"], *, since: datetime | float
) -> float:
    """Observe one document's latency; `since` is when the order reached the hub (datetime or epoch)."""
    start = since.timestamp() if isinstance(since, datetime) else since
    seconds = max(0.0, datetime.now(UTC).timestamp() - start)
    DOCUMENT_LATENCY.labels(erp, kind, outcome).observe(seconds)
    return seconds


# -------------------------------------------------------------- middlewares ----


def _header(headers: Mapping[str, Any] | None, name: str) -> str:
    value = (headers or {}).get(name, "")
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return str(value) if value else "unknown"


def _event_type(headers: Sequence[tuple[str, bytes]] | None) -> str:
    for key, value in headers or ():
        if key == H_TYPE:
            return value.decode(errors="replace")
    return "unknown"


def _records(msg: StreamMessage[Any]) -> Sequence[ConsumerRecord[bytes, bytes]]:
    raw = msg.raw_message
    return list(raw) if isinstance(raw, tuple | list) else [raw]


class _EventMetrics(BaseMiddleware):
    """Outermost: counts events in (and lag) once per record, events out and dead letters on publish."""

    async def consume_scope(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        # Tallied per batch, one metric update per topic and type and one lag reading per partition
        # (its last record's): per-record label lookups were a visible cost of 500-record batches.
        consumed: dict[tuple[str, str], int] = {}
        last: dict[tuple[str, int], ConsumerRecord[bytes, bytes]] = {}
        for record in _records(msg):
            kind = (record.topic, _event_type(record.headers))
            consumed[kind] = consumed.get(kind, 0) + 1
            last[(record.topic, record.partition)] = record
        for (topic, event_type), n in consumed.items():
            EVENTS_CONSUMED.labels(topic, event_type).inc(n)
        consumer = getattr(msg, "consumer", None)
        for record in last.values():
            _observe_lag(consumer, record)
        return await call_next(msg)

    async def publish_scope(self, call_next: Callable[[Any], Awaitable[Any]], cmd: Any) -> Any:
        result = await call_next(cmd)
        topic = str(getattr(cmd, "destination", "") or "unknown")
        if topic.endswith(DLQ_SUFFIX):
            DEAD_LETTERS.labels(topic.removesuffix(DLQ_SUFFIX)).inc()
        else:
            EVENTS_PUBLISHED.labels(topic, _header(getattr(cmd, "headers", None), H_TYPE)).inc()
        return result


class _FailureMetrics(BaseMiddleware):
    """Innermost: sees every failed attempt before retry / dead-letter handling swallows it."""

    async def consume_scope(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        try:
            return await call_next(msg)
        except Exception as exc:
            for record in _records(msg):
                HANDLER_FAILURES.labels(record.topic, type(exc).__name__).inc()
            raise


def _observe_lag(consumer: Any, record: ConsumerRecord[bytes, bytes]) -> None:
    """Lag from the consumer's last fetched high watermark (no extra request to Kafka)."""
    if consumer is None or not hasattr(consumer, "highwater"):
        return
    try:
        from aiokafka import TopicPartition

        highwater = consumer.highwater(TopicPartition(record.topic, record.partition))
    except Exception:  # a consumer that cannot say is no reason to fail the message
        return
    if highwater is not None:
        CONSUMER_LAG.labels(record.topic, str(record.partition)).set(max(0, highwater - record.offset - 1))


def _middleware(cls: type[BaseMiddleware]) -> Callable[..., BaseMiddleware]:
    def build(msg: Any, /, *, context: ContextRepo) -> BaseMiddleware:
        return cls(msg, context=context)

    return build


# ------------------------------------------------------------------ tracing ----


class TracingSettings(BaseSettings):
    """`STORELINK_TRACING_EXPORTER` = none | console | otlp (OTLP/HTTP; `OTEL_EXPORTER_OTLP_*` say where)."""

    model_config = SettingsConfigDict(env_prefix="STORELINK_TRACING_", extra="ignore")

    exporter: Literal["none", "console", "otlp"] = "none"
    sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)


_provider_lock = threading.Lock()
_providers: dict[str, TracerProvider] = {}


def tracer_provider(
    service_name: str,
    settings: TracingSettings | None = None,
    *,
    exporter: SpanExporter | None = None,
) -> TracerProvider:
    """The process's tracer provider for that service (made once). `exporter` overrides the env."""
    with _provider_lock:
        if service_name in _providers and exporter is None:
            return _providers[service_name]
        settings = settings or TracingSettings()
        exported = exporter is not None or settings.exporter != "none"
        provider = TracerProvider(
            resource=Resource.create({SERVICE_NAME: service_name}),
            sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio) if exported else ALWAYS_OFF),
        )
        if exporter is not None:
            provider.add_span_processor(SimpleSpanProcessor(exporter))
        elif settings.exporter == "console":
            provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
        elif settings.exporter == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        _providers[service_name] = provider
        return provider


# --------------------------------------------------------------- the one call ----


def metrics_app(registry: CollectorRegistry = REGISTRY) -> ASGIApp:
    """The Prometheus text exposition as an ASGI app."""
    app: ASGIApp = prometheus_client.make_asgi_app(registry=registry)
    return app


def instrument(
    broker: KafkaBroker,
    service_name: str,
    *,
    tracing: TracingSettings | None = None,
    span_exporter: SpanExporter | None = None,
) -> list[tuple[str, ASGIApp]]:
    """Add metrics and tracing middlewares to the broker; returns the routes to serve (`/metrics`).

    Call it right after `make_broker`, before the app starts. Order of the consume stack, outer to
    inner: tracing, FastStream's metrics, event metrics, (retry / dead letters), failure metrics,
    the handler, so one span and one processed-message count cover all retries of a record.
    """
    provider = tracer_provider(service_name, tracing, exporter=span_exporter)
    broker.insert_middleware(_middleware(_EventMetrics))
    broker.insert_middleware(KafkaPrometheusMiddleware(registry=REGISTRY, app_name=service_name))
    broker.insert_middleware(KafkaTelemetryMiddleware(tracer_provider=provider))
    broker.add_middleware(_middleware(_FailureMetrics))
    log.debug("instrumented", extra={"service": service_name})
    return [("/metrics", metrics_app())]
