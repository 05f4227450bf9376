"""What an ERP adapter must offer: one `ErpClient` per ERP, used by the shared consume loop."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from storelink_contracts import DocumentRequested, FiscalCodes
from storelink_kit.verdicts import ConnectionVerdict


@dataclass(frozen=True, slots=True)
class ErpDocumentRef:
    """A document as the ERP knows it."""

    erp_id: str
    number: str | None = None
    fiscal: FiscalCodes | None = None


@dataclass(frozen=True, slots=True)
class StockLevel:
    warehouse: str
    sku: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class PriceLevel:
    """A price-list entry as the ERP holds it: net, gross or both (the connection picks one)."""

    price_list: str
    sku: str
    currency: str
    tax_rate: Decimal
    net: Decimal | None = None
    gross: Decimal | None = None


@runtime_checkable
class ErpClient(Protocol):
    """One tenant's ERP account. Every method raises `storelink_erp_kit.errors` exceptions."""

    invoices_made_from_sales_orders: bool
    """True when an invoice whose sales order exists is made FROM it (e-računi
    SalesOrderCreateInvoice): the processor then holds such an invoice while its sales order is
    still pending, so the order is not left un-invoiced in the ERP beside a standalone invoice."""

    async def create_document(
        self, doc: DocumentRequested, related: ErpDocumentRef | None = None
    ) -> ErpDocumentRef:
        """Create the document (never retried blindly by the caller)."""
        ...

    async def find_document(self, doc: DocumentRequested) -> ErpDocumentRef | None:
        """Look the document up by its reference (the shop order number)."""
        ...

    async def test_connection(self) -> ConnectionVerdict: ...

    async def read_stock(self, warehouse: str | None = None) -> list[StockLevel]: ...

    async def read_prices(self, price_lists: list[str]) -> list[PriceLevel]: ...

    async def aclose(self) -> None: ...
