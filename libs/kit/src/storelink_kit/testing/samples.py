"""Valid example events for tests, built from keyword overrides (one place to keep them valid)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiokafka import ConsumerRecord

from storelink_contracts import (
    Address,
    Buyer,
    BuyerKind,
    CompanyProfile,
    ConnectionConfigured,
    ConnectionRemoved,
    DocumentCreated,
    DocumentFailed,
    DocumentKind,
    DocumentLine,
    DocumentRequested,
    DocumentTotals,
    DoorbellReason,
    Envelope,
    ErpSystem,
    Event,
    FiscalCodes,
    LineKind,
    OrderLine,
    OrderNeedsAttention,
    OrderReceived,
    OrderStatus,
    OrderTotals,
    PaymentMethod,
    PaymentRecord,
    PaymentStatus,
    Platform,
    PriceChanged,
    PriceListKind,
    PriceListSetting,
    ShippingCharge,
    ShopDoorbell,
    StockChanged,
    TargetDocument,
    TaxBreakdown,
    TaxTreatment,
    encode_event,
)

T0 = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
D = Decimal


def sample_order(**overrides: Any) -> OrderReceived:
    """A domestic B2C order: 2 × 12.20 at 22 % plus 4.99 shipping at 22 %, tax-inclusive."""
    data: dict[str, Any] = {
        "tenant_id": "acme",
        "connection_id": "conn-wix-1",
        "platform": Platform.WIX,
        "external_id": "ord-1001",
        "number": "10001",
        "created_at": T0,
        "updated_at": T0,
        "status": OrderStatus.CONFIRMED,
        "payment_status": PaymentStatus.PAID,
        "payment_method": PaymentMethod.CARD,
        "paid_at": T0,
        "currency": "EUR",
        "prices_include_tax": True,
        "buyer": Buyer(kind=BuyerKind.PERSON, name="Ana Novak", email="ana@example.si"),
        "billing_address": Address(
            name="Ana Novak", street="Slovenska 1", city="Ljubljana", postal_code="1000", country="SI"
        ),
        "lines": [
            OrderLine(
                line_id="l1",
                sku="MUG-01",
                name="Mug",
                quantity=D("2"),
                unit_price=D("12.20"),
                tax_rate=D("22"),
            )
        ],
        "shipping": ShippingCharge(name="Pošta Slovenije", amount=D("4.99"), tax_rate=D("22")),
        "totals": OrderTotals(
            subtotal=D("24.40"), shipping=D("4.99"), discount=D("0"), tax=D("5.30"), total=D("29.39")
        ),
    }
    data.update(overrides)
    return OrderReceived(**data)


def sample_company(**overrides: Any) -> CompanyProfile:
    data: dict[str, Any] = {
        "name": "Acme d.o.o.",
        "country": "SI",
        "vat_id": "SI12345678",
        "erp": ErpSystem.METAKOCKA,
        "fiscal_verification": True,
    }
    data.update(overrides)
    return CompanyProfile(**data)


def sample_connection(**overrides: Any) -> ConnectionConfigured:
    data: dict[str, Any] = {
        "tenant_id": "acme",
        "connection_id": "conn-wix-1",
        "version": 1,
        "platform": Platform.WIX,
        "description": "Acme Wix shop",
        "company": sample_company(),
        "credentials_encrypted": "gAAAAA-not-real-ciphertext",
        "target_document": TargetDocument.SALES_ORDER,
        "auto_invoice_paid": True,
        "warehouse": "MAIN",
        "cost_center": "WEB",
        "price_lists": [PriceListSetting(name="MPC", kind=PriceListKind.B2C)],
        "stock_sync": True,
        "price_sync": True,
        "updated_at": T0,
    }
    data.update(overrides)
    return ConnectionConfigured(**data)


def sample_document(**overrides: Any) -> DocumentRequested:
    line = DocumentLine(
        kind=LineKind.PRODUCT,
        sku="MUG-01",
        name="Mug",
        quantity=D("2"),
        unit_price_net=D("10.00"),
        unit_price_gross=D("12.20"),
        tax_rate=D("22"),
        net=D("20.00"),
        tax=D("4.40"),
        gross=D("24.40"),
    )
    order = sample_order()
    data: dict[str, Any] = {
        "tenant_id": "acme",
        "connection_id": "conn-wix-1",
        "settings_version": 1,
        "erp": ErpSystem.METAKOCKA,
        "idempotency_key": "conn-wix-1:ord-1001:sales_order",
        "kind": DocumentKind.SALES_ORDER,
        "platform": Platform.WIX,
        "order_external_id": "ord-1001",
        "order_number": "10001",
        "order_updated_at": T0,
        "issued_at": T0,
        "currency": "EUR",
        "prices_include_tax": True,
        "tax_treatment": TaxTreatment.DOMESTIC,
        "buyer": order.buyer,
        "billing_address": order.billing_address,
        "lines": [line],
        "totals": DocumentTotals(
            net=D("20.00"),
            tax=D("4.40"),
            gross=D("24.40"),
            by_rate=[TaxBreakdown(rate=D("22"), base=D("20.00"), tax=D("4.40"))],
        ),
        "payment": PaymentRecord(method=PaymentMethod.CARD, amount=D("24.40"), paid_at=T0),
        "warehouse": "MAIN",
        "why": ["target document: sales order"],
    }
    data.update(overrides)
    return DocumentRequested(**data)


def sample_events() -> list[Event]:
    """One of every event type."""
    return [
        sample_order(),
        OrderNeedsAttention(
            tenant_id="acme",
            connection_id="conn-wix-1",
            external_id="ord-1002",
            number="10002",
            order_updated_at=T0,
            reasons=["line 1 has no SKU: give the product a SKU in the shop"],
        ),
        ShopDoorbell(
            tenant_id="acme",
            connection_id="conn-wix-1",
            platform=Platform.WIX,
            reason=DoorbellReason.WEBHOOK,
            order_ids=["ord-1001"],
            rung_at=T0,
        ),
        StockChanged(tenant_id="acme", warehouse="MAIN", sku="MUG-01", quantity=D("17"), as_of=T0),
        PriceChanged(
            tenant_id="acme",
            price_list="MPC",
            sku="MUG-01",
            amount=D("12.20"),
            currency="EUR",
            includes_tax=True,
            tax_rate=D("22"),
            as_of=T0,
        ),
        sample_document(),
        DocumentCreated(
            tenant_id="acme",
            connection_id="conn-wix-1",
            idempotency_key="conn-wix-1:ord-1001:invoice_domestic",
            kind=DocumentKind.INVOICE_DOMESTIC,
            erp=ErpSystem.METAKOCKA,
            erp_document_id="1600000123",
            erp_number="2026-000123",
            fiscal=FiscalCodes(zoi="a" * 32, eor="e2b5c1f0-0000-4000-8000-000000000000"),
            settings_version=1,
            order_external_id="ord-1001",
            created_at=T0,
        ),
        DocumentFailed(
            tenant_id="acme",
            connection_id="conn-wix-1",
            idempotency_key="conn-wix-1:ord-1001:sales_order",
            kind=DocumentKind.SALES_ORDER,
            erp=ErpSystem.METAKOCKA,
            order_external_id="ord-1001",
            settings_version=1,
            reason="MetaKocka rejected the secret key: check the API key in the tenant settings",
            code="auth",
            failed_at=T0,
        ),
        sample_connection(),
        ConnectionRemoved(tenant_id="acme", connection_id="conn-wix-1", version=2, removed_at=T0),
    ]


def event_record(
    event: Event, offset: int, *, topic: str, origin: str | None = None, value: bytes | None = None
) -> ConsumerRecord[bytes, bytes]:
    """The record a consumer would read for `event` (envelope headers, its key), at `offset` of
    partition 0; `value` replaces the body (e.g. with garbage)."""
    headers = Envelope.for_event(event, source="test", origin=origin).to_headers()
    body = encode_event(event) if value is None else value
    return ConsumerRecord(
        topic=topic,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=event.message_key().encode(),
        value=body,
        checksum=None,
        serialized_key_size=-1,
        serialized_value_size=len(body),
        headers=[(k, v.encode()) for k, v in headers.items()],
    )
