"""MetaKocka documents of a date range, read back for reconciliation (`DocumentLister`).

Documented (MK-API search_examples.md, read 2026-12-01): `search` per `doc_type` with
`result_type: "doc"`, `query_advance` `doc_date_from` / `doc_date_to` (dates as `2018-10-05+02:00`),
pages of at most 100 (`limit` / `offset`), and whole documents as the result with `buyer_order`,
`count_code`, `doc_date`, `product_list` and the sums `sum_basic` / `sum_all`. Searches of one
company run one after another (search_concept.md), so they take the client's search lock and never
run beside the adapter's own look-ups. What is assumed is in `assumptions` (RECONCILE_*).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from storelink_erp_kit.listing import ErpDocument
from storelink_erp_metakocka.assumptions import RECONCILE_DOC_TYPES, SEARCH_MATCH_FIELDS
from storelink_erp_metakocka.client import SEARCH_PAGE, as_list, parse_decimal, search_lock
from storelink_erp_metakocka.mapping import LOCAL_TZ, mk_date

if TYPE_CHECKING:
    from storelink_erp_metakocka.client import MetakockaClient

CENT = Decimal("0.01")


def _day_param(day: date) -> str:
    return mk_date(datetime.combine(day, time(12), LOCAL_TZ))


def _doc_date(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def line_gross_and_rate(line: dict[str, Any]) -> tuple[Decimal, Decimal | None]:
    """One `product_list` row → its gross amount and VAT rate in percent (None: only a tax code).

    RECONCILE_LINE_AMOUNTS: amount × (price_with_tax, else price × (1 + tax_factor)) less the
    `discount` percent, to the cent."""
    amount = parse_decimal(line.get("amount") or "0")
    factor = parse_decimal(line["tax_factor"]) if line.get("tax_factor") not in (None, "") else None
    if line.get("price_with_tax") not in (None, ""):
        unit = parse_decimal(line["price_with_tax"])
    else:
        unit = parse_decimal(line.get("price") or "0") * (1 + (factor or Decimal("0")))
    discount = parse_decimal(line.get("discount") or "0")
    gross = (amount * unit * (1 - discount / 100)).quantize(CENT)
    return gross, (factor * 100).normalize() if factor is not None else None


def document_of(row: dict[str, Any], kind: str) -> ErpDocument | None:
    """A search result row (`result_type: "doc"`) → the document, None without our reference."""
    reference = next((str(row[f]) for f in SEARCH_MATCH_FIELDS if row.get(f)), None)
    if reference is None or not row.get("mk_id"):
        return None
    by_rate: defaultdict[Decimal, Decimal] = defaultdict(Decimal)
    lines_gross = Decimal("0")
    for line in as_list(row.get("product_list")):
        gross, rate = line_gross_and_rate(line)
        lines_gross += gross
        if rate:
            by_rate[rate] += gross
    vat = {rate: (g - g / (1 + rate / 100)).quantize(CENT) for rate, g in by_rate.items()}
    total = parse_decimal(row["sum_all"]) if row.get("sum_all") not in (None, "") else lines_gross
    return ErpDocument(
        reference=reference,
        kind=kind,
        erp_id=str(row["mk_id"]),
        number=str(row["count_code"]) if row.get("count_code") else None,
        gross=total,
        vat={rate: amount for rate, amount in vat.items() if amount},
        doc_date=_doc_date(row.get("doc_date")),
    )


async def list_documents(client: MetakockaClient, first_day: date, last_day: date) -> list[ErpDocument]:
    found: list[ErpDocument] = []
    window = [
        {"type": "doc_date_from", "value": _day_param(first_day)},
        {"type": "doc_date_to", "value": _day_param(last_day)},
    ]
    for doc_type, kind in RECONCILE_DOC_TYPES.items():
        offset = 0
        while True:
            async with search_lock(client.company_id):
                data = await client.call(
                    "search",
                    {
                        "doc_type": doc_type,
                        "result_type": "doc",
                        "limit": str(SEARCH_PAGE),
                        "offset": str(offset),
                        "query_advance": window,
                    },
                )
            rows = as_list(data.get("result"))
            found += [doc for row in rows if (doc := document_of(row, kind)) is not None]
            if len(rows) < SEARCH_PAGE:
                break
            offset += SEARCH_PAGE
    return found
