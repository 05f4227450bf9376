"""Wix eCommerce order JSON → canonical OrderReceived. Pure: the service, the CLI (`storelink
normalize wix`) and the tests all call this one function.

A tolerant reader, strict about money: current and deprecated fields are both read (`taxInfo`,
then `taxDetails`), but an amount or rate that is missing where money depends on it, or outside
what Wix documents, is a MappingProblem (a needs-attention item), never a silent 0. Every fact used
here is listed with its source in `assumptions.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from storelink_connector_kit.fields import text, timestamp
from storelink_connector_kit.platform import MappingProblem, OrderContext
from storelink_connector_wix.assumptions import (
    APPROVED_PAYMENT_STATUSES,
    DEFAULT_VAT_ID_FIELD,
    ORDER_TRANSACTIONS_KEY,
    PAYMENT_METHODS,
    PAYMENT_STATUSES,
    PICKUP_PATH,
    SHIPPING_DESTINATION_PATHS,
    SKIPPED_ORDER_STATUSES,
    TAX_RATE_MAX,
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
    TaxBreakdown,
)
from storelink_contracts.money import parse_decimal

ZERO = Decimal(0)
HUNDRED = Decimal(100)
CASH_LIKE = (PaymentMethod.CARD, PaymentMethod.CASH, PaymentMethod.CASH_ON_DELIVERY)


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


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


def maybe_money(value: Any) -> Decimal | None:
    """Like `money`, but None when the field is absent (so a missing total is not read as 0)."""
    if value is None or (isinstance(value, Mapping) and value.get("amount", value.get("value")) is None):
        return None
    return money(value)


def tax_percent(value: Any, what: str) -> Decimal:
    """Wix's documented fraction ("0.22") as a percentage (22); anything outside 0..1 is refused."""
    try:
        rate = parse_decimal(value)
    except ValueError:
        raise MappingProblem(f"{what}: tax rate {value!r} is not a number") from None
    if not ZERO <= rate <= TAX_RATE_MAX:
        raise MappingProblem(
            f"{what}: tax rate {value!r} is not a fraction between 0 and 1 as Wix documents it "
            '("0.22" for 22 %); correct the tax settings in Wix'
        )
    return rate * HUNDRED


@dataclass(frozen=True, slots=True)
class Tax:
    """What the shop says about the tax on one charge (line, shipping, fee)."""

    rate: Decimal | None
    amount: Decimal | None
    taxable: Decimal | None


def tax_of(charge: Any, what: str) -> Tax:
    """`taxInfo` (current) or `taxDetails` (deprecated, "removed on September 30, 2024")."""
    info = _get(charge, "taxInfo")
    if isinstance(info, Mapping):
        rate, amount = info.get("taxRate"), info.get("taxAmount")
    else:
        info = _get(charge, "taxDetails")
        if not isinstance(info, Mapping):
            return Tax(None, None, None)
        rate, amount = info.get("taxRate"), info.get("totalTax")
    return Tax(
        tax_percent(rate, what) if rate not in (None, "") else None,
        maybe_money(amount),
        maybe_money(info.get("taxableAmount")),
    )


def _rate_or_zero(tax: Tax, what: str, order_tax: Decimal) -> Decimal:
    """The charge's rate; 0 only when the shop charged no tax at all (never a silent 0 %)."""
    if tax.rate is not None:
        return tax.rate
    if (tax.amount or ZERO) != 0 or order_tax != 0:
        raise MappingProblem(
            f"{what} has no tax rate (neither taxInfo nor taxDetails) although the order charges "
            f"{order_tax} tax: the VAT cannot be told; check the product's tax group in Wix"
        )
    return ZERO


def _address(address: Any, contact: Any) -> Address | None:
    if not isinstance(address, Mapping):
        return None
    country = text(address.get("country"))
    if country is None:
        return None
    street = text(address.get("addressLine")) or text(address.get("addressLine1"))
    if street is None and isinstance(address.get("streetAddress"), Mapping):
        parts = [text(address["streetAddress"].get("name")), text(address["streetAddress"].get("number"))]
        street = " ".join(p for p in parts if p) or None
    name = " ".join(p for p in (text(_get(contact, "firstName")), text(_get(contact, "lastName"))) if p)
    return Address(
        name=name or None,
        company=text(_get(contact, "company")),
        street=street,
        street2=text(address.get("addressLine2")),
        city=text(address.get("city")),
        postal_code=text(address.get("postalCode")) or text(address.get("zipCode")),
        region=text(address.get("subdivision")),
        country=country[:2].upper(),
    )


