"""Replay with a diff, the pure part: what a replay would change, in sentences."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from storelink_control.reconcile import HubDocument, HubOrder, OrderFacts
from storelink_control.replay_diff import changes
from storelink_erp_kit.listing import ErpDocument

VAT = {D("22"): D("5.30")}


def facts(gross: str) -> OrderFacts:
    return OrderFacts(
        "1001", "o1", date(2026, 3, 5), D(gross), VAT if gross == "29.39" else {D("22"): D("7.21")}
    )


def erp(gross: str, kind: str = "sales_order") -> ErpDocument:
    return ErpDocument(
        "1001", kind, "mk1", "SO-1", D(gross), VAT if gross == "29.39" else {D("22"): D("7.21")}
    )


def test_nothing_changes_when_all_three_agree() -> None:
    hub = HubOrder(facts("29.39"), (HubDocument("sales_order", "created"),))
    assert changes(facts("29.39"), hub, [erp("29.39")]) == []


def test_an_order_edited_in_the_shop_needs_a_further_invoice_and_is_never_made_twice() -> None:
    hub = HubOrder(facts("29.39"), (HubDocument("sales_order", "created"),))
    said = changes(facts("40.00"), hub, [erp("29.39")])
    assert said[0] == "the order changed in the shop: gross 29.39 → 40.00"
    assert "nothing is created twice" in said[1]
    assert said[1].endswith("a further invoice is needed")


def test_an_amount_above_the_order_needs_a_credit_note() -> None:
    hub = HubOrder(facts("29.39"), (HubDocument("sales_order", "created"),))
    said = changes(facts("29.39"), hub, [erp("99.00")])
    assert len(said) == 1
    assert said[0].endswith("a credit note is needed")


def test_a_missing_document_is_created_by_the_replay_and_an_unseen_order_imported() -> None:
    hub = HubOrder(facts("29.39"), (HubDocument("sales_order", "failed"),))
    assert changes(facts("29.39"), hub, []) == ["no document in the ERP yet: the replay creates sales_order"]
    assert changes(facts("29.39"), None, [erp("29.39")]) == [
        "the hub has never seen this order: the replay imports it"
    ]
