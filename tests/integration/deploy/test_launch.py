"""The image's entry point and health check, run as the container runs them (real processes, real HTTP)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest

from storelink_kit.healthcheck import health_url
from storelink_kit.launch import LaunchError, env_prefix_for, module_for, module_of, unrunnable


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _run(args: list[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_names() -> None:
    assert module_for("connector-wix") == "storelink_connector_wix"
    assert env_prefix_for("erp-metakocka") == "STORELINK_ERP_METAKOCKA_"
    for bad in ("", "Mapper", "../x", "a_b", "-x"):
        with pytest.raises(LaunchError):
            module_for(bad)


def test_healthcheck_finds_the_service_port_and_reports_health(health_server: ThreadingHTTPServer) -> None:
    port = str(health_server.server_address[1])
    env = {"STORELINK_SERVICE": "mapper", "STORELINK_MAPPER_HTTP_PORT": port}
    assert health_url(env) == f"http://127.0.0.1:{port}/healthz"
    ok = _run(["-m", "storelink_kit.healthcheck"], env)
    assert ok.returncode == 0, ok.stderr
    _Health.status = 503
    try:
        sick = _run(["-m", "storelink_kit.healthcheck"], env)
    finally:
        _Health.status = 200
    assert sick.returncode == 1


def test_healthcheck_fails_when_nothing_listens(health_server: ThreadingHTTPServer) -> None:
    port = health_server.server_address[1]
    health_server.shutdown()
    health_server.server_close()
    result = _run(
        ["-m", "storelink_kit.healthcheck"], {"STORELINK_HEALTHCHECK_URL": f"http://127.0.0.1:{port}/healthz"}
    )
    assert result.returncode == 1
    assert "refused" in result.stderr.lower() or "error" in result.stderr.lower()


def test_launch_runs_the_named_service_module(tmp_path: Path) -> None:
    pkg = tmp_path / "storelink_launch_probe"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "__main__.py").write_text(
        "import os, sys, pathlib\n"
        "pathlib.Path(sys.argv[1]).write_text(os.environ['STORELINK_SERVICE'] + ' ' + __name__)\n"
    )
    out = tmp_path / "out.txt"
    env = {"PYTHONPATH": str(tmp_path), "STORELINK_SERVICE": "launch-probe"}
    by_env = _run(["-m", "storelink_kit.launch"], env)
    assert by_env.returncode != 0  # the probe needs its argument: proves it really ran the module
    by_arg = _run(["-m", "storelink_kit.launch", "launch-probe", str(out)], {"PYTHONPATH": str(tmp_path)})
    assert by_arg.returncode == 0, by_arg.stderr
    assert out.read_text() == "launch-probe __main__"


def test_launch_says_what_is_wrong() -> None:
    missing = _run(["-m", "storelink_kit.launch"], {"STORELINK_SERVICE": ""})
    assert missing.returncode == 2
    assert "STORELINK_SERVICE" in missing.stderr
    unknown = _run(["-m", "storelink_kit.launch", "no-such-service"], {})
    assert unknown.returncode == 2
    assert "not installed" in unknown.stderr


def test_launch_refuses_a_package_without_main(tmp_path: Path) -> None:
    pkg = tmp_path / "storelink_no_main"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    result = _run(["-m", "storelink_kit.launch", "no-main"], {"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 2
    assert "no __main__.py" in result.stderr


def test_launch_runs_the_module_services_toml_names_for_the_service(tmp_path: Path) -> None:
    """`module = "..."` in deploy/services.toml reaches the launcher as STORELINK_<SERVICE>_MODULE;
    a plain module (`python -m storelink_erp_kit.ingest`) runs as well as a package's __main__."""
    pkg = tmp_path / "probe_kit"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "door.py").write_text(
        "import os, sys, pathlib\n"
        "if __name__ == '__main__':\n"
        "    pathlib.Path(sys.argv[1]).write_text(os.environ['STORELINK_SERVICE'] + ' ' + __name__)\n"
    )
    out = tmp_path / "out.txt"
    env = {"PYTHONPATH": str(tmp_path), "STORELINK_ERP_DOOR_MODULE": "probe_kit.door"}
    result = _run(["-m", "storelink_kit.launch", "erp-door", str(out)], env)
    assert result.returncode == 0, result.stderr
    assert out.read_text() == "erp-door __main__"
    assert module_of("erp-door", env) == "probe_kit.door"
    assert module_of("erp-door", {}) == "storelink_erp_door"


def test_services_toml_module_reaches_every_way_of_running(render: ModuleType) -> None:
    ingest = {s.name: s for s in render.load()}["erp-ingest"]
    assert ingest.module == "storelink_erp_kit.ingest"
    assert ingest.env()["STORELINK_ERP_INGEST_MODULE"] == "storelink_erp_kit.ingest"
    local = render.local_env(render.load(), Path("/tmp/state"))
    assert local["STORELINK_ERP_INGEST_MODULE"] == "storelink_erp_kit.ingest"
    assert unrunnable(ingest.module) is None
    assert "not installed" in (unrunnable("storelink_erp_kit.nothing") or "")
    assert "no __main__.py" in (unrunnable("storelink_erp_kit") or "")
    for s in render.load():  # the default module needs no variable
        assert (f"{s.env_prefix}MODULE" in s.env()) == (s.module != "storelink_" + s.name.replace("-", "_"))
