"""Issue 14's operator paths over the API and the CLI: plain-language field problems, the default
URL, one verdict per test, IDs never cut, failed ERP documents listed and retried, the order
timeline, and 'Test ERP connection' against the MetaKocka simulator."""

from __future__ import annotations

import asyncio
import json
import time
import tomllib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from faststream.kafka import KafkaBroker
from rich.console import Console
from typer.testing import CliRunner

from storelink_cli.main import app
from storelink_contracts import DocumentCreated, DocumentFailed, FiscalCodes, OrderReceived
from storelink_control.cli import DEFAULT_URL, connections_table, verdict_line
from storelink_control.settings import ControlSettings
from storelink_erp_kit.testing.server import serve_in_thread
from storelink_kit.publishing import EventPublisher
from storelink_kit.testing.expect import ExpectedEvent, expect_events
from storelink_kit.testing.samples import T0, sample_connection, sample_order
from storelink_mapper.mapping import map_order
from storelink_sim_metakocka.app import create_app as create_mk_app
from storelink_sim_metakocka.state import SimState

from .conftest import MK_SECRET, Live, wix_body

pytestmark = pytest.mark.kafka

ROOT = Path(__file__).resolve().parents[3]
runner = CliRunner()
PYDANTIC_WORDING = ("after validation", "Input should", "Field required", "Extra inputs", "String should")


@pytest_asyncio.fixture(loop_scope="session")
async def publisher(live: Live) -> AsyncIterator[EventPublisher]:
    broker = KafkaBroker(live.bootstrap)
    await broker.start()
    yield EventPublisher(broker, live.topics, source="test-pipeline")
    await broker.stop()


