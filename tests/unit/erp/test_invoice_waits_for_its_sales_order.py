"""An invoice made FROM its sales order (e-računi SalesOrderCreateInvoice) waits while that sales
order is still pending or in flight, decided by the ledger's state of the sales order:

- pending (being created, or its transient failures not yet resolved) → the invoice retries and is
  then made from the sales order, so the order does not stay un-invoiced in e-računi;
- failed permanently, or never requested → the invoice is made on its own;
- an ERP that makes every invoice on its own (MetaKocka) never waits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_contracts import DocumentCreated, DocumentFailed, DocumentKind, DocumentRequested
from storelink_erp_eracuni import protocol as P
from storelink_erp_kit.client import ErpClient
from storelink_erp_kit.ledger import Ledger, State
from storelink_erp_kit.processor import AttemptPolicy, DocumentProcessor
from storelink_kit.testing.samples import sample_document

from ...support.erp import ErSim, MkSim, RecordingPublisher
from .test_eracuni_vendor_items import CARD, KEY, client_for, er_doc
from .test_metakocka_documents import mk_client

SALES_ORDER_KEY = f"{KEY}:sales_order"


def processor(
    engine: AsyncEngine,
    client: ErpClient,
    *,
    owner: str = "test",
    sleep: Callable[[float], Awaitable[None]] | None = None,
    attempts: int = 3,
) -> DocumentProcessor:
    async def resolve(doc: Any) -> ErpClient:
        return client

    async def no_wait(seconds: float) -> None:
        return None

    return DocumentProcessor(
        ledger=Ledger(engine, lease_seconds=30),
        client_for=resolve,
        publisher=RecordingPublisher(),
        owner=owner,
        policy=AttemptPolicy(max_attempts=attempts, backoff_seconds=0.01, backoff_max_seconds=0.02),
        sleep=sleep or no_wait,
    )


def invoice_of_the_sales_order() -> DocumentRequested:
    return er_doc(DocumentKind.INVOICE_DOMESTIC, refers_to=SALES_ORDER_KEY, payment=CARD)


async def test_an_invoice_waits_while_its_sales_order_is_in_flight_then_is_made_from_it(
    sqlite_engine: AsyncEngine, er_sim: ErSim
) -> None:
    client = client_for(er_sim)
    sales_order = er_doc(DocumentKind.SALES_ORDER)
    other_worker = processor(sqlite_engine, client, owner="other")
    await Ledger(sqlite_engine).claim(sales_order, "other")  # the other worker is creating it right now
    waits: list[float] = []

    async def the_other_worker_finishes_meanwhile(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 1:
            assert isinstance(await other_worker.process(sales_order), DocumentCreated)

    result = await processor(sqlite_engine, client, sleep=the_other_worker_finishes_meanwhile).process(
        invoice_of_the_sales_order()
    )
    assert isinstance(result, DocumentCreated), result
    assert len(waits) == 1
    assert er_sim.state.calls[P.SALES_ORDER_CREATE_INVOICE] == 1
    assert er_sim.state.calls[P.SALES_INVOICE_CREATE] == 0
    order = next(d for d in er_sim.docs() if d["kind"] == "SalesOrder")
    assert order["invoiceID"] == result.erp_document_id, "the sales order is invoiced in e-računi"


async def test_an_invoice_whose_sales_order_stays_pending_fails_retryably_and_makes_nothing(
    sqlite_engine: AsyncEngine, er_sim: ErSim
) -> None:
    await Ledger(sqlite_engine).claim(er_doc(DocumentKind.SALES_ORDER), "other")
    result = await processor(sqlite_engine, client_for(er_sim)).process(invoice_of_the_sales_order())
    assert isinstance(result, DocumentFailed), result
    assert result.retryable
    assert "sales order" in result.reason
    assert "waits" in result.reason
    assert er_sim.docs() == []
    entry = await Ledger(sqlite_engine).get(result.idempotency_key)
    assert entry is not None
    assert (entry.state, entry.attempts) == (State.PENDING, 0), "nothing was sent: no lookup needed later"


@pytest.mark.parametrize("sales_order", ["failed permanently", "never requested"])
async def test_an_invoice_whose_sales_order_will_not_come_is_made_on_its_own(
    sqlite_engine: AsyncEngine, er_sim: ErSim, sales_order: str
) -> None:
    ledger = Ledger(sqlite_engine)
    if sales_order == "failed permanently":
        await ledger.claim(er_doc(DocumentKind.SALES_ORDER), "other")
        await ledger.mark_failed(SALES_ORDER_KEY, code="mapping", reason="refused by e-računi")
    result = await processor(sqlite_engine, client_for(er_sim)).process(invoice_of_the_sales_order())
    assert isinstance(result, DocumentCreated), result
    assert er_sim.state.calls[P.SALES_INVOICE_CREATE] == 1
    assert er_sim.state.calls[P.SALES_ORDER_CREATE_INVOICE] == 0


async def test_an_erp_that_makes_every_invoice_on_its_own_does_not_wait(
    sqlite_engine: AsyncEngine, mk_sim: MkSim
) -> None:
    sales_order = sample_document(kind=DocumentKind.SALES_ORDER, idempotency_key=SALES_ORDER_KEY)
    await Ledger(sqlite_engine).claim(sales_order, "other")
    invoice = sample_document(
        kind=DocumentKind.INVOICE_DOMESTIC, idempotency_key=f"{KEY}:invoice", refers_to=SALES_ORDER_KEY
    )
    result = await processor(sqlite_engine, mk_client(mk_sim)).process(invoice)
    assert isinstance(result, DocumentCreated), result
    assert [d["doc_type"] for d in mk_sim.docs()] == ["sales_bill_domestic"]
