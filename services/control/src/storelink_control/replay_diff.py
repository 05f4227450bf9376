"""Replay with a diff (issue 16): what re-running one order would change, against what the hub and
the ERP already have. `changes` is PURE; the endpoint in `api/replay_diff.py` reads the three sides."""

from __future__ import annotations

from collections.abc import Sequence

from storelink_control.reconcile import AMOUNT_KINDS, HubOrder, OrderFacts, vat_differs
from storelink_erp_kit.listing import ErpDocument

TOLERANCE = "0.02"


def changes(shop: OrderFacts, hub: HubOrder | None, erp: Sequence[ErpDocument]) -> list[str]:
    """Sentences, one per change a replay would bring; empty when the replay changes nothing."""
    from decimal import Decimal

    tolerance = Decimal(TOLERANCE)
    out: list[str] = []
    if hub is None:
        out.append("the hub has never seen this order: the replay imports it")
    elif abs(hub.order.gross - shop.gross) > tolerance or vat_differs(hub.order.vat, shop.vat, tolerance):
        out.append(f"the order changed in the shop: gross {hub.order.gross} → {shop.gross}")
    whole = [d for d in erp if d.kind in AMOUNT_KINDS]
    if not erp:
        wanted = sorted({d.kind for d in hub.documents}) if hub else []
        out.append(
            "no document in the ERP yet: the replay creates "
            + (", ".join(wanted) if wanted else "the documents the current settings ask for")
        )
    for doc in whole:
        if abs(doc.gross - shop.gross) > tolerance or vat_differs(doc.vat, shop.vat, tolerance):
            out.append(
                f"the ERP's {doc.kind} {doc.number or doc.erp_id} has gross {doc.gross}, the order now "
                f"{shop.gross}: the document is not changed by a replay (nothing is created twice); "
                + ("a credit note is needed" if doc.gross > shop.gross else "a further invoice is needed")
            )
    return out
