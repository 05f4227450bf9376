"""e-računi documents of a date range, read back for reconciliation (`DocumentLister`).

Documented: the list methods by name (WS-INVOICE `SalesInvoiceList`, WS-ORDER `SalesOrderList`;
protocol). Everything else (date filter, no paging, the row's fields, how the kind and amounts are
read) is assumption ER13 (with ER5) in `assumptions`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from storelink_contracts import DocumentKind
from storelink_erp_eracuni import assumptions as A
from storelink_erp_eracuni.mapping import LIST_METHODS, as_decimal
from storelink_erp_kit.errors import ErpRejected
from storelink_erp_kit.listing import ErpDocument

if TYPE_CHECKING:
    from storelink_erp_eracuni.client import EracuniClient

CENT = Decimal("0.01")
_KINDS = {"SalesQuote": DocumentKind.OFFER, "SalesOrder": DocumentKind.SALES_ORDER}


def listed_rows(result: Any, wrapper: str) -> list[dict[str, Any]]:
    """A list answer's rows: under `"<wrapper>s"`, or a plain list (ER5)."""
    rows = result.get(wrapper + "s") if isinstance(result, dict) else result
    if not isinstance(rows, list):
        return []
    return [row for row in rows if isinstance(row, dict)]


def _number(row: dict[str, Any], field: str, where: str, default: Decimal | None = None) -> Decimal:
    value = row.get(field)
    parsed = default if value is None else as_decimal(value)
    if parsed is None:
        raise ErpRejected(
            f"e-računi listed {where} with {field}={value!r}: not a number (assumption ER13)",
            code="bad_answer",
        )
    return parsed


def line_amounts(line: dict[str, Any], where: str) -> tuple[Decimal, Decimal, Decimal]:
    """One item → (VAT rate in percent, gross to the cent, VAT to the cent)."""
    rate = _number(line, "vatPercentage", where)
    qty = _number(line, "quantity", where)
    keep = 1 - _number(line, "discountPercentage", where, Decimal(0)) / 100
    if "price" in line:
        gross = (qty * _number(line, "price", where) * keep).quantize(CENT)
        vat = (gross - gross / (1 + rate / 100)).quantize(CENT)
    else:
        net = (qty * _number(line, "netPrice", where) * keep).quantize(CENT)
        vat = (net * rate / 100).quantize(CENT)
        gross = net + vat
    return rate, gross, vat


def invoice_kind(row: dict[str, Any]) -> DocumentKind:
    country = str(row.get("buyerCountry") or A.HOME_COUNTRY).upper()
    tax_prefix = str(row.get("buyerTaxNumber") or "")[:2].upper()
    foreign = country != A.HOME_COUNTRY or (tax_prefix.isalpha() and tax_prefix != A.HOME_COUNTRY)
    return DocumentKind.INVOICE_FOREIGN if foreign else DocumentKind.INVOICE_DOMESTIC


def document_of(row: dict[str, Any], wrapper: str) -> ErpDocument | None:
    """A listed row → the document; None without our reference or a documentID (not the hub's)."""
    reference = next((str(row[f]) for f in A.REFERENCE_FIELDS if row.get(f)), None)
    if reference is None or not row.get(A.DOCUMENT_ID):
        return None
    where = f"{wrapper} {row.get('number') or row[A.DOCUMENT_ID]}"
    items = row.get(A.ITEMS)
    if not isinstance(items, list) or not items:
        raise ErpRejected(f"e-računi listed {where} without its Items (assumption ER13)", code="bad_answer")
    vat: defaultdict[Decimal, Decimal] = defaultdict(Decimal)
    gross = Decimal(0)
    for line in items:
        rate, line_gross, line_vat = line_amounts(line if isinstance(line, dict) else {}, where)
        gross += line_gross
        if line_vat:
            vat[rate.normalize()] += line_vat
    kind = invoice_kind(row) if wrapper == "SalesInvoice" else _KINDS[wrapper]
    try:
        day: date | None = date.fromisoformat(str(row.get("date"))[:10])
    except ValueError:
        day = None
    return ErpDocument(
        reference=reference,
        kind=kind.value,
        erp_id=str(row[A.DOCUMENT_ID]),
        number=str(row["number"]) if row.get("number") else None,
        gross=gross,
        vat=dict(vat),
        doc_date=day,
    )


async def list_documents(client: EracuniClient, first_day: date, last_day: date) -> list[ErpDocument]:
    """Quotes, sales orders and invoices dated within the days, one list call each (ER13)."""
    span = {A.LIST_DATE_FROM: first_day.isoformat(), A.LIST_DATE_TO: last_day.isoformat()}
    found: list[ErpDocument] = []
    for wrapper in A.RECONCILE_WRAPPERS:
        result = await client.call(LIST_METHODS[wrapper], span)
        for row in listed_rows(result, wrapper):
            doc = document_of(row, wrapper)
            if doc is not None:
                found.append(doc)
    return found
