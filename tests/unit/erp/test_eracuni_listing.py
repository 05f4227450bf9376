"""Reading e-računi documents back for reconciliation (DocumentLister, assumption ER13): a listed row's
reference, kind, gross and VAT per rate, and, over real HTTP to the simulator, documents created
through the adapter listed back for a date window (quotes, sales orders, invoices)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D
from typing import Any

import pytest

from storelink_contracts import DocumentKind, ErpSystem
from storelink_erp_eracuni.listing import document_of, invoice_kind, listed_rows
from storelink_erp_kit.errors import ErpRejected
from storelink_erp_kit.listing import DocumentLister
from storelink_kit.testing.samples import sample_document

from ...support.erp import ErSim
from .test_eracuni import er_client


def row(**fields: Any) -> dict[str, Any]:
    return {"documentID": "60:1", "number": "1-WEB-1", "date": "2026-03-05", "reference": "10001", **fields}


def test_gross_items_with_a_discount_give_vat_per_rate() -> None:
    doc = document_of(
        row(
            Items=[
                {"quantity": 2, "price": D("12.20"), "vatPercentage": 22},
                {"quantity": 1, "price": D("10.95"), "vatPercentage": D("9.5"), "discountPercentage": 10},
            ]
        ),
        "SalesOrder",
    )
    assert doc is not None
    assert (doc.reference, doc.kind, doc.erp_id, doc.number) == ("10001", "sales_order", "60:1", "1-WEB-1")
    assert doc.gross == D("24.40") + D("9.86")
    assert dict(doc.vat) == {D("22"): D("4.40"), D("9.5"): D("0.86")}
    assert doc.doc_date == date(2026, 3, 5)


def test_net_items_add_their_vat() -> None:
    doc = document_of(row(Items=[{"quantity": 3, "netPrice": D("10.00"), "vatPercentage": 22}]), "SalesQuote")
    assert doc is not None
    assert (doc.kind, doc.gross, dict(doc.vat)) == ("offer", D("36.60"), {D("22"): D("6.60")})


def test_a_row_without_our_reference_is_not_ours_and_one_without_items_fails() -> None:
    assert document_of({**row(), "reference": None}, "SalesInvoice") is None
    by_order_reference = row(
        reference=None, orderReference="7", Items=[{"quantity": 1, "price": 1, "vatPercentage": 0}]
    )
    assert document_of(by_order_reference, "SalesInvoice") is not None
    with pytest.raises(ErpRejected, match="without its Items"):
        document_of(row(), "SalesInvoice")
    with pytest.raises(ErpRejected, match="quantity"):
        document_of(row(Items=[{"quantity": "two", "price": 1, "vatPercentage": 22}]), "SalesInvoice")


def test_an_invoice_is_foreign_by_buyer_country_or_vat_id() -> None:
    assert invoice_kind({"buyerCountry": "SI"}) is DocumentKind.INVOICE_DOMESTIC
    assert (
        invoice_kind({"buyerCountry": "SI", "buyerTaxNumber": "SI12345678"}) is DocumentKind.INVOICE_DOMESTIC
    )
    assert invoice_kind({"buyerCountry": "AT"}) is DocumentKind.INVOICE_FOREIGN
    assert (
        invoice_kind({"buyerCountry": "SI", "buyerTaxNumber": "ATU1234567"}) is DocumentKind.INVOICE_FOREIGN
    )


def test_list_answers_under_the_plural_wrapper_or_as_a_plain_list() -> None:
    assert listed_rows({"SalesOrders": [{"a": 1}, "x"]}, "SalesOrder") == [{"a": 1}]
    assert listed_rows([{"a": 1}], "SalesOrder") == [{"a": 1}]
    assert listed_rows(None, "SalesOrder") == []


def on(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


async def test_documents_created_through_the_adapter_are_listed_back_for_the_window(er_sim: ErSim) -> None:
    client = er_client(er_sim)
    base = {"erp": ErpSystem.ERACUNI}
    order = sample_document(**base, order_number="A-1", issued_at=on(5))
    austria = sample_document().billing_address.model_copy(update={"country": "AT"})
    try:
        assert isinstance(client, DocumentLister)
        order_ref = await client.create_document(order)
        invoice = sample_document(
            **base, kind=DocumentKind.INVOICE_DOMESTIC, order_number="A-1", issued_at=on(6)
        )
        await client.create_document(invoice, order_ref)
        offer = sample_document(**base, kind=DocumentKind.OFFER, order_number="B-2", issued_at=on(5, 20))
        await client.create_document(offer)
        await client.create_document(
            sample_document(
                **base,
                kind=DocumentKind.INVOICE_FOREIGN,
                order_number="C-3",
                issued_at=on(6),
                prices_include_tax=False,
                billing_address=austria,
            )
        )
        for outside in (on(4), on(7)):
            await client.create_document(
                sample_document(**base, order_number=f"X-{outside.day}", issued_at=outside)
            )
        found = await client.list_documents(date(2026, 3, 5), date(2026, 3, 6))
    finally:
        await client.aclose()
    listed = sorted((d.reference, d.kind, d.gross, dict(d.vat), d.doc_date) for d in found)
    vat = {D("22"): D("4.40")}
    assert listed == [
        ("A-1", "invoice_domestic", D("24.40"), vat, date(2026, 3, 6)),
        ("A-1", "sales_order", D("24.40"), vat, date(2026, 3, 5)),
        ("B-2", "offer", D("24.40"), vat, date(2026, 3, 5)),
        ("C-3", "invoice_foreign", D("24.40"), vat, date(2026, 3, 6)),
    ]
    assert all(d.erp_id and d.number for d in found)
    calls = er_sim.state.calls
    assert (calls["SalesQuoteList"], calls["SalesOrderList"], calls["SalesInvoiceList"]) == (1, 1, 1)
