"""/metrics counters move and one trace follows an order across two hops, through a real Kafka broker."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from faststream.kafka import KafkaMessage
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from storelink_contracts import DocumentRequested, OrderReceived, TopicNames, decode_event
from storelink_kit import (
    EventPublisher,
    KafkaSettings,
    PermanentError,
    ServiceSettings,
    consumer_options,
    make_broker,
)
from storelink_kit.observability import httpx_event_hooks, instrument, observe_document, record_outbound
from storelink_kit.service import make_app
from storelink_kit.testing.expect import ExpectedEvent, expect_events
from storelink_kit.testing.samples import sample_document, sample_order
from storelink_kit.testing.waits import eventually

pytestmark = pytest.mark.kafka


async def _scrape(app: object) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def _value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    """Sum of the samples of `name` whose labels include `labels` (0 when none)."""
    return sum(
        v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(dict(ls).items())
    )


class _RateLimitedShop(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(429 if self.path == "/busy" else 200)
        self.send_header("Retry-After", "1")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def shop() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RateLimitedShop)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_metrics_move_and_one_trace_follows_the_order(
    kafka_bootstrap: str, kafka_settings: KafkaSettings, topic_names: TopicNames, shop: str
) -> None:
    settings = ServiceSettings(
        service_name="obs-test", kafka=kafka_settings, max_retries=1, retry_backoff_seconds=0.01
    )
    broker = make_broker(settings)
    spans = InMemorySpanExporter()
    routes = instrument(broker, "obs-test", span_exporter=spans)
    app = make_app(broker, extra_routes=routes)
    publisher = EventPublisher(broker, topic_names, source="test/obs")
    group = f"obs-{uuid.uuid4().hex[:8]}"

    @broker.subscriber(topic_names.orders, **consumer_options(settings, group))
    async def map_order(msg: KafkaMessage) -> None:
        env, order = decode_event(msg.headers, msg.body)
        assert isinstance(order, OrderReceived)
        if order.external_id == "ord-broken":
            raise PermanentError("cannot map this order")
        await publisher.publish(
            sample_document(
                order_external_id=order.external_id,
                idempotency_key=f"conn-wix-1:{order.external_id}:sales_order",
            ),
            caused_by=env,
        )

    erp_trace_ids: list[int] = []

    @broker.subscriber(topic_names.documents, **consumer_options(settings, group + "-erp"))
    async def create_document(msg: KafkaMessage) -> None:
        from opentelemetry import trace

        erp_trace_ids.append(trace.get_current_span().get_span_context().trace_id)
        _, doc = decode_event(msg.headers, msg.body)
        assert isinstance(doc, DocumentRequested)
        observe_document(
            "metakocka", "sales_order", "created", since=datetime.now(UTC) - timedelta(seconds=2)
        )

    before = await _scrape(app)
    orders = [sample_order(external_id="ord-a"), sample_order(external_id="ord-b")]
    broken = sample_order(external_id="ord-broken")
    await broker.start()
    try:
        async with (
            expect_events(
                kafka_bootstrap, topic_names.documents, [ExpectedEvent(type=DocumentRequested.event_type)] * 2
            ),
            expect_events(
                kafka_bootstrap, topic_names.dlq("orders"), [ExpectedEvent(type=OrderReceived.event_type)]
            ),
        ):
            for order in [*orders, broken]:
                await publisher.publish(order, origin="webhook")
        # the ERP-side handler runs after the record is visible on the topic
        await eventually(lambda: len(erp_trace_ids) == 2, "both ERP-side traces")
        async with httpx.AsyncClient(event_hooks=httpx_event_hooks("conn-wix-1", "wix")) as client:
            await client.get(f"{shop}/ok")
            await client.get(f"{shop}/busy")
        record_outbound("conn-wix-1", "wix", None)
        after = await _scrape(app)
    finally:
        await broker.stop()

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    o, d = topic_names.orders, topic_names.documents
    assert delta("storelink_events_published_total", topic=o, event_type=OrderReceived.event_type) == 3
    assert delta("storelink_events_consumed_total", topic=o, event_type=OrderReceived.event_type) == 3
    assert delta("storelink_events_published_total", topic=d, event_type=DocumentRequested.event_type) == 2
    assert delta("storelink_events_consumed_total", topic=d) == 2
    assert delta("storelink_dead_letters_total", topic=o) == 1
    assert delta("storelink_handler_failures_total", topic=o, error_class="PermanentError") == 1
    lags = [v for (n, ls), v in after.items() if n == "storelink_consumer_lag" and dict(ls)["topic"] == o]
    assert lags, "consumer lag is reported for the consumed topic"
    assert all(v >= 0 for v in lags)
    assert delta("storelink_outbound_requests_total", connection_id="conn-wix-1", status="200") == 1
    assert delta("storelink_outbound_requests_total", connection_id="conn-wix-1", status="429") == 1
    assert delta("storelink_outbound_requests_total", connection_id="conn-wix-1", status="error") == 1
    assert delta("storelink_outbound_rate_limited_total", connection_id="conn-wix-1", platform="wix") == 1
    assert delta("storelink_document_latency_seconds_count", erp="metakocka", outcome="created") == 2
    assert delta("storelink_document_latency_seconds_sum", erp="metakocka") >= 4
    # FastStream's own middleware is there too (processed messages by handler and status).
    assert delta("faststream_received_processed_messages_total", app_name="obs-test") >= 5

    # Tracing: each good order's trace runs publish -> mapper -> publish -> ERP handler.
    finished = spans.get_finished_spans()
    assert finished
    by_trace: dict[int, set[str]] = {}
    for span in finished:
        by_trace.setdefault(span.context.trace_id, set()).add(span.name)
    assert len(erp_trace_ids) == 2
    for trace_id in erp_trace_ids:
        names = by_trace[trace_id]
        assert any(o in n and "publish" in n for n in names), names
        assert any(o in n and "process" in n for n in names), names
        assert any(d in n and "publish" in n for n in names), names
        assert any(d in n and "process" in n for n in names), names
    assert len(set(erp_trace_ids)) == 2, "two orders, two traces"
