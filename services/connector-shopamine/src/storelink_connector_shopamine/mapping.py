"""Shopamine order JSON → canonical OrderReceived (pure). The service, `storelink normalize
shopamine` and the tests call this one function. The order shape is an assumption, written down in
assumptions.ORDER_FIELDS; every status and code table comes from there too."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from storelink_connector_kit.fields import text, timestamp
from storelink_connector_kit.platform import MappingProblem, OrderContext
from storelink_connector_shopamine.assumptions import (
    ORDER_STATUS,
    ORDER_STATUS_NOT_IMPORTED,
    PAYMENT_METHOD,
    PAYMENT_STATUS,
    TAX_RATE_IS_PERCENT,
)
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


def localized(value: Any) -> str | None:
    """A localized string (`{"__": "Steak", "sl": "Zrezek"}`, `__` = default language) or plain text."""
    if isinstance(value, Mapping):
        default = text(value.get("__"))
        if default:
            return default
        return next((t for t in (text(v) for v in value.values()) if t), None)
    return text(value)


def decimal(value: Any, what: str, *, default: Decimal | None = None) -> Decimal:
    """A number from the order (string, int, Decimal). A float can only come from a JSON file read
    without `parse_float=Decimal`; its shortest repr is the digits that were in the file."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is not None:
            return default
        raise MappingProblem(f"{what} is missing")
    if isinstance(value, float):
        value = repr(value)
    try:
        return parse_decimal(value)
    except ValueError as exc:
        raise MappingProblem(f"{what}: {exc}") from None


def tax_rate(value: Any, what: str) -> Decimal:
    rate = decimal(value, what, default=ZERO)
    if TAX_RATE_IS_PERCENT and ZERO < rate <= 1:
        rate = rate * HUNDRED
    if rate < 0 or rate > 100:
        raise MappingProblem(f"{what} {rate} is not a tax rate in percent")
    return rate.to_integral_value() if rate == rate.to_integral_value() else rate.normalize()


def _address(raw: Any, what: str) -> Address | None:
    if not isinstance(raw, Mapping):
        return None
    country = text(raw.get("country"))
    if country is None:
        raise MappingProblem(f"{what} has no country")
    if len(country) != 2 or not country.isalpha():
        raise MappingProblem(f"{what} country {country!r} is not a two-letter ISO code")
    return Address(
        name=text(raw.get("name")),
        company=text(raw.get("company")),
        street=text(raw.get("street")),
        street2=text(raw.get("street2")),
        city=text(raw.get("city")),
        postal_code=text(raw.get("postal_code")),
        region=text(raw.get("region")),
        country=country.upper(),
    )


def _buyer(raw: Mapping[str, Any], billing: Address) -> Buyer:
    customer = raw.get("customer") if isinstance(raw.get("customer"), Mapping) else {}
    assert isinstance(customer, Mapping)
    person = " ".join(t for t in (text(customer.get("first_name")), text(customer.get("last_name"))) if t)
    company = text(customer.get("company")) or billing.company
    vat_id = text(customer.get("vat_id"))
    is_company = str(customer.get("type", "")).lower() == "company" or bool(vat_id and company)
    name = (company if is_company else None) or person or billing.name or company
    if not name:
        raise MappingProblem("the order names no buyer (customer and billing address have no name)")
    return Buyer(
        kind=BuyerKind.COMPANY if is_company else BuyerKind.PERSON,
        name=name,
        company_name=company if is_company else None,
        vat_id=vat_id.replace(" ", "").upper() if vat_id else None,
        email=text(customer.get("email")),
        phone=text(customer.get("phone")),
    )


def _lines(raw: Mapping[str, Any]) -> list[OrderLine]:
    items = raw.get("items")
    if not isinstance(items, list) or not items:
        raise MappingProblem("the order has no items")
    lines = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            raise MappingProblem(f"item {n} is not an object")
        what = f"item {n}"
        name = localized(item.get("name")) or text(item.get("sku"))
        if not name:
            raise MappingProblem(f"{what} has neither a name nor a sku")
        quantity = decimal(item.get("quantity"), f"{what} quantity")
        if quantity <= 0:
            raise MappingProblem(f"{what} quantity {quantity} is not positive")
        price = decimal(item.get("price"), f"{what} price")
        if price < 0:
            raise MappingProblem(f"{what} price {price} is negative")
        discount = decimal(item.get("discount"), f"{what} discount", default=ZERO)
        if discount < 0:
            raise MappingProblem(f"{what} discount {discount} is negative")
        lines.append(
            OrderLine(
                line_id=text(item.get("id")) or str(n),
                sku=text(item.get("sku")),
                name=name,
                quantity=quantity,
                unit_price=price,
                tax_rate=tax_rate(item.get("tax_rate"), f"{what} tax_rate"),
                discount=discount,
                product_id=text(item.get("item_id")),
                variant_id=text(item.get("variant_id")),
            )
        )
    return lines


