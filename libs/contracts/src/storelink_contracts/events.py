"""Every event of the architecture, as pydantic v2 models.

Evolution rule: fields are only ever added as optional; anything else is a new `event_type`
version (`...v2`) published alongside the old one until consumers have moved.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pydantic import Field, StrictBool, model_validator

from storelink_contracts.base import (
    AwareDatetime,
    CountryCode,
    CurrencyCode,
    Event,
    Model,
    NonEmptyStr,
)
from storelink_contracts.enums import (
    BuyerKind,
    DocumentKind,
    DoorbellReason,
    ErpSystem,
    LineKind,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    Platform,
    PriceListKind,
    TargetDocument,
    TaxTreatment,
)
from storelink_contracts.money import Money, Percent, Quantity

# --------------------------------------------------------------------------- orders


class Address(Model):
    name: str | None = None
    company: str | None = None
    street: str | None = None
    street2: str | None = None
    city: str | None = None
    postal_code: str | None = None
    region: str | None = None
    country: CountryCode


class Buyer(Model):
    kind: BuyerKind
    name: NonEmptyStr
    company_name: str | None = None
    vat_id: str | None = Field(
        default=None, description="VAT id with country prefix (SI12345678), as the buyer gave it"
    )
    email: str | None = None
    phone: str | None = None

    @model_validator(mode="after")
    def _company_has_name(self) -> Buyer:
        if self.kind is BuyerKind.COMPANY and not (self.company_name or self.name):
            raise ValueError("a company buyer needs a company name")
        return self


class OrderLine(Model):
    line_id: NonEmptyStr
    sku: str | None = Field(default=None, description="ERP product code; None when the shop has none")
    name: NonEmptyStr
    quantity: Quantity = Field(gt=0)
    unit_price: Money = Field(
        ge=0, description="Price of one unit as the shop states it: gross when prices_include_tax"
    )
    tax_rate: Percent = Field(ge=0, le=100)
    discount: Money = Field(
        default=Decimal("0"),
        ge=0,
        description="Total discount on this line (all units), on the same basis as unit_price",
    )
    product_id: str | None = None
    variant_id: str | None = None


class ShippingCharge(Model):
    name: NonEmptyStr
    amount: Money = Field(ge=0, description="On the same basis as the line prices")
    tax_rate: Percent = Field(ge=0, le=100)
    discount: Money = Field(default=Decimal("0"), ge=0)


class FeeCharge(Model):
    name: NonEmptyStr
    amount: Money = Field(description="On the same basis as the line prices")
    tax_rate: Percent = Field(ge=0, le=100)


class OrderDiscount(Model):
    """An order-level discount (coupon) not already spread over the lines."""

    name: NonEmptyStr
    code: str | None = None
    amount: Money = Field(ge=0, description="On the same basis as the line prices")


class TaxBreakdown(Model):
    rate: Percent
    base: Money
    tax: Money


class OrderTotals(Model):
    """The shop's own totals; the mapper reconciles every document against `total` and `tax`."""

    subtotal: Money
    shipping: Money = Decimal("0")
    discount: Money = Decimal("0")
    tax: Money
    total: Money
    tax_by_rate: list[TaxBreakdown] | None = Field(
        default=None,
        description="The shop's own VAT per rate (percent), when the shop reports it; "
        "the mapper reconciles each rate's tax with it",
    )


class OrderReceived(Event):
    """A full snapshot of a shop order, published every time the order is seen to change."""

    event_type: ClassVar[str] = "storelink.order.received.v1"
    topic: ClassVar[str] = "orders"

    connection_id: NonEmptyStr
    platform: Platform
    external_id: NonEmptyStr
    number: NonEmptyStr
    created_at: AwareDatetime
    updated_at: AwareDatetime
    status: OrderStatus
    payment_status: PaymentStatus
    payment_method: PaymentMethod = PaymentMethod.UNKNOWN
    paid_at: AwareDatetime | None = None
    currency: CurrencyCode
    prices_include_tax: bool
    buyer: Buyer
    billing_address: Address
    shipping_address: Address | None = None
    lines: list[OrderLine] = Field(min_length=1)
    shipping: ShippingCharge | None = None
    fees: list[FeeCharge] = Field(default_factory=list)
    discounts: list[OrderDiscount] = Field(default_factory=list)
    totals: OrderTotals
    note: str | None = None

    def message_key(self) -> str:
        return order_key(self.connection_id, self.external_id)


def order_key(connection_id: str, external_id: str) -> str:
    return f"{connection_id}:{external_id}"


