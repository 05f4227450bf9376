"""Every event survives JSON → model → JSON unchanged, to the cent; bad money is refused clearly."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from storelink_contracts import ALL_EVENTS, TOPICS, Envelope, EnvelopeError, decode_event, encode_event
from storelink_contracts.schemas import render_all
from storelink_kit.testing.samples import sample_events, sample_order


@pytest.mark.parametrize("event", sample_events(), ids=lambda e: e.event_type)
def test_round_trip_keeps_every_field(event):
    text = event.model_dump_json()
    again = type(event).model_validate_json(text)
    assert again == event
    assert again.model_dump_json() == text


def test_every_event_type_has_a_sample_and_a_topic():
    assert {type(e) for e in sample_events()} == set(ALL_EVENTS)
    for model in ALL_EVENTS:
        assert model.topic in TOPICS
        assert model.event_type.startswith("storelink.")
        assert model.event_type.rsplit(".", 1)[1].startswith("v")


def test_money_is_a_string_on_the_wire_and_keeps_trailing_zeros():
    order = sample_order()
    data = json.loads(order.model_dump_json())
    assert data["lines"][0]["unit_price"] == "12.20"
    assert data["totals"]["total"] == "29.39"
    assert order.lines[0].unit_price == Decimal("12.20")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (12.2, "not floating-point"),
        ("12,20", "is not a decimal number"),
        ("NaN", "finite"),
        (True, "boolean"),
    ],
)
def test_bad_money_is_refused_with_a_reason(value, message):
    data = json.loads(sample_order().model_dump_json())
    data["lines"][0]["unit_price"] = value
    with pytest.raises(ValidationError, match=message):
        type(sample_order()).model_validate(data)


def test_large_and_exact_amounts_do_not_drift():
    order = sample_order(
        totals=sample_order().totals.model_copy(update={"total": Decimal("123456789012.345678")})
    )
    assert json.loads(order.model_dump_json())["totals"]["total"] == "123456789012.345678"


def test_naive_timestamps_are_refused():
    from datetime import datetime

    with pytest.raises(ValidationError, match="timezone"):
        sample_order(updated_at=datetime(2026, 1, 1, 12, 0))


def test_unknown_fields_are_refused():
    data = json.loads(sample_order().model_dump_json())
    data["totals"]["grand_total"] = "1.00"
    with pytest.raises(ValidationError, match="grand_total"):
        type(sample_order()).model_validate(data)


def test_envelope_headers_round_trip_and_decode():
    event = sample_order()
    env = Envelope.for_event(event, source="connector-wix", origin="conn-wix-1")
    caused = env.caused(event, source="mapper")
    assert caused.correlation_id == env.correlation_id
    assert caused.causation_id == env.id
    headers = {k: v.encode() for k, v in caused.to_headers().items()}
    env2, event2 = decode_event(headers, encode_event(event))
    assert env2 == caused
    assert event2 == event


def test_decode_rejects_a_tenant_mismatch_and_unknown_types():
    event = sample_order()
    headers = Envelope.for_event(event, source="x").to_headers()
    with pytest.raises(EnvelopeError, match="tenant"):
        decode_event({**headers, "ce_tenant": "other"}, encode_event(event))
    with pytest.raises(EnvelopeError, match="unknown event type"):
        decode_event({**headers, "ce_type": "storelink.nope.v1"}, encode_event(event))
    with pytest.raises(EnvelopeError, match="ce_id"):
        decode_event({k: v for k, v in headers.items() if k != "ce_id"}, encode_event(event))


def test_committed_schemas_are_current():
    """`make schemas` output is committed; this fails when a model changed without regenerating."""
    from pathlib import Path

    docs = Path(__file__).resolve().parents[3] / "docs"
    stale = [rel for rel, text in render_all().items() if (docs / rel).read_text() != text]
    assert stale == [], f"run `make schemas`: stale {stale}"


def test_stock_and_price_schemas_validate_a_producer_payload():
    """An ERP team producing from the JSON Schema alone gets a payload our models accept."""
    import jsonschema

    schema = json.loads(render_all()["schemas/storelink.stock.changed.v1.json"])
    payload = {
        "tenant_id": "acme",
        "warehouse": "MAIN",
        "sku": "MUG-01",
        "quantity": "5",
        "as_of": "2026-11-24T10:00:00Z",
    }
    jsonschema.validate(payload, schema)
    bad = {**payload, "quantity": 5.5}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


# ------------------------------------------------- money on the wire (validated inside pydantic-core)


def _order_json_with(field: str, raw: str) -> str:
    """The sample order's JSON with lines[0].<field> replaced by the raw JSON text `raw`."""
    data = json.loads(sample_order().model_dump_json())
    data["lines"][0][field] = "__RAW__"
    return json.dumps(data).replace('"__RAW__"', raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('"12.20"', Decimal("12.20")),
        ('"12"', Decimal("12")),
        ('"-0.00"', Decimal("-0.00")),
        ('"00012.5"', Decimal("12.5")),
        ('"123456789012.345678"', Decimal("123456789012.345678")),
    ],
)
def test_json_money_is_a_plain_decimal_string_read_exactly(raw, expected):
    order_type = type(sample_order())
    from_json = order_type.model_validate_json(_order_json_with("unit_price", raw))
    from_python = order_type.model_validate(json.loads(_order_json_with("unit_price", raw)))
    assert from_json.lines[0].unit_price == expected == from_python.lines[0].unit_price
    assert str(from_json.lines[0].unit_price) == str(from_python.lines[0].unit_price)


