"""Wix pure functions: order mapping, Site ID parsing, the Automations doorbell, credentials.

Here only what needs a broker, a process or real time; the rest:
tests/unit/connectors/test_wix_units.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from storelink_kit.testing.terminal import plain_words

STORELINK = str(Path(sys.executable).parent / "storelink")


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


@pytest.mark.slow  # runs the CLI as a process
def test_normalize_command_prints_the_canonical_order(tmp_path: Path) -> None:
    path = tmp_path / "order.json"
    path.write_text(json.dumps({"order": official_example()}))
    out = subprocess.run(
        [STORELINK, "normalize", "wix", str(path), "--tenant", "acme"],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(out.stdout)
    assert data["external_id"] == "265c7d98-a7c3-48c4-89cd-bbdc00921eab"
    assert data["tenant_id"] == "acme"
    assert data["totals"]["total"] == "63.85"
    garbage = tmp_path / "bad.json"
    garbage.write_text("{nope")
    bad = subprocess.run([STORELINK, "normalize", "wix", str(garbage)], capture_output=True, text=True)
    assert bad.returncode != 0
    assert "not valid JSON" in plain_words(bad.stderr)
