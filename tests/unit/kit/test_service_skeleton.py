"""Every deployed service has the one skeleton (issue 15 item 2): `settings.py`, `app.py` whose
`build(settings)` returns the kit's `ServiceApp`, and a `__main__.py` whose `main()` hands that
`build` to the kit's `run`. A service that grows its own start-up shape fails here.

The tests of this subject that need a broker, a process or real time:
tests/integration/kit/test_service_skeleton.py.
"""

from __future__ import annotations

import ast
import importlib
import typing
from pathlib import Path

import pytest

from storelink_kit.service import ServiceApp

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = sorted(p for p in ROOT.glob("services/*/src/storelink_*") if p.is_dir())


def test_every_service_folder_is_found() -> None:
    assert {p.name for p in PACKAGES} >= {
        "storelink_control",
        "storelink_mapper",
        "storelink_connector_wix",
        "storelink_connector_shopamine",
        "storelink_erp_metakocka",
        "storelink_erp_eracuni",
    }


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_the_service_has_the_one_skeleton(package: Path) -> None:
    assert {"settings.py", "app.py", "__main__.py"} <= {f.name for f in package.iterdir()}
    build = importlib.import_module(f"{package.name}.app").build
    returned = typing.get_type_hints(build)["return"]
    assert typing.get_origin(returned) is ServiceApp, f"{package.name}.app.build returns {returned}"
    main = ast.parse((package / "__main__.py").read_text())
    calls = [
        node
        for node in ast.walk(main)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "run"
    ]
    assert len(calls) == 1, f"{package.name}.__main__ does not start through storelink_kit.service.run"
    given = calls[0].args[0]
    assert isinstance(given, ast.Name)
    assert given.id == "build"
