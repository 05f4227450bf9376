"""Shadow mode in control (issue 16): a connection setting switched from the CLI, published to every
service; the documents mapped in shadow mode are listed as 'would send' (API and CLI) and marked in
the order's timeline; the reconciliation expects none of them in the ERP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from storelink_contracts import ConnectionConfigured
from storelink_kit.publishing import EventPublisher
from storelink_kit.testing.expect import ExpectedEvent, expect_events
from storelink_kit.testing.samples import sample_connection, sample_order
from storelink_kit.testing.waits import eventually
from storelink_mapper.mapping import map_order

from .conftest import Live
from .pipeline import run_cli

pytestmark = pytest.mark.kafka


async def test_shadow_mode_is_switched_published_and_its_documents_listed_as_would_send(
    live: Live, services: EventPublisher
) -> None:
    tenant_id, token = await live.tenant()
    cid = (await live.connection(tenant_id, token))["connection"]["connection_id"]
    client = live.client(token)

    def shadow_is(value: bool) -> ExpectedEvent:
        return ExpectedEvent(
            type=ConnectionConfigured.event_type,
            key=cid,
            where=lambda r: r.event.shadow is value,  # type: ignore[attr-defined]
        )

    async with expect_events(live.bootstrap, live.topics.connections, [shadow_is(True)], timeout=30):
        said = await run_cli(live, token, "shadow", "on", cid)
        assert said.exit_code == 0, said.output
        assert "shadow mode" in said.output
    assert (await client.get(f"/v1/connections/{cid}")).json()["shadow"] is True

    order = sample_order(tenant_id=tenant_id, connection_id=cid, external_id="o-shadow", number="9009")
    docs = map_order(order, sample_connection(tenant_id=tenant_id, connection_id=cid, shadow=True)).documents
    assert docs
    assert all(d.shadow for d in docs)

    async def would_send() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (
            await client.get("/v1/documents/would-send", params={"connection_id": cid})
        ).json()
        return rows

    # orders and documents are separate topics, consumed independently: the documents are listed
    # even before control has seen their order, and the order's number joins once it has
    for doc in docs:
        await services.publish(doc)

    async def listed_without_number() -> bool:
        rows = await would_send()
        return len(rows) == len(docs) and all(r["order_number"] is None for r in rows)

    await eventually(listed_without_number, "control to list the shadow documents", timeout=30)
    await services.publish(order, origin=f"poll:{cid}")

    async def listed_with_number() -> bool:
        return all(r["order_number"] == "9009" for r in await would_send())

    await eventually(listed_with_number, "the order's number to join the listing", timeout=30)
    rows = await would_send()
    assert {r["idempotency_key"] for r in rows} == {d.idempotency_key for d in docs}
    assert {r["order_number"] for r in rows} == {"9009"}
    assert all(r["why"] for r in rows)

    said = await run_cli(live, token, "shadow", "list", "--connection", cid, "--json")
    assert said.exit_code == 0, said.output
    assert {r["idempotency_key"] for r in json.loads(said.stdout)} == {d.idempotency_key for d in docs}

    async def timeline() -> list[dict[str, Any]]:
        answer: list[dict[str, Any]] = (await client.get("/v1/orders", params={"number": "9009"})).json()
        return answer

    await eventually(lambda: _has_documents(timeline, len(docs)), "the timeline to show the documents")
    [story] = await timeline()
    assert [d["shadow"] for d in story["documents"]] == [True] * len(docs)
    assert all(d["result"] is None for d in story["documents"])

    # another tenant sees none of it
    _, other = await live.tenant()
    assert (await live.client(other).get("/v1/documents/would-send")).json() == []

    async with expect_events(live.bootstrap, live.topics.connections, [shadow_is(False)], timeout=30):
        said = await run_cli(live, token, "shadow", "off", cid)
        assert said.exit_code == 0, said.output
        assert "sending again" in said.output


async def _has_documents(timeline: Any, n: int) -> bool:
    stories = await timeline()
    return len(stories) == 1 and len(stories[0]["documents"]) == n
