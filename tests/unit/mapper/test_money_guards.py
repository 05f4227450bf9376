"""Issue 12, money guards: every document reconciles with the shop's own TAX (in total and per rate
where the shop reports it) as well as the gross total; a paid order whose payment method is unknown
is never silently left without fiscal verification."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from storelink_contracts import (
    DocumentKind,
    OrderLine,
    OrderTotals,
    PaymentMethod,
    ShippingCharge,
    TaxBreakdown,
)
from storelink_kit.testing.samples import sample_company, sample_connection, sample_order
from storelink_mapper.mapping import map_order

D = Decimal


def connection(**settings: Any) -> Any:
    company = settings.pop("company", {})
    return sample_connection(company=sample_company(**company), **settings)


def test_a_vat_rate_lost_on_the_way_is_caught_even_when_the_gross_total_matches() -> None:
    # the shop charged 22 % (5.30 VAT, its own tax total) but the rates arrived as 0 %: with gross
    # prices the gross total still reconciles, so only the tax comparison can see it
    order = sample_order(
        lines=[
            OrderLine(
                line_id="l1", sku="MUG-01", name="Mug", quantity=D(2), unit_price=D("12.20"), tax_rate=D(0)
            )
        ],
        shipping=ShippingCharge(name="Post", amount=D("4.99"), tax_rate=D(0)),
    )
    result = map_order(order, connection())
    assert not result.documents
    (reason,) = result.attention
    assert "VAT" in reason
    assert "0.00" in reason
    assert "5.30" in reason


def test_the_shops_own_vat_per_rate_must_match_the_documents() -> None:
    lines = [
        OrderLine(
            line_id="a", sku="MUG-01", name="Mug", quantity=D(1), unit_price=D("12.20"), tax_rate=D(22)
        ),
        OrderLine(
            line_id="b", sku="BOOK", name="Book", quantity=D(1), unit_price=D("10.95"), tax_rate=D("9.5")
        ),
    ]
    right = OrderTotals(
        subtotal=D("23.15"),
        tax=D("3.15"),
        total=D("23.15"),
        tax_by_rate=[
            TaxBreakdown(rate=D(22), base=D("10.00"), tax=D("2.20")),
            TaxBreakdown(rate=D("9.5"), base=D("10.00"), tax=D("0.95")),
        ],
    )
    ok = map_order(sample_order(lines=lines, shipping=None, totals=right), connection())
    assert ok.documents, ok.attention
    assert not ok.attention
    swapped = right.model_copy(
        update={
            "tax_by_rate": [
                TaxBreakdown(rate=D(22), base=D("8.64"), tax=D("1.90")),
                TaxBreakdown(rate=D("9.5"), base=D("13.16"), tax=D("1.25")),
            ]
        }
    )
    bad = map_order(sample_order(lines=lines, shipping=None, totals=swapped), connection())
    assert not bad.documents
    assert any("22 %" in r and "2.20" in r and "1.90" in r for r in bad.attention), bad.attention
    assert any("9.5 %" in r and "0.95" in r and "1.25" in r for r in bad.attention), bad.attention


def test_a_few_cents_of_rounding_per_line_are_not_a_mismatch() -> None:
    order = sample_order()  # 5.30 VAT on 29.39 gross: the shop and the document agree
    off_by_a_cent = order.totals.model_copy(update={"tax": D("5.31")})
    result = map_order(sample_order(totals=off_by_a_cent), connection())
    assert result.documents
    assert not result.attention


def test_a_paid_order_with_an_unknown_payment_method_is_not_silently_left_unverified() -> None:
    order = sample_order(payment_method=PaymentMethod.UNKNOWN)
    result = map_order(order, connection(target_document="sales_order", auto_invoice_paid=True))
    assert [d.kind for d in result.documents] == [DocumentKind.SALES_ORDER]  # the invoice waits
    (reason,) = result.attention
    assert "payment method" in reason
    assert "fiscal" in reason
    as_invoice = map_order(order, connection(target_document="invoice"))
    assert not as_invoice.documents
    assert as_invoice.attention
    # the same order once Wix tells the method: a verified invoice
    known = map_order(sample_order(payment_method=PaymentMethod.CARD), connection(target_document="invoice"))
    assert [d.fiscalize for d in known.documents] == [True]
    # without fiscal verification the method does not matter: the invoice is made
    free = map_order(order, connection(target_document="invoice", company={"fiscal_verification": False}))
    assert [d.kind for d in free.documents] == [DocumentKind.INVOICE_DOMESTIC]
    assert not free.attention
