"""Issue 16, the reconciliation report against the simulators over real HTTP: the Shopamine simulator
holds the shop's orders, control (real Kafka) the hub's view, the MetaKocka simulator the documents.
A clean set gives no finding; each planted problem is found, and nothing else. The API, the CLI's
table, `--json` and `--csv` say the same.

The set is small here (the suite's time); `bench/bench_reconcile.py` measures large ones.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from storelink_connector_kit.platform import OrderContext
from storelink_contracts import (
    DocumentFailed,
    DocumentKind,
    DocumentRequested,
    OrderReceived,
    Platform,
)
from storelink_control.db.tables import DocumentRequest, DocumentState, OrderSeen
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

DOMAIN = "www.recon-shop.si"
FIRST, LAST = "2026-03-01", "2026-03-10"
ORDERS = 120


def created_on(n: int) -> str:
    """Ten days of March, spread over the day; the last order is late on the 10th in UTC, which is
    already the 11th in Ljubljana: outside the range on every side."""
    if n == ORDERS - 1:
        return iso(datetime(2026, 3, 10, 23, 30, tzinfo=UTC))
    return iso(datetime(2026, 3, 1, 7, tzinfo=UTC) + timedelta(days=n % 10, minutes=n))


def shop_order(n: int) -> dict[str, Any]:
    lines = [("SKU-1", 1 + n % 3, "12.20")]
    if n % 4 == 0:
        lines.append(("BOOK-1", 1, "10.95"))  # a 9.5 % line next to the 22 % ones
    order = new_order(lines=lines, payment_status="paid" if n % 5 else "pending")
    if n % 4 == 0:
        order["items"][1]["tax_rate"] = "9.5"
        gross_22 = sum((D(i["price"]) * i["quantity"] for i in order["items"][:1]), D("3.90"))
        gross_95 = D("10.95")
        tax = sum((g - g / (1 + r / 100) for g, r in ((gross_22, D(22)), (gross_95, D("9.5")))), D(0))
        order["totals"]["tax"] = format(tax.quantize(D("0.01")), "f")
    order["created"] = created_on(n)
    return order


async def _report(live: Live, token: str, cid: str) -> dict[str, Any]:
    r = await live.client(token).get(
        f"/v1/connections/{cid}/reconciliation", params={"from": FIRST, "to": LAST}, timeout=120
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def findings(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(p["finding"], p["number"]) for p in report["problems"]}


async def test_reconciliation_finds_each_planted_problem_and_nothing_else(
    live: Live, services: EventPublisher, mk: tuple[SimState, str]
) -> None:
    mk_state, mk_url = mk
    sim = Sim()
    sim.add_shop(DOMAIN, {SHOPAMINE_KEY: ALL_SCOPES})
    shop = sim.shops[DOMAIN]
    for n in range(ORDERS):
        shop.add_order(shop_order(n))

    tenant_id, token = await live.tenant(fiscal_verification=False)
    body = shopamine_body(credentials={"store_url": DOMAIN, "api_key": SHOPAMINE_KEY})
    cid = (await live.connection(tenant_id, token, body))["connection"]["connection_id"]
    settings = sample_connection(
        tenant_id=tenant_id,
        connection_id=cid,
        platform=Platform.SHOPAMINE,
        company=sample_company(fiscal_verification=False),
    )
    async with shop_and_erp(live, sim, DOMAIN, cid, mk_url) as (platform, api, erp):
        # the pipeline as the services run it: the connector maps what the shop API lists,
        # the mapper asks for documents, the ERP adapter creates them, control hears it all
        raw_orders: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            page = await api.list_orders(datetime(2026, 1, 1, tzinfo=UTC), cursor)
            raw_orders += [dict(o) for o in page.orders]
            if (cursor := page.next_cursor) is None:
                break
        orders: dict[str, OrderReceived] = {}
        for raw in raw_orders:
            order = platform.map_order(raw, OrderContext(tenant_id, cid))
            assert order is not None
            orders[order.number] = order
        assert len(orders) == ORDERS
        numbers = sorted(orders)
        failed_number = next(n for n in numbers if orders[n].payment_status.value == "paid")
        requested: dict[str, list[DocumentRequested]] = {}
        for number, order in orders.items():
            await services.publish(order, origin=f"poll:{cid}")
            docs = map_order(order, settings).documents
            assert docs, order
            requested[number] = docs
            for doc in docs:
                await services.publish(doc)
                if number == failed_number and doc.kind is DocumentKind.INVOICE_DOMESTIC:
                    await services.publish(
                        DocumentFailed(
                            tenant_id=tenant_id,
                            connection_id=cid,
                            idempotency_key=doc.idempotency_key,
                            kind=doc.kind,
                            erp=doc.erp,
                            order_external_id=order.external_id,
                            settings_version=1,
                            reason="MetaKocka refused the product code SKU-1",
                            code="2",
                            failed_at=order.created_at,
                        )
                    )
                    continue
                ref = await erp.create_document(doc)
                await services.publish(created(doc, ref, order))
        expected_docs = sum(len(d) for d in requested.values())
        assert expected_docs > ORDERS  # paid orders have an invoice too

        async def hub_caught_up() -> bool:
            async with live.control.sessions() as session:
                seen = await session.scalar(
                    select(func.count()).select_from(OrderSeen).where(OrderSeen.connection_id == cid)
                )
                states = await session.scalar(
                    select(func.count()).select_from(DocumentState).where(DocumentState.connection_id == cid)
                )
                asked = await session.scalar(
                    select(func.count())
                    .select_from(DocumentRequest)
                    .where(DocumentRequest.connection_id == cid)
                )
            return (seen, states, asked) == (ORDERS, expected_docs, expected_docs)

        await eventually(hub_caught_up, "control to record every order and document", timeout=60)

        # ---- a clean set: only the failed document is a finding; the columns agree
        clean = await _report(live, token, cid)
        assert findings(clean) == {("document_failed", failed_number)}, clean["problems"]
        in_range = ORDERS - 1
        totals = clean["totals"]
        assert (totals["shop"]["orders"], totals["hub"]["orders"], totals["erp"]["orders"]) == (
            in_range,
            in_range,
            in_range,
        )
        assert totals["shop"]["gross"] == totals["hub"]["gross"]
        assert totals["shop"]["vat"] == totals["hub"]["vat"]
        assert {v["rate"] for v in totals["shop"]["vat"]} == {"22", "9.5"}
        assert [d["day"] for d in clean["days"]] == [f"2026-03-{d:02d}" for d in range(1, 11)]

        # ---- plant one problem of each kind
        invoiced = [n for n in numbers if len(requested[n]) > 1 and n != failed_number]
        gone, doubled, edited = numbers[10], invoiced[20], numbers[30]
        async with live.control.sessions() as session, session.begin():
            await session.execute(
                delete(OrderSeen).where(
                    OrderSeen.connection_id == cid, OrderSeen.external_id == orders[gone].external_id
                )
            )
        invoice = next(d for d in requested[doubled] if d.kind is DocumentKind.INVOICE_DOMESTIC)
        await erp.create_document(invoice)  # a second invoice made directly in the ERP
        stored = next(
            d
            for d in mk_state.documents["16"]
            if d["buyer_order"] == edited and d["doc_type"] == "sales_order"
        )
        before = copy.deepcopy(stored["product_list"][0])
        stored["product_list"][0]["price_with_tax"] = "99.00"  # edited by hand in the ERP
        assert stored["product_list"][0] != before

        planted = await _report(live, token, cid)
        assert findings(planted) == {
            ("document_failed", failed_number),
            ("missing_in_hub", gone),
            ("duplicated_in_erp", doubled),
            ("amount_differs", edited),
            ("vat_differs", edited),
        }, planted["problems"]
        assert planted["totals"]["hub"]["orders"] == in_range - 1

        # ---- the CLI says the same: JSON, CSV and the table; it exits 3 on differences
        said = await run_cli(live, token, "reconcile", cid, "--from", FIRST, "--to", LAST, "--json")
        assert said.exit_code == 3, said.output
        assert findings(json.loads(said.stdout)) == findings(planted)
        said = await run_cli(live, token, "reconcile", cid, "--from", FIRST, "--to", LAST, "--csv")
        rows = list(csv.DictReader(io.StringIO(said.stdout)))
        assert {(r["finding"], r["number"]) for r in rows if r["row"] == "problem"} == findings(planted)
        assert [r["day"] for r in rows if r["row"] == "day"] == [d["day"] for d in planted["days"]]
        said = await run_cli(live, token, "reconcile", cid, "--from", FIRST, "--to", LAST)
        assert said.exit_code == 3
        for finding, number in findings(planted):
            assert finding in said.stdout
            assert number in said.stdout

        # ---- each order with a difference becomes a needs-attention item, the differences its reasons
        said = await run_cli(live, token, "reconcile", cid, "--from", FIRST, "--to", LAST, "--attention")
        assert said.exit_code == 3

        async def items() -> dict[str, list[str]]:
            rows = (await live.client(token).get("/v1/attention")).json()
            return {r["number"]: r["reasons"] for r in rows if r["connection_id"] == cid}

        numbers_found = {number for _, number in findings(planted)}
        await eventually(
            lambda: _same_keys(items, numbers_found), "the needs-attention items of the differences"
        )
        raised = await items()
        assert any("duplicated in erp" in r for r in raised[doubled])
        assert {"amount differs", "vat differs"} <= {r.split(": ")[1] for r in raised[edited]}

        # ---- replay with a diff: the order edited in the ERP needs a credit note; one edited in the
        # shop shows its new amount; applying it (on confirmation only) sends the shop's snapshot again
        client = live.client(token)
        r = await client.get(f"/v1/connections/{cid}/orders/{orders[edited].external_id}/replay")
        assert r.status_code == 200, r.text
        assert any(c.endswith("a credit note is needed") for c in r.json()["changes"]), r.json()
        changed = numbers[40]
        shop.update_order(
            int(orders[changed].external_id),
            totals={**shop.orders[int(orders[changed].external_id)]["totals"], "total": "100.00"},
        )
        path = f"/v1/connections/{cid}/orders/{orders[changed].external_id}/replay"
        diff = (await client.get(path)).json()
        assert diff["shop_gross"] == "100.00"
        assert (
            diff["changes"][0]
            == f"the order changed in the shop: gross {orders[changed].totals.total} → 100.00"
        )
        assert (await client.post(path, json={"confirm": False})).status_code == 422
        said = await run_cli(live, token, "replay", cid, orders[changed].external_id)
        assert said.exit_code == 0, said.output
        assert "the order changed in the shop" in said.stdout
        assert "run again with --apply" in said.stdout
        async with expect_events(
            live.bootstrap,
            live.topics.orders,
            [ExpectedEvent(type=OrderReceived.event_type, key=f"{cid}:{orders[changed].external_id}")],
            timeout=30,
        ):
            r = await client.post(path, json={"confirm": True})
            assert r.status_code == 200, r.text
            assert r.json()["applied"] is True


async def test_a_bad_range_is_a_422_with_a_reason_and_another_tenants_connection_is_404(live: Live) -> None:
    tenant_id, token = await live.tenant()
    cid = (await live.connection(tenant_id, token, shopamine_body()))["connection"]["connection_id"]
    client = live.client(token)
    r = await client.get(f"/v1/connections/{cid}/reconciliation", params={"from": LAST, "to": FIRST})
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "to", "problem": "must not be before 'from'"}]
    r = await client.get(
        f"/v1/connections/{cid}/reconciliation", params={"from": "2026-01-01", "to": "2026-12-31"}
    )
    assert r.status_code == 422
    assert "at most" in r.text
    r = await client.get(f"/v1/connections/{cid}/reconciliation", params={"from": "March", "to": LAST})
    assert r.status_code == 422
    _, other = await live.tenant()
    r = await live.client(other).get(
        f"/v1/connections/{cid}/reconciliation", params={"from": FIRST, "to": LAST}
    )
    assert r.status_code == 404


async def _same_keys(items: Any, expected: set[str]) -> bool:
    return set(await items()) == expected
