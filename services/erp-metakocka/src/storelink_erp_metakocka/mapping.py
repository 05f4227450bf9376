"""DocumentRequested → the exact MetaKocka `put_document` request (pure; no I/O).

Rules (metakocka_api_base docs/documents_put_document*.md, read 2026-12-01): shop order number in
`title` and `buyer_order`; B2C lines carry the gross `price_with_tax`, B2B lines the net `price`;
every line carries `tax_factor`; shipping, fees and discounts are separate service lines; the due
date `duo_payment` on every document; `mark_paid` when the order is paid; credit notes link the
invoice by its number (`credit_note_bill`). Assumed (storelink_erp_metakocka.assumptions):
`delivery_type` and `method_of_payment` always set, fiscal verification (`send_to_furs`) of credit
notes through put_document, cancellations through change_document_status.

A fiscally verified invoice is the documented `v1/json/put_sales_bill` request with `send_to_furs`
(docs/put_sales_bill_send_to_furs.md), built by `build_put_sales_bill`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from storelink_contracts import (
    Address,
    Buyer,
    BuyerKind,
    DocumentKind,
    DocumentLine,
    DocumentRequested,
    LineKind,
    PaymentMethod,
    TaxTreatment,
)
from storelink_contracts.money import format_decimal
from storelink_erp_kit.client import ErpDocumentRef
from storelink_erp_metakocka.assumptions import CANCEL_STATUS_KEY, PUT_SALES_BILL_CURRENCY
from storelink_erp_metakocka.countries import country_name

DOC_TYPES: dict[DocumentKind, str] = {
    DocumentKind.OFFER: "sales_offer",
    DocumentKind.SALES_ORDER: "sales_order",
    DocumentKind.INVOICE_DOMESTIC: "sales_bill_domestic",
    DocumentKind.INVOICE_FOREIGN: "sales_bill_foreign",
    DocumentKind.CREDIT_NOTE: "sales_bill_credit_note",
}
BILLS = {"sales_bill_domestic", "sales_bill_foreign"}
FISCAL_DOC_TYPES = BILLS | {"sales_bill_credit_note"}

DEFAULT_PAYMENT_TYPES: dict[PaymentMethod, str] = {
    PaymentMethod.CARD: "Kartica",
    PaymentMethod.CASH: "Gotovina",
    PaymentMethod.CASH_ON_DELIVERY: "Po povzetju",
    PaymentMethod.BANK_TRANSFER: "Transakcijski račun",
    PaymentMethod.PAYPAL: "PayPal",
    PaymentMethod.OTHER: "Drugo",
    PaymentMethod.UNKNOWN: "Drugo",
}
SERVICE_CODES: dict[LineKind, str] = {
    LineKind.SHIPPING: "dostava",
    LineKind.FEE: "strosek",
    LineKind.DISCOUNT: "popust",
    LineKind.ROUNDING: "zaokrozitev",
}
LOCAL_TZ = ZoneInfo("Europe/Ljubljana")


class MappingError(ValueError):
    """The document cannot be expressed as a MetaKocka request; the text says what to fix."""


@dataclass(frozen=True, slots=True)
class MetakockaOptions:
    """Per-company choices; the defaults follow MetaKocka's usual registers."""

    payment_types: dict[PaymentMethod, str] = field(default_factory=lambda: dict(DEFAULT_PAYMENT_TYPES))
    service_codes: dict[LineKind, str] = field(default_factory=lambda: dict(SERVICE_CODES))
    default_delivery_type: str = "Dostava"
    unit: str = "kos"
    home_country: str = "SI"
    cancel_status: str | None = None
    """The company's own "cancelled" sales-order status (assumptions.CANCEL_STATUS_KEY)."""

    @classmethod
    def from_credentials(cls, creds: dict[str, Any]) -> MetakockaOptions:
        payment = dict(DEFAULT_PAYMENT_TYPES)
        for key, value in (creds.get("payment_types") or {}).items():
            payment[PaymentMethod(key)] = str(value)
        codes = dict(SERVICE_CODES)
        for key, value in (creds.get("service_codes") or {}).items():
            codes[LineKind(key)] = str(value)
        return cls(
            payment_types=payment,
            service_codes=codes,
            default_delivery_type=str(creds.get("default_delivery_type") or "Dostava"),
            unit=str(creds.get("unit") or "kos"),
            cancel_status=str(creds[CANCEL_STATUS_KEY]).strip() or None
            if creds.get(CANCEL_STATUS_KEY)
            else None,
        )


