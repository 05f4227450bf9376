"""Money and quantity types: Decimal in Python, a plain string on the wire.

Floats are refused outright: a float that reaches a money field is a bug upstream, and letting it
through would silently lose cents.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

CENT = Decimal("0.01")
DECIMAL_PATTERN = r"^-?\d+(\.\d+)?$"


def parse_decimal(value: Any) -> Decimal:
    """Accept Decimal, int or a decimal string; refuse floats, NaN and infinities."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not an amount")
    if isinstance(value, float):
        raise ValueError("amounts must be given as decimal strings, not floating-point numbers")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal number") from None
    else:
        raise ValueError(f"expected a decimal string, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError("amounts must be finite")
    return result


def format_decimal(value: Decimal) -> str:
    """Fixed-point text, never exponent notation ("1E+1" would confuse every consumer)."""
    return format(value, "f")


def round_cents(value: Decimal) -> Decimal:
    """Half-up to the cent, the rounding rule of every document."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


_DECIMAL_SCHEMA = {"type": "string", "pattern": DECIMAL_PATTERN, "examples": ["12.30"]}

Money = Annotated[
    Decimal,
    BeforeValidator(parse_decimal),
    PlainSerializer(format_decimal, return_type=str, when_used="json"),
    WithJsonSchema(_DECIMAL_SCHEMA),
]
"""An amount of money in the document's currency."""

Quantity = Annotated[
    Decimal,
    BeforeValidator(parse_decimal),
    PlainSerializer(format_decimal, return_type=str, when_used="json"),
    WithJsonSchema(_DECIMAL_SCHEMA),
]
"""A count of units; may be fractional (kilograms, metres)."""

Percent = Annotated[
    Decimal,
    BeforeValidator(parse_decimal),
    PlainSerializer(format_decimal, return_type=str, when_used="json"),
    WithJsonSchema({**_DECIMAL_SCHEMA, "examples": ["22", "9.5"]}),
]
"""A rate in percent: "22" means 22 %."""
