"""Running an ERP adapter as a real process (so a test can kill it with SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

from storelink_kit.testing.kafka_broker import free_port


class AdapterProcess:
    def __init__(self, module: str, env: dict[str, str], log_path: Path) -> None:
        self.module = module
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        prefix = "STORELINK_" + self.module.removeprefix("storelink_").upper() + "_"
        env = {**os.environ, **self.env, prefix + "HTTP_PORT": str(free_port())}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", self.module], env=env, stdout=self._log, stderr=subprocess.STDOUT
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
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log is not None:
            self._log.close()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None
