"""Pure parts of the kit: redaction, logging, secrets, the connection registry, retry policy."""

from __future__ import annotations

import io
import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from tenacity import RetryCallState, Retrying

from storelink_contracts import ConnectionRemoved
from storelink_kit.connections import ConnectionRegistry
from storelink_kit.dead_letters import RetryBudget, RetryPolicy
from storelink_kit.errors import PermanentError, TransientError, is_kafka_unavailable, is_transient
from storelink_kit.jsonbody import JsonBodyError, nesting_depth, parse_json_body
from storelink_kit.logs import HoldBackRepeats, RedactingJsonFormatter, configure_logging
from storelink_kit.redact import MASK, redact_mapping, redact_text
from storelink_kit.secrets import SecretBox, SecretError
from storelink_kit.testing.samples import T0, sample_connection


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abcDEF123456789", "abcDEF123456789"),
        ('{"api_key": "IST.eyJraWQiOiJQb3pIX2FDMi"}', "IST.eyJraWQiOiJQb3pIX2FDMi"),
        ("secret_key=mk-secret-9f8e7d6c", "mk-secret-9f8e7d6c"),
        ("token: tok_1234567890abcdef", "tok_1234567890abcdef"),
        ("POST /webhooks/wix/conn-1/Zm9vYmFyYmF6cXV4cXV1eA", "Zm9vYmFyYmF6cXV4cXV1eA"),
        ("password='hunter2hunter2'", "hunter2hunter2"),
    ],
)
def test_redact_text_masks_secrets(text, secret):
    out = redact_text(text)
    assert secret not in out
    assert MASK in out


def test_redact_mapping_masks_by_key_and_keeps_the_rest():
    data = {
        "api_key": "k-123",
        "site_id": "abc",
        "nested": {"secret_key": "s"},
        "items": ["Bearer abcdefgh1"],
    }
    out = redact_mapping(data)
    assert out["api_key"] == MASK
    assert out["site_id"] == "abc"
    assert out["nested"]["secret_key"] == MASK
    assert "abcdefgh1" not in json.dumps(out)


def test_json_log_lines_never_carry_secrets():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingJsonFormatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("calling shop with Bearer sk_live_0123456789", extra={"api_key": "sk_live_0123456789"})
        try:
            raise RuntimeError("rejected token=sk_live_0123456789")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "sk_live_0123456789" not in text
    first = json.loads(text.splitlines()[0])
    assert first["api_key"] == MASK
    assert first["levelname"] == "INFO"


def test_secret_box_round_trip_rotation_and_clear_errors(monkeypatch):
    old, new = SecretBox.generate_key(), SecretBox.generate_key()
    token = SecretBox([old]).encrypt_json({"api_key": "k"})
    assert "api_key" not in token
    rotated = SecretBox([new, old])
    assert rotated.decrypt_json(token) == {"api_key": "k"}
    with pytest.raises(SecretError, match="cannot be decrypted"):
        SecretBox([new]).decrypt_json(token)
    with pytest.raises(SecretError, match="STORELINK_SECRET_KEY"):
        SecretBox(["not-a-key"])
    monkeypatch.setenv("STORELINK_SECRET_KEY", f"{new},{old}")
    assert SecretBox.from_env().decrypt_json(token) == {"api_key": "k"}
    monkeypatch.delenv("STORELINK_SECRET_KEY")
    with pytest.raises(SecretError, match="no encryption key"):
        SecretBox.from_env()


def test_registry_only_moves_forward():
    reg = ConnectionRegistry()
    v1 = sample_connection(version=1, warehouse="A")
    v2 = sample_connection(version=2, warehouse="B")
    assert reg.apply(v2)
    assert not reg.apply(v1), "an older version must not win"
    assert reg.get("conn-wix-1").warehouse == "B"
    assert not reg.removed("conn-wix-1")
    assert not reg.removed("never-seen"), "unknown is not removed: its settings may still be on the way"
    assert [c.connection_id for c in reg.for_tenant("acme")] == ["conn-wix-1"]
    assert reg.for_tenant("other") == []
    removed = ConnectionRemoved(tenant_id="acme", connection_id="conn-wix-1", version=3, removed_at=T0)
    assert reg.apply(removed)
    assert reg.get("conn-wix-1") is None
    assert reg.removed("conn-wix-1")
    assert not reg.apply(sample_connection(version=3, updated_at=T0 + timedelta(1)))
    assert reg.apply(sample_connection(version=4))
    assert not reg.removed("conn-wix-1"), "added again"
    assert len(reg) == 1


def test_error_classification():
    import httpx

    assert is_transient(TransientError("x"))
    assert is_transient(TimeoutError())
    assert not is_transient(PermanentError("x"))
    assert not is_transient(ValueError("x"))
    req = httpx.Request("GET", "http://shop")
    assert is_transient(httpx.HTTPStatusError("x", request=req, response=httpx.Response(503, request=req)))
    assert is_transient(httpx.HTTPStatusError("x", request=req, response=httpx.Response(429, request=req)))
    assert not is_transient(
        httpx.HTTPStatusError("x", request=req, response=httpx.Response(401, request=req))
    )


def test_kafka_being_away_is_transient_and_spends_no_retry_budget() -> None:
    """Issue 15 (R1): an outage longer than the budget dead-lettered 122 good orders."""
    from aiokafka.errors import (
        KafkaConnectionError,
        KafkaTimeoutError,
        MessageSizeTooLargeError,
        NodeNotReadyError,
    )

    away = [KafkaConnectionError("Unable to bootstrap"), NodeNotReadyError(), KafkaTimeoutError()]
    assert all(is_kafka_unavailable(e) and is_transient(e) for e in away)
    assert not is_kafka_unavailable(MessageSizeTooLargeError())
    assert not is_kafka_unavailable(TransientError("shop answered 503"))

    def failed(exc: BaseException) -> RetryCallState:
        state = RetryCallState(Retrying(), None, (), {})
        state.set_exception((type(exc), exc, None))
        return state

    budget = RetryBudget(3)
    assert not any(budget(failed(away[n % 3])) for n in range(500)), "Kafka away: never ends"
    assert not budget(failed(TransientError("503")))
    assert not budget(failed(KafkaConnectionError()))
    assert not budget(failed(TransientError("503")))
    assert budget(failed(TransientError("503"))), "the third own failure spends the budget"