def _shipping_address(raw: Mapping[str, Any], billing_contact: Any) -> Address | None:
    """Where the goods go: the shipping destination, else the pickup address (store or point)."""
    for path in SHIPPING_DESTINATION_PATHS:
        destination = _get(raw, *path)
        if destination is not None:
            return _address(_get(destination, "address"), _get(destination, "contactDetails"))
    pickup = _get(raw, *PICKUP_PATH)
    if isinstance(pickup, Mapping):
        recipient = _get(raw, "recipientInfo", "contactDetails") or billing_contact
        return _address(pickup.get("address"), recipient)
    return None


def _custom_field(raw: Mapping[str, Any], title: str) -> str | None:
    """The value of the checkout custom field with this title (or translated title), any case."""
    wanted = title.strip().casefold()
    for field in raw.get("customFields") or []:
        if not isinstance(field, Mapping):
            continue
        titles = {str(field.get(k) or "").strip().casefold() for k in ("title", "translatedTitle")}
        if wanted in titles:
            value = field.get("value")
            if isinstance(value, Mapping):
                value = value.get("stringValue")
            return text(value)
    return None


def _buyer(raw: Mapping[str, Any], contact: Any, billing: Address, options: Mapping[str, str]) -> Buyer:
    field = options.get("buyer_vat_id_field", DEFAULT_VAT_ID_FIELD)
    vat_id = _custom_field(raw, field) if field.strip() else None
    brazil = _get(contact, "vatId")
    corporation = isinstance(brazil, Mapping) and brazil.get("type") == "CNPJ"
    if corporation and vat_id is None:
        vat_id = text(_get(brazil, "id"))
    company = text(_get(contact, "company"))
    email = text(_get(raw, "buyerInfo", "email")) or text(_get(contact, "email"))
    name = billing.name or company or email
    if name is None:
        raise MappingProblem("the buyer has no name, company or e-mail")
    return Buyer(
        kind=BuyerKind.COMPANY if company or vat_id or corporation else BuyerKind.PERSON,
        name=name,
        company_name=company,
        vat_id=vat_id,
        email=email,
        phone=text(_get(contact, "phone")),
    )


def _status(raw: Mapping[str, Any], payment: PaymentStatus) -> OrderStatus:
    status = raw.get("status")
    if status == "CANCELED":
        return OrderStatus.CANCELLED
    if payment is PaymentStatus.REFUNDED:
        return OrderStatus.REFUNDED
    if status == "APPROVED":
        return OrderStatus.FULFILLED if raw.get("fulfillmentStatus") == "FULFILLED" else OrderStatus.CONFIRMED
    return OrderStatus.PENDING


def _line_amounts(
    item: Mapping[str, Any], quantity: Decimal, gross: bool, what: str
) -> tuple[Decimal, Decimal]:
    """(unit price before line discounts, discount for the whole line), on the shop's basis."""
    unit = maybe_money(item.get("priceBeforeDiscounts"))
    if unit is None:
        unit = money(item.get("price"))
    after_tax = maybe_money(item.get("totalPriceAfterTax"))
    before_tax = maybe_money(item.get("totalPriceBeforeTax"))
    total = after_tax if gross else before_tax
    if total is None and not gross and after_tax is not None:
        tax = tax_of(item, what).amount
        total = after_tax - tax if tax is not None else None
    discount = money(item.get("totalDiscount")) if total is None else unit * quantity - total
    if discount < 0:
        raise MappingProblem(
            f"{what}: Wix's line total {total} is more than its price {unit} × {quantity}: the line's "
            "amounts do not add up"
        )
    return unit, discount


@dataclass(slots=True)
class _Taxes:
    """The shop's own tax per rate, collected while reading the charges."""

    by_rate: dict[Decimal, tuple[Decimal, Decimal]]
    complete: bool = True

    def add(self, rate: Decimal, tax: Tax, amount: Decimal) -> None:
        if tax.amount is None:
            self.complete = self.complete and amount == 0
            return
        base, total = self.by_rate.get(rate, (ZERO, ZERO))
        self.by_rate[rate] = (base + (tax.taxable or ZERO), total + tax.amount)

    def breakdown(self, order_tax: Decimal) -> list[TaxBreakdown] | None:
        """Per rate, when every taxed charge said its tax and they add up to the order's tax."""
        if not self.complete or sum((t for _, t in self.by_rate.values()), ZERO) != order_tax:
            return None
        return [
            TaxBreakdown(rate=rate, base=base, tax=tax)
            for rate, (base, tax) in sorted(self.by_rate.items(), key=lambda kv: -kv[0])
        ]


