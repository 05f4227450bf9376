"""Fiscally verified MetaKocka bills the documented way (issue 12, follow-up of item 11).

MetaKocka documents fiscal verification only on the old `v1/json/put_sales_bill` with
`send_to_furs` (metakocka_api_base docs/put_sales_bill_send_to_furs.md, read 2026-12-01): the bill
and the FURS call are one atomic transaction and the answer carries `furs_zoi`, `furs_eor`,
`furs_qr_code`; get_document of a bill returns `furs_zoi` / `furs_eor` (README 21.4.2020). An
invoice reported as fiscally verified carries exactly the codes MetaKocka returned.
"""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_contracts import (
    Address,
    DocumentCreated,
    DocumentKind,
    FiscalCodes,
    PaymentMethod,
    PaymentRecord,
    TaxTreatment,
)
from storelink_erp_kit.ledger import Ledger
from storelink_erp_metakocka.mapping import MappingError, build_put_sales_bill
from storelink_kit.testing.samples import T0, sample_document

from ...support.erp import MkSim, RecordingPublisher
from .test_metakocka_documents import mk_client, processor


def fiscal_invoice(**overrides: Any) -> Any:
    doc = sample_document(
        kind=DocumentKind.INVOICE_DOMESTIC,
        idempotency_key="conn-wix-1:ord-1001:invoice",
        fiscalize=True,
        payment=PaymentRecord(method=PaymentMethod.CARD, amount=D("24.40"), paid_at=T0),
        shipping_address=Address(
            name="Ana Novak", street="Ljubljanska 25", postal_code="1001", city="Ljubljana", country="SI"
        ),
    )
    return doc.model_copy(update=overrides)


def codes_of(stored: dict[str, Any]) -> FiscalCodes:
    return FiscalCodes(zoi=stored["furs_zoi"], eor=stored["furs_eor"])


# --------------------------------------------------------------------------- the request


def test_a_fiscal_invoice_is_a_put_sales_bill_with_send_to_furs() -> None:
    body = build_put_sales_bill(fiscal_invoice())
    assert body["send_to_furs"] == "true"
    assert body["bill_date"] == "24.11.2026"  # T0 in Slovenia, dd.mm.yyyy as documented
    assert body["payment_date"] == body["bill_date"]
    assert (body["buyer_order"], body["title"]) == ("10001", "10001")
    assert body["mark_paid"] == [{"payment_type": "Kartica", "date": body["bill_date"]}]
    assert body["partner"]["partner_delivery_address"] == {
        "street": "Ljubljanska 25",
        "post_number": "1001",
        "city": "Ljubljana",
        "country": "Slovenia",
    }
    (line,) = body["product_list"]
    assert (line["code"], line["amount"], line["price_with_tax"], line["tax_factor"]) == (
        "MUG-01",
        "2",
        "12.20",
        "0.22",
    )
    assert "doc_type" not in body
    assert "doc_date" not in body
    assert "foreign" not in body


def test_a_foreign_fiscal_invoice_says_foreign() -> None:
    body = build_put_sales_bill(
        fiscal_invoice(kind=DocumentKind.INVOICE_FOREIGN, tax_treatment=TaxTreatment.OSS)
    )
    assert body["foreign"] == "true"


def test_what_put_sales_bill_cannot_carry_is_refused_with_a_reason() -> None:
    with pytest.raises(MappingError, match="payment"):
        build_put_sales_bill(fiscal_invoice(payment=None))
    with pytest.raises(MappingError, match="currency"):
        build_put_sales_bill(fiscal_invoice(currency="USD"))


# --------------------------------------------------------------------------- against the simulator


async def test_a_fiscal_invoice_is_created_with_put_sales_bill_and_carries_the_codes_metakocka_returned(
    sqlite_engine: AsyncEngine, mk_sim: MkSim
) -> None:
    pub = RecordingPublisher()
    result = await processor(sqlite_engine, mk_client(mk_sim), pub).process(fiscal_invoice())
    assert isinstance(result, DocumentCreated), result
    assert mk_sim.state.calls["put_sales_bill"] == 1
    assert mk_sim.state.calls["put_document"] == 0
    (stored,) = mk_sim.docs()
    assert stored["send_to_furs"] == "true"
    assert stored["doc_type"] == "sales_bill_domestic"
    assert result.fiscal == codes_of(stored)
    assert (result.erp_document_id, result.erp_number) == (stored["mk_id"], stored["count_code"])
    entry = await Ledger(sqlite_engine).get(result.idempotency_key)
    assert entry is not None
    assert entry.ref is not None
    assert entry.ref.fiscal == codes_of(stored)


async def test_a_foreign_fiscal_invoice_is_a_foreign_bill(sqlite_engine: AsyncEngine, mk_sim: MkSim) -> None:
    doc = fiscal_invoice(kind=DocumentKind.INVOICE_FOREIGN, tax_treatment=TaxTreatment.OSS)
    result = await processor(sqlite_engine, mk_client(mk_sim), RecordingPublisher()).process(doc)
    assert isinstance(result, DocumentCreated), result
    (stored,) = mk_sim.docs()
    assert (stored["doc_type"], stored["foreign"]) == ("sales_bill_foreign", "true")
    assert result.fiscal == codes_of(stored)


async def test_codes_missing_from_the_answer_are_read_back_with_get_document(
    sqlite_engine: AsyncEngine, mk_sim: MkSim
) -> None:
    mk_sim.state.set_faults(omit_furs_next=1)
    result = await processor(sqlite_engine, mk_client(mk_sim), RecordingPublisher()).process(fiscal_invoice())
    assert isinstance(result, DocumentCreated), result
    (stored,) = mk_sim.docs()
    assert result.fiscal == codes_of(stored)
    assert mk_sim.state.calls["get_document"] == 1
    assert mk_sim.state.calls["put_sales_bill"] == 1


async def test_a_fiscal_bill_found_after_a_lost_answer_carries_its_codes_and_is_not_made_twice(
    sqlite_engine: AsyncEngine, mk_sim: MkSim
) -> None:
    mk_sim.state.set_faults(hang_after_store_every=1, hang_seconds=1.5)
    proc = processor(sqlite_engine, mk_client(mk_sim, timeout=0.3), RecordingPublisher())
    result = await proc.process(fiscal_invoice())
    assert isinstance(result, DocumentCreated), result
    assert result.already_existed
    (stored,) = mk_sim.docs()
    assert result.fiscal == codes_of(stored)
    assert mk_sim.state.calls["put_sales_bill"] == 1


async def test_a_refund_of_the_fiscal_bill_credits_it_by_its_number(
    sqlite_engine: AsyncEngine, mk_sim: MkSim
) -> None:
    proc = processor(sqlite_engine, mk_client(mk_sim), RecordingPublisher())
    invoice = await proc.process(fiscal_invoice())
    assert isinstance(invoice, DocumentCreated)
    refund = sample_document(
        kind=DocumentKind.CREDIT_NOTE,
        idempotency_key="conn-wix-1:ord-1001:credit_note",
        refers_to="conn-wix-1:ord-1001:invoice",
        fiscalize=True,
    )
    credit = await proc.process(refund)
    assert isinstance(credit, DocumentCreated), credit
    bill, note = mk_sim.docs()
    assert note["credit_note_bill"] == bill["count_code"] == invoice.erp_number
    assert credit.fiscal == codes_of(note)
    assert note["credit_note_type"] == "goods"
