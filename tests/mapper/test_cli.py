"""`storelink map`: the preview prints what the service would publish, from the same code path."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from storelink_cli.main import app
from storelink_kit.testing.samples import sample_connection, sample_order
from storelink_mapper.cli import preview
from storelink_mapper.mapping import map_order

runner = CliRunner()


def write(tmp_path: Path, settings: str, order: str) -> tuple[str, str]:
    s, o = tmp_path / "settings.json", tmp_path / "order.json"
    s.write_text(settings)
    o.write_text(order)
    return str(s), str(o)


def test_map_prints_the_documents_the_service_would_publish(tmp_path: Path) -> None:
    connection, order = sample_connection(), sample_order()
    s, o = write(tmp_path, connection.model_dump_json(), order.model_dump_json())
    result = runner.invoke(app, ["map", "--settings", s, "--order", o])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed == preview(map_order(order, connection))
    assert [d["idempotency_key"] for d in printed["documents"]] == [
        "conn-wix-1:ord-1001:sales_order",
        "conn-wix-1:ord-1001:invoice",
    ]
    assert printed["documents"][1]["totals"]["gross"] == "29.39"


def test_map_reports_needs_attention_with_exit_code_2(tmp_path: Path) -> None:
    order = sample_order(lines=[sample_order().lines[0].model_copy(update={"sku": None})])
    s, o = write(tmp_path, sample_connection().model_dump_json(), order.model_dump_json())
    result = runner.invoke(app, ["map", "--settings", s, "--order", o])
    assert result.exit_code == 2
    printed = json.loads(result.output)
    assert printed["documents"] == []
    assert "has no SKU" in printed["needs_attention"][0]


def test_map_says_what_is_wrong_with_a_bad_file(tmp_path: Path) -> None:
    s, o = write(tmp_path, sample_connection().model_dump_json(), '{"tenant_id": "acme"}')
    result = runner.invoke(app, ["map", "--settings", s, "--order", o])
    assert result.exit_code != 0
    assert "not a valid OrderReceived" in result.output
    assert "connection_id" in result.output