class OrderNeedsAttention(Event):
    """An order that cannot be mapped as it stands; a person must act (or new data must come)."""

    event_type: ClassVar[str] = "storelink.order.needs-attention.v1"
    topic: ClassVar[str] = "attention"

    connection_id: NonEmptyStr
    external_id: NonEmptyStr
    number: str | None = None
    order_updated_at: AwareDatetime | None = None
    settings_version: int | None = None
    reasons: list[NonEmptyStr] = Field(min_length=1)
    resolved: bool = Field(
        default=False, description="True when a later snapshot or new settings mapped it fine"
    )

    def message_key(self) -> str:
        return order_key(self.connection_id, self.external_id)


# --------------------------------------------------------------------------- connector work


class ShopDoorbell(Event):
    """Work for the one connector replica that owns a connection: a webhook said orders changed
    (fetch them), or stock/prices wait to be pushed. Keyed by connection, so every doorbell of a
    connection lands on the partition whose owner polls, fetches and pushes for it."""

    event_type: ClassVar[str] = "storelink.connector.doorbell.v1"
    topic: ClassVar[str] = "doorbells"

    connection_id: NonEmptyStr
    platform: Platform
    reason: DoorbellReason
    order_ids: list[NonEmptyStr] = Field(default_factory=list, max_length=1000)
    order_numbers: list[NonEmptyStr] = Field(default_factory=list, max_length=1000)
    rung_at: AwareDatetime

    def message_key(self) -> str:
        return self.connection_id


# --------------------------------------------------------------------------- stock & prices


class StockChanged(Event):
    """The absolute quantity of a product in a warehouse at `as_of` (never a delta)."""

    event_type: ClassVar[str] = "storelink.stock.changed.v1"
    topic: ClassVar[str] = "stock"

    warehouse: NonEmptyStr
    sku: NonEmptyStr
    quantity: Quantity
    as_of: AwareDatetime

    def message_key(self) -> str:
        return f"{self.tenant_id}:{self.warehouse}:{self.sku}"


class PriceChanged(Event):
    """The price of a product in a price list at `as_of`."""

    event_type: ClassVar[str] = "storelink.price.changed.v1"
    topic: ClassVar[str] = "prices"

    price_list: NonEmptyStr
    sku: NonEmptyStr
    amount: Money = Field(ge=0)
    currency: CurrencyCode
    includes_tax: bool
    tax_rate: Percent = Field(ge=0, le=100)
    as_of: AwareDatetime

    def message_key(self) -> str:
        return f"{self.tenant_id}:{self.price_list}:{self.sku}"


# --------------------------------------------------------------------------- documents


class DocumentLine(Model):
    kind: LineKind
    sku: str | None = None
    name: NonEmptyStr
    quantity: Quantity
    unit_price_net: Money = Field(description="Net price of one unit, before the line discount")
    unit_price_gross: Money = Field(description="Gross price of one unit, before the discount")
    discount_percent: Percent = Field(default=Decimal("0"), ge=0, le=100)
    tax_rate: Percent = Field(ge=0, le=100)
    net: Money = Field(description="Line net after discount, rounded to the cent")
    tax: Money
    gross: Money


class DocumentTotals(Model):
    net: Money
    tax: Money
    gross: Money
    by_rate: list[TaxBreakdown]


class PaymentRecord(Model):
    method: PaymentMethod
    amount: Money
    paid_at: AwareDatetime | None = None


class DocumentRequested(Event):
    """One ERP document the mapper wants to exist, exactly once per `idempotency_key`."""

    event_type: ClassVar[str] = "storelink.document.requested.v1"
    topic: ClassVar[str] = "documents"

    connection_id: NonEmptyStr
    settings_version: int
    erp: ErpSystem
    idempotency_key: NonEmptyStr
    kind: DocumentKind
    platform: Platform
    order_external_id: NonEmptyStr
    order_number: NonEmptyStr
    order_updated_at: AwareDatetime
    issued_at: AwareDatetime
    currency: CurrencyCode
    prices_include_tax: bool = Field(description="B2C: gross prices are authoritative")
    tax_treatment: TaxTreatment
    legal_note: str | None = None
    buyer: Buyer
    billing_address: Address
    shipping_address: Address | None = None
    lines: list[DocumentLine]
    totals: DocumentTotals
    payment: PaymentRecord | None = None
    fiscalize: bool = False
    warehouse: str | None = None
    cost_center: str | None = None
    price_list: str | None = None
    refers_to: str | None = Field(
        default=None,
        description="Idempotency key of the document this one cancels, credits or (an invoice) is made from",
    )
    why: list[str] = Field(default_factory=list, description="Rules that chose kind and treatment")
    shadow: bool = Field(
        default=False,
        description="Mapped while the connection was in shadow mode: recorded as 'would send', never sent",
    )

    def message_key(self) -> str:
        return order_key(self.connection_id, self.order_external_id)


class FiscalCodes(Model):
    zoi: NonEmptyStr
    eor: NonEmptyStr | None = None