@pytest.mark.parametrize(
    "raw",
    [
        "12.2",
        "1e2",
        "12",
        "true",
        "null",
        '"12,20"',
        '"NaN"',
        '"Infinity"',
        '"-inf"',
        '""',
        '" 12.20 "',
        '"1E+2"',
        '"+1"',
        '".5"',
        '"5."',
        '"1_000"',
    ],
)
def test_json_money_refuses_anything_but_a_plain_decimal_string(raw):
    with pytest.raises(ValidationError, match="plain notation") as info:
        type(sample_order()).model_validate_json(_order_json_with("unit_price", raw))
    assert "floating-point" in str(info.value)
    assert info.value.errors()[0]["loc"] == ("lines", 0, "unit_price")


def test_python_input_also_takes_decimals_and_integers():
    """Models built in code are not the wire: Decimal, int and decimal text are all fine there."""
    line = sample_order().lines[0]
    assert line.model_copy(update={"unit_price": Decimal("1E+2")}).unit_price == 100
    rebuilt = type(line).model_validate({**line.model_dump(), "unit_price": 12, "quantity": " 2 "})
    assert rebuilt.unit_price == Decimal(12)
    assert rebuilt.quantity == Decimal(2)


def test_json_money_constraints_keep_their_own_messages():
    with pytest.raises(ValidationError, match="less than or equal to 100"):
        type(sample_order()).model_validate_json(_order_json_with("tax_rate", '"500"'))
    with pytest.raises(ValidationError, match="greater than 0"):
        type(sample_order()).model_validate_json(_order_json_with("quantity", '"0"'))


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (Decimal("1E+2"), "100"),
        (Decimal("0.0000001"), "0.0000001"),
        (Decimal("0E-8"), "0.00000000"),
        (Decimal("12.30"), "12.30"),
        (Decimal("5.10"), "5.10"),
    ],
)
def test_money_is_written_in_fixed_point_never_exponent(value, wire):
    order = sample_order()
    line = order.lines[0].model_copy(update={"unit_price": value})
    text = order.model_copy(update={"lines": [line]}).model_dump_json()
    assert json.loads(text)["lines"][0]["unit_price"] == wire
    assert type(order).model_validate_json(text).lines[0].unit_price == value
    assert order.model_copy(update={"lines": [line]}).model_dump()["lines"][0]["unit_price"] is value
