"""What the ERP adapter tests of both levels share: the ledger database (SQLite; PostgreSQL at the
integration level), the ERP simulators over real HTTP and a publisher that records. Each level's
conftest says which `database_url` its tests get."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storelink_erp_kit.database import migrate
from storelink_kit.database import make_engine
from storelink_kit.testing.postgres import throwaway_postgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server for the whole session (started here when none is configured)."""
    with throwaway_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_database(postgres_server: str) -> str:
    """One database for the session; each test empties the tables (CREATE DATABASE is slow)."""
    return fresh_postgresql_database(postgres_server)


def sqlite_url(tmp_path: Path) -> str:
    """An empty ledger database on SQLite (the unit level's `database_url`)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}"


def postgresql_url(request: pytest.FixtureRequest) -> str:
    """The session's PostgreSQL ledger database, emptied (starts the server on first use)."""
    url: str = request.getfixturevalue("postgres_database")
    _in_thread(_empty_tables(url))
    return url


async def _empty_tables(url: str) -> None:
    engine = make_engine(url)
    await migrate(engine)
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE erp_document_ledger, erp_observed_values"))
    await engine.dispose()


def _in_thread(coro: Any) -> None:
    """Run a coroutine on a loop of its own (the session loop may already be running)."""
    import asyncio
    import threading

    errors: list[BaseException] = []

    def runner() -> None:
        try:
            asyncio.run(coro)
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=runner)
    t.start()
    t.join()
    if errors:
        raise errors[0]


def fresh_postgresql_database(server: str) -> str:
    name = "t" + uuid.uuid4().hex[:12]

    async def create() -> None:
        engine = make_engine(server)
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await engine.dispose()

    _in_thread(create())
    return server.rsplit("/", 1)[0] + "/" + name


@pytest_asyncio.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The ledger database on SQLite and on PostgreSQL (tests where the database matters)."""
    eng = make_engine(database_url)
    await migrate(eng)
    yield eng
    await eng.dispose()


@pytest_asyncio.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """SQLite only: for tests about the ERP, not about the database (keeps the suite short)."""
    eng = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}")
    await migrate(eng)
    yield eng
    await eng.dispose()


# --------------------------------------------------------------------------- simulators and helpers

from dataclasses import dataclass, field  # noqa: E402

import httpx  # noqa: E402

from storelink_contracts import Envelope, Event  # noqa: E402
from storelink_erp_kit.testing.server import serve_in_thread  # noqa: E402
from storelink_erp_metakocka.client import PATHS  # noqa: E402
from storelink_kit.secrets import SecretBox  # noqa: E402
from storelink_sim_metakocka.app import create_app as create_mk_app  # noqa: E402
from storelink_sim_metakocka.state import SimState as MkState  # noqa: E402

MK_COMPANY = "16"
MK_SECRET = "mk-secret-key-0123456789"


@dataclass
class MkSim:
    url: str
    state: MkState

    @property
    def base_url(self) -> str:
        return self.url + "/rest/eshop/"

    def docs(self) -> list[dict[str, Any]]:
        return self.state.documents[MK_COMPANY]

    def post(self, method: str, body: dict[str, Any], **creds: str) -> dict[str, Any]:
        """One documented call as MetaKocka takes it: POST, JSON, credentials in the body."""
        full = {"secret_key": MK_SECRET, "company_id": MK_COMPANY, **creds, **body}
        response = httpx.post(self.base_url + PATHS[method], json=full, timeout=10)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer


@pytest.fixture
def mk_sim() -> Iterator[MkSim]:
    state = MkState()
    state.add_company(MK_COMPANY, MK_SECRET)
    with serve_in_thread(create_mk_app(state), lifespan="off") as url:
        yield MkSim(url=url, state=state)


@pytest.fixture(scope="session")
def secret_box() -> SecretBox:
    return SecretBox([SecretBox.generate_key()])


@dataclass
class RecordingPublisher:
    """Collects results in memory (processor tests that are not about Kafka)."""

    events: list[Event] = field(default_factory=list)

    async def publish(
        self, event: Event, *, caused_by: Envelope | None = None, origin: str | None = None
    ) -> Envelope:
        self.events.append(event)
        return Envelope.for_event(event, source="test")


from storelink_sim_eracuni.app import EracuniState  # noqa: E402
from storelink_sim_eracuni.app import create_app as create_er_app  # noqa: E402

ER_USER = "api@acme.si"
ER_PASSWORD = "er-password-0123456789"
ER_TOKEN = "ER-ORG-TOKEN-1"


@dataclass
class ErSim:
    url: str
    state: EracuniState

    @property
    def api_url(self) -> str:
        return self.url + "/WebServicesSI/API"

    def docs(self) -> list[dict[str, Any]]:
        return self.state.documents[ER_TOKEN]


@pytest.fixture
def er_sim() -> Iterator[ErSim]:
    state = EracuniState()
    state.add_user(ER_USER, ER_PASSWORD, ER_TOKEN)
    with serve_in_thread(create_er_app(state), lifespan="off") as url:
        yield ErSim(url=url, state=state)
