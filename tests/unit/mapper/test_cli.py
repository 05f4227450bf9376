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


def test_map_takes_the_output_of_connections_show_json(tmp_path: Path) -> None:
    """Issue 14: `storelink map` refused what `storelink connections show ID --json` prints."""
    from storelink_control.schemas import CompanyOut, ConnectionOut

    connection, order = sample_connection(), sample_order()
    settings = connection.model_dump(
        mode="json", exclude={"company", "credentials_encrypted", "webhook_token_sha256"}
    )
    shown = ConnectionOut.model_validate(
        {
            **settings,
            "credentials": {"api_key": "***", "site_id": "3f2b1c1e-6a7d-4a8e-9f4b-2a1c0d9e8f7a"},
            "webhook_url": f"http://127.0.0.1:8001/webhooks/wix/{connection.connection_id}/***",
            "webhook_rotated_at": settings["updated_at"],
            "created_at": settings["updated_at"],
        }
    ).model_dump(mode="json")
    company = CompanyOut.model_validate(
        {
            **connection.company.model_dump(mode="json"),
            "erp_credentials": {"company_id": "16", "secret_key": "***"},
        }
    ).model_dump(mode="json")
    s, o = write(tmp_path, json.dumps({**shown, "company": company}), order.model_dump_json())
    result = runner.invoke(app, ["map", "--settings", s, "--order", o])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == preview(map_order(order, connection))

    s, _ = write(tmp_path, json.dumps(shown), order.model_dump_json())
    result = runner.invoke(app, ["map", "--settings", s, "--order", o])
    assert result.exit_code != 0
    assert "connections show ID --json" in " ".join(result.output.split())
