"""Tracing is configured from the environment: none by default, console or OTLP when asked."""

from __future__ import annotations

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import ConsoleSpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, set_span_in_context
from pydantic import ValidationError

from storelink_kit.observability import TracingSettings, tracer_provider


def _exporters(provider: object) -> list[object]:
    processors = provider._active_span_processor._span_processors  # type: ignore[attr-defined]
    return [p.span_exporter for p in processors]


def test_default_is_no_exporter_and_no_spans_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STORELINK_TRACING_EXPORTER", raising=False)
    settings = TracingSettings()
    assert settings.exporter == "none"
    provider = tracer_provider("svc-default", settings)
    assert _exporters(provider) == []
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("s") as span:
        assert span.get_span_context().is_valid  # a context to pass on
        assert not span.is_recording()
        assert not span.get_span_context().trace_flags.sampled
    upstream = SpanContext(0x1F, 0x2E, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    with tracer.start_as_current_span("s", context=set_span_in_context(NonRecordingSpan(upstream))) as span:
        # a trace another service samples (and exports) goes on through this one, sampled
        assert span.is_recording()
        assert span.get_span_context().trace_flags.sampled
        assert span.get_span_context().trace_id == 0x1F


def test_a_service_that_exports_samples_its_own_traces() -> None:
    provider = tracer_provider("svc-exporting", TracingSettings(exporter="console"))
    with provider.get_tracer("t").start_as_current_span("s") as span:
        assert span.is_recording()
        assert span.get_span_context().trace_flags.sampled


def test_console_and_otlp_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORELINK_TRACING_EXPORTER", "console")
    assert isinstance(_exporters(tracer_provider("svc-console"))[0], ConsoleSpanExporter)
    monkeypatch.setenv("STORELINK_TRACING_EXPORTER", "otlp")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    (exporter,) = _exporters(tracer_provider("svc-otlp"))
    assert isinstance(exporter, OTLPSpanExporter)
    assert tracer_provider("svc-otlp") is tracer_provider("svc-otlp"), "one provider per service and process"


def test_bad_settings_are_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORELINK_TRACING_EXPORTER", "jaeger")
    with pytest.raises(ValidationError, match="exporter"):
        TracingSettings()
    monkeypatch.setenv("STORELINK_TRACING_EXPORTER", "none")
    monkeypatch.setenv("STORELINK_TRACING_SAMPLE_RATIO", "1.5")
    with pytest.raises(ValidationError, match="sample_ratio"):
        TracingSettings()
