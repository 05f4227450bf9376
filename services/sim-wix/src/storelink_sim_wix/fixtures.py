"""Realistic content for the simulator: catalogs of both versions and eCom orders."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from storelink_sim_wix.state import (
    V1,
    V1_DEFAULT_VARIANT,
    Site,
    V1Product,
    V3Inventory,
    V3Product,
    WixSim,
    new_id,
)


def seed_catalog(
    site: Site, skus: list[str], *, per_product: int = 1, price: Decimal = Decimal("10.00")
) -> None:
    """Products holding `per_product` variants each, one sku per variant, stock 0."""
    for start in range(0, len(skus), per_product):
        group = skus[start : start + per_product]
        pid = new_id()
        if site.catalog == V1:
            managed = per_product > 1
            v1_variants: dict[str, dict[str, Any]] = (
                {
                    new_id(): {"sku": s, "price": price, "choices": {"Size": str(i)}}
                    for i, s in enumerate(group)
                }
                if managed
                else {V1_DEFAULT_VARIANT: {"sku": group[0], "price": price, "choices": {}}}
            )
            site.v1_products[pid] = V1Product(
                pid,
                f"Product {group[0]}",
                group[0],
                price,
                managed,
                v1_variants,
                dict.fromkeys(v1_variants, 0),
            )
            continue
        variants: list[dict[str, Any]] = []
        for i, sku in enumerate(group):
            vid = new_id()
            variants.append(
                {
                    "id": vid,
                    "sku": sku,
                    "visible": True,
                    "choices": [{"optionChoiceNames": {"optionName": "Size", "choiceName": str(i)}}],
                    "price": {"actualPrice": {"amount": format(price, "f"), "formattedAmount": f"€{price}"}},
                }
            )
            iid = new_id()
            site.v3_inventory[iid] = V3Inventory(iid, pid, vid, 0)
        site.v3_products[pid] = V3Product(pid, f"Product {group[0]}", 1, variants)


def ecom_order(
    *,
    sku: str = "MUG-01",
    quantity: int = 2,
    unit: str = "12.20",
    tax_rate: str = "0.22",
    status: str = "APPROVED",
    payment: str = "PAID",
    currency: str = "EUR",
    email: str = "ana@example.si",
    number: str | None = None,
    shipping: str = "4.99",
) -> dict[str, Any]:
    """An eCom order shaped like the official Get Order example (gross prices, SI buyer)."""
    unit_d, qty = Decimal(unit), Decimal(quantity)
    rate = Decimal(tax_rate)
    line_total = unit_d * qty
    ship = Decimal(shipping)
    tax = ((line_total + ship) - (line_total + ship) / (1 + rate)).quantize(Decimal("0.01"))
    order: dict[str, Any] = {
        "lineItems": [
            {
                "id": "00000000-0000-0000-0000-000000000001",
                "productName": {"original": f"Product {sku}", "translated": f"Product {sku}"},
                "catalogReference": {
                    "catalogItemId": new_id(),
                    "appId": "1380b703-ce81-ff05-f115-39571d94dfcd",
                    "options": {"variantId": new_id()},
                },
                "quantity": quantity,
                "physicalProperties": {"sku": sku, "shippable": True},
                "itemType": {"preset": "PHYSICAL"},
                "price": {"amount": unit, "formattedAmount": f"€{unit}"},
                "totalDiscount": {"amount": "0", "formattedAmount": "€0.00"},
                "taxDetails": {"taxRate": tax_rate, "totalTax": {"amount": "0"}},
                "paymentOption": "FULL_PAYMENT_ONLINE",
            }
        ],
        "buyerInfo": {"contactId": new_id(), "email": email},
        "paymentStatus": payment,
        "fulfillmentStatus": "NOT_FULFILLED",
        "status": status,
        "currency": currency,
        "weightUnit": "KG",
        "taxIncludedInPrices": True,
        "priceSummary": {
            "subtotal": {"amount": format(line_total, "f")},
            "shipping": {"amount": shipping},
            "tax": {"amount": format(tax, "f")},
            "discount": {"amount": "0"},
            "total": {"amount": format(line_total + ship, "f")},
        },
        "billingInfo": {
            "address": {
                "country": "SI",
                "city": "Ljubljana",
                "postalCode": "1000",
                "addressLine": "Slovenska 1",
            },
            "contactDetails": {"firstName": "Ana", "lastName": "Novak", "phone": "+38640111222"},
        },
        "shippingInfo": {
            "title": "Pošta Slovenije",
            "logistics": {
                "shippingDestination": {
                    "address": {
                        "country": "SI",
                        "city": "Ljubljana",
                        "postalCode": "1000",
                        "addressLine": "Slovenska 1",
                    },
                    "contactDetails": {"firstName": "Ana", "lastName": "Novak"},
                }
            },
            "cost": {"price": {"amount": shipping}, "taxDetails": {"taxRate": tax_rate}},
        },
        "channelInfo": {"type": "WEB"},
        "archived": False,
    }
    if number is not None:
        order["number"] = number
    return order


def demo(sim: WixSim) -> dict[str, str]:
    """A ready world for `make up`: one account, a V3 and a V1 site, a few products and orders."""
    key = sim.add_key("acct-demo", key="demo-wix-api-key")
    v3 = sim.add_site("acct-demo", site_id="11111111-1111-4111-8111-111111111111")
    v1 = sim.add_site("acct-demo", catalog=V1, site_id="22222222-2222-4222-8222-222222222222")
    skus = [f"SKU-{i:04d}" for i in range(20)]
    seed_catalog(v3, skus, per_product=2)
    seed_catalog(v1, skus, per_product=1)
    for i in range(3):
        sim.put_order(v3, ecom_order(sku=skus[i]))
        sim.put_order(v1, ecom_order(sku=skus[i]))
    return {"api_key": key, "site_v3": v3.site_id, "site_v1": v1.site_id}