def dec(value: Decimal) -> str:
    return format_decimal(value)


def tax_factor(rate: Decimal) -> str:
    """22 → "0.22", 9.5 → "0.095"."""
    return format_decimal((rate / 100).normalize()) if rate else "0"


def mk_date(moment: datetime) -> str:
    """`2024-09-12+02:00`: the date in Slovenia with its offset."""
    local = moment.astimezone(LOCAL_TZ)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d}{offset[:3]}:{offset[3:]}"


def mk_day(moment: datetime) -> str:
    return f"{moment.astimezone(LOCAL_TZ):%d.%m.%Y}"


def doc_type_of(kind: DocumentKind) -> str:
    try:
        return DOC_TYPES[kind]
    except KeyError:
        raise MappingError(
            f"MetaKocka documents of kind {kind.value!r} are not created automatically: "
            "cancel or credit the document in MetaKocka"
        ) from None


def party(buyer: Buyer, address: Address, options: MetakockaOptions) -> dict[str, Any]:
    company = buyer.kind is BuyerKind.COMPANY
    contact: dict[str, str] = {"name": address.name or buyer.name}
    if buyer.phone:
        contact["gsm"] = buyer.phone
    if buyer.email:
        contact["email"] = buyer.email
    street = ", ".join(p for p in (address.street, address.street2) if p)
    return {
        "business_entity": "true" if company else "false",
        "taxpayer": "true" if company and buyer.vat_id else "false",
        "foreign_county": "true" if address.country != options.home_country else "false",
        "tax_id_number": (buyer.vat_id or "") if company else "",
        "customer": (address.company or buyer.company_name or buyer.name)
        if company
        else (address.name or buyer.name),
        "street": street,
        "post_number": address.postal_code or "",
        "place": address.city or "",
        "country": country_name(address.country),
        "partner_contact": contact,
    }


def product_line(line: DocumentLine, index: int, gross: bool, options: MetakockaOptions) -> dict[str, Any]:
    service = line.kind is not LineKind.PRODUCT
    if service:
        code = line.sku or options.service_codes[line.kind]
    elif line.sku:
        code = line.sku
    else:
        raise MappingError(
            f"line {index} ({line.name!r}) has no product code: give the product a SKU equal to its "
            "MetaKocka code (Šifra)"
        )
    quantity, net, gross_price = line.quantity, line.unit_price_net, line.unit_price_gross
    if service and (net < 0 or gross_price < 0):
        # a coupon is a negative *amount* of a service product (MKdoc "how to put discount with value")
        quantity, net, gross_price = -quantity, -net, -gross_price
    out: dict[str, Any] = {"code": code, "name": line.name, "amount": dec(quantity)}
    if gross:
        out["price_with_tax"] = dec(gross_price)
    else:
        out["price"] = dec(net)
    if line.discount_percent:
        out["discount"] = dec(line.discount_percent)
    out["tax_factor"] = tax_factor(line.tax_rate)
    if service:
        out.update({"service": "true", "unit": options.unit, "sales": "true"})
    return out


