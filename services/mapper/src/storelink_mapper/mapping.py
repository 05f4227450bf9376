"""`map_order`: one order snapshot + its connection's settings → documents or reasons (pure).

The same inputs always give the same output, to the byte: every date on a document comes from the
order (never the clock) and every key from the order and the connection. The service and the
`storelink map` preview both call this function and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from storelink_contracts import (
    ConnectionConfigured,
    DocumentRequested,
    OrderNeedsAttention,
    OrderReceived,
    PaymentRecord,
    PriceListKind,
    TaxTreatment,
)
from storelink_kit.construct import construct
from storelink_mapper.amounts import Priced, price_order, tax_problems
from storelink_mapper.decide import Planned, decide
from storelink_mapper.keys import idempotency_key
from storelink_mapper.tax import TaxDecision, decide_tax, is_business

_EXEMPT_LABEL = {
    TaxTreatment.INTRA_COMMUNITY: "intra-community supply",
    TaxTreatment.EXPORT: "export",
}


@dataclass(frozen=True, slots=True)
class MappingResult:
    documents: list[DocumentRequested] = field(default_factory=list)
    attention: list[str] = field(default_factory=list)
    """Reasons a person must act on; documents are only withheld when they cannot be right."""
    skipped: str | None = None
    """Why nothing was produced although nothing is wrong (import switched off, ...)."""

    def attention_event(self, order: OrderReceived, settings_version: int | None) -> OrderNeedsAttention:
        return OrderNeedsAttention(
            tenant_id=order.tenant_id,
            connection_id=order.connection_id,
            external_id=order.external_id,
            number=order.number,
            order_updated_at=order.updated_at,
            settings_version=settings_version,
            reasons=self.attention,
        )


def unknown_connection_reason(connection_id: str) -> str:
    return (
        f"no settings are known for connection {connection_id!r}: the order is mapped as soon as the "
        "connection's settings arrive; if the connection was deleted, set it up again in the control panel"
    )


def choose_price_list(
    order: OrderReceived, connection: ConnectionConfigured
) -> tuple[str | None, str | None]:
    wanted = PriceListKind.B2B if is_business(order) else PriceListKind.B2C
    for pl in connection.price_lists:
        if pl.kind is wanted:
            return pl.name, f"price list {pl.name} ({wanted.value} buyer)"
    return None, None


def map_order(order: OrderReceived, connection: ConnectionConfigured | None) -> MappingResult:
    """The documents this snapshot needs under these settings, or why it cannot be mapped."""
    if connection is None:
        return MappingResult(attention=[unknown_connection_reason(order.connection_id)])
    if connection.connection_id != order.connection_id or connection.tenant_id != order.tenant_id:
        return MappingResult(
            attention=[
                f"the order belongs to connection {order.connection_id!r} of tenant {order.tenant_id!r} but "
                f"the settings given are those of {connection.connection_id!r} of tenant "
                f"{connection.tenant_id!r}: check the connector's configuration"
            ]
        )
    plan = decide(order, connection)
    if plan.skipped is not None:
        return MappingResult(skipped=plan.skipped)
    company = connection.company
    tax = decide_tax(order, company)
    problems: list[str] = []
    if tax.problem is not None:
        problems.append(tax.problem)
    for i, line in enumerate(order.lines, start=1):
        if not (line.sku and line.sku.strip()):
            problems.append(
                f"line {i} ({line.name!r}) has no SKU: give the product a SKU in the shop that matches "
                "its product code in the ERP, then save the order again"
            )
    priced = price_order(
        order,
        tax.rate_for,
        connection.rounding_tolerance,
        exempt_label=_EXEMPT_LABEL.get(tax.treatment),
    )
    problems.extend(priced.problems)
    problems.extend(tax_problems(order, priced, connection.rounding_tolerance))
    if problems:
        return MappingResult(attention=problems + list(plan.notes))
    price_list, price_list_why = choose_price_list(order, connection)
    common_why = [*tax.why, *priced.why]
    if price_list_why:
        common_why.append(price_list_why)
    documents = [
        _document(order, connection, planned, tax, priced, price_list, common_why)
        for planned in plan.documents
    ]
    return MappingResult(documents=documents, attention=list(plan.notes))


def _document(
    order: OrderReceived,
    connection: ConnectionConfigured,
    planned: Planned,
    tax: TaxDecision,
    priced: Priced,
    price_list: str | None,
    common_why: list[str],
) -> DocumentRequested:
    cid, ext = connection.connection_id, order.external_id
    payment = (
        construct(
            PaymentRecord, method=order.payment_method, amount=priced.totals.gross, paid_at=order.paid_at
        )
        if planned.with_payment
        else None
    )
    return construct(
        DocumentRequested,
        tenant_id=order.tenant_id,
        connection_id=cid,
        settings_version=connection.version,
        erp=connection.company.erp,
        idempotency_key=idempotency_key(cid, ext, planned.kind),
        kind=planned.kind,
        platform=order.platform,
        order_external_id=ext,
        order_number=order.number,
        order_updated_at=order.updated_at,
        issued_at=planned.issued_at,
        currency=order.currency,
        prices_include_tax=order.prices_include_tax,
        tax_treatment=tax.treatment,
        legal_note=tax.legal_note,
        buyer=order.buyer,
        billing_address=order.billing_address,
        shipping_address=order.shipping_address,
        lines=priced.lines,
        totals=priced.totals,
        payment=payment,
        fiscalize=planned.fiscalize,
        warehouse=connection.warehouse,
        cost_center=connection.cost_center,
        price_list=price_list,
        refers_to=idempotency_key(cid, ext, planned.refers_to) if planned.refers_to else None,
        why=[*planned.why, *common_why],
        shadow=connection.shadow,
    )
