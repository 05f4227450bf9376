"""Container health check without curl: GET the service's /healthz with the standard library.

The port is the service's own setting (`STORELINK_<SERVICE>_HTTP_PORT`, service from
`STORELINK_SERVICE`), or `STORELINK_HEALTHCHECK_URL` when set. Exit 0 when healthy, 1 otherwise.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping

from storelink_kit.launch import SERVICE_ENV, LaunchError, env_prefix_for

DEFAULT_PORT = 8080


def health_url(environ: Mapping[str, str]) -> str:
    explicit = environ.get("STORELINK_HEALTHCHECK_URL")
    if explicit:
        return explicit
    service = environ.get(SERVICE_ENV, "")
    if not service:
        raise LaunchError(f"{SERVICE_ENV} is not set and STORELINK_HEALTHCHECK_URL is not given")
    port = environ.get(env_prefix_for(service) + "HTTP_PORT", str(DEFAULT_PORT))
    return f"http://127.0.0.1:{int(port)}/healthz"


def check(url: str, timeout: float = 3.0) -> tuple[bool, str]:
    if not url.startswith(("http://", "https://")):
        return False, f"not an http(s) URL: {url}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - scheme checked
            return 200 <= response.status < 300, f"{url} -> {response.status}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return False, f"{url} -> {exc}"


def main() -> None:
    try:
        url = health_url(os.environ)
    except (LaunchError, ValueError) as exc:
        print(f"healthcheck: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    ok, detail = check(url)
    print(detail, file=sys.stderr)
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
