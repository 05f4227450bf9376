"""Reconciliation: the shop, the hub and the ERP side by side for one connection and a date range.

`reconcile` is PURE: three lists of records in, one report out (per-day counts, gross totals and VAT
per rate for each side, and the findings: what is missing, duplicated, different, failed or
waiting). The readers that fill the lists (shop API, control's tables, ERP search) live in
`storelink_control.reconcile_sources`; nothing here does I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, tzinfo
from decimal import Decimal
from enum import StrEnum

from storelink_contracts import OrderReceived
from storelink_erp_kit.listing import ErpDocument

CENT = Decimal("0.01")
DEFAULT_TOLERANCE = Decimal("0.02")
"""Two cents: an ERP rounds per line and the mapper spreads rounding, so VAT per rate may move by a
cent or two without anything being wrong. Gross totals are compared with the same tolerance."""

AMOUNT_KINDS = frozenset({"offer", "sales_order", "invoice_domestic", "invoice_foreign"})
"""Document kinds that carry the whole order's amount (a credit note or a cancellation does not)."""


class Finding(StrEnum):
    MISSING_IN_HUB = "missing_in_hub"
    MISSING_IN_SHOP = "missing_in_shop"
    MISSING_IN_ERP = "missing_in_erp"
    DUPLICATED_IN_ERP = "duplicated_in_erp"
    AMOUNT_DIFFERS = "amount_differs"
    VAT_DIFFERS = "vat_differs"
    SHOP_HUB_DIFFER = "shop_hub_differ"
    DOCUMENT_FAILED = "document_failed"
    DOCUMENT_WAITING = "document_waiting"


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """One order as a side sees it: the shop's API or the hub's latest snapshot."""

    number: str
    external_id: str
    day: date
    gross: Decimal
    vat: Mapping[Decimal, Decimal]
    """VAT per rate (percent → amount)."""


@dataclass(frozen=True, slots=True)
class HubDocument:
    kind: str
    state: str
    """created, failed, waiting (requested by the mapper, no result yet) or shadow (would send: mapped
    in shadow mode, never sent, so not expected in the ERP)."""
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class HubOrder:
    order: OrderFacts
    documents: tuple[HubDocument, ...] = ()


