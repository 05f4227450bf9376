"""Shopamine order JSON → canonical OrderReceived (pure), on the assumed shape (assumptions.py)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest

from storelink_connector_kit.platform import MappingProblem, OrderContext
from storelink_connector_shopamine.mapping import map_shopamine_order
from storelink_contracts import BuyerKind, OrderStatus, PaymentMethod, PaymentStatus, Platform

CTX = OrderContext(tenant_id="acme", connection_id="conn-1")


def order(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 4711,
        "number": "2026-00042",
        "created": "2026-11-20T10:00:00Z",
        "modified": "2026-11-20T10:05:00.123456+01:00",
        "status": "processing",
        "payment_status": "paid",
        "payment_method": "upn",
        "paid_at": "2026-11-20T10:04:00Z",
        "currency": "eur",
        "prices_include_tax": True,
        "customer": {
            "type": "company",
            "first_name": "Ana",
            "last_name": "Novak",
            "company": "Novak d.o.o.",
            "vat_id": "si 1234 5678",
            "email": "ana@novak.si",
            "phone": "+386 40 123 456",
        },
        "billing_address": {
            "name": "Ana Novak",
            "company": "Novak d.o.o.",
            "street": "Slovenska cesta 1",
            "city": "Ljubljana",
            "postal_code": "1000",
            "country": "si",
        },
        "shipping_address": {
            "name": "Marko Novak",
            "street": "Tržaška 2",
            "city": "Maribor",
            "postal_code": "2000",
            "country": "SI",
        },
        "items": [
            {
                "id": 1,
                "item_id": 55,
                "variant_id": 56,
                "sku": "KAVA-1",
                "name": {"__": "Coffee", "sl": "Kava"},
                "quantity": "2",
                "price": "12.20",
                "tax_rate": "22",
                "discount": "1.00",
            },
            {
                "id": 2,
                "item_id": 60,
                "sku": "ČAJ-2",
                "name": "Čaj",
                "quantity": 1,
                "price": 5.49,
                "tax_rate": 0.095,
            },
        ],
        "shipping": {"name": {"__": "Pošta Slovenije"}, "price": "3.90", "tax_rate": 22},
        "fees": [{"name": "Povzetje", "price": "1.50", "tax_rate": "22"}],
        "discounts": [{"name": "Jesen", "code": "JESEN10", "amount": "-2.00"}],
        "totals": {
            "subtotal": "29.89",
            "shipping": "3.90",
            "discount": "2.00",
            "tax": "5.77",
            "total": "33.29",
        },
        "note": "  Pustite pri sosedu  ",
    }
    base.update(changes)
    return base


def test_a_full_order_maps_field_by_field() -> None:
    event = map_shopamine_order(order(), CTX)
    assert event is not None
    assert (event.tenant_id, event.connection_id, event.platform) == ("acme", "conn-1", Platform.SHOPAMINE)
    assert (event.external_id, event.number) == ("4711", "2026-00042")
    assert event.updated_at.isoformat() == "2026-11-20T10:05:00.123456+01:00"
    assert (event.status, event.payment_status, event.payment_method) == (
        OrderStatus.CONFIRMED,
        PaymentStatus.PAID,
        PaymentMethod.BANK_TRANSFER,
    )
    assert event.paid_at is not None
    assert event.currency == "EUR"
    assert event.prices_include_tax is True
    assert event.buyer.kind is BuyerKind.COMPANY
    assert (event.buyer.name, event.buyer.vat_id) == ("Novak d.o.o.", "SI12345678")
    assert event.billing_address.country == "SI"
    assert event.shipping_address is not None
    assert event.shipping_address.city == "Maribor"
    first, second = event.lines
    assert (first.sku, first.name, first.quantity, first.unit_price, first.tax_rate, first.discount) == (
        "KAVA-1",
        "Coffee",
        Decimal("2"),
        Decimal("12.20"),
        Decimal("22"),
        Decimal("1.00"),
    )
    assert (first.product_id, first.variant_id) == ("55", "56")
    # a float from a JSON file read without parse_float keeps the digits it had; 0.095 = 9.5 %
    assert (second.name, second.unit_price, second.tax_rate) == ("Čaj", Decimal("5.49"), Decimal("9.5"))
    assert event.shipping is not None
    assert (event.shipping.name, event.shipping.amount, event.shipping.tax_rate) == (
        "Pošta Slovenije",
        Decimal("3.90"),
        Decimal("22"),
    )
    assert [(f.name, f.amount) for f in event.fees] == [("Povzetje", Decimal("1.50"))]
    assert [(d.code, d.amount) for d in event.discounts] == [("JESEN10", Decimal("2.00"))]
    assert event.totals.total == Decimal("33.29")
    assert event.totals.discount == Decimal("2.00")
    assert event.note == "Pustite pri sosedu"


def test_money_is_decimal_on_the_wire() -> None:
    event = map_shopamine_order(order(), CTX)
    assert event is not None
    wire = json.loads(event.model_dump_json())
    assert wire["lines"][0]["unit_price"] == "12.20"
    assert wire["totals"]["total"] == "33.29"


def test_a_person_without_company_and_unknown_codes() -> None:
    raw = order(
        customer={"type": "person", "first_name": "Ana", "last_name": "Novak", "email": "a@b.si"},
        billing_address={"name": "Ana Novak", "country": "SI"},
        shipping_address=None,
        payment_method="bitcoin",
        payment_status=None,
        status="new",
        shipping=None,
    )
    event = map_shopamine_order(raw, CTX)
    assert event is not None
    assert event.buyer.kind is BuyerKind.PERSON
    assert event.buyer.name == "Ana Novak"
    assert event.buyer.company_name is None
    assert event.payment_method is PaymentMethod.OTHER
    assert event.payment_status is PaymentStatus.UNPAID
    assert event.status is OrderStatus.PENDING
    assert event.shipping is None
    assert event.shipping_address is None


@pytest.mark.parametrize("status", ["cart", "draft", "abandoned", "CART"])
def test_checkouts_that_are_not_orders_are_not_imported(status: str) -> None:
    assert map_shopamine_order(order(status=status), CTX) is None


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("shipped", OrderStatus.FULFILLED),
        ("cancelled", OrderStatus.CANCELLED),
        ("refunded", OrderStatus.REFUNDED),
    ],
)
def test_statuses(status: str, expected: OrderStatus) -> None:
    event = map_shopamine_order(order(status=status), CTX)
    assert event is not None
    assert event.status is expected


def _without(path: str) -> dict[str, Any]:
    raw = copy.deepcopy(order())
    *parents, last = path.split(".")
    target: Any = raw
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    del target[last]
    return raw


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (_without("id"), "no id"),
        (order(status="teleported"), "unknown order status 'teleported'"),
        (order(items=[]), "no items"),
        (_without("items.0.price"), "item 1 price is missing"),
        (order(items=[{"sku": "X", "quantity": "0", "price": "1"}]), "quantity 0 is not positive"),
        (order(items=[{"sku": "X", "quantity": "1", "price": "abc"}]), "item 1 price"),
        (order(items=[{"sku": "X", "quantity": "1", "price": "1", "tax_rate": "150"}]), "not a tax rate"),
        (_without("billing_address"), "no billing address"),
        (order(billing_address={"name": "A", "country": "Slovenia"}), "two-letter"),
        (_without("currency"), "no currency"),
        (_without("prices_include_tax"), "gross from net"),
        (order(created="yesterday"), "not an ISO-8601"),
        (order(created="2026-11-20T10:00:00"), "no time zone"),
        (_without("totals"), "no totals"),
        (order(customer={}, billing_address={"country": "SI"}), "names no buyer"),
        (order(currency="euro"), "currency"),
    ],
)
def test_unreadable_orders_say_what_is_wrong(raw: dict[str, Any], reason: str) -> None:
    with pytest.raises(MappingProblem, match=reason):
        map_shopamine_order(raw, CTX)
