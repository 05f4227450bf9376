"""Gross/net conversion for price pushes (pure). B2C lists go gross, B2B net, unless overridden."""

from __future__ import annotations

from decimal import Decimal

from storelink_contracts import PriceChanged, PriceListSetting
from storelink_contracts.money import round_cents

HUNDRED = Decimal(100)


def shop_price(event: PriceChanged, setting: PriceListSetting) -> tuple[Decimal, bool]:
    """The amount to write to the shop and whether it is gross."""
    gross = setting.sends_gross
    factor = 1 + event.tax_rate / HUNDRED
    if gross == event.includes_tax:
        return event.amount, gross
    if gross:
        return round_cents(event.amount * factor), True
    return round_cents(event.amount / factor), False
