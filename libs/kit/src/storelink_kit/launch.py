"""Start a service by name: one image runs every service (`STORELINK_SERVICE` or the first argument).

`python -m storelink_kit.launch mapper` runs `python -m storelink_mapper`; the name is also what the
service's settings prefix is made from (`STORELINK_MAPPER_`), so the health check can find its port.
A service whose module is not `storelink_<name>` (`module = ...` in deploy/services.toml, e.g. the
ERP ingest, `storelink_erp_kit.ingest`) gets it in `STORELINK_<NAME>_MODULE`, which
deploy/render.py writes into compose, Kubernetes and `make up`'s environment.
"""

from __future__ import annotations

import importlib.util
import os
import re
import runpy
import sys
from collections.abc import Mapping

SERVICE_ENV = "STORELINK_SERVICE"
_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


class LaunchError(ValueError):
    """The service name is missing or not a valid name."""


def check_name(service: str) -> str:
    if not _NAME.fullmatch(service):
        raise LaunchError(
            f"invalid service name {service!r}: use lower-case words joined by '-', e.g. 'connector-wix'"
        )
    return service


def module_for(service: str) -> str:
    """`connector-wix` -> `storelink_connector_wix`."""
    return "storelink_" + check_name(service).replace("-", "_")


def env_prefix_for(service: str) -> str:
    """`connector-wix` -> `STORELINK_CONNECTOR_WIX_`."""
    return "STORELINK_" + check_name(service).replace("-", "_").upper() + "_"


def module_of(service: str, environ: Mapping[str, str]) -> str:
    """The module to run: `STORELINK_<NAME>_MODULE` when set, else `storelink_<name>`."""
    return environ.get(env_prefix_for(service) + "MODULE", "").strip() or module_for(service)


def unrunnable(module: str) -> str | None:
    """Why `python -m <module>` cannot run (not installed; a package without __main__.py), or None."""
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        spec = None
    if spec is None:
        return f"{module} is not installed"
    if spec.submodule_search_locations is not None and importlib.util.find_spec(module + ".__main__") is None:
        return f"{module} has no __main__.py, so it cannot be run as a service"
    return None


def service_from(argv: list[str], environ: Mapping[str, str]) -> str:
    if len(argv) > 1:
        return check_name(argv[1])
    name = environ.get(SERVICE_ENV, "").strip()
    if not name:
        raise LaunchError(f"no service given: pass its name or set {SERVICE_ENV} (e.g. {SERVICE_ENV}=mapper)")
    return check_name(name)


def main() -> None:
    try:
        service = service_from(sys.argv, os.environ)
    except LaunchError as exc:
        print(f"storelink launch: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    module = module_of(service, os.environ)
    os.environ[SERVICE_ENV] = service
    sys.argv = [module, *sys.argv[2:]]
    problem = unrunnable(module)
    if problem is not None:
        print(f"storelink launch: service {service!r}: {problem}", file=sys.stderr)
        raise SystemExit(2)
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
