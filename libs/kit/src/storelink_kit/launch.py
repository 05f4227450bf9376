"""Start a service by name: one image runs every service (`STORELINK_SERVICE` or the first argument).

`python -m storelink_kit.launch mapper` runs `python -m storelink_mapper`; the name is also what the
service's settings prefix is made from (`STORELINK_MAPPER_`), so the health check can find its port.
"""

from __future__ import annotations

import importlib.util
import os
import re
import runpy
import sys

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


def service_from(argv: list[str], environ: os._Environ[str] | dict[str, str]) -> str:
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
    module = module_for(service)
    os.environ[SERVICE_ENV] = service
    sys.argv = [module, *sys.argv[2:]]
    if importlib.util.find_spec(module) is None:
        print(f"storelink launch: service {service!r} is not installed (no {module})", file=sys.stderr)
        raise SystemExit(2)
    if importlib.util.find_spec(module + ".__main__") is None:
        print(
            f"storelink launch: {module} has no __main__.py, so it cannot be run as a service",
            file=sys.stderr,
        )
        raise SystemExit(2)
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
