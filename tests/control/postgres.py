"""A throwaway PostgreSQL server for the tests, from the PostgreSQL binaries on the machine.

`STORELINK_TEST_POSTGRES_URL` (an asyncpg URL) is used as is when set. Otherwise `initdb` and
`pg_ctl` (PATH, or /usr/lib/postgresql/<version>/bin) make a cluster in a temporary directory on a
free port, as the `postgres` user when running as root (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from storelink_kit.testing.kafka_broker import free_port

ENV_URL = "STORELINK_TEST_POSTGRES_URL"


def _bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if candidates:
        return candidates[-1]
    raise RuntimeError(f"PostgreSQL's {name} not found: install PostgreSQL or set {ENV_URL}")


def _as_owner(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


@contextlib.contextmanager
def postgres_url() -> Iterator[str]:
    existing = os.environ.get(ENV_URL, "").strip()
    if existing:
        yield existing
        return
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    root = Path(tempfile.mkdtemp(prefix="storelink-pg-"))
    data = root / "data"
    port = free_port()
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres", group="postgres")
    run = {"check": True, "capture_output": True, "text": True}
    try:
        subprocess.run(
            _as_owner([initdb, "-D", str(data), "-U", "storelink", "-A", "trust", "-E", "UTF8", "--no-sync"]),
            **run,
        )  # type: ignore[call-overload]
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(  # type: ignore[call-overload]
            _as_owner([pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"]), **run
        )
        yield f"postgresql+asyncpg://storelink@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_owner([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]), capture_output=True, check=False
        )
        shutil.rmtree(root, ignore_errors=True)