def test_retry_delays_grow_and_are_capped():
    policy = RetryPolicy(max_retries=5, backoff_seconds=0.1, backoff_max_seconds=0.5)
    wait = policy.wait()
    delays = []
    for n in range(1, 6):
        state = RetryCallState(Retrying(), None, (), {})
        state.attempt_number = n
        delays.append(wait(state))
    assert 0.1 <= delays[0] <= 0.2
    assert 0.2 <= delays[1] <= 0.3
    assert all(d <= 0.6 for d in delays)


def test_repeated_client_errors_are_held_back_and_counted() -> None:
    """A broker outage makes aiokafka repeat a few errors many times a second: one line per minute."""
    now = [0.0]
    hold = HoldBackRepeats(window_seconds=60, clock=lambda: now[0])

    def record(name: str, msg: str) -> logging.LogRecord:
        return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, ("127.0.0.1", 9092), None)

    template = "Unable connect to %s:%s"
    passed = [hold.filter(record("aiokafka", template)) for _ in range(500)]
    assert passed.count(True) == 1
    assert hold.filter(record("aiokafka", "Unable to update metadata from %s"))  # another kind passes
    assert hold.filter(record("storelink.kafka", template))  # our own lines are never held back
    now[0] = 61.0
    after_window = record("aiokafka", template)
    assert hold.filter(after_window)
    assert after_window.repeats_held_back == 499  # type: ignore[attr-defined]


def test_http_libraries_log_warnings_only_while_ours_keep_info() -> None:
    """httpx logs a line per request at INFO: on the hot path of every shop and ERP call."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level, {n: logging.getLogger(n).level for n in ("httpx", "httpcore")}
    try:
        configure_logging("svc", "INFO")
        assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
        assert not logging.getLogger("httpcore").isEnabledFor(logging.INFO)
        assert logging.getLogger("httpx").isEnabledFor(logging.WARNING)
        assert logging.getLogger("storelink.erp").isEnabledFor(logging.INFO)
        configure_logging("svc", "ERROR")
        assert not logging.getLogger("httpx").isEnabledFor(logging.WARNING)
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)


@pytest.mark.parametrize(
    ("body", "depth"),
    [(b"1", 0), (b"[]", 1), (b'{"a": [1, {"b": []}]}', 4), (b"[" * 64 + b"]" * 64, 64)],
)
def test_json_bodies_up_to_the_depth_limit_parse(body: bytes, depth: int) -> None:
    assert nesting_depth(parse_json_body(body)) == depth


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 65 + b"]" * 65, "nests deeper than 64"),
        (b"[" * 1000 + b"]" * 1000, "nests deeper than 64"),  # RecursionError inside json
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, "nests deeper than 64"),
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_json_bodies_too_deep_or_broken_are_refused_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(JsonBodyError, match=reason):
        parse_json_body(body)


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    from datetime import UTC, datetime

    from storelink_kit.retrying import parse_retry_after

    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert parse_retry_after("3", now) == 3.0
    assert parse_retry_after(" 120 ", now) == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now) == 30.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now) == 0.0  # already passed: now
    assert parse_retry_after("-5", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("", now) is None


def test_a_failures_retry_after_wins_over_the_backoff_up_to_a_cap() -> None:
    from tenacity import wait_fixed

    from storelink_kit.retrying import RetryAfterOr

    class Busy(Exception):
        def __init__(self, retry_after: float | None) -> None:
            super().__init__("busy")
            self.retry_after = retry_after

    wait = RetryAfterOr(wait_fixed(0.5), cap=60.0)

    def after(exc: BaseException) -> float:
        state = RetryCallState(Retrying(), None, (), {})
        state.set_exception((type(exc), exc, None))
        return wait(state)

    assert after(Busy(7.0)) == 7.0
    assert after(Busy(600.0)) == 60.0
    assert after(Busy(None)) == 0.5
    assert after(ValueError("no hint")) == 0.5


async def test_sniffio_is_installed_with_the_kit_so_httpcore_does_not_fail_an_import_per_request() -> None:
    """Issue 13: without sniffio, httpcore tried (and failed) `import sniffio` on every request
    (6 % of connector-wix's CPU). The kit, which brings httpx, brings sniffio too."""
    import importlib.metadata

    import sniffio

    required = importlib.metadata.requires("storelink-kit") or []
    assert any(r.replace(" ", "").startswith("sniffio") for r in required), required
    assert sniffio.current_async_library() == "asyncio"


async def test_readiness_names_the_first_part_that_does_not_answer() -> None:
    from storelink_kit.health import DATABASE_NOT_READY, database_answers, readiness

    async def ok() -> str | None:
        return None

    async def kafka_down() -> str | None:
        return "kafka unreachable"

    def no_engine() -> Any:
        raise AttributeError("the service has not started")  # an unset app.state, say

    assert await readiness([ok, ok]) == (200, {"status": "ok"})
    assert await readiness([]) == (200, {"status": "ok"})
    assert await readiness([ok, kafka_down]) == (503, {"status": "kafka unreachable"})
    assert await readiness([database_answers(no_engine), kafka_down]) == (503, {"status": DATABASE_NOT_READY})
