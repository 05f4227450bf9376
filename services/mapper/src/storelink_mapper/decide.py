"""Which documents an order snapshot needs, given its connection's settings (pure).

Each snapshot yields every document the order's life so far calls for, inferred from that snapshot
alone: the target document (offer, sales order or invoice) always; an invoice with its payment once
paid when automatic invoicing is on; when the order ended (cancelled or refunded) a credit note if it
was invoiced, else a cancellation of the target document. An order only moves forward (unpaid →
paid → cancelled/refunded), so a newer snapshot's documents are a superset of an older one's: an old
snapshot arriving late can only repeat documents (same idempotency keys), never add one the newer
state would not have. See services/mapper/README.md, "Out-of-order snapshots".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storelink_contracts import (
    CompanyProfile,
    ConnectionConfigured,
    DocumentKind,
    OrderReceived,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    TargetDocument,
)
from storelink_mapper.rates import vat_id_country
from storelink_mapper.tax import is_business

CASH_LIKE = frozenset({PaymentMethod.CARD, PaymentMethod.CASH, PaymentMethod.CASH_ON_DELIVERY})
"""Cash in the sense of ZDavPR (erp-apis.md 3.3): cards count; bank transfer and PayPal do not."""

WAS_PAID = frozenset({PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED})
"""Payment states that mean the full amount was paid at some point."""

INVOICES = frozenset({DocumentKind.INVOICE_DOMESTIC, DocumentKind.INVOICE_FOREIGN})


@dataclass(frozen=True, slots=True)
class Planned:
    kind: DocumentKind
    issued_at: datetime
    why: tuple[str, ...]
    with_payment: bool = False
    fiscalize: bool = False
    refers_to: DocumentKind | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    documents: tuple[Planned, ...]
    skipped: str | None = None
    notes: tuple[str, ...] = ()
    """Things a person must do although the documents themselves could be planned."""


def was_paid(order: OrderReceived) -> bool:
    return order.payment_status in WAS_PAID


def has_ended(order: OrderReceived) -> bool:
    return order.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED) or (
        order.payment_status is PaymentStatus.REFUNDED
    )


def invoice_kind(order: OrderReceived, company: CompanyProfile) -> tuple[DocumentKind, str]:
    """Domestic or foreign, from where the buyer is (billing country, and VAT id country if any)."""
    billing = order.billing_address.country
    vat_country = vat_id_country(order.buyer.vat_id) if is_business(order) else None
    home = company.country
    if billing != home:
        return DocumentKind.INVOICE_FOREIGN, f"invoice foreign: buyer's country {billing} ≠ company's {home}"
    if vat_country is not None and vat_country != home:
        return (
            DocumentKind.INVOICE_FOREIGN,
            f"invoice foreign: buyer's VAT id is from {vat_country}, company is in {home}",
        )
    return DocumentKind.INVOICE_DOMESTIC, f"invoice domestic: buyer and company both in {home}"


def fiscal_rule(order: OrderReceived, company: CompanyProfile) -> tuple[bool, str]:
    method = order.payment_method
    if not company.fiscal_verification:
        return False, "no fiscal verification: the company does not verify invoices"
    if method in CASH_LIKE:
        return True, f"fiscal verification: payment by {method.value} counts as cash (ZDavPR)"
    return False, f"no fiscal verification: payment by {method.value} is not cash-like"


def primary_document(order: OrderReceived, target: TargetDocument) -> Planned:
    """The offer or sales order the connection's target document asks for."""
    primary = DocumentKind.OFFER if target is TargetDocument.OFFER else DocumentKind.SALES_ORDER
    return Planned(primary, order.created_at, (f"target document: {primary.value} (connection setting)",))


def unknown_method_note(order: OrderReceived) -> str:
    return (
        f"order {order.number} is paid, but the shop did not say how (payment method unknown), so it "
        "cannot be told whether its invoice must be fiscally verified (card and cash payments must be): "
        "the invoice was not made. Make it by hand in the ERP (fiscally verified if the order was paid "
        "by card or cash), or record the payment method in the shop and save the order again"
    )


def decide(order: OrderReceived, connection: ConnectionConfigured) -> Plan:
    if not connection.enabled:
        return Plan((), skipped="the connection is disabled")
    if not connection.import_orders:
        return Plan((), skipped="importing orders is switched off for this connection")
    company = connection.company
    target = connection.target_document
    inv_kind, inv_why = invoice_kind(order, company)
    paid = was_paid(order)
    fiscal, fiscal_why = fiscal_rule(order, company)
    docs: list[Planned] = []
    notes: list[str] = []
    # A paid invoice whose payment method is unknown may need fiscal verification or may not: it is
    # never made unverified on a guess; a person decides (or a newer snapshot brings the method).
    hold_invoice = paid and company.fiscal_verification and order.payment_method is PaymentMethod.UNKNOWN

    invoice: Planned | None = None
    if hold_invoice and (target is TargetDocument.INVOICE or connection.auto_invoice_paid):
        held = () if target is TargetDocument.INVOICE else (primary_document(order, target),)
        return Plan(held, notes=(unknown_method_note(order),))
    if target is TargetDocument.INVOICE:
        invoice = Planned(
            inv_kind,
            order.created_at,
            ("target document: invoice (connection setting)", inv_why, fiscal_why),
            with_payment=paid,
            fiscalize=fiscal,
        )
        docs.append(invoice)
    else:
        primary = primary_document(order, target)
        docs.append(primary)
        if paid and connection.auto_invoice_paid:
            invoice = Planned(
                inv_kind,
                order.paid_at or order.created_at,
                (
                    f"payment status {order.payment_status.value} and automatic invoicing of paid "
                    "orders is on → invoice with payment",
                    inv_why,
                    fiscal_why,
                ),
                with_payment=True,
                fiscalize=fiscal,
                refers_to=primary.kind if primary.kind is DocumentKind.SALES_ORDER else None,
            )
            docs.append(invoice)

    if has_ended(order):
        ended = f"order {order.status.value}, payment {order.payment_status.value}"
        if invoice is not None:
            docs.append(
                Planned(
                    DocumentKind.CREDIT_NOTE,
                    order.updated_at,
                    (f"credit note: {ended} and it was invoiced", fiscal_why),
                    fiscalize=invoice.fiscalize,
                    refers_to=invoice.kind,
                )
            )
        else:
            cancelled = docs[0].kind
            docs.append(
                Planned(
                    DocumentKind.CANCELLATION,
                    order.updated_at,
                    (f"cancellation of the {cancelled.value}: {ended} and it was not invoiced",),
                    refers_to=cancelled,
                )
            )
    elif order.payment_status is PaymentStatus.PARTIALLY_REFUNDED and invoice is not None:
        notes.append(
            f"order {order.number} was partly refunded in the shop: the snapshot does not say which "
            "items, so issue the credit note for the refunded part by hand in the ERP"
        )
    return Plan(tuple(docs), notes=tuple(notes))
