r"""Money and quantity types: Decimal in Python, a plain decimal string on the wire.

The wire rule (JSON), one rule for the models and the published JSON Schemas alike: a JSON string
in plain notation, `-?[0-9]+(\.[0-9]+)?`, nothing else. Refused: JSON numbers (most JSON readers
make them binary floats, which lose cents; and JSON Schema counts 12.0 and 1e2 as integers, so no
schema could say "integers only" the way a decimal parser means it), exponent notation ("1E+2":
the range of such text cannot be checked by a pattern, and no Storelink producer writes it),
surrounding whitespace, "+", ".5", "5.", "1_000" and non-ASCII digits. What we write (format "f")
always follows the rule.

Both directions run inside pydantic-core without a Python call per value (every order and document
carries dozens of amounts, and the per-value Python calls were most of their (de)serialisation cost).
Python input (models built in code) goes through `parse_decimal`, which also takes Decimal and int.
Field bounds (ge, gt, le, lt) are checked on the number with pydantic's own messages, and are
written into the JSON Schema's pattern (`decimal_pattern`), so a schema validator refuses "-5.00"
where the model does.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

CENT = Decimal("0.01")
PLAIN_DECIMAL = r"^-?[0-9]+(\.[0-9]+)?$"
"""The wire syntax, as the model checks it (pydantic-core's regex: `$` is the end of the text)."""

_SYNTAX = r"-?[0-9]+(\.[0-9]+)?"
_END = r"$(?!\n)"
"""End of text for ECMA-262 and Python's `re` alike: Python's `$` also matches before a final newline."""
_NEGATIVE_NONZERO = r"-0*[1-9]|-0+\.0*[1-9]"


def _below(bound: int) -> str:
    """Alternatives matching the non-negative integers below `bound` (leading zeros come from a `0*`)."""
    digits = str(bound)
    options = ["0"] if bound > 0 else []
    if len(digits) == 2:
        options.append("[0-9]")
    elif len(digits) > 2:
        options.append(f"[0-9]{{1,{len(digits) - 1}}}")
    for i, digit in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(digit) > low:
            rest = len(digits) - i - 1
            high = int(digit) - 1
            choice = str(low) if low == high else f"[{low}-{high}]"
            options.append(
                digits[:i] + choice + ("[0-9]" if rest == 1 else f"[0-9]{{{rest}}}" if rest else "")
            )
    return "|".join(options)


def _integer(bound: Any, what: str) -> int:
    value = Decimal(str(bound))
    if value != value.to_integral_value() or value < 0:
        raise TypeError(
            f"decimal fields support non-negative whole-number bounds only, not {what} {bound}: "
            "add the case to storelink_contracts.money.decimal_pattern (and its tests)"
        )
    return int(value)


def _lower(ge: Any = None, gt: Any = None) -> str:
    """A lookahead refusing text below the bound (or at it, for gt)."""
    if ge is not None:
        n = _integer(ge, "ge")
        if n == 0:
            return f"(?!{_NEGATIVE_NONZERO})"  # "-0.00" is >= 0 too
        return rf"(?!-)(?!0*({_below(n)})(\.[0-9]+)?$)"
    if gt is not None:
        n = _integer(gt, "gt")
        below = rf"(?!0*({_below(n)})(\.[0-9]+)?$)" if n > 0 else ""
        return rf"(?!-){below}(?!0*{n}(\.0+)?$)"
    return ""


def _upper(le: Any = None, lt: Any = None) -> str:
    """A lookahead requiring text below the bound (or at it, for le)."""
    if le is not None:
        n = _integer(le, "le")
        below = rf"|0*({_below(n)})(\.[0-9]+)?$" if n > 0 else ""
        return rf"(?=-{below}|0*{n}(\.0+)?$)"
    if lt is not None:
        n = _integer(lt, "lt")
        if n == 0:
            return f"(?={_NEGATIVE_NONZERO})"
        return rf"(?=-|0*({_below(n)})(\.[0-9]+)?$)"
    return ""


def decimal_pattern(*, ge: Any = None, gt: Any = None, le: Any = None, lt: Any = None) -> str:
    """The JSON Schema pattern of a plain decimal string within the bounds.

    The bounds become lookaheads before the syntax, in the regex subset JSON Schema recommends for
    interoperability (ECMA-262 and Python's `re` read it alike; no `\\d`: Python's matches any
    Unicode digit). Bounds must be non-negative whole numbers; any other bound is refused when the
    model is defined, so a schema never silently accepts more than its model.
    """
    return f"^{_lower(ge, gt)}{_upper(le, lt)}{_SYNTAX}{_END}"


def parse_decimal(value: Any) -> Decimal:
    """Python input: Decimal, int or decimal text; refuse floats, NaN and infinities."""
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
    'expected a decimal number as a string in plain notation, such as "12.30" or "-4" (not a JSON '
    "number, which readers turn into a floating-point number that loses cents; no exponent, no spaces)"
)


class DecimalText:
    """Validation, serialisation and JSON Schema of a decimal-string field.

    JSON: a string matching PLAIN_DECIMAL, made a Decimal; anything else is refused with
    JSON_DECIMAL_MESSAGE. Python: `parse_decimal`. Field constraints (ge, gt, le) are checked after
    conversion, with pydantic's own messages, and become the JSON Schema's pattern. Output (JSON
    only): `format(value, "f")`, fixed point, trailing zeros kept.
    """

    def __init__(self, examples: tuple[str, ...] = ("12.30",)) -> None:
        self.examples = list(examples)

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        constrained = handler(source)  # the decimal schema with the field's constraints, if any
        unsupported = set(constrained) - {"type", "metadata", "ge", "gt", "le", "lt"}
        if unsupported:
            raise TypeError(f"decimal fields support only ge, gt, le and lt, not {sorted(unsupported)}")
        pattern = decimal_pattern(**{k: constrained.get(k) for k in ("ge", "gt", "le", "lt")})
        plain = core_schema.custom_error_schema(
            core_schema.chain_schema(
                [
                    core_schema.str_schema(strict=True, pattern=PLAIN_DECIMAL),
                    core_schema.decimal_schema(allow_inf_nan=False),
                ]
            ),
            custom_error_type="decimal_string",
            custom_error_message=JSON_DECIMAL_MESSAGE,
        )
        json_schema: CoreSchema = plain
        if set(constrained) - {"type", "metadata"}:
            json_schema = core_schema.chain_schema([plain, constrained])
        return core_schema.json_or_python_schema(
            json_schema=json_schema,
            python_schema=core_schema.no_info_before_validator_function(parse_decimal, constrained),
            serialization=core_schema.format_ser_schema("f", when_used="json"),
            metadata={"storelink_decimal_pattern": pattern},
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        metadata = schema.get("metadata") or {}
        return {
            "type": "string",
            "pattern": metadata["storelink_decimal_pattern"],
            "examples": self.examples,
        }


def round_cents(value: Decimal) -> Decimal:
    """Half-up to the cent, the rounding rule of every document."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


Money = Annotated[Decimal, DecimalText()]
"""An amount of money in the document's currency."""

Quantity = Annotated[Decimal, DecimalText(("5", "0.250"))]
"""A count of units; may be fractional (kilograms, metres)."""

Percent = Annotated[Decimal, DecimalText(("22", "9.5"))]
"""A rate in percent: "22" means 22 %."""