async def _eventually(fetch: Any, check: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await fetch()
        if check(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in time; last value: {value}")
        await asyncio.sleep(0.2)


async def _cli(live: Live, token: str, *args: str) -> Any:
    env = {"STORELINK_CONTROL_URL": live.base_url, "STORELINK_CONTROL_TOKEN": token}
    return await asyncio.to_thread(runner.invoke, app, list(args), env=env)


# --------------------------------------------------------------------------- words and defaults


async def test_field_problems_are_in_plain_words_in_the_api_and_the_cli(live: Live) -> None:
    tenant_id, token = await live.tenant()
    body = wix_body(credentials={"api_key": "short", "site_id": "3f2b1c1e-6a7d-4a8e-9f4b-2a1c0d9e8f7a"})
    body.update(polling_interval_seconds=5, target_document="bill", colour="red")
    r = await live.client(token).post(f"/v1/tenants/{tenant_id}/connections", json=body)
    assert r.status_code == 422
    problems = {p["field"]: p["problem"] for p in r.json()["errors"]}
    assert problems == {
        "credentials.api_key": "is too short: give at least 8 characters",
        "polling_interval_seconds": "must be at least 60",
        "target_document": "must be one of: offer, sales_order, invoice",
        "colour": "is not a known setting (check the spelling)",
    }
    assert not any(w in r.text for w in PYDANTIC_WORDING), r.text

    r = await live.client(live.operator).post(
        "/v1/tenants", json={"tenant_id": "X", "company": {"name": "X", "erp": "metakocka"}}
    )
    assert r.json()["errors"] == [
        {"field": "tenant_id", "problem": "use 2 to 63 lower-case letters, digits and dashes, e.g. acme-shop"}
    ]

    result = await _cli(
        live, token, "connections", "add", tenant_id, "--platform", "wix", "--api-key", "short",
        "--credential", "site_id=3f2b1c1e-6a7d-4a8e-9f4b-2a1c0d9e8f7a",
    )  # fmt: skip
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "give at least 8 characters" in said
    assert not any(w in said for w in PYDANTIC_WORDING), said


def test_the_cli_talks_to_where_control_listens_by_default() -> None:
    services = tomllib.loads((ROOT / "deploy" / "services.toml").read_text())["service"]
    control_port = next(s["port"] for s in services if s["name"] == "control")
    assert ControlSettings(_env_file=None).http_port == control_port  # type: ignore[call-arg]
    assert f"http://127.0.0.1:{control_port}" == DEFAULT_URL


@pytest.mark.parametrize("width", [30, 80, 120])
def test_connections_list_never_cuts_an_id(width: int) -> None:
    rows = [
        {
            "connection_id": f"shopamine-{n}a1b2c3d4e5f6",
            "tenant_id": "acme-trgovina-d-o-o",
            "platform": "shopamine",
            "version": 12,
            "enabled": True,
            "target_document": "sales_order",
            "description": "Spletna trgovina z dolgim opisom, ki se lahko prelomi kjerkoli",
        }
        for n in range(3)
    ]
    out = Console(width=width, record=True, force_terminal=False)
    out.print(connections_table(rows, width))
    lines = out.export_text().splitlines()
    for row in rows:
        assert any(row["connection_id"] in line for line in lines), "\n".join(lines)
        assert any(row["tenant_id"] in line for line in lines)


def test_a_test_prints_one_verdict_and_one_sentence() -> None:
    out = Console(width=200, record=True, force_terminal=False)
    out.print(verdict_line("ok", "connected to www.shop.si: items and orders can be read"))
    assert (
        out.export_text().strip()
        == "Connection works: connected to www.shop.si: items and orders can be read"
    )


# --------------------------------------------------------------------------- ERP test


@pytest.fixture
def mk_sim() -> Iterator[str]:
    state = SimState()
    state.add_company("16", MK_SECRET)
    with serve_in_thread(create_mk_app(state), lifespan="off") as url:
        yield url + "/rest/eshop/"


async def test_erp_connection_is_tested_over_the_api_and_the_cli(live: Live, mk_sim: str) -> None:
    live.settings.erp_base_urls["metakocka"] = mk_sim
    try:
        tenant_id, token = await live.tenant()
        client = live.client(token)
        r = await client.post(f"/v1/tenants/{tenant_id}/test-erp")
        assert r.status_code == 200, r.text
        assert (r.json()["verdict"], r.json()["reason"]) == ("ok", "ok"), r.json()

        wrong = {"company_id": "16", "secret_key": "wrong-secret-123"}
        r = await client.put(
            f"/v1/tenants/{tenant_id}/company",
            json={
                "company": {
                    "name": "Acme",
                    "vat_id": "SI12345678",
                    "erp": "metakocka",
                    "erp_credentials": wrong,
                }
            },
        )
        assert r.status_code == 200, r.text
        r = await client.post(f"/v1/tenants/{tenant_id}/test-erp")
        result = r.json()
        assert (result["verdict"], result["reason"]) == ("failed", "wrong_secret"), result
        assert "wrong-secret-123" not in r.text

        said = await _cli(live, token, "tenants", "test-erp", tenant_id)
        assert said.exit_code == 2
        assert said.output.startswith("Connection failed: ")
        assert said.output.count("failed") == 1, said.output
    finally:
        live.settings.erp_base_urls.pop("metakocka", None)


async def test_other_tenants_erp_cannot_be_tested(live: Live) -> None:
    tenant_a, _ = await live.tenant()
    _, token_b = await live.tenant()
    r = await live.client(token_b).post(f"/v1/tenants/{tenant_a}/test-erp")
    assert r.status_code == 404


# --------------------------------------------------------------------------- documents and timeline


async def test_failed_documents_are_listed_retried_and_the_timeline_tells_the_story(
    live: Live, publisher: EventPublisher
) -> None:
    tenant_id, token = await live.tenant()
    cid = (await live.connection(tenant_id, token))["connection"]["connection_id"]
    client = live.client(token)
    order = sample_order(tenant_id=tenant_id, connection_id=cid, external_id="o-77", number="7007")
    await publisher.publish(order, origin=f"webhook:{cid}")
    paid_later = order.model_copy(update={"updated_at": T0.replace(hour=11)})
    await publisher.publish(paid_later, origin=f"poll:{cid}")
    requested = map_order(order, sample_connection(tenant_id=tenant_id, connection_id=cid)).documents
    assert requested
    assert all(d.why for d in requested)
    for doc in requested:
        await publisher.publish(doc)
    failed = requested[0]
    await publisher.publish(
        DocumentFailed(
            tenant_id=tenant_id,
            connection_id=cid,
            idempotency_key=failed.idempotency_key,
            kind=failed.kind,
            erp=failed.erp,
            order_external_id="o-77",
            settings_version=1,
            reason="MetaKocka refused the API key (secret_key): enter the right key in the company settings",
            code="3",
            failed_at=T0,
        )
    )

    async def failed_docs() -> Any:
        return (await client.get("/v1/documents", params={"state": "failed"})).json()

    # the order and the result are folded from two topics: wait until both have been read
    rows = await _eventually(failed_docs, lambda rows: len(rows) == 1 and rows[0]["order_number"] is not None)
    assert rows[0]["idempotency_key"] == failed.idempotency_key
    assert rows[0]["order_number"] == "7007"
    assert rows[0]["code"] == "3"
    assert "secret_key" in rows[0]["reason"]

    said = await _cli(live, token, "documents", "list", "--failed")
    assert said.exit_code == 0, said.output
    assert failed.idempotency_key in said.output

    # retry: the order goes out again (origin control-retry) for the mapper and the ERP adapter
    def resent(rec: Any) -> bool:
        envelope, event = rec.decode()
        return isinstance(event, OrderReceived) and envelope.origin == "control-retry"

    async with expect_events(
        live.bootstrap,
        live.topics.orders,
        [ExpectedEvent(type=OrderReceived.event_type, key=f"{cid}:o-77", where=resent)],
        timeout=30,
    ):
        said = await _cli(live, token, "documents", "retry", failed.idempotency_key)
        assert said.exit_code == 0, said.output
        assert "1 sent again" in said.output
    other_tenant = (await live.tenant())[1]
    r = await live.client(other_tenant).post(
        "/v1/documents/retry", json={"idempotency_key": failed.idempotency_key}
    )
    assert r.status_code == 404

    await publisher.publish(
        DocumentCreated(
            tenant_id=tenant_id,
            connection_id=cid,
            idempotency_key=failed.idempotency_key,
            kind=failed.kind,
            erp=failed.erp,
            erp_document_id="160042",
            erp_number="2026-00042",
            fiscal=FiscalCodes(zoi="a" * 32, eor="e3a5c1f0-0000-4000-8000-000000000001"),
            settings_version=2,
            order_external_id="o-77",
            created_at=T0.replace(hour=12),
        )
    )
    assert (await _eventually(failed_docs, lambda rows: rows == [])) == []

    async def timeline() -> Any:
        return (await client.get("/v1/orders", params={"number": "#7007"})).json()

    stories = await _eventually(
        timeline,
        lambda t: (
            len(t) == 1
            and len(t[0]["snapshots"]) >= 3
            and any(d["result"] and d["result"]["erp_number"] for d in t[0]["documents"])
        ),
    )
    story = stories[0]
    assert [s["via"] for s in story["snapshots"]][:2] == ["webhook", "poll"]
    assert "replay" in [s["via"] for s in story["snapshots"]]
    kinds = {d["kind"]: d for d in story["documents"]}
    first = kinds[failed.kind.value]
    assert first["why"] == failed.why
    assert first["result"]["state"] == "created"
    assert (first["result"]["erp_number"], first["result"]["fiscal_eor"]) == (
        "2026-00042",
        "e3a5c1f0-0000-4000-8000-000000000001",
    )
    assert first["result"]["fiscal_zoi"] == "a" * 32
    assert json.loads((await client.get("/v1/orders", params={"number": "no-such"})).text) == []


async def test_control_serves_prometheus_metrics(live: Live) -> None:
    """Issue 14: k8s annotates control for scraping at /metrics; control did not serve it."""
    tenant_id, token = await live.tenant()
    await live.connection(tenant_id, token)
    async with httpx.AsyncClient(base_url=live.base_url) as client:
        answer = await client.get("/metrics")
    assert answer.status_code == 200
    assert "storelink_events_published_total" in answer.text
    assert 'event_type="storelink.connection.configured.v1"' in answer.text
