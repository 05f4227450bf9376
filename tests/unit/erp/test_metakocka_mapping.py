"""DocumentRequested → MetaKocka put_document body (pure mapping)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from storelink_contracts import (
    Address,
    Buyer,
    BuyerKind,
    DocumentKind,
    DocumentLine,
    LineKind,
    PaymentMethod,
    PaymentRecord,
    TaxTreatment,
)
from storelink_erp_kit.client import ErpDocumentRef
from storelink_erp_metakocka.mapping import MappingError, build_put_document, build_put_sales_bill, tax_factor
from storelink_kit.testing.samples import T0, sample_document

SHIP = DocumentLine(
    kind=LineKind.SHIPPING,
    name="Pošta Slovenije",
    quantity=D("1"),
    unit_price_net=D("4.09"),
    unit_price_gross=D("4.99"),
    tax_rate=D("22"),
    net=D("4.09"),
    tax=D("0.90"),
    gross=D("4.99"),
)


def test_b2c_sales_order_sends_gross_prices_and_the_order_number_twice() -> None:
    doc = sample_document(lines=[*sample_document().lines, SHIP])
    body = build_put_document(doc)
    assert body["doc_type"] == "sales_order"
    assert body["title"] == body["buyer_order"] == "10001"
    assert body["doc_date"] == "2026-11-24+01:00"
    mug, ship = body["product_list"]
    assert mug == {
        "code": "MUG-01",
        "name": "Mug",
        "amount": "2",
        "price_with_tax": "12.20",
        "tax_factor": "0.22",
    }
    assert ship["service"] == "true"
    assert ship["code"] == "dostava"
    assert ship["price_with_tax"] == "4.99"
    assert body["delivery_type"] == "Pošta Slovenije"
    assert body["method_of_payment"] == "Kartica"
    assert body["mark_paid"] == [{"payment_type": "Kartica", "date": "24.11.2026"}]
    assert body["warehouse"] == "MAIN"
    assert body["partner"]["customer"] == "Ana Novak"
    assert body["partner"]["business_entity"] == "false"
    assert "send_to_furs" not in body
    assert "secret_key" not in body


def test_b2b_invoice_sends_net_prices_partner_and_receiver() -> None:
    buyer = Buyer(kind=BuyerKind.COMPANY, name="Jan Kos", company_name="Kos d.o.o.", vat_id="SI87654321")
    ship_to = Address(
        name="Skladišče Kos", street="Tržaška 5", city="Maribor", postal_code="2000", country="SI"
    )
    doc = sample_document(
        kind=DocumentKind.INVOICE_DOMESTIC,
        prices_include_tax=False,
        buyer=buyer,
        shipping_address=ship_to,
        payment=None,
        cost_center="WEB",
    )
    body = build_put_document(doc)
    assert body["doc_type"] == "sales_bill_domestic"
    line = body["product_list"][0]
    assert line["price"] == "10.00"
    assert "price_with_tax" not in line
    assert body["partner"]["taxpayer"] == "true"
    assert body["partner"]["tax_id_number"] == "SI87654321"
    assert body["partner"]["customer"] == "Kos d.o.o."
    assert body["receiver"]["place"] == "Maribor"
    assert body["receiver"]["country"] == "Slovenia"
    assert body["profit_center"] == "WEB"
    assert "mark_paid" not in body


def test_fiscalized_invoice_asks_for_furs_and_needs_the_payment() -> None:
    doc = sample_document(
        kind=DocumentKind.INVOICE_DOMESTIC,
        fiscalize=True,
        payment=PaymentRecord(method=PaymentMethod.CASH_ON_DELIVERY, amount=D("24.40"), paid_at=T0),
    )
    body = build_put_sales_bill(doc)
    assert body["send_to_furs"] == "true"
    assert body["mark_paid"][0]["payment_type"] == "Po povzetju"
    with pytest.raises(MappingError, match="payment"):
        build_put_sales_bill(doc.model_copy(update={"payment": None}))
    with pytest.raises(MappingError, match="put_sales_bill"):
        build_put_document(doc)


def test_credit_note_refers_to_the_invoice_number() -> None:
    doc = sample_document(kind=DocumentKind.CREDIT_NOTE, refers_to="k-invoice")
    body = build_put_document(doc, related=ErpDocumentRef(erp_id="1", number="RA-2026-00001"))
    assert body["doc_type"] == "sales_bill_credit_note"
    assert body["credit_note_bill"] == "RA-2026-00001"
    assert body["credit_note_type"] == "goods"
    assert "mark_paid" not in body


def test_foreign_intra_community_invoice_refuses_vat_lines() -> None:
    doc = sample_document(kind=DocumentKind.INVOICE_FOREIGN, tax_treatment=TaxTreatment.INTRA_COMMUNITY)
    with pytest.raises(MappingError, match="0 %"):
        build_put_document(doc)


def test_product_without_sku_and_cancellations_are_clear_errors() -> None:
    line = sample_document().lines[0].model_copy(update={"sku": None})
    with pytest.raises(MappingError, match="no product code"):
        build_put_document(sample_document(lines=[line]))
    with pytest.raises(MappingError, match="cancel"):
        build_put_document(sample_document(kind=DocumentKind.CANCELLATION))


def test_tax_factor_text() -> None:
    assert tax_factor(D("22")) == "0.22"
    assert tax_factor(D("9.5")) == "0.095"
    assert tax_factor(D("0")) == "0"


def test_a_coupon_is_a_negative_amount_of_a_service_product() -> None:
    coupon = DocumentLine(
        kind=LineKind.DISCOUNT,
        name="Kupon JESEN",
        quantity=D("1"),
        unit_price_net=D("-4.10"),
        unit_price_gross=D("-5.00"),
        tax_rate=D("22"),
        net=D("-4.10"),
        tax=D("-0.90"),
        gross=D("-5.00"),
    )
    body = build_put_document(sample_document(lines=[*sample_document().lines, coupon]))
    line = body["product_list"][1]
    assert line["amount"] == "-1"
    assert line["price_with_tax"] == "5.00"
    assert line["service"] == "true"
    assert line["code"] == "popust"