def _shipping(raw: Any) -> ShippingCharge | None:
    if not isinstance(raw, Mapping):
        return None
    amount = decimal(raw.get("price"), "shipping price", default=ZERO)
    discount = decimal(raw.get("discount"), "shipping discount", default=ZERO)
    if amount == 0 and discount == 0:
        return None
    return ShippingCharge(
        name=localized(raw.get("name")) or "Shipping",
        amount=amount,
        tax_rate=tax_rate(raw.get("tax_rate"), "shipping tax_rate"),
        discount=discount,
    )


def _fees(raw: Any) -> list[FeeCharge]:
    if not isinstance(raw, list):
        return []
    return [
        FeeCharge(
            name=localized(fee.get("name")) or "Fee",
            amount=decimal(fee.get("price"), f"fee {n} price"),
            tax_rate=tax_rate(fee.get("tax_rate"), f"fee {n} tax_rate"),
        )
        for n, fee in enumerate(raw, start=1)
        if isinstance(fee, Mapping)
    ]


def _discounts(raw: Any) -> list[OrderDiscount]:
    if not isinstance(raw, list):
        return []
    out = []
    for n, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping):
            continue
        amount = abs(decimal(item.get("amount"), f"discount {n} amount"))
        if amount:
            out.append(
                OrderDiscount(
                    name=localized(item.get("name")) or text(item.get("code")) or "Discount",
                    code=text(item.get("code")),
                    amount=amount,
                )
            )
    return out


def _totals(raw: Any) -> OrderTotals:
    if not isinstance(raw, Mapping):
        raise MappingProblem("the order has no totals")
    return OrderTotals(
        subtotal=decimal(raw.get("subtotal"), "totals.subtotal"),
        shipping=decimal(raw.get("shipping"), "totals.shipping", default=ZERO),
        discount=abs(decimal(raw.get("discount"), "totals.discount", default=ZERO)),
        tax=decimal(raw.get("tax"), "totals.tax"),
        total=decimal(raw.get("total"), "totals.total"),
    )


def _code(table: Mapping[str, str], value: Any) -> str | None:
    given = text(value)
    return table.get(given.lower()) if given else None


def map_shopamine_order(raw: Mapping[str, Any], ctx: OrderContext) -> OrderReceived | None:
    """The canonical order; None for checkouts that are not orders; MappingProblem when unreadable."""
    if "id" not in raw and isinstance(raw.get("data"), Mapping):
        raw = raw["data"]  # a read answer saved as it came (assumptions.ENTITY_MAY_BE_WRAPPED)
    status_text = (text(raw.get("status")) or "").lower()
    if status_text in ORDER_STATUS_NOT_IMPORTED:
        return None
    external_id = text(raw.get("id"))
    if external_id is None:
        raise MappingProblem("the order has no id")
    status = _code(ORDER_STATUS, status_text)
    if status is None:
        raise MappingProblem(f"unknown order status {status_text or '(none)'!r}")
    payment_status = _code(PAYMENT_STATUS, raw.get("payment_status")) or PaymentStatus.UNPAID.value
    payment_method = _code(PAYMENT_METHOD, raw.get("payment_method"))
    if payment_method is None and text(raw.get("payment_method")):
        payment_method = PaymentMethod.OTHER.value
    billing = _address(raw.get("billing_address"), "billing address")
    if billing is None:
        raise MappingProblem("the order has no billing address")
    currency = text(raw.get("currency"))
    if currency is None:
        raise MappingProblem("the order has no currency")
    include = raw.get("prices_include_tax")
    if not isinstance(include, bool):
        raise MappingProblem("prices_include_tax is missing: cannot tell gross from net prices")
    try:
        return OrderReceived(
            tenant_id=ctx.tenant_id,
            connection_id=ctx.connection_id,
            platform=Platform.SHOPAMINE,
            external_id=external_id,
            number=text(raw.get("number")) or external_id,
            created_at=timestamp(raw.get("created"), "created"),
            updated_at=timestamp(raw.get("modified") or raw.get("created"), "modified"),
            status=OrderStatus(status),
            payment_status=PaymentStatus(payment_status),
            payment_method=PaymentMethod(payment_method or PaymentMethod.UNKNOWN.value),
            paid_at=timestamp(raw["paid_at"], "paid_at") if raw.get("paid_at") else None,
            currency=currency.upper(),
            prices_include_tax=include,
            buyer=_buyer(raw, billing),
            billing_address=billing,
            shipping_address=_address(raw.get("shipping_address"), "shipping address"),
            lines=_lines(raw),
            shipping=_shipping(raw.get("shipping")),
            fees=_fees(raw.get("fees")),
            discounts=_discounts(raw.get("discounts")),
            totals=_totals(raw.get("totals")),
            note=text(raw.get("note")),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise MappingProblem(f"{where or 'order'}: {first.get('msg', 'invalid')}") from None
