"""Wix pure functions: order mapping, Site ID parsing, the Automations doorbell, credentials.

The tests of this subject that need a broker, a process or real time:
tests/integration/connectors/test_wix_units.py.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from storelink_connector_kit.errors import WebhookRejected
from storelink_connector_kit.platform import MappingProblem, OrderContext
from storelink_connector_kit.prices import shop_price
from storelink_connector_wix.mapping import map_wix_order
from storelink_connector_wix.platform import WixPlatform
from storelink_connector_wix.site_id import parse_site_id
from storelink_connector_wix.webhook import parse_automation_webhook
from storelink_contracts import (
    BuyerKind,
    OrderStatus,
    PaymentStatus,
    PriceChanged,
    PriceListKind,
    PriceListSetting,
)
from storelink_kit.testing.samples import T0

CTX = OrderContext(tenant_id="acme", connection_id="conn-wix-1")
SITE = "5d1a4a6e-2c3b-4f5e-9a8b-1c2d3e4f5a6b"


def official_example() -> dict[str, Any]:
    """The trimmed Get Order example from the Wix docs (reference §1.5), tax as a fraction."""
    return {
        "id": "265c7d98-a7c3-48c4-89cd-bbdc00921eab",
        "number": "10108",
        "createdDate": "2021-05-25T13:51:01.718Z",
        "updatedDate": "2021-05-25T13:55:55.130Z",
        "lineItems": [
            {
                "id": "00000000-0000-0000-0000-000000000001",
                "productName": {"original": "Indonesian Blend", "translated": "Indonesian Blend"},
                "catalogReference": {
                    "catalogItemId": "5376f9ec-b92e-efa9-e4a1-f4f480aa0d3a",
                    "appId": "1380b703-ce81-ff05-f115-39571d94dfcd",
                    "options": {"variantId": "00000000-0000-0020-0005-ad9cdc10d3b8"},
                },
                "quantity": 2,
                "physicalProperties": {"sku": "IB-250", "weight": 0.5, "shippable": True},
                "price": {"amount": "35.0", "formattedAmount": "$35.00"},
                "totalDiscount": {"amount": "3.5", "formattedAmount": "$3.50"},
                "taxDetails": {"taxRate": "0.04", "totalTax": {"amount": "2.66"}},
            }
        ],
        "buyerInfo": {"contactId": "f61f30cd-7d0b-4bbb-9b2f-b9a1a1a1a1a1", "email": "janedoe@gmail.com"},
        "paymentStatus": "PAID",
        "fulfillmentStatus": "FULFILLED",
        "status": "APPROVED",
        "currency": "USD",
        "taxIncludedInPrices": False,
        "priceSummary": {
            "subtotal": {"amount": "70.0"},
            "shipping": {"amount": "2.0"},
            "tax": {"amount": "2.66"},
            "discount": {"amount": "10.81"},
            "total": {"amount": "63.85"},
        },
        "billingInfo": {
            "address": {
                "country": "US",
                "subdivision": "US-NY",
                "city": "New York",
                "postalCode": "10011",
                "addressLine": "235 West 23rd Street",
                "addressLine2": "3rd floor",
            },
            "contactDetails": {
                "firstName": "Jane",
                "lastName": "Doe",
                "phone": "+1234567890",
                "company": None,
            },
        },
        "shippingInfo": {"title": "U.S Shipping", "logistics": {}, "cost": {}},
        "appliedDiscounts": [{"coupon": {"code": "SUMMER", "name": "Summer sale"}}],
        "buyerNote": "leave at the door",
    }


def test_official_example_maps_field_by_field() -> None:
    order = map_wix_order(official_example(), CTX)
    assert order is not None
    assert (order.external_id, order.number, order.currency) == (
        "265c7d98-a7c3-48c4-89cd-bbdc00921eab",
        "10108",
        "USD",
    )
    assert order.status is OrderStatus.FULFILLED
    assert order.payment_status is PaymentStatus.PAID
    assert order.prices_include_tax is False
    line = order.lines[0]
    assert (line.sku, line.quantity, line.unit_price, line.discount, line.tax_rate) == (
        "IB-250",
        Decimal(2),
        Decimal("35.0"),
        Decimal("3.5"),
        Decimal("4.00"),
    )
    assert (line.product_id, line.variant_id) == (
        "5376f9ec-b92e-efa9-e4a1-f4f480aa0d3a",
        "00000000-0000-0020-0005-ad9cdc10d3b8",
    )
    assert order.buyer.kind is BuyerKind.PERSON
    assert order.buyer.name == "Jane Doe"
    assert order.billing_address.street == "235 West 23rd Street"
    assert order.billing_address.region == "US-NY"
    assert order.shipping is not None
    assert order.shipping.amount == Decimal("2.0")
    assert order.shipping.tax_rate == Decimal("4.00")  # no rate on shipping: the highest line rate
    # order discount 10.81, of which 3.50 is on the line: the rest is an order-level coupon
    assert [(d.code, d.amount) for d in order.discounts] == [("SUMMER", Decimal("7.31"))]
    assert order.totals.total == Decimal("63.85")
    assert order.note == "leave at the door"


def test_company_buyer_and_shipping_destination() -> None:
    raw = official_example()
    # the VAT number comes from the checkout custom field "VAT ID" (contactDetails.vatId is Brazil-only)
    raw["billingInfo"]["contactDetails"].update({"company": "Acme d.o.o."})
    raw["customFields"] = [{"title": "VAT ID", "value": "SI12345678"}]
    raw["shippingInfo"]["logistics"] = {
        "shippingDestination": {
            "address": {"country": "si", "city": "Maribor"},
            "contactDetails": {"firstName": "Ana"},
        }
    }
    order = map_wix_order(raw, CTX)
    assert order is not None
    assert order.buyer.kind is BuyerKind.COMPANY
    assert order.buyer.vat_id == "SI12345678"
    assert order.shipping_address is not None
    assert order.shipping_address.country == "SI"


def test_initialized_checkout_is_not_imported_and_broken_orders_say_why() -> None:
    assert map_wix_order({**official_example(), "status": "INITIALIZED"}, CTX) is None
    with pytest.raises(MappingProblem, match="no line items"):
        map_wix_order({**official_example(), "lineItems": []}, CTX)
    bad = official_example()
    bad["priceSummary"]["total"] = {"amount": "lots"}
    with pytest.raises(MappingProblem, match="not a number"):
        map_wix_order(bad, CTX)
    bad = official_example()
    del bad["billingInfo"]["address"]["country"]
    with pytest.raises(MappingProblem, match="country"):
        map_wix_order(bad, CTX)


@pytest.mark.parametrize(
    "given",
    [
        SITE,
        SITE.upper(),
        f"  {SITE}  ",
        f"https://manage.wix.com/dashboard/{SITE}/home",
        f"https://manage.wix.com/dashboard/{SITE}/store/products?referralInfo=sidebar",
        f"manage.wix.com/dashboard/{SITE}",
    ],
)
def test_site_id_as_id_or_dashboard_address(given: str) -> None:
    assert parse_site_id(given) == SITE


@pytest.mark.parametrize("given", ["", "hello", "https://www.wix.com/my-site", "1234"])
def test_bad_site_id_says_what_to_give(given: str) -> None:
    with pytest.raises(ValueError, match="Site ID"):
        parse_site_id(given)


def test_credentials_are_normalised() -> None:
    creds = WixPlatform().parse_credentials(
        {"api_key": " Bearer IST.abc ", "site_id": f"https://manage.wix.com/dashboard/{SITE}/"}
    )
    assert creds == {"api_key": "IST.abc", "site_id": SITE}
    with pytest.raises(ValueError, match="API key"):
        WixPlatform().parse_credentials({"site_id": SITE})


def test_automation_doorbell_takes_only_the_order_pointer() -> None:
    oid = "265c7d98-a7c3-48c4-89cd-bbdc00921eab"
    bell = parse_automation_webhook({"data": {"orderId": oid, "priceSummary": {"total": {"value": "0.01"}}}})
    assert list(bell.order_ids) == [oid]
    nested = parse_automation_webhook({"data": {"order": {"id": oid.upper()}}})
    assert list(nested.order_ids) == [oid]
    by_number = parse_automation_webhook({"data": {"orderNumber": "10042", "buyerEmail": "x@y.z"}})
    assert list(by_number.order_numbers) == ["10042"]
    assert not by_number.order_ids
    as_string = parse_automation_webhook({"data": json.dumps({"orderNumber": 10042})})
    assert list(as_string.order_numbers) == ["10042"]
    for bad in ({"data": {"orderId": "../../etc"}}, {"data": {}}, {"data": "not json"}, [1]):
        with pytest.raises(WebhookRejected):
            parse_automation_webhook(bad)


@pytest.mark.parametrize(
    ("kind", "override", "amount", "includes_tax", "expected"),
    [
        (PriceListKind.B2C, None, "10.00", False, ("12.20", True)),
        (PriceListKind.B2C, None, "12.20", True, ("12.20", True)),
        (PriceListKind.B2B, None, "12.20", True, ("10.00", False)),
        (PriceListKind.B2B, None, "10.00", False, ("10.00", False)),
        (PriceListKind.B2B, True, "10.00", False, ("12.20", True)),
        (PriceListKind.B2C, False, "12.20", True, ("10.00", False)),
    ],
)
def test_b2c_gross_b2b_net_by_default(
    kind: PriceListKind, override: bool | None, amount: str, includes_tax: bool, expected: tuple[str, bool]
) -> None:
    event = PriceChanged(
        tenant_id="acme",
        price_list="L",
        sku="S",
        amount=Decimal(amount),
        currency="EUR",
        includes_tax=includes_tax,
        tax_rate=Decimal(22),
        as_of=T0,
    )
    got = shop_price(event, PriceListSetting(name="L", kind=kind, send_gross=override))
    assert got == (Decimal(expected[0]), expected[1])
