"""docker-compose.yml: validated by the real Compose CLI (no engine needed for `config`)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
SECRETS = {
    "POSTGRES_PASSWORD": "pw123",
    "STORELINK_SECRET_KEY": "k" * 44,
    "STORELINK_CONTROL_OPERATOR_TOKEN": "operator-token-for-the-test",
    "STORELINK_ERP_INGEST_TOKENS": '{"acme": "ingest-token-for-the-compose-test"}',
}


def _compose(
    tool: Callable[[str], str], *args: str, env: dict[str, str], demo: bool = False
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS and not k.startswith("COMPOSE_")}
    files = ["-f", str(ROOT / "docker-compose.yml")]
    if demo:
        files += ["-f", str(ROOT / "docker-compose.demo.yml")]
    return subprocess.run(
        [tool("docker-compose"), "--project-directory", str(ROOT), *files, *args],
        env={**clean, **env, "DOCKER_HOST": "unix:///nonexistent/docker.sock"},
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def config(tool: Callable[[str], str]) -> dict[str, Any]:
    result = _compose(tool, "--profile", "demo", "config", "--format", "json", env=SECRETS)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_generated_files_are_up_to_date(render: ModuleType) -> None:
    assert render.main(["--check"]) == 0


def test_compose_config_is_valid_without_a_docker_engine(tool: Callable[[str], str]) -> None:
    result = _compose(tool, "config", "--quiet", env=SECRETS)
    assert result.returncode == 0, result.stderr


def test_compose_cli_rejects_a_broken_file(tool: Callable[[str], str], tmp_path: Path) -> None:
    """Proves the validation above is not vacuous: a schema error is caught."""
    bad = tmp_path / "compose.yml"
    bad.write_text(
        "services:\n  x:\n    image: busybox\n    restart: sometimes\n    healthcheck: {retries: many}\n"
    )
    result = subprocess.run(
        [tool("docker-compose"), "-f", str(bad), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"},
    )
    assert result.returncode != 0


def test_missing_secrets_are_refused_with_their_names(tool: Callable[[str], str]) -> None:
    result = _compose(tool, "config", "--quiet", env={})
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr
    assert "STORELINK_SECRET_KEY" in result.stderr


def test_every_listed_service_is_in_the_stack(config: dict[str, Any], render: ModuleType) -> None:
    services = render.load()
    stack = config["services"]
    for s in services:
        assert s.name in stack, s.name
        entry = stack[s.name]
        env = entry["environment"]
        assert env["STORELINK_SERVICE"] == s.name
        if s.simulator:
            assert entry["command"][:4] == ["python", "-m", "storelink_kit.launch", s.name]
            assert str(s.port) in entry["command"]
            assert env["STORELINK_HEALTHCHECK_URL"] == f"http://127.0.0.1:{s.port}{s.health_path}"
        else:
            assert env[f"{s.env_prefix}HTTP_PORT"] == str(s.port)
            assert env[f"{s.env_prefix}HTTP_HOST"] == "0.0.0.0"
        for var in s.secret_env():
            if not var.endswith("DATABASE_URL"):
                assert env[var] == SECRETS[var]
        assert entry["healthcheck"]["test"] == ["CMD", "python", "-m", "storelink_kit.healthcheck"]
        assert entry["restart"] == "unless-stopped"
        assert entry["read_only"] is True
        assert entry["cap_drop"] == ["ALL"]
        if s.simulator:
            assert entry["profiles"] == ["demo"]
            continue
        assert "profiles" not in entry
        assert entry["depends_on"]["kafka"]["condition"] == "service_healthy"
        assert entry["depends_on"]["topics"]["condition"] == "service_completed_successfully"
        if s.database:
            assert entry["depends_on"]["postgres"]["condition"] == "service_healthy"
            url = env[f"{s.env_prefix}DATABASE_URL"]
            assert url == f"postgresql+asyncpg://storelink:pw123@postgres:5432/{s.db_name}"
        if not s.secret_key:
            assert "STORELINK_SECRET_KEY" not in env
        for value in env.values():
            assert "sim-" not in str(value), "the plain stack never points at a simulator"


def test_simulators_only_run_with_the_demo_profile(tool: Callable[[str], str], render: ModuleType) -> None:
    plain = _compose(tool, "config", "--services", env=SECRETS)
    demo = _compose(tool, "--profile", "demo", "config", "--services", env=SECRETS)
    sims = {s.name for s in render.load() if s.simulator}
    assert sims
    assert not sims & set(plain.stdout.split())
    assert sims <= set(demo.stdout.split())


def test_demo_override_points_the_hub_at_the_simulators(
    tool: Callable[[str], str], render: ModuleType
) -> None:
    result = _compose(tool, "--profile", "demo", "config", "--format", "json", env=SECRETS, demo=True)
    assert result.returncode == 0, result.stderr
    stack = json.loads(result.stdout)["services"]
    services = render.load()
    pointed = 0
    for s in services:
        for var, template in s.demo_env.items():
            value = stack[s.name]["environment"][var]
            assert "{url:" not in value
            for sim in (x for x in services if x.simulator and f"{{url:{x.name}}}" in template):
                assert f"http://{sim.name}:{sim.port}" in value
                assert stack[s.name]["depends_on"][sim.name]["condition"] == "service_healthy"
                pointed += 1
    assert pointed >= 3


def test_control_tests_connections_against_the_same_simulators_as_the_connectors(
    tool: Callable[[str], str], render: ModuleType
) -> None:
    """Test connection runs in control with the connectors' testers, which read the connectors'
    base-URL variables: in the demo, control must point them where the connectors point."""
    result = _compose(tool, "--profile", "demo", "config", "--format", "json", env=SECRETS, demo=True)
    assert result.returncode == 0, result.stderr
    stack = json.loads(result.stdout)["services"]
    connectors = [s for s in render.load() if s.name.startswith("connector-")]
    shop_urls = {
        var: stack[s.name]["environment"][var]
        for s in connectors
        for var in s.demo_env
        if var.endswith("_SHOP_BASE_URL")
    }
    assert set(shop_urls) == {
        "STORELINK_CONNECTOR_WIX_SHOP_BASE_URL",
        "STORELINK_CONNECTOR_SHOPAMINE_SHOP_BASE_URL",
    }
    control_env = stack["control"]["environment"]
    assert {var: control_env.get(var) for var in shop_urls} == shop_urls


def test_control_reads_the_same_shop_simulators_as_the_connectors_for_backfill_and_reconciliation(
    tool: Callable[[str], str], render: ModuleType
) -> None:
    """Backfill and reconciliation read the shops from control (STORELINK_CONTROL_SHOP_BASE_URLS,
    platform=url): unset, the demo's control called the real shops and a backfill answered 424."""
    result = _compose(tool, "--profile", "demo", "config", "--format", "json", env=SECRETS, demo=True)
    assert result.returncode == 0, result.stderr
    stack = json.loads(result.stdout)["services"]
    connectors = {
        s.name.removeprefix("connector-"): s for s in render.load() if s.name.startswith("connector-")
    }
    wanted = {
        platform: stack[s.name]["environment"][f"{s.env_prefix}SHOP_BASE_URL"]
        for platform, s in connectors.items()
    }
    raw = stack["control"]["environment"].get("STORELINK_CONTROL_SHOP_BASE_URLS", "")
    given = dict(pair.split("=", 1) for pair in raw.split(",") if pair)
    assert given == wanted


