"""e-računi: mapping, exactly-once under lost answers, the per-user lock, 429, error shapes, stock.

The tests of this subject that need a broker, a process or real time:
tests/integration/erp/test_eracuni.py.
"""

from __future__ import annotations

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
    ErpSystem,
    PaymentMethod,
    PaymentRecord,
    StockChanged,
)
from storelink_erp_eracuni.client import EracuniClient
from storelink_erp_eracuni.mapping import MappingError, build_document
from storelink_erp_eracuni.protocol import md5pass
from storelink_erp_kit.changes import ObservedValues
from storelink_erp_kit.client import ErpClient
from storelink_erp_kit.ledger import Ledger
from storelink_erp_kit.polling import publish_changes, stock_events
from storelink_erp_kit.processor import AttemptPolicy, DocumentProcessor
from storelink_kit.testing.samples import T0, sample_document

from ...support.erp import ER_PASSWORD, ER_TOKEN, ER_USER, ErSim, RecordingPublisher

CARD = PaymentRecord(method=PaymentMethod.CARD, amount=D("24.40"), paid_at=T0)


def er_client(
    sim: ErSim, *, password: str = ER_PASSWORD, token: str = ER_TOKEN, timeout: float = 2.0, **kw: Any
) -> EracuniClient:
    return EracuniClient(
        username=ER_USER,
        md5pass=md5pass(ER_USER, password),
        token=token,
        url=sim.api_url,
        timeout=timeout,
        busy_backoff_seconds=0.02,
        **kw,
    )


def processor(engine: AsyncEngine, client: ErpClient, pub: RecordingPublisher) -> DocumentProcessor:
    async def client_for(doc: Any) -> ErpClient:
        return client

    return DocumentProcessor(
        ledger=Ledger(engine, lease_seconds=5, create_window_seconds=5, landing_grace_seconds=1),
        client_for=client_for,
        publisher=pub,
        owner="test",
        policy=AttemptPolicy(max_attempts=4, backoff_seconds=0.01, backoff_max_seconds=0.05),
    )


def test_mapping_b2c_retail_invoice_and_b2b_order() -> None:
    from storelink_erp_eracuni.mapping import EracuniOptions

    doc = sample_document(
        erp=ErpSystem.ERACUNI,
        kind=DocumentKind.INVOICE_DOMESTIC,
        fiscalize=True,
        payment=CARD,
        cost_center="WEB",
    )
    method, params = build_document(doc, EracuniOptions(cash_register_code="BL1"))
    inv = params["SalesInvoice"]
    assert method == "SalesInvoiceCreate"
    assert inv["type"] == "Retail"
    assert inv["cashRegisterCode"] == "BL1"
    assert inv["status"] == "IssuedInvoice"
    assert inv["methodOfPayment"] == "EurocardMastercard"
    assert inv["costPosition"] == "WEB"
    assert inv["warehouseCode"] == "MAIN"
    assert inv["reference"] == "10001"
    assert inv["Items"][0] == {
        "description": "Mug",
        "productCode": "MUG-01",
        "quantity": D("2"),
        "unit": "kos",
        "price": D("12.20"),
        "vatPercentage": D("22"),
    }
    with pytest.raises(MappingError, match="cash register"):
        build_document(doc)
    b2b = sample_document(
        erp=ErpSystem.ERACUNI,
        prices_include_tax=False,
        payment=None,
        buyer=Buyer(kind=BuyerKind.COMPANY, name="Jan", company_name="Kos d.o.o.", vat_id="SI1"),
    )
    method, params = build_document(b2b)
    order = params["SalesOrder"]
    assert method == "SalesOrderCreate"
    assert "type" not in order
    assert order["Items"][0]["netPrice"] == D("10.00")
    assert "price" not in order["Items"][0]
    assert order["buyerTaxNumber"] == "SI1"
    assert order["buyerVatRegistration"] == "Registered"
    assert build_document(sample_document(kind=DocumentKind.OFFER))[0] == "SalesQuoteCreate"


async def test_fiscalized_retail_invoice_returns_zoi_and_eor(
    sqlite_engine: AsyncEngine, er_sim: ErSim
) -> None:
    from storelink_erp_eracuni.mapping import EracuniOptions

    client = er_client(er_sim, options=EracuniOptions(cash_register_code="BL1"))
    doc = sample_document(
        erp=ErpSystem.ERACUNI, kind=DocumentKind.INVOICE_DOMESTIC, fiscalize=True, payment=CARD
    )
    result = await processor(sqlite_engine, client, RecordingPublisher()).process(doc)
    assert isinstance(result, DocumentCreated)
    assert result.fiscal is not None
    assert len(result.fiscal.zoi) == 32
    assert result.erp_document_id.startswith("60:")


