"""Idempotency keys: one per connection + shop order + document slot, so replays are harmless."""

from __future__ import annotations

from storelink_contracts import DocumentKind

_SLOT = {
    DocumentKind.OFFER: "offer",
    DocumentKind.SALES_ORDER: "sales_order",
    DocumentKind.INVOICE_DOMESTIC: "invoice",
    DocumentKind.INVOICE_FOREIGN: "invoice",
    DocumentKind.CREDIT_NOTE: "credit_note",
    DocumentKind.CANCELLATION: "cancellation",
}


def slot_of(kind: DocumentKind) -> str:
    """Domestic and foreign invoices share one slot: an order gets one invoice, never one of each,
    even when an edit of the buyer's country or VAT id would flip the invoice kind."""
    return _SLOT[kind]


def idempotency_key(connection_id: str, external_id: str, kind: DocumentKind) -> str:
    return f"{connection_id}:{external_id}:{slot_of(kind)}"
