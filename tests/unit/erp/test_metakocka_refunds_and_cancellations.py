"""Items 11-12 of issue 12 on MetaKocka's documented requests, through the simulator over real HTTP:
the due date on every document, a refund of a card-paid (fiscally verified) invoice as a fiscally
verified credit note linked by the invoice's number, cancellations of not-invoiced documents the
documented way (change_document_status) or a result that says what a person must do."""

from __future__ import annotations

import pytest

from storelink_contracts import DocumentKind, PaymentMethod, PaymentRecord
from storelink_erp_kit.errors import ErpRejected
from storelink_erp_metakocka.client import MetakockaClient
from storelink_erp_metakocka.mapping import MetakockaOptions, build_put_document
from storelink_kit.testing.samples import T0, sample_document

from ...support.erp import MK_COMPANY, MK_SECRET, MkSim

PAID_BY_CARD = PaymentRecord(method=PaymentMethod.CARD, amount=sample_document().totals.gross, paid_at=T0)


def client(sim: MkSim, **options: str) -> MetakockaClient:
    return MetakockaClient(
        company_id=MK_COMPANY,
        secret_key=MK_SECRET,
        base_url=sim.base_url,
        timeout=5,
        options=MetakockaOptions.from_credentials(options),
    )


@pytest.mark.parametrize("kind", list(DocumentKind)[:5], ids=lambda k: k.value)
def test_every_document_carries_the_documented_due_date(kind: DocumentKind) -> None:
    body = build_put_document(sample_document(kind=kind))
    assert body["duo_payment"] == "2026-11-24+01:00"
    assert body["doc_date"] == body["duo_payment"]


async def test_refund_of_a_fiscally_verified_invoice_is_a_fiscally_verified_credit_note(
    mk_sim: MkSim,
) -> None:
    mk = client(mk_sim)
    invoice = sample_document(
        kind=DocumentKind.INVOICE_DOMESTIC,
        idempotency_key="conn-wix-1:ord-1001:invoice",
        fiscalize=True,
        payment=PAID_BY_CARD,
    )
    invoice_ref = await mk.create_document(invoice)
    credit = sample_document(
        kind=DocumentKind.CREDIT_NOTE,
        idempotency_key="conn-wix-1:ord-1001:credit_note",
        refers_to=invoice.idempotency_key,
        fiscalize=True,
    )
    ref = await mk.create_document(credit, invoice_ref)
    await mk.aclose()
    stored = mk_sim.docs()[-1]
    assert stored["doc_type"] == "sales_bill_credit_note"
    assert stored["credit_note_type"] == "goods"
    assert stored["credit_note_bill"] == invoice_ref.number
    assert stored["send_to_furs"] == "true"
    assert ref.fiscal is not None
    assert ref.fiscal.zoi


def cancellation(refers_to_slot: str) -> object:
    return sample_document(
        kind=DocumentKind.CANCELLATION,
        idempotency_key="conn-wix-1:ord-1001:cancellation",
        refers_to=f"conn-wix-1:ord-1001:{refers_to_slot}",
    )


async def test_cancelled_sales_order_gets_the_companys_cancelled_status(mk_sim: MkSim) -> None:
    mk = client(mk_sim, cancel_status="Preklicano")
    order_ref = await mk.create_document(sample_document())
    ref = await mk.create_document(cancellation("sales_order"), order_ref)  # type: ignore[arg-type]
    again = await mk.create_document(cancellation("sales_order"), order_ref)  # type: ignore[arg-type]
    await mk.aclose()
    assert ref.erp_id == again.erp_id == order_ref.erp_id
    assert [d.get("status_code") for d in mk_sim.docs()] == ["Preklicano"]
    assert mk_sim.state.calls["change_document_status"] == 2


@pytest.mark.parametrize(
    ("slot", "options", "words"),
    [
        (
            "sales_order",
            {},
            ["set its sales order in MetaKocka to your cancelled status by hand", "cancel_status"],
        ),
        ("offer", {"cancel_status": "Preklicano"}, ["no call that cancels an offer", "by hand"]),
    ],
)
async def test_cancellation_without_a_documented_way_says_what_a_person_must_do(
    mk_sim: MkSim, slot: str, options: dict[str, str], words: list[str]
) -> None:
    mk = client(mk_sim, **options)
    with pytest.raises(ErpRejected) as caught:
        await mk.create_document(cancellation(slot))  # type: ignore[arg-type]
    await mk.aclose()
    for word in words:
        assert word in caught.value.reason
    assert "10001" in caught.value.reason
    assert mk_sim.state.calls["change_document_status"] == 0
