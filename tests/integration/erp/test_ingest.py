"""The ERP event ingest: authenticated, validated against the contracts, all-or-nothing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pydantic import ValidationError

from storelink_contracts import TopicNames
from storelink_erp_kit.ingest import IngestSettings, create_ingest_app
from storelink_erp_kit.testing.server import serve_in_thread
from storelink_kit.settings import KafkaSettings
from storelink_kit.testing.expect import ExpectedEvent, expect_events
from storelink_kit.testing.kafka_broker import free_port

pytestmark = pytest.mark.kafka
TOKEN = "ingest-token-acme-0123456789"


@pytest.fixture
def ingest_url(kafka_settings: KafkaSettings) -> Iterator[str]:
    settings = IngestSettings(
        kafka=kafka_settings, tokens={"acme": TOKEN, "other": "other-token-98765432109876543210"}
    )
    with serve_in_thread(create_ingest_app(settings)) as url:
        yield url


def stock(sku: str, qty: str = "5", tenant: str = "acme") -> dict[str, str]:
    return {
        "tenant_id": tenant,
        "warehouse": "glavni",
        "sku": sku,
        "quantity": qty,
        "as_of": "2026-11-24T10:00:00Z",
    }


async def test_valid_batch_is_published(
    ingest_url: str, kafka_bootstrap: str, topic_names: TopicNames
) -> None:
    expected = [ExpectedEvent(type="storelink.stock.changed.v1", key=f"acme:glavni:{s}") for s in ("A", "B")]
    async with expect_events(kafka_bootstrap, topic_names.stock, expected):
        async with httpx.AsyncClient() as http:
            r = await http.post(
                f"{ingest_url}/v1/stock",
                json={"events": [stock("A"), stock("B", "7.5")]},
                headers={"authorization": f"Bearer {TOKEN}"},
            )
    assert r.status_code == 202, r.text
    assert r.json() == {"accepted": True, "published": 2}


async def test_invalid_batch_is_rejected_with_reasons_and_nothing_is_published(
    ingest_url: str, kafka_bootstrap: str, topic_names: TopicNames
) -> None:
    bad_price = {
        "tenant_id": "acme",
        "price_list": "MPC",
        "sku": "A",
        "amount": 12.2,
        "currency": "EUR",
        "includes_tax": True,
        "tax_rate": "22",
        "as_of": "2026-11-24T10:00:00Z",
    }
    async with expect_events(kafka_bootstrap, topic_names.stock, [], settle=1.0):
        async with httpx.AsyncClient() as http:
            r = await http.post(
                f"{ingest_url}/v1/stock",
                json=[
                    stock("A"),
                    {**stock("B"), "as_of": "2026-11-24T10:00:00"},
                    stock("C", tenant="other"),
                    {"tenant_id": "acme", "sku": "D"},
                ],
                headers={"authorization": f"Bearer {TOKEN}"},
            )
    assert r.status_code == 422
    body = r.json()
    assert body["published"] == 0
    assert body["accepted"] is False
    by_index = {e["index"]: " ".join(e["reasons"]) for e in body["errors"]}
    assert set(by_index) == {1, 2, 3}
    assert "timezone" in by_index[1]
    assert "does not belong to this token" in by_index[2]
    assert "warehouse" in by_index[3]
    assert "quantity" in by_index[3]
    async with expect_events(kafka_bootstrap, topic_names.prices, [], settle=1.0):
        async with httpx.AsyncClient() as http:
            r = await http.post(
                f"{ingest_url}/v1/prices", json=[bad_price], headers={"authorization": f"Bearer {TOKEN}"}
            )
    assert r.status_code == 422
    assert "floating-point" in r.json()["errors"][0]["reasons"][0]


async def test_token_is_required(ingest_url: str) -> None:
    async with httpx.AsyncClient() as http:
        none = await http.post(f"{ingest_url}/v1/stock", json=[stock("A")])
        wrong = await http.post(
            f"{ingest_url}/v1/stock", json=[stock("A")], headers={"authorization": "Bearer nope"}
        )
    assert none.status_code == 401
    assert wrong.status_code == 401


async def test_items_follow_the_wire_rule_of_the_published_schemas(
    ingest_url: str, kafka_bootstrap: str, topic_names: TopicNames
) -> None:
    """What docs/schemas refuses, the ingest refuses: a JSON number or exponent is not a quantity."""
    items = [stock("A", 5), stock("B", "1E+2"), stock("C", " 5"), stock("D", "5")]  # type: ignore[arg-type]
    async with expect_events(kafka_bootstrap, topic_names.stock, [], settle=1.0):
        async with httpx.AsyncClient() as http:
            r = await http.post(
                f"{ingest_url}/v1/stock", json=items, headers={"authorization": f"Bearer {TOKEN}"}
            )
    assert r.status_code == 422, r.text
    by_index = {e["index"]: " ".join(e["reasons"]) for e in r.json()["errors"]}
    assert set(by_index) == {0, 1, 2}
    assert all("plain notation" in reason for reason in by_index.values())


async def test_it_is_run_like_every_service_readiness_and_metrics(ingest_url: str) -> None:
    """Kubernetes probes /healthz and /readyz and scrapes /metrics on the service port."""
    async with httpx.AsyncClient() as http:
        health = await http.get(f"{ingest_url}/healthz")
        ready = await http.get(f"{ingest_url}/readyz")
        await http.post(
            f"{ingest_url}/v1/stock", json=[stock("A", "x")], headers={"authorization": f"Bearer {TOKEN}"}
        )
        metrics = await http.get(f"{ingest_url}/metrics")
    assert health.status_code == 200
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ok"}
    assert metrics.status_code == 200
    assert 'storelink_ingest_batches_total{kind="stock",outcome="invalid"}' in metrics.text


def test_readiness_says_when_kafka_does_not_answer() -> None:
    settings = IngestSettings(
        kafka=KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}"), tokens={"acme": TOKEN}
    )
    app = create_ingest_app(settings)
    with serve_in_thread(app, lifespan="off") as url:
        ready = httpx.get(f"{url}/readyz", timeout=30)
    assert ready.status_code == 503
    assert ready.json() == {"status": "kafka unreachable"}


@pytest.mark.parametrize(
    ("tokens", "problem"),
    [
        ('{"acme": "short"}', "at least 24 characters"),
        (
            '{"acme": "same-token-for-two-tenants-0123", "other": "same-token-for-two-tenants-0123"}',
            "one tenant",
        ),
        ('["not", "a", "map"]', "tokens"),
    ],
)
def test_weak_or_ambiguous_tokens_stop_the_service_at_start(
    tokens: str, problem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORELINK_ERP_INGEST_TOKENS", tokens)
    with pytest.raises(ValidationError, match=problem) as info:
        IngestSettings()
    assert "same-token-for-two" not in str(info.value)  # never a token in an error message


def test_tokens_come_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORELINK_ERP_INGEST_TOKENS", '{"acme": "' + TOKEN + '"}')
    assert {k: v.get_secret_value() for k, v in IngestSettings().tokens.items()} == {"acme": TOKEN}
    assert TOKEN not in repr(IngestSettings())
