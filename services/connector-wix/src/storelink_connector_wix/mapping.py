"""Wix eCommerce order JSON → canonical OrderReceived. Pure: the service, the CLI (`storelink
normalize wix`) and the tests all call this one function."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from storelink_connector_kit.platform import MappingProblem, OrderContext
from storelink_connector_wix.assumptions import SHIPPING_DESTINATION_PATHS
from storelink_contracts import (
    Address,
    Buyer,
    BuyerKind,
    FeeCharge,
    OrderDiscount,
    OrderLine,
    OrderReceived,
    OrderStatus,
    OrderTotals,
    PaymentMethod,
    PaymentStatus,
    Platform,
    ShippingCharge,
)
from storelink_contracts.money import parse_decimal

ZERO = Decimal(0)
HUNDRED = Decimal(100)

PAYMENT = {
    "PAID": PaymentStatus.PAID,
    "NOT_PAID": PaymentStatus.UNPAID,
    "PENDING": PaymentStatus.PENDING,
    "PARTIALLY_PAID": PaymentStatus.PARTIALLY_PAID,
    "PARTIALLY_REFUNDED": PaymentStatus.PARTIALLY_REFUNDED,
    "FULLY_REFUNDED": PaymentStatus.REFUNDED,
    "REFUNDED": PaymentStatus.REFUNDED,
    "CANCELED": PaymentStatus.VOIDED,
    "VOIDED": PaymentStatus.VOIDED,
}


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def money(value: Any) -> Decimal:
    """`{"amount": "1.0"}`, `{"value": "1.0"}` (Automations) or a bare amount; missing → 0."""
    if isinstance(value, Mapping):
        value = value.get("amount", value.get("value"))
    if value is None or value == "":
        return ZERO
    try:
        return parse_decimal(value)
    except ValueError as exc:
        raise MappingProblem(f"amount {value!r} is not a number: {exc}") from None


def tax_percent(value: Any) -> Decimal:
    """Wix gives the rate as a fraction ("0.22"); a value above 1 is already a percentage."""
    rate = money(value)
    return rate * HUNDRED if rate <= 1 else rate


def _when(value: Any, what: str) -> datetime:
    text = _text(value)
    if text is None:
        raise MappingProblem(f"the order has no {what}")
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise MappingProblem(f"{what} {text!r} is not an ISO timestamp") from None
    if when.tzinfo is None:
        raise MappingProblem(f"{what} {text!r} has no timezone")
    return when


def _address(address: Any, contact: Any) -> Address | None:
    if not isinstance(address, Mapping):
        return None
    country = _text(address.get("country"))
    if country is None:
        return None
    street = _text(address.get("addressLine")) or _text(address.get("addressLine1"))
    if street is None and isinstance(address.get("streetAddress"), Mapping):
        parts = [_text(address["streetAddress"].get("name")), _text(address["streetAddress"].get("number"))]
        street = " ".join(p for p in parts if p) or None
    name = " ".join(p for p in (_text(_get(contact, "firstName")), _text(_get(contact, "lastName"))) if p)
    return Address(
        name=name or None,
        company=_text(_get(contact, "company")),
        street=street,
        street2=_text(address.get("addressLine2")),
        city=_text(address.get("city")),
        postal_code=_text(address.get("postalCode")) or _text(address.get("zipCode")),
        region=_text(address.get("subdivision")),
        country=country[:2].upper(),
    )


def _vat_id(contact: Any) -> str | None:
    vat = _get(contact, "vatId")
    if isinstance(vat, Mapping):
        return _text(vat.get("id"))
    return _text(vat)


def _status(raw: Mapping[str, Any], payment: PaymentStatus) -> OrderStatus:
    status = raw.get("status")
    if status == "CANCELED":
        return OrderStatus.CANCELLED
    if payment is PaymentStatus.REFUNDED:
        return OrderStatus.REFUNDED
    if status == "APPROVED":
        return OrderStatus.FULFILLED if raw.get("fulfillmentStatus") == "FULFILLED" else OrderStatus.CONFIRMED
    return OrderStatus.PENDING


def _lines(raw: Mapping[str, Any]) -> list[OrderLine]:
    lines: list[OrderLine] = []
    for index, item in enumerate(raw.get("lineItems") or [], start=1):
        if not isinstance(item, Mapping):
            raise MappingProblem(f"line {index} is not an object")
        quantity = money(item.get("quantity"))
        if quantity <= 0:
            continue
        name = (
            _text(_get(item, "productName", "original"))
            or _text(_get(item, "productName", "translated"))
            or _text(item.get("name"))
        )
        if name is None:
            raise MappingProblem(f"line {index} has no product name")
        lines.append(
            OrderLine(
                line_id=_text(item.get("id")) or str(index),
                sku=_text(_get(item, "physicalProperties", "sku")) or _text(item.get("sku")),
                name=name,
                quantity=quantity,
                unit_price=money(item.get("price")),
                tax_rate=tax_percent(_get(item, "taxDetails", "taxRate")),
                discount=money(item.get("totalDiscount")),
                product_id=_text(_get(item, "catalogReference", "catalogItemId")),
                variant_id=_text(_get(item, "catalogReference", "options", "variantId")),
            )
        )
    return lines


def _shipping(raw: Mapping[str, Any], lines: list[OrderLine]) -> ShippingCharge | None:
    info = raw.get("shippingInfo")
    amount = money(_get(raw, "priceSummary", "shipping"))
    if not isinstance(info, Mapping) and amount == 0:
        return None
    cost = _get(info, "cost")
    rate_raw = _get(cost, "taxDetails", "taxRate")
    # No rate on the shipping line: the highest goods rate (the usual EU rule for shipping).
    rate = tax_percent(rate_raw) if rate_raw is not None else max((ln.tax_rate for ln in lines), default=ZERO)
    return ShippingCharge(
        name=_text(_get(info, "title")) or "Shipping",
        amount=amount,
        tax_rate=rate,
        discount=money(_get(cost, "discount")),
    )


def _fees(raw: Mapping[str, Any]) -> list[FeeCharge]:
    fees = []
    for fee in raw.get("additionalFees") or []:
        if not isinstance(fee, Mapping):
            continue
        amount = money(fee.get("price"))
        if amount == 0:
            continue
        fees.append(
            FeeCharge(
                name=_text(fee.get("name")) or "Fee",
                amount=amount,
                tax_rate=tax_percent(_get(fee, "taxDetails", "taxRate")),
            )
        )
    return fees


def _discounts(raw: Mapping[str, Any], lines: list[OrderLine]) -> list[OrderDiscount]:
    """The part of the order discount not already on the lines (a coupon on the whole order)."""
    total = money(_get(raw, "priceSummary", "discount"))
    rest = total - sum((ln.discount for ln in lines), ZERO)
    if rest <= 0:
        return []
    applied = [d for d in raw.get("appliedDiscounts") or [] if isinstance(d, Mapping)]
    coupon = _get(applied[0], "coupon") if applied else None
    return [
        OrderDiscount(
            name=_text(_get(coupon, "name"))
            or _text(_get(applied[0] if applied else None, "discountName"))
            or "Discount",
            code=_text(_get(coupon, "code")),
            amount=rest,
        )
    ]


def map_wix_order(raw: Mapping[str, Any], ctx: OrderContext) -> OrderReceived | None:
    """An eCom order → OrderReceived; None for an INITIALIZED (never approved) checkout."""
    if isinstance(raw.get("order"), Mapping) and "id" not in raw:
        raw = raw["order"]
    external_id = _text(raw.get("id"))
    if external_id is None:
        raise MappingProblem("the order has no id")
    if raw.get("status") == "INITIALIZED":
        return None
    lines = _lines(raw)
    if not lines:
        raise MappingProblem("the order has no line items with a quantity")
    contact = _get(raw, "billingInfo", "contactDetails")
    destination = None
    for path in SHIPPING_DESTINATION_PATHS:
        destination = _get(raw, *path)
        if destination is not None:
            break
    shipping_address = _address(_get(destination, "address"), _get(destination, "contactDetails"))
    billing = _address(_get(raw, "billingInfo", "address"), contact) or shipping_address
    if billing is None:
        raise MappingProblem("the order has neither a billing nor a shipping address with a country")
    email = _text(_get(raw, "buyerInfo", "email")) or _text(_get(contact, "email"))
    vat_id = _vat_id(contact)
    company = _text(_get(contact, "company"))
    name = billing.name or company or email
    if name is None:
        raise MappingProblem("the buyer has no name, company or e-mail")
    buyer = Buyer(
        kind=BuyerKind.COMPANY if company or vat_id else BuyerKind.PERSON,
        name=name,
        company_name=company,
        vat_id=vat_id,
        email=email,
        phone=_text(_get(contact, "phone")),
    )
    payment = PAYMENT.get(str(raw.get("paymentStatus")), PaymentStatus.PENDING)
    currency = _text(raw.get("currency"))
    if currency is None:
        raise MappingProblem("the order has no currency")
    summary = raw.get("priceSummary") or {}
    try:
        return OrderReceived(
            tenant_id=ctx.tenant_id,
            connection_id=ctx.connection_id,
            platform=Platform.WIX,
            external_id=external_id,
            number=_text(raw.get("number")) or external_id,
            created_at=_when(raw.get("createdDate"), "createdDate"),
            updated_at=_when(raw.get("updatedDate") or raw.get("createdDate"), "updatedDate"),
            status=_status(raw, payment),
            payment_status=payment,
            payment_method=PaymentMethod.UNKNOWN,
            currency=currency,
            prices_include_tax=bool(raw.get("taxIncludedInPrices", False)),
            buyer=buyer,
            billing_address=billing,
            shipping_address=shipping_address,
            lines=lines,
            shipping=_shipping(raw, lines),
            fees=_fees(raw),
            discounts=_discounts(raw, lines),
            totals=OrderTotals(
                subtotal=money(_get(summary, "subtotal")),
                shipping=money(_get(summary, "shipping")),
                discount=money(_get(summary, "discount")),
                tax=money(_get(summary, "tax")),
                total=money(_get(summary, "total")),
            ),
            note=_text(raw.get("buyerNote")),
        )
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise MappingProblem(str(exc)) from None
