"""The running stack for the system tests: `deploy/local/up.sh` started as `make up` starts it.

Kafka from the jars on a free port, every process of deploy/services.toml (simulators included)
under supervisord, SQLite under a throwaway state dir, every port shifted by a free offset so a
developer's own `make up` is never touched. The tests then reach the processes over HTTP only,
kill them with SIGKILL, restart the broker, and read what the logs, databases and topics hold.

Replicas: a process is addressed by its supervisord name, and `processes(service)` lists the names
of one service's processes: `running_stack(..., replicas=2)` runs two of every hub service
(STORELINK_REPLICAS, read by deploy/render.py: `<name>` and `<name>-2`, each on its own HTTP port).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storelink_kit.testing.deploy import load_render, read_env_file
from storelink_kit.testing.ports import free_listen_port, free_port_offset

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
UP_TIMEOUT_SECONDS = 300
SCALE_ENV = "STORELINK_SYSTEM_SCALE"
KEEP_ENV = "STORELINK_SYSTEM_KEEP"
ATTACH_ENV = "STORELINK_SYSTEM_ATTACH"


def scale() -> float:
    """`STORELINK_SYSTEM_SCALE` (default 1: the issue's sizes); e.g. 0.1 for a quick look."""
    raw = os.environ.get(SCALE_ENV, "1") or "1"
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{SCALE_ENV}={raw!r}: give a number, e.g. 1 or 0.1") from None
    if not 0 < value <= 100:
        raise ValueError(f"{SCALE_ENV}={raw!r}: give a number above 0 and at most 100")
    return value


def scaled(n: int, minimum: int = 1) -> int:
    return max(minimum, round(n * scale()))


def wait_until(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.5) -> Any:
    """Poll `condition` until it returns something truthy; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def http_ok(url: str, timeout: float = 3.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return bool(r.status < 500)
    except OSError:
        return False


@dataclass
class Stack:
    state: Path
    env: dict[str, str]
    services: list[Any]  # render.Service, ports already shifted
    kafka_port: int
    procs: list[Any] = field(default_factory=list)  # render.Process: every supervisord program
    killed: Counter[str] = field(default_factory=Counter)

    # ------------------------------------------------------------------ addresses and secrets

    def service(self, name: str) -> Any:
        return next(s for s in self.services if s.name == name)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.service(name).port}"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    def secrets(self) -> dict[str, str]:
        """What up.sh generated (operator token, Fernet key): values the tests look for in the clear."""
        return read_env_file(self.state / "local" / "secrets.env")

    @property
    def operator_token(self) -> str:
        return self.secrets()["STORELINK_CONTROL_OPERATOR_TOKEN"]

    def hub(self) -> list[str]:
        """The hub's own processes (what is killed); simulators hold the shops' and ERPs' state."""
        return [s.name for s in self.services if not s.simulator]

    # ------------------------------------------------------------------ processes

    def processes(self, service: str) -> list[str]:
        """supervisord's names of one service's processes (`<name>`, then `<name>-2`... with replicas)."""
        return [p.name for p in self.procs if p.service.name == service]

    def process(self, name: str) -> Any:
        return next(p for p in self.procs if p.name == name)

    def supervisorctl(self, *args: str) -> str:
        conf = self.state / "local" / "supervisord.conf"
        result = subprocess.run(
            [str(VENV_BIN / "supervisorctl"), "-c", str(conf), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        return result.stdout.strip()

    def pid(self, process: str) -> int | None:
        answer = self.supervisorctl("pid", process)
        return int(answer) if answer.isdigit() and int(answer) > 0 else None

    def kill(self, process: str) -> int:
        """SIGKILL: no shutdown hooks, no commits, in-flight requests abandoned."""
        pid = self.pid(process)
        assert pid is not None, f"{process} is not running: {self.supervisorctl('status')}"
        os.kill(pid, signal.SIGKILL)
        self.killed[process] += 1
        return pid

    def wait_restarted(self, process: str, old_pid: int, timeout: float = 180) -> int:
        """supervisord started a new process and it answers its health check again."""
        new_pid: int = wait_until(
            lambda: (p := self.pid(process)) is not None and p != old_pid and p,
            timeout,
            f"supervisord to restart {process} (was pid {old_pid})",
        )
        wait_until(lambda: http_ok(self.process(process).health_url()), timeout, f"{process} to answer")
        return new_pid

    def wait_healthy(self, timeout: float = 180) -> None:
        for p in self.procs:
            wait_until(lambda p=p: http_ok(p.health_url()), timeout, f"{p.name} to answer")

    def spawns(self) -> Counter[str]:
        """How often supervisord started each process (1 + its restarts)."""
        log = (self.state / "local" / "supervisord.log").read_text(errors="replace")
        return Counter(re.findall(r"spawned: '([a-z0-9-]+)' with pid", log))

    def restart_broker(self) -> float:
        """Stop the Kafka broker (SIGTERM, as an operator would) and start it again on the same port
        and data; returns how long it was away, in seconds."""
        began = time.monotonic()
        self._kafka("stop")
        self._kafka("start")
        return time.monotonic() - began

    def _kafka(self, command: str) -> None:
        result = subprocess.run(
            ["bash", str(ROOT / "deploy" / "local" / "kafka.sh"), command],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=240,
            cwd=ROOT,
        )
        assert result.returncode == 0, f"kafka.sh {command}: {result.stderr[-2000:]}"

    # ------------------------------------------------------------------ what is on disk

    def log_files(self) -> list[Path]:
        local = self.state / "local"
        return sorted([*local.glob("logs/*.log*"), *local.glob("supervisord.*")])

    def diagnosis(self, since: Counter[str] | None = None, lines: int = 8) -> str:
        """What a failed test leaves for its reader: every process's state, who was restarted (a
        restarted simulator has lost its shops and ERP accounts), and each log's last problems."""
        spawns = self.spawns()
        restarted = {p: n - (since or Counter()).get(p, 0) for p, n in spawns.items()}
        out = [self.supervisorctl("status"), f"starts by supervisord during the test: {restarted}"]
        for log in sorted((self.state / "local").glob("logs/*.log")):
            problems = [
                line[:400]
                for line in log.read_text(errors="replace").splitlines()
                if any(mark in line for mark in ('"level": "ERROR"', '"level": "CRITICAL"', "Traceback"))
            ]
            if problems:
                out.append(f"--- {log.name}: {len(problems)} error lines, the last {lines}:")
                out += problems[-lines:]
        return "\n".join(out)

    def database_files(self) -> list[Path]:
        return sorted(p for p in (self.state / "db").glob("*") if p.is_file())


def _run(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ROOT / "deploy" / "local" / script)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=UP_TIMEOUT_SECONDS,
        cwd=ROOT,
    )


def _tail(path: Path, lines: int = 30) -> str:
    with contextlib.suppress(OSError):
        return f"--- {path.name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


@contextlib.contextmanager
def running_stack(settings: dict[str, str], replicas: int = 1) -> Iterator[Stack]:
    """`STORELINK_DEMO=0 STORELINK_REPLICAS=<replicas> make up` on a throwaway state dir, free ports
    and a free Kafka port; `settings` go into the stack's environment after the generated ones
    (STORELINK_ENV_FILE).
    `make down` afterwards; the state dir is removed unless STORELINK_SYSTEM_KEEP=1."""
    render = load_render(ROOT)
    state = Path(tempfile.mkdtemp(prefix="sl-sys-"))  # short: supervisord's socket lives under it
    base = render.load(render.LOCAL_SERVICES_TOML)
    offset = free_port_offset([p.port for p in render.local_processes(base, replicas)])
    services = render.local_services(base, offset)
    kafka_port = free_listen_port()
    env_file = state / "system-test.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
    env = {
        **{k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"},
        "STORELINK_STATE": str(state),
        "KAFKA_PORT": str(kafka_port),
        "STORELINK_PORT_OFFSET": str(offset),
        render.REPLICAS_ENV: str(replicas),
        "STORELINK_DEMO": "0",
        "STORELINK_ENV_FILE": str(env_file),
        "UP_TIMEOUT": str(UP_TIMEOUT_SECONDS - 60),
    }
    (state / "system-stack.json").write_text(
        json.dumps({"offset": offset, "kafka_port": kafka_port, "env": env, "replicas": replicas})
    )
    up = _run("up.sh", env)
    procs = render.local_processes(services, replicas)
    stack = Stack(state=state, env=env, services=services, kafka_port=kafka_port, procs=procs)
    try:
        if up.returncode != 0:
            logs = "\n".join(_tail(p) for p in stack.log_files())
            raise RuntimeError(f"up.sh failed ({up.returncode}):\n{up.stderr[-4000:]}\n{logs}")
        yield stack
    finally:
        down = _run("down.sh", env)
        if down.returncode != 0:
            print(f"down.sh failed ({down.returncode}): {down.stderr[-2000:]}", file=sys.stderr)
        if os.environ.get(KEEP_ENV) == "1":
            print(f"system test state kept in {state}", file=sys.stderr)
        else:
            shutil.rmtree(state, ignore_errors=True)


def attached_stack(state: Path) -> Stack:
    """A stack another run started and kept (STORELINK_SYSTEM_KEEP=1 while it runs): for working on a
    test without waiting for a new stack each time (STORELINK_SYSTEM_ATTACH=<its state dir>)."""
    render = load_render(ROOT)
    saved = json.loads((state / "system-stack.json").read_text())
    services = render.local_services(render.load(render.LOCAL_SERVICES_TOML), int(saved["offset"]))
    procs = render.local_processes(services, int(saved.get("replicas", 1)))
    return Stack(
        state=state, env=saved["env"], services=services, kafka_port=int(saved["kafka_port"]), procs=procs
    )