class DocumentCreated(Event):
    event_type: ClassVar[str] = "storelink.document.created.v1"
    topic: ClassVar[str] = "document_results"

    connection_id: NonEmptyStr
    idempotency_key: NonEmptyStr
    kind: DocumentKind
    erp: ErpSystem
    erp_document_id: NonEmptyStr
    erp_number: str | None = None
    fiscal: FiscalCodes | None = None
    settings_version: int
    order_external_id: NonEmptyStr
    created_at: AwareDatetime
    already_existed: bool = Field(
        default=False, description="The ERP had it already (found by reference, not created)"
    )

    def message_key(self) -> str:
        return order_key(self.connection_id, self.order_external_id)


class DocumentFailed(Event):
    event_type: ClassVar[str] = "storelink.document.failed.v1"
    topic: ClassVar[str] = "document_results"

    connection_id: NonEmptyStr
    idempotency_key: NonEmptyStr
    kind: DocumentKind
    erp: ErpSystem
    order_external_id: NonEmptyStr
    settings_version: int
    reason: NonEmptyStr = Field(description="What is wrong and what a person can do about it")
    code: str | None = Field(default=None, description="The ERP's own error code, if any")
    retryable: bool = False
    attempts: int = Field(default=1, ge=1)
    failed_at: AwareDatetime

    def message_key(self) -> str:
        return order_key(self.connection_id, self.order_external_id)


# --------------------------------------------------------------------------- connections


class PriceListSetting(Model):
    name: NonEmptyStr = Field(description="The ERP price list")
    kind: PriceListKind
    send_gross: StrictBool | None = Field(
        default=None, description="None = the default for the kind: B2C gross, B2B net (true/false only)"
    )

    @property
    def sends_gross(self) -> bool:
        if self.send_gross is not None:
            return self.send_gross
        return self.kind is PriceListKind.B2C


class CompanyProfile(Model):
    """The tenant's own company: it decides domestic vs foreign, VAT and fiscalisation."""

    name: NonEmptyStr
    country: CountryCode = "SI"
    vat_id: str | None = None
    oss_registered: bool = False
    fiscal_verification: bool = False
    erp: ErpSystem
    erp_credentials_encrypted: str | None = Field(
        default=None, description="ERP credentials, encrypted with the hub's key; never clear"
    )


class ConnectionConfigured(Event):
    """The whole current settings of one connection (compacted topic: the latest wins)."""

    event_type: ClassVar[str] = "storelink.connection.configured.v1"
    topic: ClassVar[str] = "connections"

    connection_id: NonEmptyStr
    version: int = Field(ge=1)
    platform: Platform
    description: str = ""
    enabled: bool = True
    company: CompanyProfile
    credentials_encrypted: str = Field(
        description="Shop credentials (JSON), encrypted with the hub's key; never clear"
    )
    webhook_token_sha256: str | None = Field(
        default=None, description="SHA-256 (hex) of the webhook token; the token itself is never sent"
    )
    import_orders: bool = True
    target_document: TargetDocument = TargetDocument.SALES_ORDER
    auto_invoice_paid: bool = False
    polling_interval_seconds: int = Field(default=3600, ge=60)
    first_import_lookback_days: int = Field(default=7, ge=0)
    warehouse: str | None = None
    cost_center: str | None = None
    price_lists: list[PriceListSetting] = Field(default_factory=list)
    stock_sync: bool = False
    price_sync: bool = False
    rounding_tolerance: Money = Field(default=Decimal("0.05"), ge=0)
    updated_at: AwareDatetime
    updated_by: str | None = None
    shadow: bool = Field(
        default=False,
        description="Shadow mode: orders are read and mapped, documents are only recorded as they would be "
        "sent; nothing is written to the ERP or the shop (no documents, no stock or price pushes)",
    )
    reconcile_daily: bool = Field(
        default=False,
        description="Reconcile the previous day every day (shop, hub, ERP); each difference becomes a "
        "needs-attention item",
    )
    reconcile_hour: int = Field(
        default=3,
        ge=0,
        le=23,
        description="From which hour of the day (the hub's reconciliation calendar) it runs",
    )

    def message_key(self) -> str:
        return self.connection_id


class ConnectionRemoved(Event):
    event_type: ClassVar[str] = "storelink.connection.removed.v1"
    topic: ClassVar[str] = "connections"

    connection_id: NonEmptyStr
    version: int = Field(ge=1)
    removed_at: AwareDatetime

    def message_key(self) -> str:
        return self.connection_id


ALL_EVENTS: tuple[type[Event], ...] = (
    OrderReceived,
    OrderNeedsAttention,
    ShopDoorbell,
    StockChanged,
    PriceChanged,
    DocumentRequested,
    DocumentCreated,
    DocumentFailed,
    ConnectionConfigured,
    ConnectionRemoved,
)

EVENTS_BY_TYPE: dict[str, type[Event]] = {e.event_type: e for e in ALL_EVENTS}
