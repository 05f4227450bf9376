"""Reading back what an ERP holds, for reconciliation: documents of a date range, with their
reference (the shop order number), gross total and VAT per rate.

An optional capability next to `ErpClient`: an adapter whose client also satisfies
`DocumentLister` can be reconciled; the others are reported as not supported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class ErpDocument:
    """A document as the ERP holds it, found by our reference (the shop order number)."""

    reference: str
    kind: str
    """A `DocumentKind` value (offer, sales_order, invoice_domestic, ...)."""
    erp_id: str
    number: str | None
    gross: Decimal
    vat: Mapping[Decimal, Decimal]
    """VAT per rate (percent → amount)."""
    doc_date: date | None = None


@runtime_checkable
class DocumentLister(Protocol):
    async def list_documents(self, first_day: date, last_day: date) -> list[ErpDocument]:
        """Every document dated within the days (both included), each ERP call within its limits."""
        ...
