"""Issue 16, replay for a range of days against the simulators over real HTTP and real Kafka: of three
orders the hub holds (their documents made in the MetaKocka simulator), the one edited in the shop
is the only one listed; applying it on confirmation sends exactly one new snapshot, and without
confirmation nothing is sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from storelink_connector_kit.platform import OrderContext
from storelink_contracts import OrderReceived, Platform
from storelink_control.db.tables import DocumentState, OrderSeen
from storelink_erp_metakocka.client import MetakockaClient
from storelink_kit.publishing import EventPublisher
from storelink_kit.testing.expect import ExpectedEvent, expect_events
from storelink_kit.testing.samples import sample_company, sample_connection
from storelink_kit.testing.waits import eventually
from storelink_mapper.mapping import map_order
from storelink_sim_metakocka.state import SimState
from storelink_sim_shopamine.samples import new_order
from storelink_sim_shopamine.state import ALL_SCOPES, Sim, iso

from .conftest import SHOPAMINE_KEY, Live, shopamine_body
from .pipeline import created, run_cli, shop_and_erp

pytestmark = pytest.mark.kafka

DOMAIN = "www.replay-range.si"
FIRST, LAST = "2026-04-01", "2026-04-03"


async def _through_the_hub(
    live: Live, services: EventPublisher, erp: MetakockaClient, orders: list[OrderReceived], tenant_id: str
) -> None:
    """Each order as the services run it: the mapper's documents created in the ERP, control told."""
    cid = orders[0].connection_id
    settings = sample_connection(
        tenant_id=tenant_id,
        connection_id=cid,
        platform=Platform.SHOPAMINE,
        company=sample_company(fiscal_verification=False),
    )
    expected = 0
    for order in orders:
        await services.publish(order, origin=f"poll:{cid}")
        for doc in map_order(order, settings).documents:
            expected += 1
            await services.publish(doc)
            ref = await erp.create_document(doc)
            await services.publish(created(doc, ref, order))

    async def caught_up() -> bool:
        async with live.control.sessions() as session:
            seen = await session.scalar(
                select(func.count()).select_from(OrderSeen).where(OrderSeen.connection_id == cid)
            )
            states = await session.scalar(
                select(func.count()).select_from(DocumentState).where(DocumentState.connection_id == cid)
            )
        return (seen, states) == (len(orders), expected)

    await eventually(caught_up, "control to record the orders and their documents", timeout=60)


async def test_a_range_lists_only_the_order_edited_in_the_shop_and_applies_it_on_confirmation(
    live: Live, services: EventPublisher, mk: tuple[SimState, str]
) -> None:
    _, mk_url = mk
    sim = Sim()
    sim.add_shop(DOMAIN, {SHOPAMINE_KEY: ALL_SCOPES})
    shop = sim.shops[DOMAIN]
    for n in range(3):
        raw = new_order(lines=[("SKU-1", 1 + n, "12.20")], payment_status="pending")
        raw["created"] = iso(datetime(2026, 4, 1, 8, tzinfo=UTC) + timedelta(days=n))
        shop.add_order(raw)

    tenant_id, token = await live.tenant(fiscal_verification=False)
    body = shopamine_body(credentials={"store_url": DOMAIN, "api_key": SHOPAMINE_KEY})
    cid = (await live.connection(tenant_id, token, body))["connection"]["connection_id"]
    async with shop_and_erp(live, sim, DOMAIN, cid, mk_url) as (platform, api, erp):
        page = await api.list_orders(datetime(2026, 1, 1, tzinfo=UTC), None)
        assert page.next_cursor is None
        orders = [platform.map_order(raw, OrderContext(tenant_id, cid)) for raw in page.orders]
        assert all(o is not None for o in orders)
        held = sorted((o for o in orders if o is not None), key=lambda o: o.number)
        assert len(held) == 3
        await _through_the_hub(live, services, erp, held, tenant_id)

        # ---- before any edit: the three are unchanged
        clean = await live.client(token).get(
            f"/v1/connections/{cid}/replay", params={"from": FIRST, "to": LAST}, timeout=120
        )
        assert clean.status_code == 200, clean.text
        assert (clean.json()["orders"], clean.json()["unchanged"]) == ([], 3), clean.json()

        edited = held[1]
        stored = shop.orders[int(edited.external_id)]
        shop.update_order(int(edited.external_id), totals={**stored["totals"], "total": "100.00"})

        said = await run_cli(live, token, "replay", cid, "--from", FIRST, "--to", LAST, "--json")
        assert said.exit_code == 0, said.output
        listed: dict[str, Any] = json.loads(said.stdout)
        assert [o["external_id"] for o in listed["orders"]] == [edited.external_id]
        assert listed["orders"][0]["changes"][0] == (
            f"the order changed in the shop: gross {edited.totals.total} → 100.00"
        )
        assert (listed["unchanged"], listed["applied"]) == (2, [])

        said = await run_cli(live, token, "replay", cid, "--from", FIRST, "--to", LAST)
        assert said.exit_code == 0, said.output
        lines = said.stdout.splitlines()
        assert [line for line in lines if edited.number in line] == [
            f"{edited.number} ({edited.external_id}): " + "; ".join(listed["orders"][0]["changes"])
        ]
        assert "1 would change, 2 unchanged" in lines
        narrow = await run_cli(live, token, "replay", cid, "--from", FIRST, "--to", LAST, columns=30)
        assert narrow.stdout == said.stdout  # one line per order whatever the terminal's width

        # ---- --apply without confirmation (the prompt answered no, or no answer) sends nothing
        async with expect_events(live.bootstrap, live.topics.orders, [], timeout=5, settle=2.0):
            said = await run_cli(
                live, token, "replay", cid, "--from", FIRST, "--to", LAST, "--apply", input="n\n"
            )
            assert "nothing sent" in said.output
            said = await run_cli(live, token, "replay", cid, "--from", FIRST, "--to", LAST, "--apply")
            assert said.exit_code != 0

        # ---- confirmed: exactly one new snapshot, the edited order's, with the shop's new total
        key = f"{cid}:{edited.external_id}"
        async with expect_events(
            live.bootstrap,
            live.topics.orders,
            [ExpectedEvent(type=OrderReceived.event_type, key=key)],
            timeout=30,
        ):
            said = await run_cli(
                live, token, "replay", cid, "--from", FIRST, "--to", LAST, "--apply", "--yes", "--json"
            )
            assert said.exit_code == 0, said.output
            assert json.loads(said.stdout)["applied"] == [edited.external_id]


async def test_a_range_of_replays_is_bounded_and_checked(live: Live) -> None:
    tenant_id, token = await live.tenant()
    cid = (await live.connection(tenant_id, token, shopamine_body()))["connection"]["connection_id"]
    client = live.client(token)
    r = await client.get(f"/v1/connections/{cid}/replay", params={"from": LAST, "to": FIRST})
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "to", "problem": "must not be before 'from'"}]
    r = await client.get(
        f"/v1/connections/{cid}/replay", params={"from": FIRST, "to": LAST, "limit": 100_000}
    )
    assert r.status_code == 422
    _, other = await live.tenant()
    r = await live.client(other).get(f"/v1/connections/{cid}/replay", params={"from": FIRST, "to": LAST})
    assert r.status_code == 404