def build_put_document(
    doc: DocumentRequested,
    options: MetakockaOptions | None = None,
    related: ErpDocumentRef | None = None,
) -> dict[str, Any]:
    """The request body without credentials (the client adds `secret_key` and `company_id`)."""
    options = options or MetakockaOptions()
    doc_type = doc_type_of(doc.kind)
    if not doc.lines:
        raise MappingError("the document has no lines")
    gross = doc.prices_include_tax
    shipping = next((ln for ln in doc.lines if ln.kind is LineKind.SHIPPING), None)
    method = doc.payment.method if doc.payment else PaymentMethod.UNKNOWN
    payment_type = options.payment_types[method]
    body: dict[str, Any] = {
        "doc_type": doc_type,
        "doc_date": mk_date(doc.issued_at),
        "title": doc.order_number,
        "buyer_order": doc.order_number,
        "partner": party(doc.buyer, doc.billing_address, options),
    }
    if doc.shipping_address is not None:
        body["receiver"] = party(doc.buyer, doc.shipping_address, options)
    body["currency_code"] = doc.currency
    body["delivery_type"] = shipping.name if shipping else options.default_delivery_type
    body["method_of_payment"] = payment_type
    if doc.warehouse:
        body["warehouse"] = doc.warehouse
    if doc.cost_center:
        body["profit_center"] = doc.cost_center
    body["order_create_ts"] = doc.order_updated_at.isoformat()
    if doc.legal_note:
        body["notes"] = doc.legal_note
    if doc_type in BILLS or doc_type == "sales_bill_credit_note":
        body["service_to_date"] = mk_date(doc.issued_at)
    body["duo_payment"] = mk_date(doc.issued_at)
    _check_zero_rated(doc, doc_type)
    if doc_type == "sales_bill_credit_note":
        product_lines = any(ln.kind is LineKind.PRODUCT for ln in doc.lines)
        if related is not None and related.number:
            body["credit_note_type"] = "goods" if product_lines else "financial"
            body["credit_note_bill"] = related.number
        else:
            body["credit_note_type"] = "standalone"
    body["product_list"] = [product_line(ln, i, gross, options) for i, ln in enumerate(doc.lines, start=1)]
    if doc.payment is not None and doc_type not in ("sales_offer", "sales_bill_credit_note"):
        paid_at = doc.payment.paid_at or doc.issued_at
        body["mark_paid"] = [{"payment_type": payment_type, "date": mk_day(paid_at)}]
    if doc.fiscalize:
        if doc_type not in FISCAL_DOC_TYPES:
            raise MappingError(f"fiscal verification applies to invoices and credit notes, not to {doc_type}")
        if doc_type in BILLS:
            raise MappingError(
                "a fiscally verified invoice is made with put_sales_bill (build_put_sales_bill), the only "
                "documented way to verify a bill"
            )
        body["send_to_furs"] = "true"  # a credit note (assumptions.SEND_TO_FURS_ON_PUT_DOCUMENT)
    return body


def sent_with_put_sales_bill(doc: DocumentRequested) -> bool:
    """A fiscally verified invoice goes through `v1/json/put_sales_bill` with `send_to_furs`: the
    only documented way to verify a bill (put_sales_bill_send_to_furs.md)."""
    return doc.fiscalize and DOC_TYPES.get(doc.kind) in BILLS


def _check_fiscal_payment(doc: DocumentRequested, doc_type: str) -> None:
    if doc.payment is None and doc_type in BILLS:
        raise MappingError(
            "a fiscally verified invoice needs its payment (cash, card, cash on delivery) on the "
            "document; the order carries no payment"
        )


