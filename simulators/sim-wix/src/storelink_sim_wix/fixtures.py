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
        options = [
            {
                "name": "Size",
                "optionRenderType": "TEXT_CHOICES",
                "choicesSettings": {"choices": [{"name": str(i)} for i in range(len(group))]},
            }
        ]
        site.v3_products[pid] = V3Product(pid, f"Product {group[0]}", 1, variants, options)


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
    """An eCom order in today's documented shape (tests/corpus/wix/order_taxinfo_gross.json):
    gross prices, `taxInfo` on the line (no deprecated `taxDetails`), line totals, a SI buyer."""
    cent = Decimal("0.01")
    unit_d, qty, rate = Decimal(unit), Decimal(quantity), Decimal(tax_rate)
    ship = Decimal(shipping)
    line_gross = unit_d * qty
    line_net = (line_gross / (1 + rate)).quantize(cent)
    ship_net = (ship / (1 + rate)).quantize(cent)
    line_tax, ship_tax = line_gross - line_net, ship - ship_net

    def price(value: Decimal) -> dict[str, str]:
        return {"amount": format(value, "f"), "formattedAmount": f"€{value}"}

    address = {"country": "SI", "city": "Ljubljana", "postalCode": "1000", "addressLine": "Slovenska 1"}
    order: dict[str, Any] = {
        "lineItems": [
            {
                "id": "00000000-0000-0000-0000-000000000001",
                "productName": {"original": f"Product {sku}", "translated": f"Product {sku}"},
                "catalogReference": {
                    "catalogItemId": new_id(),
                    "appId": "215238eb-22a5-4c36-9e7b-e7c08025e04e",
                    "options": {"variantId": new_id()},
                },
                "quantity": quantity,
                "physicalProperties": {"sku": sku, "shippable": True},
                "itemType": {"preset": "PHYSICAL"},
                "price": price(unit_d),
                "totalDiscount": price(Decimal(0)),
                "totalPriceBeforeTax": price(line_net),
                "totalPriceAfterTax": price(line_gross),
                "taxInfo": {
                    "taxAmount": price(line_tax),
                    "taxableAmount": price(line_net),
                    "taxRate": tax_rate,
                    "taxIncludedInPrice": True,
                },
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
            "subtotal": price(line_gross),
            "shipping": price(ship),
            "tax": price(line_tax + ship_tax),
            "discount": price(Decimal(0)),
            "total": price(line_gross + ship),
        },
        "billingInfo": {
            "address": address,
            "contactDetails": {"firstName": "Ana", "lastName": "Novak", "phone": "+38640111222"},
        },
        "shippingInfo": {
            "title": "Pošta Slovenije",
            "logistics": {
                "shippingDestination": {
                    "address": address,
                    "contactDetails": {"firstName": "Ana", "lastName": "Novak"},
                }
            },
            "cost": {
                "price": price(ship),
                "totalPriceBeforeTax": price(ship_net),
                "totalPriceAfterTax": price(ship),
                "taxDetails": {
                    "taxRate": tax_rate,
                    "totalTax": price(ship_tax),
                    "taxableAmount": price(ship_net),
                },
            },
        },
        "taxInfo": {"totalTax": price(line_tax + ship_tax)},
        "customFields": [],
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