def _lines(raw: Mapping[str, Any], gross: bool, order_tax: Decimal, taxes: _Taxes) -> list[OrderLine]:
    lines: list[OrderLine] = []
    for index, item in enumerate(raw.get("lineItems") or [], start=1):
        if not isinstance(item, Mapping):
            raise MappingProblem(f"line {index} is not an object")
        quantity = money(item.get("quantity"))
        if quantity <= 0:
            continue
        name = (
            text(_get(item, "productName", "original"))
            or text(_get(item, "productName", "translated"))
            or text(item.get("name"))
        )
        if name is None:
            raise MappingProblem(f"line {index} has no product name")
        what = f"line {index} ({name!r})"
        tax = tax_of(item, what)
        rate = _rate_or_zero(tax, what, order_tax)
        unit, discount = _line_amounts(item, quantity, gross, what)
        taxes.add(rate, tax, unit * quantity - discount)
        lines.append(
            OrderLine(
                line_id=text(item.get("id")) or str(index),
                sku=text(_get(item, "physicalProperties", "sku")) or text(item.get("sku")),
                name=name,
                quantity=quantity,
                unit_price=unit,
                tax_rate=rate,
                discount=discount,
                product_id=text(_get(item, "catalogReference", "catalogItemId")),
                variant_id=text(_get(item, "catalogReference", "options", "variantId")),
            )
        )
    return lines


def _shipping(
    raw: Mapping[str, Any], lines: Sequence[OrderLine], gross: bool, taxes: _Taxes
) -> ShippingCharge | None:
    info = raw.get("shippingInfo")
    cost = _get(info, "cost")
    amount = maybe_money(_get(cost, "price"))
    if amount is None:
        amount = money(_get(raw, "priceSummary", "shipping"))
    if not isinstance(info, Mapping) and amount == 0:
        return None
    total = maybe_money(_get(cost, "totalPriceAfterTax" if gross else "totalPriceBeforeTax"))
    discount = money(_get(cost, "discount")) if total is None else max(ZERO, amount - total)
    tax = tax_of(cost, "shipping")
    # No rate on the shipping: the highest goods rate (assumptions.SHIPPING_RATE_WHEN_MISSING).
    rate = tax.rate if tax.rate is not None else max((ln.tax_rate for ln in lines), default=ZERO)
    taxes.add(rate, tax, amount - discount)
    return ShippingCharge(
        name=text(_get(info, "title")) or "Shipping",
        amount=amount,
        tax_rate=rate,
        discount=discount,
    )


def _fees(raw: Mapping[str, Any], gross: bool, order_tax: Decimal, taxes: _Taxes) -> list[FeeCharge]:
    fees = []
    for fee in raw.get("additionalFees") or []:
        if not isinstance(fee, Mapping):
            continue
        amount = maybe_money(fee.get("priceAfterTax" if gross else "priceBeforeTax"))
        if amount is None:
            amount = money(fee.get("price"))
        if amount == 0:
            continue
        name = text(fee.get("name")) or "Fee"
        tax = tax_of(fee, f"fee {name!r}")
        rate = _rate_or_zero(tax, f"fee {name!r}", order_tax)
        taxes.add(rate, tax, amount)
        fees.append(FeeCharge(name=name, amount=amount, tax_rate=rate))
    return fees


def _discounts(
    raw: Mapping[str, Any], lines: Sequence[OrderLine], shipping: ShippingCharge | None
) -> list[OrderDiscount]:
    """The part of the order discount not already on the lines or the shipping (a coupon on the
    whole order)."""
    total = money(_get(raw, "priceSummary", "discount"))
    rest = total - sum((ln.discount for ln in lines), ZERO) - (shipping.discount if shipping else ZERO)
    if rest <= 0:
        return []
    applied = [d for d in raw.get("appliedDiscounts") or [] if isinstance(d, Mapping)]
    coupon = _get(applied[0], "coupon") if applied else None
    return [
        OrderDiscount(
            name=text(_get(coupon, "name"))
            or text(_get(applied[0] if applied else None, "discountName"))
            or "Discount",
            code=text(_get(coupon, "code")),
            amount=rest,
        )
    ]


