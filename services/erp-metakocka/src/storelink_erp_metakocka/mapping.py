"""DocumentRequested → the exact MetaKocka `put_document` request (pure; no I/O).

Rules (erp-apis.md §1.5–1.8): shop order number in `title` and `buyer_order`; B2C lines carry the
gross `price_with_tax`, B2B lines the net `price`; every line carries `tax_factor`; shipping, fees
and discounts are separate service lines; `delivery_type` and `method_of_payment` are always set;
`mark_paid` when the order is paid; fiscal verification (`send_to_furs`) for fiscalized bills.
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
from storelink_erp_metakocka.countries import country_name

DOC_TYPES: dict[DocumentKind, str] = {
    DocumentKind.OFFER: "sales_offer",
    DocumentKind.SALES_ORDER: "sales_order",
    DocumentKind.INVOICE_DOMESTIC: "sales_bill_domestic",
    DocumentKind.INVOICE_FOREIGN: "sales_bill_foreign",
    DocumentKind.CREDIT_NOTE: "sales_bill_credit_note",
}
BILLS = {"sales_bill_domestic", "sales_bill_foreign"}

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
    if doc_type in BILLS:
        body["service_to_date"] = mk_date(doc.issued_at)
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
        if doc_type not in BILLS:
            raise MappingError(f"fiscal verification applies to invoices, not to {doc_type}")
        if doc.payment is None:
            raise MappingError(
                "a fiscally verified invoice needs its payment (cash, card, cash on delivery) on the "
                "document; the order carries no payment"
            )
        body["send_to_furs"] = "true"
    return body
