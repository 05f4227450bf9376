"""DocumentRequested → the exact e-računi API request (pure; no I/O).

Envelope `{username, secretKey, token, method, parameters}` (erp-apis.md §2.1); document fields
from §2.3: buyer fields, `reference` = shop order number, `costPosition`, `warehouseCode`,
`methodOfPayment`, `type: "Retail"` with `cashRegisterCode` for fiscalized B2C invoices and
`"Gross"` for other B2C documents (gross item `price`); B2B documents send `netPrice`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from storelink_contracts import BuyerKind, DocumentKind, DocumentLine, DocumentRequested, PaymentMethod
from storelink_contracts.money import format_decimal

LOCAL_TZ = ZoneInfo("Europe/Ljubljana")

METHODS: dict[DocumentKind, tuple[str, str]] = {
    DocumentKind.OFFER: ("SalesQuoteCreate", "SalesQuote"),
    DocumentKind.SALES_ORDER: ("SalesOrderCreate", "SalesOrder"),
    DocumentKind.INVOICE_DOMESTIC: ("SalesInvoiceCreate", "SalesInvoice"),
    DocumentKind.INVOICE_FOREIGN: ("SalesInvoiceCreate", "SalesInvoice"),
}
LIST_METHODS = {
    "SalesQuote": "SalesQuoteList",
    "SalesOrder": "SalesOrderList",
    "SalesInvoice": "SalesInvoiceList",
}

DEFAULT_PAYMENT_METHODS: dict[PaymentMethod, str] = {
    PaymentMethod.CARD: "EurocardMastercard",
    PaymentMethod.CASH: "Cash",
    PaymentMethod.CASH_ON_DELIVERY: "Cash",
    PaymentMethod.BANK_TRANSFER: "BankTransfer",
    PaymentMethod.PAYPAL: "PayPal",
    PaymentMethod.OTHER: "Other",
    PaymentMethod.UNKNOWN: "Other",
}


class MappingError(ValueError):
    """The document cannot be expressed as an e-računi request; the text says what to fix."""


@dataclass(frozen=True, slots=True)
class EracuniOptions:
    payment_methods: dict[PaymentMethod, str] = field(default_factory=lambda: dict(DEFAULT_PAYMENT_METHODS))
    cash_register_code: str | None = None
    business_unit: str | None = None
    unit: str = "kos"

    @classmethod
    def from_credentials(cls, creds: dict[str, Any]) -> EracuniOptions:
        methods = dict(DEFAULT_PAYMENT_METHODS)
        for key, value in (creds.get("payment_methods") or {}).items():
            methods[PaymentMethod(key)] = str(value)
        return cls(
            payment_methods=methods,
            cash_register_code=creds.get("cash_register_code"),
            business_unit=creds.get("business_unit"),
            unit=str(creds.get("unit") or "kos"),
        )


def er_date(moment: datetime) -> str:
    return f"{moment.astimezone(LOCAL_TZ):%Y-%m-%d}"


def method_of(kind: DocumentKind) -> tuple[str, str]:
    try:
        return METHODS[kind]
    except KeyError:
        raise MappingError(
            f"e-računi documents of kind {kind.value!r} are not created automatically: "
            "issue the credit note or cancellation in e-računi"
        ) from None


def item(line: DocumentLine, gross: bool, unit: str) -> dict[str, Any]:
    out: dict[str, Any] = {"description": line.name}
    if line.sku:
        out["productCode"] = line.sku
    out["quantity"] = format_decimal(line.quantity)
    out["unit"] = unit
    if gross:
        out["price"] = format_decimal(line.unit_price_gross)
    else:
        out["netPrice"] = format_decimal(line.unit_price_net)
    out["vatPercentage"] = format_decimal(line.tax_rate)
    if line.discount_percent:
        out["discountPercentage"] = format_decimal(line.discount_percent)
    return out


def build_document(
    doc: DocumentRequested, options: EracuniOptions | None = None
) -> tuple[str, dict[str, Any]]:
    """(method, parameters) of the create call, without credentials."""
    options = options or EracuniOptions()
    method, wrapper = method_of(doc.kind)
    if not doc.lines:
        raise MappingError("the document has no lines")
    gross = doc.prices_include_tax
    buyer, addr = doc.buyer, doc.billing_address
    company = buyer.kind is BuyerKind.COMPANY
    body: dict[str, Any] = {"date": er_date(doc.issued_at)}
    if wrapper == "SalesInvoice":
        body["status"] = "IssuedInvoice"
        body["dateOfSupplyFrom"] = er_date(doc.issued_at)
    body.update(
        {
            "buyerName": (addr.company or buyer.company_name or buyer.name)
            if company
            else (addr.name or buyer.name),
            "buyerStreet": ", ".join(p for p in (addr.street, addr.street2) if p),
            "buyerPostalCode": addr.postal_code or "",
            "buyerCity": addr.city or "",
            "buyerCountry": addr.country,
        }
    )
    if buyer.email:
        body["buyerEMail"] = buyer.email
    if buyer.phone:
        body["buyerPhone"] = buyer.phone
    if company and buyer.vat_id:
        body["buyerTaxNumber"] = buyer.vat_id
        body["buyerVatRegistration"] = "Registered"
    else:
        body["buyerVatRegistration"] = "None"
    body["reference"] = doc.order_number
    body["orderReference"] = doc.order_number
    body["documentCurrency"] = doc.currency
    if doc.cost_center:
        body["costPosition"] = doc.cost_center
    if doc.warehouse:
        body["warehouseCode"] = doc.warehouse
    if options.business_unit:
        body["businessUnit"] = options.business_unit
    method_of_payment = options.payment_methods[doc.payment.method if doc.payment else PaymentMethod.UNKNOWN]
    body["methodOfPayment"] = method_of_payment
    if doc.fiscalize:
        if wrapper != "SalesInvoice":
            raise MappingError(f"fiscal verification applies to invoices, not to {wrapper}")
        if not gross:
            raise MappingError("a fiscally verified (Retail) invoice is for consumers with gross prices")
        if not options.cash_register_code:
            raise MappingError(
                "fiscal verification needs the e-računi cash register (fiscal device) code: set "
                "cash_register_code in the e-računi credentials of the connection"
            )
        body["type"] = "Retail"
        body["cashRegisterCode"] = options.cash_register_code
    elif gross:
        body["type"] = "Gross"
    if doc.legal_note:
        body["remarks"] = doc.legal_note
    body["Items"] = [item(ln, gross, options.unit) for ln in doc.lines]
    return method, {wrapper: body}
