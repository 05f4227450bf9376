"""DocumentRequested → the exact e-računi API request (pure; no I/O).

The document shape follows the documented examples (WS-INVOICE, WS-ORDER: buyer fields, `Items`
with `description`, `quantity`, `unit`, `netPrice`, amounts as JSON numbers) and, where they are
silent, the assumptions ER6-ER8 in `storelink_erp_eracuni.assumptions`. Amounts stay Decimal here;
the client writes them as JSON numbers digit for digit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from storelink_contracts import BuyerKind, DocumentKind, DocumentLine, DocumentRequested, PaymentMethod
from storelink_erp_eracuni import assumptions as A
from storelink_erp_eracuni import protocol as P

LOCAL_TZ = ZoneInfo("Europe/Ljubljana")

METHODS: dict[DocumentKind, tuple[str, str]] = {
    DocumentKind.OFFER: ("SalesQuoteCreate", "SalesQuote"),
    DocumentKind.SALES_ORDER: (P.SALES_ORDER_CREATE, "SalesOrder"),
    DocumentKind.INVOICE_DOMESTIC: (P.SALES_INVOICE_CREATE, "SalesInvoice"),
    DocumentKind.INVOICE_FOREIGN: (P.SALES_INVOICE_CREATE, "SalesInvoice"),
}
LIST_METHODS = {
    "SalesQuote": "SalesQuoteList",
    "SalesOrder": P.SALES_ORDER_LIST,
    "SalesInvoice": P.SALES_INVOICE_LIST,
}
INVOICES = frozenset({DocumentKind.INVOICE_DOMESTIC, DocumentKind.INVOICE_FOREIGN})

DEFAULT_PAYMENT_METHODS: dict[PaymentMethod, str] = {
    PaymentMethod.CARD: "EurocardMastercard",
    PaymentMethod.CASH: "Cash",
    PaymentMethod.CASH_ON_DELIVERY: "Cash",
    PaymentMethod.BANK_TRANSFER: "BankTransfer",
    PaymentMethod.PAYPAL: "PayPal",
    PaymentMethod.OTHER: "Other",
    PaymentMethod.UNKNOWN: "Other",
}
"""ER8: the e-računi.hr values [3p]; a company overrides them with `payment_methods`."""


class MappingError(ValueError):
    """The document cannot be expressed as an e-računi request; the text says what to fix."""


@dataclass(frozen=True, slots=True)
class EracuniOptions:
    payment_methods: dict[PaymentMethod, str] = field(default_factory=lambda: dict(DEFAULT_PAYMENT_METHODS))
    cash_register_code: str | None = None
    """The electronic device (elektronska naprava) that fiscally verifies invoices."""
    business_unit: str | None = None
    """The business premises (poslovni prostor) registered for fiscal verification."""
    unit: str = "kos"

    @classmethod
    def from_credentials(cls, creds: dict[str, Any]) -> EracuniOptions:
        methods = dict(DEFAULT_PAYMENT_METHODS)
        for key, value in (creds.get("payment_methods") or {}).items():
            methods[PaymentMethod(key)] = str(value)
        return cls(
            payment_methods=methods,
            cash_register_code=creds.get("cash_register_code") or None,
            business_unit=creds.get("business_unit") or None,
            unit=str(creds.get("unit") or "kos"),
        )


def er_date(moment: datetime) -> str:
    return f"{moment.astimezone(LOCAL_TZ):%Y-%m-%d}"


def method_of(kind: DocumentKind) -> tuple[str, str]:
    try:
        return METHODS[kind]
    except KeyError:
        raise MappingError(
            f"e-računi documents of kind {kind.value!r} are not created with a create call"
        ) from None


def item(line: DocumentLine, gross: bool, unit: str) -> dict[str, Any]:
    out: dict[str, Any] = {"description": line.name}
    if line.sku:
        out["productCode"] = line.sku
    out["quantity"] = line.quantity
    out["unit"] = unit
    if gross:
        out["price"] = line.unit_price_gross
    else:
        out["netPrice"] = line.unit_price_net
    out["vatPercentage"] = line.tax_rate
    if line.discount_percent:
        out["discountPercentage"] = line.discount_percent
    return out


def payment_method(doc: DocumentRequested, options: EracuniOptions) -> str:
    return options.payment_methods[doc.payment.method if doc.payment else PaymentMethod.UNKNOWN]


def invoice_header(doc: DocumentRequested, options: EracuniOptions) -> dict[str, Any]:
    """What makes a document an issued (and, when asked, fiscally verified) invoice: the fields of
    SalesInvoiceCreate, and of SalesOrderCreateInvoice's `SalesInvoice` (ER7)."""
    day = er_date(doc.issued_at)
    header: dict[str, Any] = {
        "date": day,
        "status": A.INVOICE_STATUS_ISSUED,
        "dateOfSupplyFrom": day,
        "methodOfPayment": payment_method(doc, options),
    }
    if options.business_unit:
        header[A.BUSINESS_UNIT] = options.business_unit
    if doc.fiscalize:
        if not options.cash_register_code:
            raise MappingError(
                "fiscal verification needs the e-računi electronic device (cash register) code: set "
                "cash_register_code (and business_unit, the business premises) in the company's e-računi "
                "settings"
            )
        header[A.CASH_REGISTER_CODE] = options.cash_register_code
        if doc.prices_include_tax:
            header["type"] = A.TYPE_RETAIL  # B2C gross; a B2B (net) invoice keeps netPrice and no type (ER8)
    elif doc.prices_include_tax:
        header["type"] = A.TYPE_GROSS
    if doc.legal_note:
        header["remarks"] = doc.legal_note
    return header


