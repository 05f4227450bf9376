"""Money and quantity types: Decimal in Python, a plain string on the wire.

Floats are refused outright: a float that reaches a money field is a bug upstream, and letting it
through would silently lose cents.

Both directions run inside pydantic-core without a Python call per value (every order and document
carries dozens of amounts, and the per-value Python calls were most of their (de)serialisation cost):
JSON input is a decimal string (or an integer) checked and converted natively, output is
`format(value, "f")` applied natively. Python input (models built in code) still goes through
`parse_decimal`, whose messages say exactly what is wrong.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, WithJsonSchema
from pydantic_core import CoreSchema, core_schema

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


JSON_DECIMAL_MESSAGE = (
    'expected a finite decimal number as a string, such as "12.30" (not a floating-point number, '
    "which loses cents)"
)


class DecimalText:
    """Validation and serialisation of a decimal-string field, all in pydantic-core.

    JSON: a string (surrounding whitespace ignored) or an integer, made a finite Decimal; a JSON
    float, boolean, NaN, infinity or malformed text is refused with JSON_DECIMAL_MESSAGE. Python:
    `parse_decimal`. Field constraints (ge, le, gt) are checked after conversion, with pydantic's own
    messages. Output (JSON only): `format(value, "f")`, fixed point, trailing zeros kept.
    """

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        constrained = handler(source)  # the decimal schema with the field's constraints, if any
        finite = core_schema.decimal_schema(allow_inf_nan=False)
        text_or_int = core_schema.custom_error_schema(
            core_schema.union_schema(
                [
                    core_schema.chain_schema(
                        [core_schema.str_schema(strict=True, strip_whitespace=True), finite]
                    ),
                    core_schema.chain_schema([core_schema.int_schema(strict=True), finite]),
                ]
            ),
            custom_error_type="decimal_string",
            custom_error_message=JSON_DECIMAL_MESSAGE,
        )
        json_schema: CoreSchema = text_or_int
        if set(constrained) - {"type", "metadata"}:
            json_schema = core_schema.chain_schema([text_or_int, constrained])
        return core_schema.json_or_python_schema(
            json_schema=json_schema,
            python_schema=core_schema.no_info_before_validator_function(parse_decimal, constrained),
            serialization=core_schema.format_ser_schema("f", when_used="json"),
        )


def round_cents(value: Decimal) -> Decimal:
    """Half-up to the cent, the rounding rule of every document."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


_DECIMAL_SCHEMA = {"type": "string", "pattern": DECIMAL_PATTERN, "examples": ["12.30"]}

Money = Annotated[
    Decimal,
    DecimalText(),
    WithJsonSchema(_DECIMAL_SCHEMA),
]
"""An amount of money in the document's currency."""

Quantity = Annotated[
    Decimal,
    DecimalText(),
    WithJsonSchema(_DECIMAL_SCHEMA),
]
"""A count of units; may be fractional (kilograms, metres)."""

Percent = Annotated[
    Decimal,
    DecimalText(),
    WithJsonSchema({**_DECIMAL_SCHEMA, "examples": ["22", "9.5"]}),
]
"""A rate in percent: "22" means 22 %."""
