"""A throwaway PostgreSQL cluster for tests: found on this machine, started in a temp dir, stopped.

`STORELINK_TEST_POSTGRES_URL` (an existing server) wins. Otherwise the PostgreSQL server binaries
(initdb, pg_ctl) are looked up in `STORELINK_PG_BINDIR`, `pg_config --bindir`, PATH and
/usr/lib/postgresql/<version>/bin; when none is found the error says what to install. initdb
refuses to run as root, so under root the cluster runs as the `postgres` (or `nobody`) user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from storelink_kit.testing.kafka_broker import free_port

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them with "
    "`sudo apt-get install -y postgresql` (Debian/Ubuntu) or `brew install postgresql` (macOS), "
    "set STORELINK_PG_BINDIR to the directory holding initdb, or point STORELINK_TEST_POSTGRES_URL "
    "at a running server (postgresql+asyncpg://user:pass@host:port/db)."
)


class PostgresNotAvailable(RuntimeError):
    pass


def find_pg_bindir() -> Path:
    candidates: list[Path] = []
    if env := os.environ.get("STORELINK_PG_BINDIR"):
        candidates.append(Path(env))
    if pg_config := shutil.which("pg_config"):
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True)  # noqa: S603
            candidates.append(Path(out.stdout.strip()))
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).parent)
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name.split(".")[0]),
        reverse=True,
    )
    candidates.extend(Path(p) for p in versions)
    candidates.extend(Path(p) for p in sorted(glob.glob("/opt/homebrew/opt/postgresql*/bin")))
    for c in candidates:
        if (c / "initdb").exists() and (c / "pg_ctl").exists():
            return c
    raise PostgresNotAvailable(INSTALL_HINT)


def _run_as() -> tuple[list[str], int | None, int | None]:
    """Command prefix and uid/gid to run the server as (initdb will not run as root)."""
    if os.geteuid() != 0:
        return [], None, None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pw = pwd.getpwnam(name)
            setpriv = shutil.which("setpriv")
            if setpriv:
                return (
                    [setpriv, f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--init-groups"],
                    pw.pw_uid,
                    pw.pw_gid,
                )
            runuser = shutil.which("runuser")
            if runuser:
                return [runuser, "-u", name, "--"], pw.pw_uid, pw.pw_gid
    raise PostgresNotAvailable("running as root and no 'postgres' user to run PostgreSQL as")


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Yield an asyncpg SQLAlchemy URL of a fresh database; everything is removed afterwards."""
    if url := os.environ.get("STORELINK_TEST_POSTGRES_URL"):
        yield url
        return
    bindir = find_pg_bindir()
    prefix, uid, gid = _run_as()
    root = Path(tempfile.mkdtemp(prefix="storelink-pg-"))
    data = root / "data"
    sock = root / "sock"
    sock.mkdir()
    if uid is not None and gid is not None:
        for p in (root, sock):
            os.chown(p, uid, gid)
    port = free_port()
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    try:
        subprocess.run(  # noqa: S603
            [
                *prefix,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
            ],
            check=True,
            capture_output=True,
            env=env,
        )
        options = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -F -c max_connections=100"
        subprocess.run(  # noqa: S603
            [
                *prefix,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(root / "log"),
                "-w",
                "start",
            ],
            check=True,
            capture_output=True,
            env=env,
        )
        try:
            yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(  # noqa: S603
                [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                env=env,
                check=False,
            )
    except subprocess.CalledProcessError as exc:
        raise PostgresNotAvailable(
            f"PostgreSQL failed to start: {exc.stderr.decode(errors='replace') if exc.stderr else exc}"
        ) from None
    finally:
        shutil.rmtree(root, ignore_errors=True)
