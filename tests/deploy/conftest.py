"""Fixtures shared by the deployment tests: the repository root, dev tools, deploy/render.py."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
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
    """deploy/render.py, the generator of the compose file, the k8s base and the Procfile."""
    spec = importlib.util.spec_from_file_location("storelink_deploy_render", ROOT / "deploy" / "render.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
