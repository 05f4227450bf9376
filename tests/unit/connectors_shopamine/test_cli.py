"""`storelink normalize shopamine ORDER.json` and `storelink test-connection` for Shopamine, through
the real `storelink` command (the kit's commands find the platform by its entry point)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from storelink_cli.main import app
from storelink_kit.testing.terminal import plain_words
from storelink_sim_shopamine.samples import new_order
from storelink_sim_shopamine.state import Sim


def test_normalize_prints_the_canonical_order(tmp_path: Path) -> None:
    raw = Sim().add_shop("www.x.si").add_order(new_order(company=True, payment_method="cod"))
    path = tmp_path / "order.json"
    path.write_text(json.dumps({"data": raw}))  # as the API's read answer may wrap it
    result = CliRunner().invoke(app, ["normalize", "shopamine", str(path), "--tenant", "acme"])
    assert result.exit_code == 0, result.output
    event = json.loads(result.stdout)
    assert (event["platform"], event["tenant_id"], event["external_id"]) == (
        "shopamine",
        "acme",
        str(raw["id"]),
    )
    assert event["payment_method"] == "cash_on_delivery"
    assert event["totals"]["total"] == raw["totals"]["total"]


def test_normalize_reads_numeric_prices_exactly(tmp_path: Path) -> None:
    """A shop (or a person) may write prices as JSON numbers: 12.30 must stay 12.30, never a float."""
    raw = Sim().add_shop("www.x.si").add_order(new_order(lines=[("SKU-1", 1, "12.30")]))
    text = re.sub(r'"(\d+\.\d+)"', r"\1", json.dumps(raw))  # every "12.30" → 12.30
    assert '"price": 12.30' in text
    path = tmp_path / "order.json"
    path.write_text(text)
    result = CliRunner().invoke(app, ["normalize", "shopamine", str(path)])
    assert result.exit_code == 0, result.output
    event = json.loads(result.stdout)
    assert event["lines"][0]["unit_price"] == "12.30"
    assert (event["shipping"]["amount"], event["totals"]["total"]) == ("3.90", "16.20")


def test_normalize_says_why_an_order_cannot_be_mapped(tmp_path: Path) -> None:
    raw = new_order()
    raw.update(id=5, created="2026-11-20T10:00:00Z", status="teleported")
    path = tmp_path / "order.json"
    path.write_text(json.dumps(raw))
    result = CliRunner().invoke(app, ["normalize", "shopamine", str(path)])
    assert result.exit_code == 2
    assert "unknown order status 'teleported'" in plain_words(result.output)  # wraps with COLUMNS


def test_test_connection_refuses_an_address_that_is_no_shop(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps({"platform": "shopamine", "credentials": {"store_address": "ana@x", "api_token": "t"}})
    )
    result = CliRunner().invoke(app, ["test-connection", "--settings", str(path)])
    assert result.exit_code == 1
    assert "invalid_settings" in result.output
