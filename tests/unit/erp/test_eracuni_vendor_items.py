"""Issue 12, items 15-19 and seed 004 (e-računi side), against the simulator over real HTTP.

15 the documented login; 16 SalesOrderCancel / SalesOrderCreateInvoice and credit notes; 17 fiscal
verification (a B2B net-price invoice too); 18 stock beyond 50 000 records, a missing quantity is an
error; 19 prices from ProductList; seed 004 a paid Wix order → a fiscally verified invoice.

The tests of this subject that need a broker, a process or real time:
tests/integration/erp/test_eracuni_vendor_items.py.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal as D
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_contracts import (
    Buyer,
    BuyerKind,
    DocumentCreated,
    DocumentFailed,
    DocumentKind,
    DocumentRequested,
    ErpSystem,
    OrderLine,
    OrderTotals,
    PaymentMethod,
    PaymentRecord,
    PaymentStatus,
    PriceChanged,
    PriceListKind,
    PriceListSetting,
    StockChanged,
)
from storelink_erp_eracuni import assumptions as A
from storelink_erp_eracuni import protocol as P
from storelink_erp_eracuni.client import EracuniClient
from storelink_erp_eracuni.mapping import EracuniOptions, build_document
from storelink_erp_kit.adapters import check_erp_connection
from storelink_erp_kit.changes import ObservedValues
from storelink_erp_kit.client import ErpClient
from storelink_erp_kit.errors import ErpRejected
from storelink_erp_kit.ledger import Ledger
from storelink_erp_kit.polling import Poller, price_events
from storelink_erp_kit.processor import AttemptPolicy, DocumentProcessor
from storelink_kit.testing.samples import T0, sample_company, sample_connection, sample_document, sample_order
from storelink_kit.verdicts import Verdict
from storelink_mapper.mapping import map_order

from ...support.erp import ER_PASSWORD, ER_TOKEN, ER_USER, ErSim, RecordingPublisher

CARD = PaymentRecord(method=PaymentMethod.CARD, amount=D("24.40"), paid_at=T0)
CREDS = {"username": ER_USER, "password": ER_PASSWORD, "token": ER_TOKEN}
KEY = "conn-wix-1:ord-1001"


def client_for(sim: ErSim, **extra: Any) -> EracuniClient:
    return EracuniClient.from_credentials(
        {**CREDS, **extra}, url=sim.api_url, timeout=3, busy_backoff_seconds=0.02
    )


def processor(engine: AsyncEngine, client: ErpClient, pub: RecordingPublisher) -> DocumentProcessor:
    async def resolve(doc: Any) -> ErpClient:
        return client

    return DocumentProcessor(
        ledger=Ledger(engine, lease_seconds=5),
        client_for=resolve,
        publisher=pub,
        owner="test",
        policy=AttemptPolicy(max_attempts=3, backoff_seconds=0.01, backoff_max_seconds=0.05),
    )


def er_doc(kind: DocumentKind, **kw: Any) -> DocumentRequested:
    slot = {DocumentKind.INVOICE_DOMESTIC: "invoice"}.get(kind, kind.value)
    data: dict[str, Any] = {"erp": ErpSystem.ERACUNI, "kind": kind, "idempotency_key": f"{KEY}:{slot}"}
    return sample_document(**{**data, **kw})


# ------------------------------------------------------------------------------------------ item 15


async def test_item15_login_is_username_md5pass_token_as_documented(
    sqlite_engine: AsyncEngine, er_sim: ErSim
) -> None:
    client = client_for(er_sim)
    assert list(client.envelope("X", {})) == ["username", "md5pass", "token", "method", "parameters"]
    result = await processor(sqlite_engine, client, RecordingPublisher()).process(
        er_doc(DocumentKind.SALES_ORDER)
    )
    assert isinstance(result, DocumentCreated), result
    md5_only = client_for(er_sim, password=None, md5pass=P.md5pass(ER_USER, ER_PASSWORD))
    assert (await md5_only.test_connection()).verdict is Verdict.OK
    await client.aclose()
    await md5_only.aclose()


async def test_item15_a_stored_secret_key_says_what_to_enter_and_never_shows_it(er_sim: ErSim) -> None:
    legacy = {"username": ER_USER, "secret_key": "legacy-secret-123456", "token": ER_TOKEN}
    verdict = await check_erp_connection(ErpSystem.ERACUNI, legacy, url=er_sim.api_url, timeout=3)
    assert not verdict.ok
    assert "password" in verdict.message
    assert "md5pass" in verdict.message
    assert "legacy-secret-123456" not in verdict.message
    assert er_sim.state.calls.total() == 0  # nothing undocumented was sent


# ------------------------------------------------------------------------------------------ item 16


async def test_item16_a_cancelled_order_cancels_its_sales_order(
    sqlite_engine: AsyncEngine, er_sim: ErSim
) -> None:
    proc = processor(sqlite_engine, client_for(er_sim), RecordingPublisher())
    order = await proc.process(er_doc(DocumentKind.SALES_ORDER))
    assert isinstance(order, DocumentCreated)
    cancel = er_doc(DocumentKind.CANCELLATION, refers_to=f"{KEY}:sales_order", payment=None)
    result = await proc.process(cancel)
    assert isinstance(result, DocumentCreated), result
    assert result.erp_document_id == order.erp_document_id
    assert er_sim.state.calls[P.SALES_ORDER_CANCEL] == 1
    assert er_sim.docs()[0]["status"] == "Cancelled"


async def test_item16_a_paid_orders_invoice_is_made_from_its_sales_order(
    sqlite_engine: AsyncEngine, er_sim: ErSim
) -> None:
    proc = processor(sqlite_engine, client_for(er_sim), RecordingPublisher())
    order = await proc.process(er_doc(DocumentKind.SALES_ORDER))
    assert isinstance(order, DocumentCreated)
    invoice = er_doc(DocumentKind.INVOICE_DOMESTIC, refers_to=f"{KEY}:sales_order", payment=CARD)
    result = await proc.process(invoice)
    assert isinstance(result, DocumentCreated), result
    assert er_sim.state.calls[P.SALES_ORDER_CREATE_INVOICE] == 1
    assert er_sim.state.calls[P.SALES_INVOICE_CREATE] == 0
    stored = next(d for d in er_sim.docs() if d["kind"] == "SalesInvoice")
    assert stored["reference"] == "10001"
    assert stored["status"] == A.INVOICE_STATUS_ISSUED
    assert er_sim.docs()[0]["invoiceID"] == result.erp_document_id
    # the invoiced order can no longer be cancelled: a clear failure, not a silent success
    cancel = er_doc(DocumentKind.CANCELLATION, refers_to=f"{KEY}:sales_order", payment=None)
    failed = await proc.process(cancel)
    assert isinstance(failed, DocumentFailed)
    assert "cannot be cancelled" in failed.reason


async def test_item16_an_invoice_whose_sales_order_failed_is_made_on_its_own(
    sqlite_engine: AsyncEngine, er_sim: ErSim
) -> None:
    invoice = er_doc(DocumentKind.INVOICE_DOMESTIC, refers_to=f"{KEY}:sales_order", payment=CARD)
    result = await processor(sqlite_engine, client_for(er_sim), RecordingPublisher()).process(invoice)
    assert isinstance(result, DocumentCreated), result
    assert er_sim.state.calls[P.SALES_INVOICE_CREATE] == 1


async def test_item16_a_credit_note_fails_saying_what_a_person_must_do(
    sqlite_engine: AsyncEngine, er_sim: ErSim
) -> None:
    proc = processor(sqlite_engine, client_for(er_sim), RecordingPublisher())
    invoice = await proc.process(er_doc(DocumentKind.INVOICE_DOMESTIC, payment=CARD))
    assert isinstance(invoice, DocumentCreated)
    calls = er_sim.state.calls.total()
    credit = er_doc(DocumentKind.CREDIT_NOTE, refers_to=f"{KEY}:invoice", payment=None)
    result = await proc.process(credit)
    assert isinstance(result, DocumentFailed)
    assert f"invoice {invoice.erp_number}" in result.reason
    assert "dobropis" in result.reason
    assert "24.40 EUR" in result.reason
    assert not result.retryable
    assert er_sim.state.calls.total() == calls  # e-računi was not asked anything


def test_item16_the_mapper_makes_the_invoice_of_a_sales_order_refer_to_it() -> None:
    conn = sample_connection(company=sample_company(erp=ErpSystem.ERACUNI))
    docs = map_order(sample_order(), conn).documents
    assert [d.kind for d in docs] == [DocumentKind.SALES_ORDER, DocumentKind.INVOICE_DOMESTIC]
    assert docs[1].refers_to == docs[0].idempotency_key


# ------------------------------------------------------------------------------------------ item 17


async def test_item17_a_fiscalised_b2b_net_price_invoice_renders_and_is_verified(
    sqlite_engine: AsyncEngine, er_sim: ErSim
) -> None:
    doc = er_doc(
        DocumentKind.INVOICE_DOMESTIC,
        fiscalize=True,
        payment=CARD,
        prices_include_tax=False,
        buyer=Buyer(kind=BuyerKind.COMPANY, name="Jan", company_name="Kos d.o.o.", vat_id="SI11111111"),
    )
    method, params = build_document(doc, EracuniOptions(cash_register_code="E1", business_unit="PP1"))
    invoice = params["SalesInvoice"]
    assert method == P.SALES_INVOICE_CREATE
    assert invoice[A.CASH_REGISTER_CODE] == "E1"
    assert invoice[A.BUSINESS_UNIT] == "PP1"
    assert "type" not in invoice
    assert invoice["Items"][0]["netPrice"] == D("10.00")
    client = client_for(er_sim, cash_register_code="E1", business_unit="PP1")
    result = await processor(sqlite_engine, client, RecordingPublisher()).process(doc)
    assert isinstance(result, DocumentCreated), result
    assert result.fiscal is not None
    assert re.fullmatch(r"[0-9a-f]{32}", result.fiscal.zoi)


async def test_item17_fiscal_verification_without_the_device_code_says_what_to_set(
    sqlite_engine: AsyncEngine, er_sim: ErSim
) -> None:
    doc = er_doc(DocumentKind.INVOICE_DOMESTIC, fiscalize=True, payment=CARD)
    result = await processor(sqlite_engine, client_for(er_sim), RecordingPublisher()).process(doc)
    assert isinstance(result, DocumentFailed)
    assert "cash_register_code" in result.reason
    assert er_sim.docs() == []


async def test_item18_a_missing_quantity_is_an_error_and_no_stock_reaches_a_shop(
    sqlite_engine: AsyncEngine, er_sim: ErSim
) -> None:
    er_sim.state.stock[ER_TOKEN] = [
        {"productCode": "MUG-01", "warehouseCode": "MAIN", "quantityOnStock": 5},
        {"productCode": "CUP-02", "warehouseCode": "MAIN"},
    ]
    client = client_for(er_sim)
    pub = _Collecting()
    conn = sample_connection(company=sample_company(erp=ErpSystem.ERACUNI), price_sync=False)
    poller = Poller(
        erp=ErpSystem.ERACUNI,
        connections=lambda: [conn],
        client_for=lambda c: client,
        observed=ObservedValues(sqlite_engine),
        publisher=pub,  # type: ignore[arg-type]
        interval_seconds=60,
    )
    assert await poller.poll_once() == []
    assert pub.events == []
    er_sim.state.stock[ER_TOKEN][1]["quantityOnStock"] = 0
    sent = await poller.poll_once()
    assert {(e.sku, e.quantity) for e in sent if isinstance(e, StockChanged)} == {
        ("MUG-01", D(5)),
        ("CUP-02", D(0)),
    }
    await client.aclose()


# ------------------------------------------------------------------------------------------ item 19


async def test_item19_prices_come_from_product_list(er_sim: ErSim) -> None:
    er_sim.state.products[ER_TOKEN] = [
        {"productCode": "MUG-01", "retailPrice": D("12.20"), "vatPercentage": 22},
        {"productCode": "TEA-02", "retailPrice": D("5.45"), "vatPercentage": D("9.5")},
    ]
    client = client_for(er_sim)
    assert await client.read_prices(["MPC"]) == []  # not an e-računi price list: nothing is read
    assert er_sim.state.calls[P.PRODUCT_LIST] == 0
    levels = await client.read_prices([A.PRODUCT_PRICE_LIST])
    settings = [
        PriceListSetting(name=A.PRODUCT_PRICE_LIST, kind=PriceListKind.B2C),
    ]
    events = price_events("acme", levels, settings, T0)
    amounts = {
        e.sku: (e.amount, e.includes_tax, e.tax_rate) for e in events.values() if isinstance(e, PriceChanged)
    }
    assert amounts == {"MUG-01": (D("12.20"), True, D(22)), "TEA-02": (D("5.45"), True, D("9.5"))}
    b2b = price_events(
        "acme", levels, [PriceListSetting(name=A.PRODUCT_PRICE_LIST, kind=PriceListKind.B2B)], T0
    )
    assert {e.sku: e.amount for e in b2b.values()} == {"MUG-01": D("10.00"), "TEA-02": D("4.98")}
    er_sim.state.products[ER_TOKEN].append({"productCode": "NO-PRICE", "vatPercentage": 22})
    with pytest.raises(ErpRejected, match="NO-PRICE"):  # never a price of 0
        await client.read_prices([A.PRODUCT_PRICE_LIST])
    await client.aclose()


# ------------------------------------------------------------------------------------------ seed 004


async def test_seed_004_a_paid_wix_order_becomes_a_fiscally_verified_invoice_with_the_right_vat(
    sqlite_engine: AsyncEngine, er_sim: ErSim
) -> None:
    order = sample_order(
        payment_status=PaymentStatus.PAID,
        payment_method=PaymentMethod.CARD,
        lines=[
            OrderLine(
                line_id="l1", sku="MUG-01", name="Mug", quantity=D(2), unit_price=D("12.20"), tax_rate=D(22)
            ),
            OrderLine(
                line_id="l2", sku="TEA-02", name="Tea", quantity=D(1), unit_price=D("5.45"), tax_rate=D("9.5")
            ),
        ],
        totals=OrderTotals(
            subtotal=D("29.85"), shipping=D("4.99"), discount=D(0), tax=D("5.77"), total=D("34.84")
        ),
    )
    conn = sample_connection(company=sample_company(erp=ErpSystem.ERACUNI, fiscal_verification=True))
    mapped = map_order(order, conn)
    assert mapped.attention == []
    sales_order, invoice = mapped.documents
    assert invoice.fiscalize
    client = client_for(er_sim, cash_register_code="E1", business_unit="PP1")
    pub = RecordingPublisher()
    proc = processor(sqlite_engine, client, pub)
    assert isinstance(await proc.process(sales_order), DocumentCreated)
    result = await proc.process(invoice)
    assert isinstance(result, DocumentCreated), result
    assert result.fiscal is not None
    assert re.fullmatch(r"[0-9a-f]{32}", result.fiscal.zoi)
    assert result.fiscal.eor is not None
    uuid.UUID(result.fiscal.eor)
    stored = next(d for d in er_sim.docs() if d["kind"] == "SalesInvoice")
    assert stored["type"] == A.TYPE_RETAIL
    assert stored["methodOfPayment"] == "EurocardMastercard"
    assert stored[A.CASH_REGISTER_CODE] == "E1"
    rates = {
        it["productCode"]: (it["vatPercentage"], it["price"])
        for it in stored["Items"]
        if it.get("productCode")
    }
    assert rates["MUG-01"] == (D(22), D("12.20"))
    assert rates["TEA-02"] == (D("9.5"), D("5.45"))
    gross = sum(it["price"] * it["quantity"] for it in stored["Items"])
    assert gross == order.totals.total
    await client.aclose()


class _Collecting:
    def __init__(self) -> None:
        self.events: list[Any] = []

    async def publish_many(self, events: Any, *, origin: str | None = None) -> list[Any]:
        batch = [e for e, _ in events]
        self.events.extend(batch)
        return batch
