"""Orders and webhook bodies in the shape the connector assumes (its assumptions module, ORDER_FIELDS).

Shopamine's orders entity is undocumented; this is the same guess written a second time, so a test
can check the connector and the simulator agree.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def new_order(
    *,
    lines: list[tuple[str, int, str]] | None = None,
    status: str = "new",
    payment_status: str = "paid",
    payment_method: str = "card",
    shipping: str | None = "3.90",
    company: bool = False,
    currency: str = "EUR",
    tax_rate: str = "22",
    country: str = "SI",
    note: str | None = None,
) -> dict[str, Any]:
    """A gross-priced order; `lines` are (sku, quantity, unit gross price). Totals add up."""
    lines = lines or [("SKU-1", 2, "12.20")]
    rate = Decimal(tax_rate)
    items = [
        {
            "id": n + 1,
            "item_id": 100 + n,
            "variant_id": None,
            "sku": sku,
            "name": {"__": f"Product {sku}", "sl": f"Izdelek {sku}"},
            "quantity": quantity,
            "price": price,
            "tax_rate": tax_rate,
            "discount": "0.00",
        }
        for n, (sku, quantity, price) in enumerate(lines)
    ]
    subtotal = sum((Decimal(p) * q for _, q, p in lines), Decimal(0))
    ship = Decimal(shipping) if shipping is not None else Decimal(0)
    total = subtotal + ship
    tax = (total - total / (1 + rate / 100)).quantize(Decimal("0.01"))
    address = {
        "name": "Ana Novak",
        "company": "Novak d.o.o." if company else None,
        "street": "Slovenska cesta 1",
        "street2": None,
        "city": "Ljubljana",
        "postal_code": "1000",
        "region": None,
        "country": country,
    }
    return {
        "status": status,
        "payment_status": payment_status,
        "payment_method": payment_method,
        "paid_at": None,
        "currency": currency,
        "prices_include_tax": True,
        "customer": {
            "type": "company" if company else "person",
            "first_name": "Ana",
            "last_name": "Novak",
            "company": "Novak d.o.o." if company else None,
            "vat_id": "SI12345678" if company else None,
            "email": "ana@example.si",
            "phone": "+386 40 123 456",
        },
        "billing_address": address,
        "shipping_address": None,
        "items": items,
        "shipping": {"name": "Pošta Slovenije", "price": shipping, "tax_rate": tax_rate, "discount": "0.00"}
        if shipping is not None
        else None,
        "fees": [],
        "discounts": [],
        "totals": {
            "subtotal": format(subtotal, "f"),
            "shipping": format(ship, "f"),
            "discount": "0.00",
            "tax": format(tax, "f"),
            "total": format(total, "f"),
        },
        "note": note,
    }


def webhook_body(order: dict[str, Any], event: str = "order.updated") -> dict[str, Any]:
    """What the connector accepts as a Shopamine order webhook (a doorbell naming the order)."""
    return {"event": event, "order_id": order["id"], "order_number": order.get("number")}
