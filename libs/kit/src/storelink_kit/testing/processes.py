"""A Storelink service as a real process (`python -m <module>`), so a test can kill it or watch it
wait for Kafka. Its HTTP port is free and known; its output goes to a log file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

from storelink_kit.testing.kafka_broker import free_port


def env_prefix(module: str) -> str:
    """`storelink_erp_metakocka` → `STORELINK_ERP_METAKOCKA_` (deploy/services.toml's rule)."""
    return "STORELINK_" + module.removeprefix("storelink_").upper() + "_"


class ServiceProcess:
    def __init__(
        self,
        module: str,
        env: dict[str, str],
        log_path: Path,
        cwd: Path | None = None,
        prefix: str | None = None,
    ) -> None:
        self.module = module
        self.prefix = prefix or env_prefix(module)
        self.env = env
        self.log_path = log_path
        self.cwd = cwd
        self.http_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        env = {**os.environ, **self.env, self.prefix + "HTTP_PORT": str(self.http_port)}
        self.proc = subprocess.Popen(  # noqa: S603 - this interpreter, a module of ours
            [sys.executable, "-m", self.module],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self.cwd,
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no commits, in-flight requests abandoned."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log is not None:
            self._log.close()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