def build_document(
    doc: DocumentRequested, options: EracuniOptions | None = None
) -> tuple[str, dict[str, Any]]:
    """(method, parameters) of the create call, without credentials."""
    options = options or EracuniOptions()
    method, wrapper = method_of(doc.kind)
    if not doc.lines:
        raise MappingError("the document has no lines")
    gross = doc.prices_include_tax
    if doc.fiscalize and wrapper != "SalesInvoice":
        raise MappingError(f"fiscal verification applies to invoices, not to {wrapper}")
    body: dict[str, Any] = (
        invoice_header(doc, options) if wrapper == "SalesInvoice" else {"date": er_date(doc.issued_at)}
    )
    body.update(buyer_fields(doc))
    body["reference"] = doc.order_number
    body["orderReference"] = doc.order_number
    body["documentCurrency"] = doc.currency
    if doc.cost_center:
        body["costPosition"] = doc.cost_center
    if doc.warehouse:
        body["warehouseCode"] = doc.warehouse
    if wrapper != "SalesInvoice":
        if options.business_unit:
            body[A.BUSINESS_UNIT] = options.business_unit
        body["methodOfPayment"] = payment_method(doc, options)
        if gross:
            body["type"] = A.TYPE_GROSS
        if doc.legal_note:
            body["remarks"] = doc.legal_note
    body["Items"] = [item(ln, gross, options.unit) for ln in doc.lines]
    return method, {wrapper: body}


def buyer_fields(doc: DocumentRequested) -> dict[str, Any]:
    buyer, addr = doc.buyer, doc.billing_address
    company = buyer.kind is BuyerKind.COMPANY
    out: dict[str, Any] = {
        "buyerName": (addr.company or buyer.company_name or buyer.name)
        if company
        else (addr.name or buyer.name),
        "buyerStreet": ", ".join(p for p in (addr.street, addr.street2) if p),
        "buyerPostalCode": addr.postal_code or "",
        "buyerCity": addr.city or "",
        "buyerCountry": addr.country,
    }
    if buyer.email:
        out["buyerEMail"] = buyer.email
    if buyer.phone:
        out["buyerPhone"] = buyer.phone
    if company and buyer.vat_id:
        out["buyerTaxNumber"] = buyer.vat_id
        out["buyerVatRegistration"] = "Registered"
    else:
        out["buyerVatRegistration"] = "None"
    return out


def credit_note_reason(doc: DocumentRequested, invoice_number: str | None) -> str:
    """ER12: e-računi documents no credit-note method, so a person issues it."""
    which = f"invoice {invoice_number}" if invoice_number else f"the invoice of shop order {doc.order_number}"
    return (
        f"e-računi's API has no documented way to create a credit note: issue the credit note (dobropis) for "
        f"{which} in e-računi by hand, with the refunded amount {doc.totals.gross} {doc.currency}"
        + (" and fiscal verification, as the invoice was fiscally verified" if doc.fiscalize else "")
    )


def cancel_offer_reason(doc: DocumentRequested, number: str | None) -> str:
    which = f"offer {number}" if number else f"the offer of shop order {doc.order_number}"
    return (
        f"e-računi's API has no documented way to cancel an offer: mark {which} as cancelled in e-računi "
        "by hand"
    )


def cancelled_slot(refers_to: str) -> str:
    """The slot of the document a cancellation refers to: idempotency keys end in `:<slot>`
    (storelink_mapper.keys), e.g. `conn:order:sales_order`."""
    return refers_to.rsplit(":", 1)[-1]


def as_decimal(value: Any) -> Decimal | None:
    """A JSON number (read as Decimal) or a numeric string (decimal comma allowed); None otherwise."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal | int):
        return Decimal(value)
    try:
        return Decimal(str(value).strip().replace(",", "."))
    except ArithmeticError:
        return None
