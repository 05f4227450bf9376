"""The published JSON Schemas say exactly what the models accept, judged by three implementations.

The model (pydantic, `model_validate_json`), Python's `jsonschema` and Ajv (JavaScript, strict mode, in
tests/integration/contracts/ajv, installed by `make install` from its committed lockfile; a Node process,
hence this level) get the same JSON and must give the same verdict. The wire rule for decimals is in
storelink_contracts.money.
Ajv docs: https://ajv.js.org/strict-mode.html (read 2026-12-01).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from storelink_contracts import EVENTS_BY_TYPE
from storelink_contracts.money import decimal_pattern
from storelink_contracts.schemas import asyncapi_document
from storelink_kit.testing.samples import sample_events

ROOT = Path(__file__).resolve().parents[3]
SCHEMAS = ROOT / "docs" / "schemas"
AJV = Path(__file__).resolve().parent / "ajv"
SAMPLES = {e.event_type: json.loads(e.model_dump_json()) for e in sample_events()}

Path_ = tuple[str | int, ...]
# One field per kind of decimal bound in use; test_every_decimal_pattern_is_exercised keeps it complete.
DECIMAL_FIELDS: dict[str, tuple[str, Path_]] = {
    "any": ("storelink.stock.changed.v1", ("quantity",)),
    "ge 0": ("storelink.price.changed.v1", ("amount",)),
    "gt 0": ("storelink.order.received.v1", ("lines", 0, "quantity")),
    "ge 0, le 100": ("storelink.price.changed.v1", ("tax_rate",)),
}


class Ajv:
    """One node process that compiled every schema (strict mode) and judges instances line by line."""

    def __init__(self, files: list[Path]) -> None:
        if not (AJV / "node_modules" / "ajv").is_dir():
            pytest.fail(f"Ajv is not installed in {AJV}: run `make install` (npm ci there)")
        self.process = subprocess.Popen(
            ["node", str(AJV / "validate.mjs"), *map(str, files)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.started = self._read()

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, "the Ajv process ended without an answer"
        answer: dict[str, Any] = json.loads(line)
        return answer

    def valid(self, schema: Path, instance_json: str) -> bool:
        assert self.process.stdin is not None
        self.process.stdin.write(f'{{"schema": {json.dumps(str(schema))}, "instance": {instance_json}}}\n')
        self.process.stdin.flush()
        answer = self._read()
        assert "error" not in answer, answer
        return bool(answer["valid"])

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def header_schema_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The CloudEvents header schemas of asyncapi.json, as files (they are JSON Schemas too)."""
    folder = tmp_path_factory.mktemp("headers")
    files = []
    for name, message in asyncapi_document()["components"]["messages"].items():
        path = folder / f"{name}.headers.json"
        path.write_text(json.dumps(message["headers"]))
        files.append(path)
    return files


@pytest.fixture(scope="module")
def ajv(header_schema_files: list[Path]) -> Iterator[Ajv]:
    worker = Ajv(sorted(SCHEMAS.glob("*.json")) + header_schema_files)
    yield worker
    worker.close()


def schema_file(event_type: str) -> Path:
    return SCHEMAS / f"{event_type}.json"


def with_value(event_type: str, path: Path_, raw_json: str) -> str:
    """The sample event's JSON with the value at `path` replaced by the JSON text `raw_json`."""
    data = json.loads(json.dumps(SAMPLES[event_type]))
    target: Any = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = "__VALUE__"
    return json.dumps(data).replace('"__VALUE__"', raw_json)


def verdicts(event_type: str, text: str, ajv: Ajv) -> dict[str, bool]:
    try:
        EVENTS_BY_TYPE[event_type].model_validate_json(text)
        model = True
    except ValidationError:
        model = False
    schema = json.loads(schema_file(event_type).read_text())
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return {
        "model": model,
        "jsonschema": validator.is_valid(json.loads(text)),
        "ajv": ajv.valid(schema_file(event_type), text),
    }


def test_ajv_strict_mode_compiles_every_published_schema(ajv: Ajv, header_schema_files: list[Path]) -> None:
    assert ajv.started["compiled"] is True, ajv.started
    assert len(ajv.started["schemas"]) == len(EVENTS_BY_TYPE) + len(header_schema_files)


