"""Issue 14: the webhook URL control hands out reaches the connector of its platform under
`make up` and compose (no proxy: straight to the connector's port), and the k8s Ingress (test_k8s)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from storelink_control.settings import ControlSettings

ROOT = Path(__file__).resolve().parents[3]


def _settings(env: dict[str, str]) -> ControlSettings:
    prefix = "STORELINK_CONTROL_"
    values = {k.removeprefix(prefix).lower(): v for k, v in env.items() if k.startswith(prefix)}
    return ControlSettings.model_validate(values)


def test_make_up_hands_out_webhook_urls_that_reach_each_connector(render: ModuleType, tmp_path: Path) -> None:
    services = render.local_services(render.load(), offset=0)
    env = render.local_env(services, tmp_path)
    control = _settings(env)
    ports = {s.webhooks: s.port for s in services if s.webhooks}
    assert ports == {"wix": 8001, "shopamine": 8002}
    for platform, port in ports.items():
        assert control.webhook_base(platform) == f"http://127.0.0.1:{port}"
    # the console and the API: where control listens
    assert control.base_url == f"http://127.0.0.1:{next(s.port for s in services if s.name == 'control')}"


def test_make_up_moves_the_webhook_urls_with_the_port_offset(render: ModuleType, tmp_path: Path) -> None:
    services = render.local_services(render.load(), offset=1000)
    control = _settings(render.local_env(services, tmp_path))
    assert control.webhook_base("wix") == "http://127.0.0.1:9001"


def test_compose_points_webhooks_at_the_published_connector_ports_unless_a_proxy_is_named() -> None:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env = compose["services"]["control"]["environment"]
    for platform, service in (("wix", "connector-wix"), ("shopamine", "connector-shopamine")):
        port = compose["services"][service]["ports"][0].split(":")[0]
        assert f"{platform}=http://localhost:{port}" in env["STORELINK_CONTROL_WEBHOOK_BASE_URLS"]
    assert env["STORELINK_CONTROL_PUBLIC_BASE_URL"] == "${STORELINK_PUBLIC_BASE_URL:-}"
    unset = _settings({**env, "STORELINK_CONTROL_PUBLIC_BASE_URL": ""})
    assert unset.webhook_base("wix").startswith("http://localhost:")
    proxied = _settings({**env, "STORELINK_CONTROL_PUBLIC_BASE_URL": "https://hub.example.si"})
    assert proxied.webhook_base("shopamine") == "https://hub.example.si"


def test_control_tests_erp_credentials_against_the_demo_simulators(
    render: ModuleType, tmp_path: Path
) -> None:
    services = render.local_services(render.load(), offset=0)
    control = _settings(render.local_env(services, tmp_path))
    assert control.erp_base_urls == {
        "metakocka": "http://127.0.0.1:8104/rest/eshop/",
        "eracuni": "http://127.0.0.1:8105/WebServicesSI/API",
    }
