"""Fixtures shared by the deployment tests: the repository root, dev tools, deploy/render.py."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from storelink_kit.testing.deploy import load_render

ROOT = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = VENV_BIN / name
    if not path.exists():
        raise FileNotFoundError(f"{path} missing: run `make install` (it comes from the dev dependencies)")
    return str(path)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def tool() -> Callable[[str], str]:
    """A tool installed into the project's virtualenv by the dev dependencies (never the system's)."""
    return _tool


@pytest.fixture(scope="session")
def render() -> ModuleType:
    """deploy/render.py, the generator of the compose file, the k8s base and the supervisord config."""
    return load_render(ROOT)


@pytest.fixture(scope="session")
def demo() -> ModuleType:
    """deploy/local/demo.py, the `make up` demo (its claims are unit-tested)."""
    return load_script("storelink_deploy_demo", ROOT / "deploy" / "local" / "demo.py")


def load_script(name: str, path: Path) -> ModuleType:
    """A script of deploy/ (not a package) imported as module `name`."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
