"""The reconciliation core (pure): each finding on its own, none on a clean set, Decimal money."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from storelink_contracts import OrderLine, OrderTotals, TaxBreakdown
from storelink_control.reconcile import (
    Finding,
    HubDocument,
    HubOrder,
    OrderFacts,
    order_facts,
    reconcile,
)
from storelink_erp_kit.listing import ErpDocument
from storelink_kit.testing.samples import sample_order

DAY = date(2026, 3, 5)
VAT = {D("22"): D("5.30")}


def facts(number: str, gross: str = "29.39", day: date = DAY, vat: dict[D, D] | None = None) -> OrderFacts:
    return OrderFacts(number, f"id-{number}", day, D(gross), VAT if vat is None else vat)


def hub(number: str, *docs: HubDocument, gross: str = "29.39") -> HubOrder:
    return HubOrder(facts(number, gross), docs or (HubDocument("sales_order", "created"),))


def erp(number: str, gross: str = "29.39", kind: str = "sales_order", erp_id: str = "") -> ErpDocument:
    return ErpDocument(number, kind, erp_id or f"mk-{number}", f"SO-{number}", D(gross), VAT)


def clean(n: int) -> tuple[list[OrderFacts], list[HubOrder], list[ErpDocument]]:
    numbers = [f"{i:05d}" for i in range(n)]
    return [facts(x) for x in numbers], [hub(x) for x in numbers], [erp(x) for x in numbers]


def test_a_clean_set_has_no_findings_and_equal_columns() -> None:
    shop, hubs, docs = clean(50)
    report = reconcile(shop, hubs, docs)
    assert report.problems == []
    [row] = report.days
    for column in (row.shop, row.hub, row.erp):
        assert (column.orders, column.gross, dict(column.vat)) == (50, D("1469.50"), {D("22"): D("265.00")})
        assert isinstance(column.gross, D)


def test_an_order_missing_in_the_hub() -> None:
    shop, hubs, docs = clean(3)
    report = reconcile(shop, hubs[1:], docs)
    assert [(p.finding, p.number) for p in report.problems] == [(Finding.MISSING_IN_HUB, "00000")]
    assert (report.days[0].shop.orders, report.days[0].hub.orders, report.days[0].erp.orders) == (3, 2, 3)


def test_an_order_the_shop_did_not_list() -> None:
    shop, hubs, docs = clean(3)
    report = reconcile(shop[:2], hubs, docs)
    assert [(p.finding, p.number) for p in report.problems] == [(Finding.MISSING_IN_SHOP, "00002")]


def test_a_created_document_the_erp_does_not_have() -> None:
    shop, hubs, docs = clean(3)
    report = reconcile(shop, hubs, docs[:2])
    assert [(p.finding, p.number) for p in report.problems] == [(Finding.MISSING_IN_ERP, "00002")]
    assert report.days[0].erp.orders == 2


def test_a_duplicate_in_the_erp_is_named_once_with_both_numbers() -> None:
    shop, hubs, docs = clean(2)
    report = reconcile(shop, hubs, [*docs, erp("00001", erp_id="mk-dup")])
    [problem] = report.problems
    assert (problem.finding, problem.number) == (Finding.DUPLICATED_IN_ERP, "00001")
    assert "2 sales_order" in problem.detail
    assert report.days[0].erp.orders == 2  # an order, not a document


def test_documents_of_different_kinds_are_not_duplicates() -> None:
    shop, _hubs, docs = clean(1)
    both = (HubDocument("sales_order", "created"), HubDocument("invoice_domestic", "created"))
    report = reconcile(shop, [hub("00000", *both)], [*docs, erp("00000", kind="invoice_domestic")])
    assert report.problems == []


def test_an_amount_edited_in_the_erp() -> None:
    shop, hubs, docs = clean(2)
    docs[1] = erp("00001", gross="30.39")
    report = reconcile(shop, hubs, docs)
    assert [(p.finding, p.number) for p in report.problems] == [(Finding.AMOUNT_DIFFERS, "00001")]
    assert "30.39" in report.problems[0].detail
    assert "29.39" in report.problems[0].detail


def test_vat_per_rate_that_differs() -> None:
    shop, hubs, docs = clean(1)
    docs[0] = ErpDocument("00000", "sales_order", "mk", None, D("29.39"), {D("9.5"): D("5.30")})
    report = reconcile(shop, hubs, docs)
    assert [p.finding for p in report.problems] == [Finding.VAT_DIFFERS]


@pytest.mark.parametrize(("delta", "found"), [("0.02", False), ("0.03", True)])
def test_rounding_within_the_tolerance_is_not_a_difference(delta: str, found: bool) -> None:
    shop, hubs, _ = clean(1)
    gross = D("29.39") + D(delta)
    report = reconcile(shop, hubs, [erp("00000", gross=str(gross))])
    assert bool(report.of(Finding.AMOUNT_DIFFERS)) is found


def test_a_credit_note_is_not_compared_with_the_order_amount() -> None:
    shop, hubs, docs = clean(1)
    report = reconcile(shop, hubs, [*docs, erp("00000", gross="-5", kind="credit_note")])
    assert report.problems == []


def test_failed_and_waiting_documents_are_listed_with_their_reason() -> None:
    shop, _, _ = clean(2)
    hubs = [
        hub("00000", HubDocument("sales_order", "failed", "MetaKocka refused the product code")),
        hub("00001", HubDocument("sales_order", "waiting")),
    ]
    report = reconcile(shop, hubs, [])
    assert [(p.finding, p.number) for p in report.problems] == [
        (Finding.DOCUMENT_FAILED, "00000"),
        (Finding.DOCUMENT_WAITING, "00001"),
    ]
    assert "product code" in report.problems[0].detail


def test_a_shadow_document_is_neither_waiting_nor_missing_in_the_erp() -> None:
    shop, _, _ = clean(1)
    report = reconcile(shop, [hub("00000", HubDocument("sales_order", "shadow"))], [])
    assert report.problems == []


def test_the_shop_and_the_hub_disagree_on_an_edited_order() -> None:
    _shop, hubs, docs = clean(1)
    report = reconcile([facts("00000", gross="40.00")], hubs, docs)
    assert [p.finding for p in report.problems] == [Finding.SHOP_HUB_DIFFER]


def test_erp_documents_of_other_orders_are_ignored() -> None:
    shop, hubs, docs = clean(1)
    report = reconcile(shop, hubs, [*docs, erp("manual-1")])
    assert report.problems == []
    assert report.days[0].erp.orders == 1


def test_days_are_apart_and_sorted() -> None:
    later = date(2026, 3, 6)
    shop = [facts("2", day=later), facts("1")]
    hubs = [HubOrder(facts("2", day=later), ()), HubOrder(facts("1"), ())]
    report = reconcile(shop, hubs, [])
    assert [(r.day, r.shop.orders, r.hub.orders, r.erp.orders) for r in report.days] == [
        (DAY, 1, 1, 0),
        (later, 1, 1, 0),
    ]


def test_order_facts_use_the_local_day_and_compute_vat_from_the_lines() -> None:
    late = datetime(2026, 3, 4, 23, 30, tzinfo=UTC)  # 00:30 on the 5th in Ljubljana
    order = sample_order(created_at=late)
    got = order_facts(order, ZoneInfo("Europe/Ljubljana"))
    assert (got.day, got.gross, dict(got.vat)) == (DAY, D("29.39"), {D("22"): D("5.30")})


def test_order_facts_prefer_the_shops_own_vat_breakdown_and_handle_net_prices() -> None:
    net = sample_order(
        prices_include_tax=False,
        shipping=None,
        lines=[OrderLine(line_id="a", name="A", quantity=D("1"), unit_price=D("10"), tax_rate=D("9.5"))],
        totals=OrderTotals(subtotal=D("10"), tax=D("0.95"), total=D("10.95")),
    )
    assert dict(order_facts(net, UTC).vat) == {D("9.5"): D("0.95")}
    own = net.model_copy(
        update={
            "totals": OrderTotals(
                subtotal=D("10"),
                tax=D("0.96"),
                total=D("10.96"),
                tax_by_rate=[TaxBreakdown(rate=D("9.5"), base=D("10"), tax=D("0.96"))],
            )
        }
    )
    assert dict(order_facts(own, UTC).vat) == {D("9.5"): D("0.96")}