ERRORS = [
    ("wrong password", {"password": "nope"}, {}, "user name or password (md5pass)", "auth:secret"),
    ("wrong token", {"token": "nope"}, {}, "organization token", "auth:token"),
    ("privileges", {}, {"denied": True}, "may not call SalesOrderCreate", "privileges"),
    ("vat id", {}, {"b2b_without_vat": True}, "buyerTaxNumber: VAT ID entry is mandatory", "buyerTaxNumber"),
    (
        "payment method",
        {},
        {"error": "Error nr: 1 #methodOfPayment - Method of payment Other is not allowed; "},
        "refuses the payment method",
        "methodOfPayment",
    ),
    ("other", {}, {"error": "Something odd"}, "refused SalesOrderCreate: Something odd", "error"),
]


@pytest.mark.parametrize(("name", "client_kw", "sim", "reason", "code"), ERRORS, ids=[e[0] for e in ERRORS])
async def test_error_shapes_become_clear_document_failed(
    sqlite_engine: AsyncEngine,
    er_sim: ErSim,
    name: str,
    client_kw: dict[str, str],
    sim: dict[str, Any],
    reason: str,
    code: str,
) -> None:
    doc = sample_document(erp=ErpSystem.ERACUNI)
    if sim.get("denied"):
        er_sim.state.users[ER_USER].denied_methods.add("SalesOrderCreate")
    if sim.get("error"):
        er_sim.state.set_faults(error_next=[sim["error"]])
    if sim.get("b2b_without_vat"):
        doc = sample_document(
            erp=ErpSystem.ERACUNI,
            prices_include_tax=False,
            buyer=Buyer(kind=BuyerKind.COMPANY, name="J", company_name="K d.o.o.", vat_id="X"),
        )
        doc = doc.model_copy(update={"buyer": doc.buyer.model_copy(update={"vat_id": None})})
        from storelink_erp_eracuni import mapping

        orig = mapping.build_document

        def registered_without_vat(d: Any, o: Any = None) -> Any:
            m, p = orig(d, o)
            p["SalesOrder"]["buyerVatRegistration"] = "Registered"  # what a wrong partner setting sends
            return m, p

        client = er_client(er_sim, **client_kw)
        client._request = lambda d, r: registered_without_vat(d, client.options)  # type: ignore[method-assign]
    else:
        client = er_client(er_sim, **client_kw)
    result = await processor(sqlite_engine, client, RecordingPublisher()).process(doc)
    assert isinstance(result, DocumentFailed), result
    assert reason in result.reason
    assert result.code == code
    assert not result.retryable
    assert ER_PASSWORD not in result.reason
    assert er_sim.docs() == []


async def test_bad_gateway_is_retried_and_the_lookup_prevents_a_duplicate(
    sqlite_engine: AsyncEngine, er_sim: ErSim
) -> None:
    er_sim.state.set_faults(fail_5xx_next=1)
    result = await processor(sqlite_engine, er_client(er_sim), RecordingPublisher()).process(
        sample_document(erp=ErpSystem.ERACUNI)
    )
    assert isinstance(result, DocumentCreated)
    assert len(er_sim.docs()) == 1


async def test_stock_polling_publishes_only_changes(sqlite_engine: AsyncEngine, er_sim: ErSim) -> None:
    er_sim.state.stock[ER_TOKEN] = [
        {"productCode": "MUG-01", "warehouseCode": "MAIN", "quantityOnStock": D("5.000")},
        {"productCode": "CUP-02", "warehouseCode": "MAIN", "quantityOnStock": 0},
        {"productCode": "MUG-01", "warehouseCode": "OTHER", "quantityOnStock": 9},
    ]
    client = er_client(er_sim)
    observed = ObservedValues(sqlite_engine)
    pub = _ManyRecorder()

    async def poll() -> list[Any]:
        levels = await client.read_stock("MAIN")
        return await publish_changes(
            observed,
            pub,
            "er:stock:acme:MAIN",
            stock_events("acme", levels, T0),  # type: ignore[arg-type]
            origin="erp:eracuni",
        )

    first = await poll()
    assert {(e.sku, e.quantity) for e in first} == {("MUG-01", D("5")), ("CUP-02", D("0"))}
    assert await poll() == []
    er_sim.state.stock[ER_TOKEN][1]["quantityOnStock"] = 3
    third = await poll()
    assert [(e.sku, e.quantity) for e in third] == [("CUP-02", D("3"))]
    assert all(isinstance(e, StockChanged) for e in first + third)
    assert er_sim.state.calls["WarehouseGetArticleStockQuantity"] == 3


class _ManyRecorder:
    def __init__(self) -> None:
        self.events: list[Any] = []

    async def publish_many(self, events: Any, *, origin: str | None = None) -> list[Any]:
        batch = [e for e, _ in events]
        self.events.extend(batch)
        return batch