def payment_method_of(name: Any) -> PaymentMethod:
    """A documented payment method name → ours; an unlisted one is UNKNOWN (see assumptions)."""
    return PAYMENT_METHODS.get(str(name or "").strip().casefold(), PaymentMethod.UNKNOWN)


def _payment(transactions: Any) -> tuple[PaymentMethod, datetime | None]:
    """The method that paid the order (a cash-like one wins: it decides fiscal verification) and
    when the last approved payment was made; (UNKNOWN, None) when Wix lists no approved payment."""
    found: list[tuple[PaymentMethod, Decimal, datetime | None]] = []
    for payment in _get(transactions, "payments") or []:
        if not isinstance(payment, Mapping):
            continue
        regular, gift = payment.get("regularPaymentDetails"), payment.get("giftcardPaymentDetails")
        if isinstance(regular, Mapping) and regular.get("status") in APPROVED_PAYMENT_STATUSES:
            method = payment_method_of(regular.get("paymentMethod"))
        elif isinstance(gift, Mapping) and not gift.get("voided"):
            method = PaymentMethod.OTHER
        else:
            continue
        created = payment.get("createdDate")
        found.append(
            (method, money(payment.get("amount")), timestamp(created, "payment date") if created else None)
        )
    if not found:
        return PaymentMethod.UNKNOWN, None
    cash = [f for f in found if f[0] in CASH_LIKE]
    method = max(cash or found, key=lambda f: f[1])[0]
    dates = [f[2] for f in found if f[2] is not None]
    return method, max(dates) if dates else None


def map_wix_order(raw: Mapping[str, Any], ctx: OrderContext) -> OrderReceived | None:
    """An eCom order → OrderReceived; None for an order that was never approved (INITIALIZED,
    PENDING, REJECTED: see assumptions.SKIPPED_ORDER_STATUSES)."""
    if isinstance(raw.get("order"), Mapping) and "id" not in raw:
        raw = raw["order"]
    external_id = text(raw.get("id"))
    if external_id is None:
        raise MappingProblem("the order has no id")
    if raw.get("status") in SKIPPED_ORDER_STATUSES:
        return None
    summary = raw.get("priceSummary") or {}
    gross = bool(raw.get("taxIncludedInPrices", False))
    order_tax = money(_get(summary, "tax"))
    taxes = _Taxes({})
    lines = _lines(raw, gross, order_tax, taxes)
    if not lines:
        raise MappingProblem("the order has no line items with a quantity")
    shipping = _shipping(raw, lines, gross, taxes)
    fees = _fees(raw, gross, order_tax, taxes)
    contact = _get(raw, "billingInfo", "contactDetails")
    shipping_address = _shipping_address(raw, contact)
    billing = _address(_get(raw, "billingInfo", "address"), contact) or shipping_address
    if billing is None:
        raise MappingProblem("the order has neither a billing nor a shipping address with a country")
    buyer = _buyer(raw, contact, billing, ctx.options)
    payment = PAYMENT_STATUSES.get(str(raw.get("paymentStatus")), PaymentStatus.PENDING)
    method, paid_at = _payment(raw.get(ORDER_TRANSACTIONS_KEY))
    currency = text(raw.get("currency"))
    if currency is None:
        raise MappingProblem("the order has no currency")
    try:
        return OrderReceived(
            tenant_id=ctx.tenant_id,
            connection_id=ctx.connection_id,
            platform=Platform.WIX,
            external_id=external_id,
            number=text(raw.get("number")) or external_id,
            created_at=timestamp(raw.get("createdDate"), "createdDate"),
            updated_at=timestamp(raw.get("updatedDate") or raw.get("createdDate"), "updatedDate"),
            status=_status(raw, payment),
            payment_status=payment,
            payment_method=method,
            paid_at=paid_at,
            currency=currency,
            prices_include_tax=gross,
            buyer=buyer,
            billing_address=billing,
            shipping_address=shipping_address,
            lines=lines,
            shipping=shipping,
            fees=fees,
            discounts=_discounts(raw, lines, shipping),
            totals=OrderTotals(
                subtotal=money(_get(summary, "subtotal")),
                shipping=money(_get(summary, "shipping")),
                discount=money(_get(summary, "discount")),
                tax=order_tax,
                total=money(_get(summary, "total")),
                tax_by_rate=taxes.breakdown(order_tax),
            ),
            note=text(raw.get("buyerNote")),
        )
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise MappingProblem(str(exc)) from None