def build_put_sales_bill(doc: DocumentRequested, options: MetakockaOptions | None = None) -> dict[str, Any]:
    """A fiscally verified invoice as the documented `put_sales_bill` request with `send_to_furs`
    (put_sales_bill_send_to_furs.md, put_sales_bill_examples.md; without credentials): dates as
    dd.mm.yyyy, `foreign` for a foreign bill, the delivery address inside the partner, `mark_paid`,
    lines with `tax_factor` (README 22.2.2021). MetaKocka answers with furs_zoi / furs_eor."""
    options = options or MetakockaOptions()
    doc_type = doc_type_of(doc.kind)
    if doc_type not in BILLS:
        raise MappingError(f"put_sales_bill makes invoices, not {doc_type}")
    if not doc.lines:
        raise MappingError("the document has no lines")
    _check_fiscal_payment(doc, doc_type)
    if doc.currency != PUT_SALES_BILL_CURRENCY:
        raise MappingError(
            f"MetaKocka documents fiscally verified bills (put_sales_bill) without a currency, so a bill in "
            f"{doc.currency} cannot be verified automatically: issue and verify the invoice of order "
            f"{doc.order_number} in MetaKocka by hand"
        )
    _check_zero_rated(doc, doc_type)
    assert doc.payment is not None
    day = mk_day(doc.issued_at)
    payment_type = options.payment_types[doc.payment.method]
    partner = party(doc.buyer, doc.billing_address, options)
    if doc.shipping_address is not None:
        partner["partner_delivery_address"] = {
            "street": ", ".join(p for p in (doc.shipping_address.street, doc.shipping_address.street2) if p),
            "post_number": doc.shipping_address.postal_code or "",
            "city": doc.shipping_address.city or "",
            "country": country_name(doc.shipping_address.country),
        }
    body: dict[str, Any] = {}
    if doc_type == "sales_bill_foreign":
        body["foreign"] = "true"
    body.update(
        bill_date=day,
        payment_date=day,  # assumptions.DUE_DATE_IS_DOCUMENT_DATE
        buyer_order=doc.order_number,
        title=doc.order_number,
        send_to_furs="true",
        partner=partner,
    )
    if doc.warehouse:
        body["warehouse"] = doc.warehouse
    if doc.cost_center:  # [A] assumptions.PUT_SALES_BILL_SHARED_FIELDS
        body["profit_center"] = doc.cost_center
    if doc.legal_note:  # [A] assumptions.PUT_SALES_BILL_SHARED_FIELDS
        body["notes"] = doc.legal_note
    body["mark_paid"] = [{"payment_type": payment_type, "date": mk_day(doc.payment.paid_at or doc.issued_at)}]
    gross = doc.prices_include_tax
    body["product_list"] = [product_line(ln, i, gross, options) for i, ln in enumerate(doc.lines, start=1)]
    return body


def _check_zero_rated(doc: DocumentRequested, doc_type: str) -> None:
    if doc_type == "sales_bill_foreign" and doc.tax_treatment in (
        TaxTreatment.INTRA_COMMUNITY,
        TaxTreatment.EXPORT,
    ):
        taxed = [ln.name for ln in doc.lines if ln.tax_rate]
        if taxed:
            raise MappingError(
                f"a {doc.tax_treatment.value} invoice may carry only 0 % lines, but {', '.join(taxed)} "
                "carry VAT: check the buyer's VAT id and the tax rules"
            )


def build_cancellation(
    doc: DocumentRequested, options: MetakockaOptions, related: ErpDocumentRef | None
) -> dict[str, Any]:
    """The change_document_status request (change_document_status.md) that marks a not-invoiced
    sales order cancelled; a MappingError saying what a person must do where there is no
    documented way (offers) or the company's cancelled status is not configured."""
    cancelled = (doc.refers_to or "").rsplit(":", 1)[-1]
    if cancelled != "sales_order":
        what = "offer" if cancelled == "offer" else "document"
        raise MappingError(
            f"order {doc.order_number} was cancelled in the shop; MetaKocka documents no call that cancels "
            f"an {what}: mark the {what} of order {doc.order_number} as cancelled (or delete it) in "
            "MetaKocka by hand"
        )
    if not options.cancel_status:
        raise MappingError(
            f"order {doc.order_number} was cancelled in the shop: set its sales order in MetaKocka to your "
            "cancelled status by hand, or enter that status name as cancel_status in the company's "
            "MetaKocka settings so Storelink sets it"
        )
    body: dict[str, Any] = {"doc_type": "sales_order", "status_code": options.cancel_status}
    if related is not None:
        body["mk_id"] = related.erp_id
    else:
        body["buyer_order"] = doc.order_number
    return body