@dataclass(frozen=True, slots=True)
class Column:
    orders: int = 0
    gross: Decimal = Decimal("0")
    vat: Mapping[Decimal, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DayRow:
    day: date
    shop: Column
    hub: Column
    erp: Column


@dataclass(frozen=True, slots=True)
class Problem:
    finding: Finding
    number: str
    external_id: str | None
    day: date | None
    detail: str


@dataclass(frozen=True, slots=True)
class Report:
    days: list[DayRow]
    problems: list[Problem]

    def of(self, finding: Finding) -> list[Problem]:
        return [p for p in self.problems if p.finding is finding]


# --------------------------------------------------------------------------- order facts (pure)


def _gross_part(amount: Decimal, rate: Decimal, prices_include_tax: bool) -> Decimal:
    return amount if prices_include_tax else amount * (1 + rate / 100)


def vat_of_gross(by_rate: Mapping[Decimal, Decimal]) -> dict[Decimal, Decimal]:
    """VAT in each rate's gross amount, rounded to cents per rate."""
    return {
        rate: (gross - gross / (1 + rate / 100)).quantize(CENT) for rate, gross in by_rate.items() if rate
    }


def order_facts(order: OrderReceived, zone: tzinfo) -> OrderFacts:
    """The shop's gross total; VAT per rate from the shop's own breakdown when it gives one, else
    from the lines, shipping and fees (order-level coupons cannot be put on a rate: left out)."""
    if order.totals.tax_by_rate:
        vat = {b.rate: b.tax for b in order.totals.tax_by_rate if b.tax}
    else:
        gross: defaultdict[Decimal, Decimal] = defaultdict(Decimal)
        incl = order.prices_include_tax
        for line in order.lines:
            amount = line.unit_price * line.quantity - line.discount
            gross[line.tax_rate] += _gross_part(amount, line.tax_rate, incl)
        if order.shipping is not None:
            amount = order.shipping.amount - order.shipping.discount
            gross[order.shipping.tax_rate] += _gross_part(amount, order.shipping.tax_rate, incl)
        for fee in order.fees:
            gross[fee.tax_rate] += _gross_part(fee.amount, fee.tax_rate, incl)
        vat = vat_of_gross(gross)
    return OrderFacts(
        number=order.number,
        external_id=order.external_id,
        day=order.created_at.astimezone(zone).date(),
        gross=order.totals.total,
        vat={rate: amount for rate, amount in vat.items() if amount},
    )


# --------------------------------------------------------------------------- the comparison (pure)


def _add(column: Column, gross: Decimal, vat: Mapping[Decimal, Decimal]) -> Column:
    total = dict(column.vat)
    for rate, amount in vat.items():
        total[rate] = total.get(rate, Decimal("0")) + amount
    return Column(orders=column.orders + 1, gross=column.gross + gross, vat=total)


def _vat_text(vat: Mapping[Decimal, Decimal]) -> str:
    return ", ".join(f"{rate.normalize():f} %: {amount}" for rate, amount in sorted(vat.items())) or "none"


def vat_differs(a: Mapping[Decimal, Decimal], b: Mapping[Decimal, Decimal], tolerance: Decimal) -> bool:
    zero = Decimal("0")
    return any(abs(a.get(rate, zero) - b.get(rate, zero)) > tolerance for rate in set(a) | set(b))


def _compare_amounts(
    number: str,
    ours: OrderFacts,
    theirs_gross: Decimal,
    theirs_vat: Mapping[Decimal, Decimal],
    what: str,
    tolerance: Decimal,
) -> list[Problem]:
    found: list[Problem] = []
    if abs(ours.gross - theirs_gross) > tolerance:
        found.append(
            Problem(
                Finding.AMOUNT_DIFFERS,
                number,
                ours.external_id,
                ours.day,
                f"{what} gross {theirs_gross}, the order's {ours.gross}",
            )
        )
    if vat_differs(ours.vat, theirs_vat, tolerance):
        found.append(
            Problem(
                Finding.VAT_DIFFERS,
                number,
                ours.external_id,
                ours.day,
                f"{what} VAT {_vat_text(theirs_vat)}; the order's {_vat_text(ours.vat)}",
            )
        )
    return found


def _erp_problems(
    number: str,
    order: OrderFacts,
    hub: HubOrder | None,
    docs: Sequence[ErpDocument],
    tolerance: Decimal,
) -> list[Problem]:
    found: list[Problem] = []
    by_kind: defaultdict[str, list[ErpDocument]] = defaultdict(list)
    for doc in docs:
        by_kind[doc.kind].append(doc)
    for kind, same in sorted(by_kind.items()):
        if len(same) > 1:
            ids = ", ".join(d.number or d.erp_id for d in same)
            found.append(
                Problem(
                    Finding.DUPLICATED_IN_ERP,
                    number,
                    order.external_id,
                    order.day,
                    f"{len(same)} {kind} documents in the ERP: {ids}",
                )
            )
        if kind in AMOUNT_KINDS:
            for doc in same:
                what = f"ERP {kind} {doc.number or doc.erp_id}"
                found += _compare_amounts(number, order, doc.gross, doc.vat, what, tolerance)
    for document in hub.documents if hub is not None else ():
        where = f"{document.kind}: {document.reason}" if document.reason else document.kind
        if document.state == "failed":
            found.append(Problem(Finding.DOCUMENT_FAILED, number, order.external_id, order.day, where))
        elif document.state == "waiting":
            found.append(Problem(Finding.DOCUMENT_WAITING, number, order.external_id, order.day, where))
        elif document.state == "created" and document.kind != "cancellation" and document.kind not in by_kind:
            found.append(
                Problem(
                    Finding.MISSING_IN_ERP,
                    number,
                    order.external_id,
                    order.day,
                    f"the hub created a {document.kind} but the ERP has none for this order",
                )
            )
    return found


def reconcile(
    shop: Iterable[OrderFacts],
    hub: Iterable[HubOrder],
    erp: Iterable[ErpDocument],
    *,
    tolerance: Decimal = DEFAULT_TOLERANCE,
) -> Report:
    """Compare the three sides order by order (by the shop order number, our ERP reference).

    ERP documents whose reference is not an order of the range are ignored (the ERP holds other
    documents too); the per-day ERP column counts orders with at least one document, on the
    order's day, with the gross of its first whole-order document.
    """
    shop_by = {o.number: o for o in shop}
    hub_by = {h.order.number: h for h in hub}
    erp_by: defaultdict[str, list[ErpDocument]] = defaultdict(list)
    for doc in erp:
        erp_by[doc.reference].append(doc)

    columns: defaultdict[date, dict[str, Column]] = defaultdict(
        lambda: {"shop": Column(), "hub": Column(), "erp": Column()}
    )
    problems: list[Problem] = []
    for number in sorted(set(shop_by) | set(hub_by)):
        in_shop, in_hub = shop_by.get(number), hub_by.get(number)
        order = in_hub.order if in_hub is not None else in_shop
        assert order is not None
        if in_shop is not None:
            day = columns[in_shop.day]
            day["shop"] = _add(day["shop"], in_shop.gross, in_shop.vat)
        if in_hub is not None:
            day = columns[in_hub.order.day]
            day["hub"] = _add(day["hub"], in_hub.order.gross, in_hub.order.vat)
        if in_hub is None:
            problems.append(
                Problem(
                    Finding.MISSING_IN_HUB,
                    number,
                    order.external_id,
                    order.day,
                    "the shop has this order, the hub never received it",
                )
            )
        elif in_shop is None:
            problems.append(
                Problem(
                    Finding.MISSING_IN_SHOP,
                    number,
                    order.external_id,
                    order.day,
                    "the hub has this order, the shop's API did not list it in the range",
                )
            )
        else:
            for p in _compare_amounts(number, in_hub.order, in_shop.gross, in_shop.vat, "shop", tolerance):
                problems.append(Problem(Finding.SHOP_HUB_DIFFER, p.number, p.external_id, p.day, p.detail))
        docs = erp_by.get(number, [])
        whole = [d for d in docs if d.kind in AMOUNT_KINDS]
        if docs:
            day = columns[order.day]
            first = whole[0] if whole else None
            day["erp"] = _add(day["erp"], first.gross if first else Decimal("0"), first.vat if first else {})
        problems += _erp_problems(number, order, in_hub, docs, tolerance)
    days = [DayRow(d, c["shop"], c["hub"], c["erp"]) for d, c in sorted(columns.items())]
    return Report(days=days, problems=problems)
