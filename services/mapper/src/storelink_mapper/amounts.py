"""Document lines and totals from an order, in Decimal, reconciled with the shop's total (pure).

Rules (erp-apis.md 3.4, prior-art 2.3):
- Amounts are computed on the shop's basis: gross when the shop's prices include tax (the customer
  total stays what the shop charged), net otherwise. Per line: the basis amount is rounded half-up
  to the cent, the other side is derived from it (net = gross / (1 + rate), tax = net · rate), and
  document totals are the sums of the rounded lines (as MCP does); VAT per rate is the sum per rate.
- A line whose rate becomes 0 % (intra-community, export) keeps its net: a gross price is first
  turned into net at the shop's rate, so the buyer is not charged VAT that is not due.
- Shipping and fees are service lines; each order-level coupon becomes negative discount lines,
  split over the products' VAT rates in proportion to their amounts (the last share takes the
  remainder, so the split is exact to the cent).
- The document total is compared with the shop's own total: equal is fine; a difference within the
  connection's tolerance becomes an explicit 0 % rounding line; anything larger is not guessed and
  is reported as a problem a person can act on.
- The document's VAT is compared with the shop's own VAT, in total and per rate when the shop reports
  its breakdown, whenever the document keeps the shop's rates (domestic, or OSS with the shop's own
  destination rates): a rate lost on the way (a silent 0 %) is a problem, even where gross prices make
  the gross total reconcile. Allowed: the connection's tolerance plus a cent per line (line-by-line
  versus whole-order rounding).
- Derived unit prices carry four decimals (ERPs store high-precision nets); line amounts are cents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from storelink_contracts import DocumentLine, DocumentTotals, LineKind, OrderReceived, TaxBreakdown
from storelink_kit.construct import construct

CENT = Decimal("0.01")
UNIT = Decimal("0.0001")
HUNDRED = Decimal(100)
ZERO = Decimal(0)
ONE = Decimal(1)


def r2(value: Decimal) -> Decimal:
    """Half-up to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def r4(value: Decimal) -> Decimal:
    return value.quantize(UNIT, rounding=ROUND_HALF_UP)


def plain(value: Decimal) -> Decimal:
    """Drop a negative zero (-0.00 → 0.00), which would confuse readers of the JSON."""
    return value + ZERO


class Charge(NamedTuple):
    """Something on the order to be priced: a product, shipping, a fee, a coupon share.

    A NamedTuple (immutable, like the frozen dataclass it was, but built ~4x faster).
    """

    kind: LineKind
    name: str
    quantity: Decimal
    unit_price: Decimal
    shop_rate: Decimal
    rate: Decimal
    discount: Decimal = ZERO
    sku: str | None = None


_DIVISORS: dict[Decimal, Decimal] = {}
"""(100 + rate) / 100 per rate, computed once: a handful of distinct rates recur on every order."""


def divisor_of(rate: Decimal) -> Decimal:
    divisor = _DIVISORS.get(rate)
    if divisor is None:
        divisor = (HUNDRED + rate) / HUNDRED
        if len(_DIVISORS) < 1000:  # rates come from orders: bounded, in case of odd ones
            _DIVISORS[rate] = divisor
    return divisor


def price_line(charge: Charge, prices_include_tax: bool) -> DocumentLine:
    """One document line, rounded to the cent, on the shop's basis (see the module rules)."""
    q, p, rate = charge.quantity, charge.unit_price, charge.rate
    value = q * p
    if prices_include_tax and rate == 0 and charge.shop_rate != 0:
        # Exempt treatment of a gross price: strip the shop's VAT, keep the net.
        divisor = divisor_of(charge.shop_rate)
        net = r2(r2(value - charge.discount) / divisor)
        tax = ZERO
        gross = net
        unit_net = unit_gross = r4(p / divisor)
    elif prices_include_tax:
        gross = r2(value - charge.discount)
        divisor = divisor_of(rate)
        net = r2(gross / divisor)
        tax = gross - net
        unit_gross = p
        unit_net = r4(p / divisor)
    else:
        net = r2(value - charge.discount)
        tax = r2(net * rate / HUNDRED)
        gross = net + tax
        unit_net = p
        unit_gross = r4(p * (HUNDRED + rate) / HUNDRED)
    discount_percent = r4(charge.discount * HUNDRED / value) if value > 0 and charge.discount else ZERO
    return construct(
        DocumentLine,
        kind=charge.kind,
        sku=charge.sku,
        name=charge.name,
        quantity=q,
        unit_price_net=plain(unit_net),
        unit_price_gross=plain(unit_gross),
        discount_percent=min(discount_percent, HUNDRED),
        tax_rate=rate,
        net=plain(net),
        tax=plain(tax),
        gross=plain(gross),
    )