def test_every_schema_is_valid_draft_2020_12_and_uses_only_standard_keywords() -> None:
    for path in SCHEMAS.glob("*.json"):
        schema = json.loads(path.read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        assert not [k for k in _keys(schema) if k.startswith("x-")], path.name


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
def test_every_sample_is_valid_for_all_three(event_type: str, ajv: Ajv) -> None:
    text = json.dumps(SAMPLES[event_type])
    assert verdicts(event_type, text, ajv) == {"model": True, "jsonschema": True, "ajv": True}


@pytest.mark.parametrize(
    ("kind", "raw", "accepted"),
    [
        ("ge 0", '"-5.00"', False),
        ("ge 0", '"-0.00"', True),
        ("ge 0", '"0"', True),
        ("ge 0, le 100", '"150"', False),
        ("ge 0, le 100", '"100.00"', True),
        ("ge 0, le 100", '"100.01"', False),
        ("ge 0, le 100", '"0099.5"', True),
        ("gt 0", '"0"', False),
        ("gt 0", '"0.000"', False),
        ("gt 0", '"0.001"', True),
        ("gt 0", '"-1"', False),
        ("any", '"-3.5"', True),
        # The one wire rule: a plain decimal string. Integers, exponents and padding are refused by all.
        ("any", "12", False),
        ("any", '"1E+2"', False),
        ("any", '" 12"', False),
        ("any", '"12\\n"', False),
        ("any", '"+12"', False),
        ("any", '".5"', False),
        ("any", '"1_000"', False),
        ("any", '"\u0661\u0662"', False),  # Arabic-Indic digits: Python's \\d would take them
        ("any", "12.5", False),
    ],
)
def test_the_three_agree_on_the_cases_of_the_issue(kind: str, raw: str, accepted: bool, ajv: Ajv) -> None:
    event_type, path = DECIMAL_FIELDS[kind]
    got = verdicts(event_type, with_value(event_type, path, raw), ajv)
    assert got == {"model": accepted, "jsonschema": accepted, "ajv": accepted}


DECIMAL_LIKE = st.one_of(
    st.from_regex(r"-?[0-9]{1,4}(\.[0-9]{1,4})?", fullmatch=True),
    st.from_regex(r"-?0{1,3}(\.0{1,3})?", fullmatch=True),
    st.from_regex(r"-?0?(99|100|101)(\.[0-9]{1,3})?", fullmatch=True),
    st.from_regex(r"-?0*\.?0*[1-9]?", fullmatch=True),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.text(alphabet="0123456789.-+eE _\n\t\u0661\u00a0", max_size=8),
)
JSON_VALUES = st.one_of(
    DECIMAL_LIKE.map(json.dumps),
    st.integers().map(json.dumps),
    st.floats(allow_nan=False, allow_infinity=False).map(json.dumps),
    st.sampled_from(["null", "true", "false", "[]", "{}", '""', '"NaN"', '"Infinity"', '"-inf"']),
)


@pytest.mark.parametrize("kind", sorted(DECIMAL_FIELDS))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=JSON_VALUES)
def test_generated_values_get_the_same_verdict_from_all_three(kind: str, raw: str, ajv: Ajv) -> None:
    event_type, path = DECIMAL_FIELDS[kind]
    got = verdicts(event_type, with_value(event_type, path, raw), ajv)
    assert len(set(got.values())) == 1, f"{kind} {raw}: {got}"


def _keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            if key not in ("properties", "$defs"):
                yield from _keys(value)
            else:
                for sub in value.values():
                    yield from _keys(sub)
    elif isinstance(node, list):
        for item in node:
            yield from _keys(item)


def _patterns(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if node.get("type") == "string" and "pattern" in node and "examples" in node:
            yield node["pattern"]
        for value in node.values():
            yield from _patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from _patterns(item)


def _pattern_at(event_type: str, path: Path_) -> str:
    schema = json.loads(schema_file(event_type).read_text())
    node = schema
    for step in path:
        node = node["items"] if isinstance(step, int) else node["properties"][step]
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    pattern: str = node["pattern"]
    return pattern


def test_every_decimal_pattern_is_exercised() -> None:
    """Each decimal pattern in the published schemas is one the tests above judge."""
    tested = {_pattern_at(t, p) for t, p in DECIMAL_FIELDS.values()}
    assert len(tested) == len(DECIMAL_FIELDS)
    published = {p for path in SCHEMAS.glob("*.json") for p in _patterns(json.loads(path.read_text()))}
    assert published <= tested, published - tested


BOUNDS = st.sampled_from([0, 1, 3, 9, 10, 25, 99, 100, 101, 1000, 2026])
PLAIN = st.from_regex(r"-?0{0,2}[0-9]{1,4}(\.[0-9]{1,3})?", fullmatch=True)


@settings(max_examples=2000, deadline=None)
@given(
    text=st.one_of(PLAIN, DECIMAL_LIKE),
    lower=st.sampled_from([None, "ge", "gt"]),
    upper=st.sampled_from([None, "le", "lt"]),
    low=BOUNDS,
    high=BOUNDS,
)
@pytest.mark.slow  # real-time windows or volume: in `make test`, not the fast level
def test_decimal_patterns_accept_exactly_the_numbers_within_their_bounds(
    text: str, lower: str | None, upper: str | None, low: int, high: int
) -> None:
    """The pattern generator against plain Decimal comparisons (Python's `re`; Ajv reads the same
    patterns in the tests above)."""
    bounds = {k: v for k, v in ((lower, low), (upper, high)) if k is not None}
    pattern = decimal_pattern(**bounds)
    expected = re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text) is not None
    if expected:
        value = Decimal(text)
        checks = {"ge": value >= low, "gt": value > low, "le": value <= high, "lt": value < high}
        expected = all(checks[k] for k in bounds)
    assert (re.search(pattern, text) is not None) == expected, (text, bounds, pattern)


@pytest.mark.parametrize("bound", [{"ge": -1}, {"le": Decimal("0.5")}, {"gt": Decimal("2.5")}])
def test_bounds_without_an_exact_pattern_are_refused_at_definition(bound: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match="whole-number bounds"):
        decimal_pattern(**bound)
