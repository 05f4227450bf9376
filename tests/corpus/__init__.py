"""The vendor conformance corpus: documented examples (tests/corpus/<vendor>/, each naming its source
and the date it was read), the loaders, and the MetaKocka simulator they are run against over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from storelink_erp_kit.testing.server import serve_in_thread
from storelink_erp_metakocka.client import PATHS
from storelink_sim_metakocka.app import create_app as create_mk_app
from storelink_sim_metakocka.state import SimState as MkState

HERE = Path(__file__).parent
MK_COMPANY = "16"
MK_SECRET = "mk-secret-key-0123456789"
READ_ON = "2026-12-01"


def examples(vendor: str, kind: str) -> list[tuple[str, dict[str, Any]]]:
    """Every example of one kind (request, response, error), by file name."""
    out = []
    for path in sorted((HERE / vendor / "examples").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["kind"] == kind:
            out.append((path.stem, data))
    return out


def example(vendor: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (HERE / vendor / "examples" / f"{name}.json").read_text(encoding="utf-8")
    )
    return data


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


def conformance_problems(actual: Any, documented: Any, where: str = "$") -> list[str]:
    """How `actual` differs in SHAPE from the documented example: a key the vendor does not show, an
    object where the vendor shows a list (or the other way round), a number where it shows a string.
    Lists are compared element by element against all documented elements merged into one."""
    if isinstance(documented, dict):
        if not isinstance(actual, dict):
            return [f"{where}: {type(actual).__name__} where the docs show an object"]
        problems = [f"{where}.{k}: not in the documented answer" for k in actual if k not in documented]
        for key, value in actual.items():
            if key in documented:
                problems += conformance_problems(value, documented[key], f"{where}.{key}")
        return problems
    if isinstance(documented, list):
        if not isinstance(actual, list):
            return [f"{where}: {type(actual).__name__} where the docs show a list"]
        if not documented:
            return []
        union = merged(documented)
        return [
            p for i, item in enumerate(actual) for p in conformance_problems(item, union, f"{where}[{i}]")
        ]
    if isinstance(documented, str) and not isinstance(actual, str):
        return [f"{where}: {type(actual).__name__} where the docs show a string"]
    return []


def merged(items: list[Any]) -> Any:
    """The documented elements of one list as one: the keys of all objects (their values merged)."""
    if not all(isinstance(item, dict) for item in items):
        return items[0]
    out: dict[str, Any] = {}
    for item in items:
        for key, value in item.items():
            out[key] = merged([out[key], value]) if isinstance(out.get(key), dict) else value
    return out
