"""A real Kafka broker for integration tests.

Resolution order of :func:`kafka_bootstrap_servers`:

1. ``KAFKA_BOOTSTRAP_SERVERS`` is set: use that broker as is (CI service, dev broker).
2. A Docker engine answers and ``testcontainers`` imports: a throwaway
   ``testcontainers.kafka.KafkaContainer`` (KRaft mode when the API offers it).
3. Otherwise: a single-node Apache Kafka 4.x started from jars via
   ``deploy/local/kafka.sh`` (Java 17 + Maven, no Docker) on a free port with a
   fresh temporary data dir, stopped and removed on exit.

No pytest import here; wrap it in a fixture where needed, e.g.::

    @pytest.fixture(scope="session")
    def kafka_bootstrap() -> Iterator[str]:
        with kafka_bootstrap_servers() as servers:
            yield servers
"""

from __future__ import annotations

import importlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["LocalBroker", "free_port", "kafka_bootstrap_servers"]

ENV_BOOTSTRAP = "KAFKA_BOOTSTRAP_SERVERS"
KAFKA_SH_RELATIVE = Path("deploy") / "local" / "kafka.sh"
_DOCKER_PROBE_TIMEOUT_S = 5.0
_STOP_TIMEOUT_S = 60.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _docker_available() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, resolved executable
            [docker, "info"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=_DOCKER_PROBE_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def _testcontainers_kafka() -> Any | None:
    """The ``KafkaContainer`` class, or None when testcontainers is not installed."""
    try:
        module = importlib.import_module("testcontainers.kafka")
    except ImportError:
        return None
    return getattr(module, "KafkaContainer", None)


def _find_kafka_sh() -> Path:
    for directory in Path(__file__).resolve().parents:
        candidate = directory / KAFKA_SH_RELATIVE
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"{KAFKA_SH_RELATIVE} not found above {Path(__file__).resolve()}; "
        f"set {ENV_BOOTSTRAP} to use an existing broker"
    )


@contextmanager
def _testcontainers_broker(kafka_container_cls: Any) -> Iterator[str]:
    container: Any = kafka_container_cls()  # its default (Confluent) image
    with_kraft = getattr(container, "with_kraft", None)
    if callable(with_kraft):
        container = with_kraft()
    with container as running:
        bootstrap: str = running.get_bootstrap_server()
        yield bootstrap


def _bash() -> str:
    bash = shutil.which("bash")
    if bash is None:
        raise FileNotFoundError("bash not found on PATH; needed to run deploy/local/kafka.sh")
    return bash


NO_BROKER_ENV = "STORELINK_TEST_WITHOUT_KAFKA"
"""Set (to the test's id) while a test without the `kafka` marker runs: starting a broker then fails."""


def refuse_unmarked_broker() -> None:
    test = os.environ.get(NO_BROKER_ENV)
    if test:
        raise RuntimeError(
            f"{test} starts a Kafka broker but is not marked `kafka` (add pytest.mark.kafka), "
            "so `make test-unit` would run it"
        )


class LocalBroker:
    """A single-node broker from the jars (deploy/local/kafka.sh) on a fixed port and data dir.

    `stop()` then `start()` is an outage: the same address, the same data.
    """

    def __init__(self, port: int | None = None, data_dir: Path | None = None) -> None:
        self.port = port or free_port()
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="storelink-kafka-"))
        self.kafka_sh = _find_kafka_sh()
        self.env = dict(os.environ)
        self.env["KAFKA_DATA_DIR"] = str(self.data_dir)
        self.env["KAFKA_PORT"] = str(self.port)
        self.env.pop("KAFKA_CONTROLLER_PORT", None)  # let kafka.sh pick a free one
        # A whole test session creates thousands of partitions; 512 MB of heap ran out once.
        self.env.setdefault("KAFKA_HEAP_OPTS", "-Xmx2g -Xms512m")
        # a loaded machine starts a JVM slowly: wait for the broker, not for a fixed time
        self.env.setdefault("KAFKA_START_TIMEOUT", "600")

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> str:
        refuse_unmarked_broker()
        started = subprocess.run(  # noqa: S603 - our own script, fixed argv
            [_bash(), str(self.kafka_sh), "start"],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if started.returncode != 0:
            raise RuntimeError(
                f"{self.kafka_sh} start failed (exit {started.returncode}):\n{started.stderr.strip()}"
            )
        for line in started.stdout.splitlines():
            if line.startswith(f"{ENV_BOOTSTRAP}="):
                return line.split("=", 1)[1].strip()
        return self.bootstrap

    def stop(self) -> None:
        subprocess.run(  # noqa: S603 - our own script, fixed argv
            [_bash(), str(self.kafka_sh), "stop"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=_STOP_TIMEOUT_S,
            check=False,
        )

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.data_dir, ignore_errors=True)


@contextmanager
def _local_broker() -> Iterator[str]:
    broker = LocalBroker()
    try:
        yield broker.start()
    finally:
        broker.remove()


@contextmanager
def kafka_bootstrap_servers() -> Iterator[str]:
    """Yield a bootstrap servers string of a running Kafka broker (see module doc)."""
    refuse_unmarked_broker()
    existing = os.environ.get(ENV_BOOTSTRAP, "").strip()
    if existing:
        yield existing
        return
    if _docker_available():
        kafka_container_cls = _testcontainers_kafka()
        if kafka_container_cls is not None:
            with _testcontainers_broker(kafka_container_cls) as bootstrap:
                yield bootstrap
            return
    with _local_broker() as bootstrap:
        yield bootstrap
