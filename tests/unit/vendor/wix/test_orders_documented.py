"""Issue 12, Wix items 1, 2, 3, 5, 6: documented order shapes through OUR parser and the mapper.

Each order comes from the corpus (tests/corpus/wix/*.json, with its source and date). The mapping
is checked field by field, then the canonical order goes through the mapper with a Slovenian
company, so a wrong VAT or a double-counted discount shows up as wrong money on the document.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from storelink_connector_kit.platform import MappingProblem, OrderContext
from storelink_connector_wix.mapping import map_wix_order
from storelink_contracts import BuyerKind, OrderReceived, PaymentMethod
from storelink_kit.testing.samples import sample_company, sample_connection
from storelink_mapper.mapping import map_order

from ....corpus.wix_examples import example, merged

D = Decimal
CTX = OrderContext(tenant_id="acme", connection_id="conn-wix-1")


def mapped(raw: dict[str, Any], ctx: OrderContext = CTX) -> OrderReceived:
    order = map_wix_order(raw, ctx)
    assert order is not None
    return order


def documents(order: OrderReceived) -> Any:
    """The invoice for the order; fiscal verification is left out (the money is what is checked
    here; these orders carry no transactions, so a verifying company would hold their invoices)."""
    connection = sample_connection(
        company=sample_company(fiscal_verification=False), target_document="invoice", auto_invoice_paid=False
    )
    return map_order(order, connection)


def check_money(name: str) -> OrderReceived:
    ex = example(name)
    want = ex["expect"]
    order = mapped(ex["order"])
    lines = order.lines
    if "line_rates" in want:
        assert [ln.tax_rate for ln in lines] == [D(r) for r in want["line_rates"]]
    if "line_units" in want:
        assert [ln.unit_price for ln in lines] == [D(u) for u in want["line_units"]]
    if "line_discounts" in want:
        assert [ln.discount for ln in lines] == [D(u) for u in want["line_discounts"]]
    if "shipping_rate" in want:
        assert order.shipping is not None
        assert order.shipping.tax_rate == D(want["shipping_rate"])
    assert order.totals.tax == D(want["tax"])
    assert order.totals.total == D(want["total"])
    if "tax_by_rate" in want:
        assert order.totals.tax_by_rate is not None
        assert {b.rate: b.tax for b in order.totals.tax_by_rate} == {
            D(r): D(t) for r, t in want["tax_by_rate"].items()
        }
    if "order_discounts" in want:
        assert [d.amount for d in order.discounts] == [D(a) for a in want["order_discounts"]]
    result = documents(order)
    assert result.documents, result.attention
    assert not result.attention, result.attention
    doc = result.documents[0]
    assert (doc.totals.tax, doc.totals.gross) == (D(want["document"]["tax"]), D(want["document"]["gross"]))
    if "treatment" in want["document"]:
        assert doc.tax_treatment.value == want["document"]["treatment"]
    return order


# ------------------------------------------------------------------ item 1: taxInfo (and taxDetails)


def test_item1_taxinfo_in_todays_shape_gives_the_vat_rates_and_the_shops_tax_per_rate() -> None:
    check_money("order_taxinfo_gross")


def test_item1_deprecated_taxdetails_is_still_read() -> None:
    check_money("order_taxdetails_deprecated")


def test_item1_strict_about_money_a_rate_wix_does_not_document_is_refused() -> None:
    raw = example("order_taxinfo_gross")["order"]
    raw["lineItems"][0]["taxInfo"]["taxRate"] = "22"  # a percentage, not the documented fraction
    with pytest.raises(MappingProblem, match="between 0 and 1"):
        map_wix_order(raw, CTX)
    raw = example("order_taxinfo_gross")["order"]
    del raw["lineItems"][0]["taxInfo"]  # neither taxInfo nor taxDetails, yet the order charges tax
    with pytest.raises(MappingProblem, match="no tax rate"):
        map_wix_order(raw, CTX)
    raw = example("order_taxinfo_gross")["order"]
    raw["lineItems"][0]["taxInfo"]["taxRate"] = "zero"
    with pytest.raises(MappingProblem, match="not a number"):
        map_wix_order(raw, CTX)


def test_item1_an_untaxed_line_without_tax_fields_is_zero_rated() -> None:
    raw = example("order_buyer_vat_id")["order"]
    del raw["lineItems"][0]["taxInfo"]  # the order charges no tax at all
    assert mapped(raw).lines[0].tax_rate == 0


# ------------------------------------------------------------------ item 2: price after line discounts


def test_item2_a_line_coupon_is_subtracted_once() -> None:
    check_money("order_line_discount")


def test_item2_without_line_totals_price_before_discounts_and_total_discount_agree() -> None:
    raw = example("order_line_discount")["order"]
    for key in ("totalPriceBeforeTax", "totalPriceAfterTax"):
        del raw["lineItems"][0][key]
    line = mapped(raw).lines[0]
    assert (line.unit_price, line.discount) == (D("15.00"), D("6.00"))


# ------------------------------------------------------------------ item 3: every documented state


@pytest.mark.parametrize("case", example("order_states")["status"], ids=lambda c: c["status"])
def test_item3_order_status(case: dict[str, Any]) -> None:
    raw = example("order_taxinfo_gross")["order"]
    raw["status"] = case["status"]
    order = map_wix_order(raw, CTX)
    if not case["imported"]:
        assert order is None, f"a {case['status']} order must never become an ERP document"
    else:
        assert order is not None
        assert order.status.value == case["order_status"]


@pytest.mark.parametrize("case", example("order_states")["paymentStatus"], ids=lambda c: c["paymentStatus"])
def test_item3_payment_status(case: dict[str, Any]) -> None:
    raw = example("order_taxinfo_gross")["order"]
    raw["paymentStatus"] = case["paymentStatus"]
    assert mapped(raw).payment_status.value == case["payment_status"]


def test_item3_a_declined_or_rejected_order_never_becomes_a_sales_order() -> None:
    raw = example("order_taxinfo_gross")["order"]
    raw.update(status="REJECTED", paymentStatus="DECLINED")
    assert map_wix_order(raw, CTX) is None
    raw.update(status="PENDING", paymentStatus="PENDING_MERCHANT")
    assert map_wix_order(raw, CTX) is None


# ------------------------------------------------------------------ item 5: buyer VAT id


def test_item5_the_vat_id_comes_from_the_checkout_field_the_connection_names() -> None:
    ex = example("order_buyer_vat_id")
    order = check_money("order_buyer_vat_id")
    assert (order.buyer.kind, order.buyer.vat_id) == (BuyerKind.COMPANY, "ATU12345678")
    for variant in ex["variants"]:
        got = mapped(merged(ex["order"], variant["patch"]))
        assert got.buyer.kind.value == variant["expect"]["kind"], variant["name"]
        assert got.buyer.vat_id == variant["expect"]["vat_id"], variant["name"]


def test_item5_the_field_title_is_a_connection_setting() -> None:
    raw = example("order_buyer_vat_id")["order"]
    raw["customFields"] = [{"title": "ID za DDV", "value": "ATU12345678"}]
    assert mapped(raw).buyer.vat_id is None  # the default title is "VAT ID"
    named = OrderContext(tenant_id="acme", connection_id="c", options={"buyer_vat_id_field": "id za ddv"})
    assert mapped(raw, named).buyer.vat_id == "ATU12345678"
    off = OrderContext(tenant_id="acme", connection_id="c", options={"buyer_vat_id_field": ""})
    raw["customFields"] = [{"title": "VAT ID", "value": "ATU12345678"}]
    assert mapped(raw, off).buyer.vat_id is None


def test_item5_a_brazilian_cpf_does_not_make_a_person_a_company() -> None:
    raw = example("order_taxinfo_gross")["order"]
    raw["billingInfo"]["contactDetails"]["vatId"] = {"id": "12345678909", "type": "CPF"}
    order = mapped(raw)
    assert (order.buyer.kind, order.buyer.vat_id) == (BuyerKind.PERSON, None)


# ------------------------------------------------------------------ item 6: pickup orders


def test_item6_a_pickup_order_goes_to_the_pickup_address() -> None:
    ex = example("order_pickup")
    order = check_money("order_pickup")
    want = ex["expect"]
    assert order.shipping_address is not None
    assert order.shipping_address.country == want["shipping_country"]
    assert order.shipping_address.street == want["shipping_street"]
    assert order.shipping_address.name == want["shipping_name"]
    assert order.billing_address.country == want["billing_country"]


# ------------------------------------------------------------------ item 4: the mapping half


def test_item4_payment_method_from_the_documented_transactions() -> None:
    tx = example("transactions_list_by_ids")
    raw = example("order_taxinfo_gross")["order"]
    raw["orderTransactions"] = tx["response"]["orderTransactions"][0]
    order = mapped(raw)
    want = tx["expect"][raw["id"]]
    assert order.payment_method.value == want["method"]
    assert order.paid_at is not None
    assert order.paid_at.isoformat() == want["paid_at"]
    for name, method in tx["methods"].items():
        payment = {
            "regularPaymentDetails": {"paymentMethod": name, "status": "APPROVED"},
            "amount": {"amount": "1"},
        }
        raw["orderTransactions"] = {"orderId": raw["id"], "payments": [payment], "refunds": []}
        assert mapped(raw).payment_method.value == method, name
    raw["orderTransactions"] = {"orderId": raw["id"], "payments": [], "refunds": []}
    assert mapped(raw).payment_method is PaymentMethod.UNKNOWN
