"""deploy/local/up.sh and down.sh as processes: supervisord, health waits, restarts, pid files, nothing
left behind.

The services here are stand-ins (tiny HTTP servers named like services) so the process management
is tested on every run; tests/integration/deploy/test_make_up.py runs the real services end to end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from storelink_kit.testing.ports import free_listen_port, free_port_offset

ROOT = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent

STUB = textwrap.dedent(
    """
    import os, sys
    from http.server import BaseHTTPRequestHandler, HTTPServer

    name = os.environ["STORELINK_SERVICE"]
    prefix = "STORELINK_" + name.replace("-", "_").upper() + "_"
    if "--port" in sys.argv:  # a simulator: address as arguments
        port, host = int(sys.argv[sys.argv.index("--port") + 1]), sys.argv[sys.argv.index("--host") + 1]
    else:
        port, host = int(os.environ[prefix + "HTTP_PORT"]), os.environ[prefix + "HTTP_HOST"]
    secret = os.environ.get(prefix + "OPERATOR_TOKEN", "")

    class H(BaseHTTPRequestHandler):
        def do_GET(self):
            db = os.environ.get(prefix + "DATABASE_URL", "-")
            body = " ".join([name, db, str(len(secret))]).encode()
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    HTTPServer((host, port), H).serve_forever()
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()


@pytest.fixture
def stub_stack(tmp_path: Path) -> dict[str, str]:
    pkgs = tmp_path / "pkgs"
    for name in ("stub-api", "stub-worker", "sim-stub"):
        pkg = pkgs / ("storelink_" + name.replace("-", "_"))
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "__main__.py").write_text(STUB)
    base = free_port_offset([0, 1, 2])
    (tmp_path / "services.toml").write_text(
        textwrap.dedent(
            f"""
            [[service]]
            name = "stub-api"
            port = {base}
            database = true
            secrets = ["OPERATOR_TOKEN"]

            [[service]]
            name = "stub-worker"
            port = {base + 1}

            [[service]]
            name = "sim-stub"
            port = {base + 2}
            simulator = true
            args = ["--host", "{{host}}", "--port", "{{port}}"]
            health_path = "/_sim/calls"
            """
        )
    )
    return {
        "STORELINK_SERVICES_TOML": str(tmp_path / "services.toml"),
        "STORELINK_STATE": str(tmp_path / "state"),
        "PYTHONPATH": str(pkgs),
        "KAFKA_PORT": str(free_listen_port()),
        "STORELINK_DEMO": "0",
        "UP_TIMEOUT": "300",
        "BASE_PORT": str(base),
    }


def _pids(state: Path, names: tuple[str, ...] = ("stub-api", "stub-worker", "sim-stub")) -> dict[str, int]:
    """Each running process's pid as supervisord reports it (`supervisorctl pid <name>`; 0 = none)."""
    out: dict[str, int] = {}
    for name in names:
        answer = subprocess.run(
            [str(VENV_BIN / "supervisorctl"), "-c", str(state / "local" / "supervisord.conf"), "pid", name],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        ).stdout.strip()
        if answer.isdigit() and int(answer) > 0:
            out[name] = int(answer)
    return out


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def _run(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ROOT / "deploy" / "local" / script)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
        cwd=ROOT,
    )


