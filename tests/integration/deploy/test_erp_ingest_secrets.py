"""The ERP ingest's tokens under `make up`: generated once per state dir, shaped by services.toml
(`secret_templates`), readable by bash's `source` (how up.sh hands them to supervisord), by the
tests' reader and by the ingest's own settings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from storelink_erp_kit.ingest import MIN_TOKEN_LENGTH, IngestSettings
from storelink_kit.testing.deploy import read_env_file

ROOT = Path(__file__).resolve().parents[3]
VARIABLE = "STORELINK_ERP_INGEST_TOKENS"


def _secret_value(variable: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "render.py"), "secret-value", variable],
        capture_output=True,
        text=True,
        check=False,
    )


def test_make_up_gets_a_json_token_map_for_the_demo_tenant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _secret_value(VARIABLE), _secret_value(VARIABLE)
    assert first.returncode == 0, first.stderr
    tokens = json.loads(first.stdout)
    assert list(tokens) == ["demo"]  # deploy/local/demo.py's tenant
    assert len(tokens["demo"]) >= MIN_TOKEN_LENGTH
    assert json.loads(second.stdout)["demo"] != tokens["demo"]  # random, not a constant
    # up.sh writes VAR='value'; bash (`source`) and the tests' reader must both read the JSON back intact.
    line = f"{VARIABLE}='{first.stdout.strip()}'\n"
    (tmp_path / "secrets.env").write_text(line)
    assert json.loads(read_env_file(tmp_path / "secrets.env")[VARIABLE]) == tokens
    sourced = subprocess.run(
        ["bash", "-c", f'set -a; source "$0"; printf %s "${VARIABLE}"', str(tmp_path / "secrets.env")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(sourced.stdout) == tokens
    monkeypatch.setenv(VARIABLE, read_env_file(tmp_path / "secrets.env")[VARIABLE])
    assert IngestSettings().tokens["demo"].get_secret_value() == tokens["demo"]


def test_other_secrets_keep_their_shape() -> None:
    key = _secret_value("STORELINK_SECRET_KEY")
    token = _secret_value("STORELINK_CONTROL_OPERATOR_TOKEN")
    assert len(key.stdout.strip()) == 44  # a Fernet key
    assert key.stdout.strip().endswith("=")
    assert len(token.stdout.strip()) >= 40
    assert "{" not in token.stdout
    unknown = _secret_value("STORELINK_NOPE")
    assert unknown.returncode == 2
    assert "not a secret of any service" in unknown.stderr


@pytest.mark.parametrize(
    ("template", "problem"),
    [('\'{"demo": "fixed"}\'', "must contain {random}"), ('"it\'s {random}"', "no single quote")],
)
def test_a_bad_secret_template_is_refused(
    render: ModuleType, tmp_path: Path, template: str, problem: str
) -> None:
    services = tmp_path / "services.toml"
    services.write_text(
        '[[service]]\nname = "erp-ingest"\nport = 8006\nsecrets = ["TOKENS"]\n'
        f"secret_templates = {{ TOKENS = {template} }}\n"
    )
    with pytest.raises(render.ServiceListError, match=problem):
        render.load(services)