def test_kafka_is_kraft_and_every_database_is_created(config: dict[str, Any], render: ModuleType) -> None:
    kafka = config["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert kafka["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "healthcheck" in kafka
    assert config["services"]["postgres"]["healthcheck"]["test"][0] == "CMD-SHELL"
    init = (ROOT / "deploy" / "compose" / "postgres-init.sql").read_text()
    for s in render.load():
        if s.database:
            assert f"CREATE DATABASE {s.db_name} OWNER storelink;" in init


def test_topic_step_runs_the_contracts_topic_command(config: dict[str, Any]) -> None:
    topics = config["services"]["topics"]
    assert topics["command"] == ["storelink", "topics", "create"]
    assert topics["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert topics["build"]["dockerfile"].endswith("deploy/docker/Dockerfile")


def test_every_env_file_variable_is_documented() -> None:
    """Each VAR= line (also commented-out examples) has a comment line right above its block."""
    folder = ROOT / "deploy" / "compose"
    files = [*sorted(folder.glob("*.env")), folder / "secrets.env.example"]
    assert len(files) >= 4
    for path in files:
        previous = ""
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.match(r"^[A-Z][A-Z0-9_]*=", line):
                assert previous.startswith("#") or re.match(r"^[A-Z][A-Z0-9_]*=", previous), (
                    f"{path.name}:{number} {line.split('=')[0]} has no comment"
                )
            previous = line.strip()


def test_env_files_hold_no_secrets() -> None:
    for path in (ROOT / "deploy" / "compose").glob("*.env"):
        for line in path.read_text().splitlines():
            key, _, value = line.partition("=")
            if re.search(r"PASSWORD|SECRET|TOKEN|API_KEY", key) and not key.startswith("#"):
                assert value == "", f"{path.name}: {key} must not be committed with a value"


def test_the_erp_ingest_is_public_and_needs_its_tokens(
    tool: Callable[[str], str], config: dict[str, Any]
) -> None:
    ingest = config["services"]["erp-ingest"]
    assert ingest["environment"]["STORELINK_ERP_INGEST_TOKENS"] == SECRETS["STORELINK_ERP_INGEST_TOKENS"]
    assert ingest["environment"]["STORELINK_ERP_INGEST_MODULE"] == "storelink_erp_kit.ingest"
    assert [p["published"] for p in ingest["ports"]] == ["8006"]
    assert "STORELINK_SECRET_KEY" not in ingest["environment"]
    without = {k: v for k, v in SECRETS.items() if k != "STORELINK_ERP_INGEST_TOKENS"}
    result = _compose(tool, "config", "--quiet", env=without)
    assert result.returncode != 0
    assert "STORELINK_ERP_INGEST_TOKENS" in result.stderr
    example = (ROOT / "deploy" / "compose" / "secrets.env.example").read_text()
    assert "\nSTORELINK_ERP_INGEST_TOKENS=\n" in example
