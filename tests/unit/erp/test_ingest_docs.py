"""docs/erp-ingest.md: its example batches get the answers the page says (no Kafka needed)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from storelink_contracts import PriceChanged, StockChanged
from storelink_erp_kit.ingest import validate_batch

DOC = Path(__file__).resolve().parents[3] / "docs" / "erp-ingest.md"


def examples() -> list[tuple[str, object]]:
    """(endpoint, body) of every curl example: the JSON between <<'JSON' and JSON."""
    found = re.findall(r'"\$INGEST(/v1/\w+)".*?<<\'JSON\'\n(.*?)\nJSON\n', DOC.read_text(), re.S)
    return [(endpoint, json.loads(body)) for endpoint, body in found]


def test_the_page_has_three_examples_and_they_get_the_documented_answers() -> None:
    (stock, prices, broken) = examples()
    models = {"/v1/stock": StockChanged, "/v1/prices": PriceChanged}
    for endpoint, body in (stock, prices):
        events, errors = validate_batch(models[endpoint], body, "demo")
        assert errors == []
        assert len(events) == 2
    events, errors = validate_batch(models[broken[0]], broken[1], "demo")
    assert [e["index"] for e in errors] == [1]
    reasons = " ".join(errors[0]["reasons"])
    assert "plain notation" in reasons
    assert "timezone" in reasons
