"""`storelink render` sends exactly what the adapter sends; ERP connection tests give one verdict each.

Here only what needs a broker, a process or real time; the rest:
tests/unit/erp/test_cli_render_and_connection.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from storelink_contracts import DocumentKind, ErpSystem
from storelink_erp_kit.cli import render_request
from storelink_erp_metakocka.client import MetakockaClient
from storelink_kit.testing.samples import sample_document

from ...support.erp import MK_COMPANY, MK_SECRET, MkSim


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from storelink_cli.main import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60)


@pytest.mark.slow  # runs the CLI as a process
async def test_render_is_the_request_the_adapter_sends(mk_sim: MkSim, tmp_path: Path) -> None:
    doc = sample_document(kind=DocumentKind.INVOICE_DOMESTIC)
    creds = {"company_id": MK_COMPANY, "secret_key": MK_SECRET}
    rendered = render_request(ErpSystem.METAKOCKA, doc, creds)
    assert rendered["json"]["secret_key"] == "***"
    client = MetakockaClient(company_id=MK_COMPANY, secret_key=MK_SECRET, base_url=mk_sim.base_url)
    await client.create_document(doc)
    await client.aclose()
    stored = {k: v for k, v in mk_sim.docs()[0].items() if k not in ("mk_id", "count_code")}
    sent = {k: v for k, v in rendered["json"].items() if k != "secret_key"}
    assert stored == sent
    assert rendered["url"].endswith("/rest/eshop/v1/put_document")

    (tmp_path / "doc.json").write_text(doc.model_dump_json())
    out = run_cli("render", "metakocka", str(tmp_path / "doc.json"))
    assert out.returncode == 0, out.stderr
    printed = json.loads(out.stdout)
    assert printed["json"]["product_list"] == rendered["json"]["product_list"]
    assert printed["json"]["company_id"] == "<company_id>"

    er = run_cli("render", "eracuni", str(tmp_path / "doc.json"))
    assert er.returncode == 0, er.stderr
    assert json.loads(er.stdout)["json"]["method"] == "SalesInvoiceCreate"
    assert MK_SECRET not in out.stdout + er.stdout


@pytest.mark.slow  # runs the CLI as a process
def test_render_refuses_an_invalid_document(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text(json.dumps({"kind": "offer"}))
    out = run_cli("render", "metakocka", str(tmp_path / "bad.json"))
    assert out.returncode == 2
    assert "not a valid DocumentRequested" in out.stderr
    assert "idempotency_key" in out.stderr


@pytest.mark.slow  # runs the CLI as a process
def test_cli_prints_the_verdict_and_exit_code(mk_sim: MkSim, tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text(json.dumps({"company_id": MK_COMPANY, "secret_key": "wrong"}))
    out = run_cli("erp-test-connection", "metakocka", str(tmp_path / "c.json"), "--url", mk_sim.base_url)
    assert out.returncode == 1
    assert json.loads(out.stdout)["verdict"] == "wrong_secret"
