"""`dumps_exact`: Decimals become JSON numbers digit for digit, and no string is ever mistaken for one."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storelink_connector_kit.http import dumps_exact

MARKER_LOOKALIKES = [
    "\x00dec:99",
    "\x00dec:-1.50",
    "\\u0000dec:7",
    "dec:5",
    '"\x00dec:3"',
    "\x00dec:1E+2",
]


@pytest.mark.parametrize("text", MARKER_LOOKALIKES)
def test_strings_that_look_like_a_decimal_marker_stay_strings(text: str) -> None:
    body = {"note": text, "items": [text], text: "key"}
    assert json.loads(dumps_exact(body)) == body


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (Decimal("12.30"), b"12.30"),
        (Decimal("-0.50"), b"-0.50"),
        (Decimal("1E+2"), b"100"),
        (Decimal("0E-8"), b"0.00000000"),
        (Decimal("123456789012345678901234567890.123456789"), b"123456789012345678901234567890.123456789"),
    ],
)
def test_decimals_are_written_as_fixed_point_numbers_digit_for_digit(value: Decimal, wire: bytes) -> None:
    assert dumps_exact({"price": value}) == b'{"price":' + wire + b"}"


def test_non_ascii_text_is_written_as_utf8_and_other_types_are_refused() -> None:
    assert dumps_exact({"name": "Čaša €"}) == '{"name":"Čaša €"}'.encode()
    with pytest.raises(TypeError):
        dumps_exact({"x": object()})
    with pytest.raises(TypeError):
        dumps_exact({"x": Decimal("NaN")})


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(2**63), 2**63 - 1)
        | st.text()
        | st.decimals(allow_nan=False, allow_infinity=False),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    )
)
def test_any_body_reads_back_the_same(body: object) -> None:
    assert json.loads(dumps_exact(body), parse_float=Decimal, parse_int=Decimal) == _as_read(body)


def _as_read(value: object) -> object:
    """What json.loads(..., parse_float=Decimal, parse_int=Decimal) gives for a value we wrote."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, list):
        return [_as_read(v) for v in value]
    assert isinstance(value, dict)
    return {k: _as_read(v) for k, v in value.items()}