@pytest.mark.kafka  # up.sh starts a real broker
def test_up_starts_every_listed_process_and_down_leaves_nothing(stub_stack: dict[str, str]) -> None:
    state = Path(stub_stack["STORELINK_STATE"])
    base = int(stub_stack["BASE_PORT"])
    up = _run("up.sh", stub_stack)
    try:
        assert up.returncode == 0, up.stderr[-3000:]
        for name in ("stub-api", "stub-worker", "sim-stub"):
            assert f"{name} is up" in up.stderr
        # The services got their settings from the generated env: port, SQLite under the state dir,
        # a generated secret (its length only; never its value).
        with urllib.request.urlopen(f"http://127.0.0.1:{base}/healthz", timeout=5) as r:
            name, db_url, secret_len = r.read().decode().split(" ")
        assert name == "stub-api"
        assert db_url == f"sqlite+aiosqlite:///{state / 'db' / 'stub_api'}.sqlite3"
        assert int(secret_len) >= 32
        secrets = (state / "local" / "secrets.env").read_text()
        assert "STORELINK_STUB_API_OPERATOR_TOKEN=" in secrets
        assert oct((state / "local" / "secrets.env").stat().st_mode)[-3:] == "600"
        conf = (state / "local" / "supervisord.conf").read_text()
        assert "[program:sim-stub]" in conf
        assert f"--port {base + 2}" in conf
        pids = list(_pids(state).values())
        assert len(pids) == 3
        supervisord_pid = int((state / "local" / "supervisord.pid").read_text())
        kafka_pid = int((state / "kafka" / "kafka.pid").read_text())
        started = [*pids, supervisord_pid, kafka_pid]
        assert all(_alive(p) for p in started)
        again = _run("up.sh", stub_stack)
        assert again.returncode != 0
        assert "already running" in again.stderr
    finally:
        down = _run("down.sh", stub_stack)
    assert down.returncode == 0, down.stderr
    assert [p for p in started if _alive(p)] == []
    assert not (state / "local" / "supervisord.pid").exists()
    # A second `make down` is harmless.
    assert _run("down.sh", stub_stack).returncode == 0


def test_up_names_what_is_not_installed(stub_stack: dict[str, str]) -> None:
    env = {**stub_stack, "PYTHONPATH": ""}
    up = _run("up.sh", env)
    assert up.returncode != 0
    assert "not installed or without __main__.py" in up.stderr
    assert "stub-api (storelink_stub_api)" in up.stderr
    assert not (Path(stub_stack["STORELINK_STATE"]) / "kafka" / "kafka.pid").exists(), "nothing was started"


@pytest.mark.kafka  # up.sh starts a real broker
def test_a_process_that_dies_is_restarted_and_the_others_keep_running(stub_stack: dict[str, str]) -> None:
    """honcho stopped the whole stack (simulators too) when one process died; supervisord restarts it."""
    state = Path(stub_stack["STORELINK_STATE"])
    base = int(stub_stack["BASE_PORT"])
    up = _run("up.sh", stub_stack)
    try:
        assert up.returncode == 0, up.stderr[-3000:]
        before = _pids(state)
        assert set(before) == {"stub-api", "stub-worker", "sim-stub"}
        os.kill(before["stub-worker"], signal.SIGKILL)
        deadline = time.monotonic() + 60
        after: dict[str, int] = {}
        while time.monotonic() < deadline:
            after = _pids(state)
            if after.get("stub-worker", before["stub-worker"]) != before["stub-worker"]:
                break
            time.sleep(0.2)
        assert after.get("stub-worker", before["stub-worker"]) != before["stub-worker"], after
        while time.monotonic() < deadline and not _answers(f"http://127.0.0.1:{base + 1}/healthz"):
            time.sleep(0.2)
        assert _answers(f"http://127.0.0.1:{base + 1}/healthz"), "the restarted process answers"
        assert after["stub-api"] == before["stub-api"]
        assert after["sim-stub"] == before["sim-stub"]
        assert _alive(before["stub-api"])
        assert _alive(before["sim-stub"])
        assert _answers(f"http://127.0.0.1:{base + 2}/_sim/calls"), "the simulator kept running"
        log = (state / "local" / "supervisord.log").read_text()
        assert "exited: stub-worker (terminated by SIGKILL" in log
        assert (state / "local" / "logs" / "stub-worker.log").exists()
    finally:
        down = _run("down.sh", stub_stack)
    assert down.returncode == 0, down.stderr
    assert [p for p in [*before.values(), *after.values()] if _alive(p)] == []
