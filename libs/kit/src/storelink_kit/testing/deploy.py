"""`deploy/render.py`, the one list of Storelink's processes, loaded as a module (it is a script, not
a package): for the deployment and system tests and the `make up` demo, which need its ports,
names and health URLs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

MODULE_NAME = "storelink_deploy_render"
RENDER_RELATIVE = Path("deploy") / "render.py"


def find_render(start: Path | None = None) -> Path:
    """deploy/render.py in the repository at or above `start` (default: this file)."""
    where = (start or Path(__file__)).resolve()
    for directory in [where, *where.parents]:
        candidate = directory / RENDER_RELATIVE
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{RENDER_RELATIVE} not found above {start or Path(__file__)}")


def load_render(start: Path | None = None) -> ModuleType:
    """The module, loaded once per process."""
    loaded = sys.modules.get(MODULE_NAME)
    if loaded is not None:
        return loaded
    spec = importlib.util.spec_from_file_location(MODULE_NAME, find_render(start))
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {RENDER_RELATIVE}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module
    spec.loader.exec_module(module)
    return module


def read_env_file(path: Path) -> dict[str, str]:
    """`VAR='value'` lines as `make up` writes them (shell-quoted, for bash's `source`)."""
    import shlex

    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not key.lstrip().startswith("#"):
            out[key.strip()] = "".join(shlex.split(value))
    return out