def split_proportionally(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """`amount` split in proportion to `weights`, each share to the cent, summing exactly to amount."""
    total = sum(weights, ZERO)
    if not weights:
        return []
    if total <= 0:
        return [amount] + [ZERO] * (len(weights) - 1)
    shares = [r2(amount * w / total) for w in weights[:-1]]
    shares.append(amount - sum(shares, ZERO))
    return shares


def coupon_charges(order: OrderReceived, products: list[Charge]) -> list[Charge]:
    """Each order-level coupon as negative discount lines, one per (shop rate, rate) of the products."""
    groups: dict[tuple[Decimal, Decimal], Decimal] = {}
    for c in products:
        key = (c.shop_rate, c.rate)
        groups[key] = groups.get(key, ZERO) + c.quantity * c.unit_price - c.discount
    ordered = sorted(groups.items(), key=lambda kv: (-kv[0][1], -kv[0][0]))
    out: list[Charge] = []
    for coupon in order.discounts:
        if coupon.amount == 0:
            continue
        label = (
            f"{coupon.name} ({coupon.code})"
            if coupon.code and coupon.code not in coupon.name
            else coupon.name
        )
        shares = split_proportionally(coupon.amount, [w for _, w in ordered])
        for ((shop_rate, rate), _), share in zip(ordered, shares, strict=True):
            if share == 0:
                continue
            name = label if len(ordered) == 1 else f"{label}, {rate} % VAT share"
            out.append(Charge(LineKind.DISCOUNT, name, ONE, -share, shop_rate, rate, sku=None))
    return out


def totals_of(lines: Iterable[DocumentLine]) -> DocumentTotals:
    by_rate: dict[Decimal, tuple[Decimal, Decimal]] = {}
    net = tax = ZERO
    for line in lines:
        net += line.net
        tax += line.tax
        base, rate_tax = by_rate.get(line.tax_rate, (ZERO, ZERO))
        by_rate[line.tax_rate] = (base + line.net, rate_tax + line.tax)
    return construct(
        DocumentTotals,
        net=plain(net),
        tax=plain(tax),
        gross=plain(net + tax),
        by_rate=[
            construct(TaxBreakdown, rate=rate, base=plain(base), tax=plain(t))
            for rate, (base, t) in sorted(by_rate.items(), key=lambda kv: -kv[0])
        ],
    )


@dataclass(frozen=True, slots=True)
class Priced:
    lines: list[DocumentLine]
    totals: DocumentTotals
    why: tuple[str, ...]
    problems: tuple[str, ...]
    rates_kept: bool = True
    """Every line carries the rate the shop charged (no exemption, no OSS rate change)."""


RateFor = Callable[[Decimal], Decimal | None]


def price_order(
    order: OrderReceived, rate_for: RateFor, tolerance: Decimal, *, exempt_label: str | None = None
) -> Priced:
    """Every line of the order priced, plus a rounding line or a problem from reconciliation."""
    problems: list[str] = []
    why: list[str] = []

    def rate(shop_rate: Decimal, what: str) -> Decimal:
        chosen = rate_for(shop_rate)
        if chosen is None:
            problems.append(
                f"{what} is taxed at {shop_rate} %, which is not a VAT rate of the company's country: "
                "the destination rate for OSS cannot be chosen; correct the tax rate in the shop"
            )
            return shop_rate
        return chosen

    products = [
        Charge(
            LineKind.PRODUCT,
            line.name,
            line.quantity,
            line.unit_price,
            line.tax_rate,
            rate(line.tax_rate, f"line {i} ({line.name!r})"),
            line.discount,
            sku=line.sku,
        )
        for i, line in enumerate(order.lines, start=1)
    ]
    charges = list(products)
    if order.shipping is not None:
        s = order.shipping
        charges.append(
            Charge(
                LineKind.SHIPPING, s.name, ONE, s.amount, s.tax_rate, rate(s.tax_rate, "shipping"), s.discount
            )
        )
    for fee in order.fees:
        charges.append(
            Charge(
                LineKind.FEE, fee.name, ONE, fee.amount, fee.tax_rate, rate(fee.tax_rate, f"fee {fee.name!r}")
            )
        )
    charges.extend(coupon_charges(order, products))
    rates_kept = all(c.rate == c.shop_rate for c in charges)
    include = order.prices_include_tax
    lines = [price_line(c, include) for c in charges]
    gross = sum((line.gross for line in lines), ZERO)
    residual = order.totals.total - gross
    cur = order.currency
    if residual != 0:
        if abs(residual) <= tolerance:
            lines.append(
                construct(
                    DocumentLine,
                    kind=LineKind.ROUNDING,
                    sku=None,
                    name="Rounding difference",
                    discount_percent=ZERO,
                    quantity=ONE,
                    unit_price_net=plain(residual),
                    unit_price_gross=plain(residual),
                    tax_rate=ZERO,
                    net=plain(residual),
                    tax=ZERO,
                    gross=plain(residual),
                )
            )
            why.append(f"rounding line {residual} {cur}: within the connection's tolerance {tolerance} {cur}")
        else:
            problems.append(_mismatch_reason(order, gross, residual, tolerance, exempt_label))
    return Priced(lines, totals_of(lines), tuple(why), tuple(problems), rates_kept)


def _percent(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


def tax_problems(order: OrderReceived, priced: Priced, tolerance: Decimal) -> list[str]:
    """The document's VAT against the shop's own VAT (total, and per rate when reported).

    Only when the document keeps the shop's rates: an exemption or an OSS rate change makes a
    different VAT right (the gross comparison speaks for those).
    """
    if not priced.rates_kept:
        return []
    cur = order.currency
    shop = order.totals
    doc = priced.totals
    problems: list[str] = []
    allowance = tolerance + CENT * len(priced.lines)
    if abs(doc.tax - shop.tax) > allowance:
        problems.append(
            f"the document's VAT {doc.tax} {cur} differs from the shop's own VAT {shop.tax} {cur} by "
            f"{plain(doc.tax - shop.tax)} {cur} (more than {allowance} {cur} of rounding): a tax rate was "
            "lost or is wrong on the way from the shop; check the tax rates of the order's products and "
            "shipping in the shop, then save the order again"
        )
    if shop.tax_by_rate is None:
        return problems
    lines_at: dict[Decimal, int] = {}
    for line in priced.lines:
        lines_at[line.tax_rate] = lines_at.get(line.tax_rate, 0) + 1
    shop_at = {b.rate: b.tax for b in shop.tax_by_rate}
    doc_at = {b.rate: b.tax for b in doc.by_rate}
    for rate in sorted(set(shop_at) | set(doc_at), reverse=True):
        ours, theirs = doc_at.get(rate, ZERO), shop_at.get(rate, ZERO)
        room = tolerance + CENT * lines_at.get(rate, 0)
        if abs(ours - theirs) > room:
            problems.append(
                f"VAT at {_percent(rate)} %: the document has {ours} {cur}, the shop charged {theirs} {cur} "
                f"(more than {room} {cur} apart): a line is taxed at a different rate than in the shop; "
                "check the products' tax rates in the shop, then save the order again"
            )
    return problems


def _mismatch_reason(
    order: OrderReceived, gross: Decimal, residual: Decimal, tolerance: Decimal, exempt_label: str | None
) -> str:
    cur = order.currency
    t = order.totals
    head = (
        f"the document total {gross} {cur} differs from the shop's total {t.total} {cur} by {residual} {cur} "
        f"(more than the tolerance {tolerance} {cur}); shop says subtotal {t.subtotal}, shipping "
        f"{t.shipping}, discount {t.discount}, tax {t.tax}, total {t.total}"
    )
    if exempt_label and t.tax > 0:
        return (
            f"{head}. The shop charged {t.tax} {cur} VAT but this sale is a VAT-exempt {exempt_label}: "
            "refund the VAT in the shop, or correct the buyer's VAT id / country"
        )
    basis = "include" if order.prices_include_tax else "exclude"
    return (
        f"{head}. Check that the shop's prices really {basis} tax, the line tax rates and the "
        "coupons, then save the order again in the shop (or raise the rounding tolerance)"
    )
