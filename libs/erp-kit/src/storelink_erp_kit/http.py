"""One HTTP call to an ERP, with transport failures turned into the ERP error classes.

`writes=True` marks a call that may store something: a timeout or 5xx after sending it means the
outcome is unknown (look it up before creating again), not merely "unavailable".
"""

from __future__ import annotations

import json
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from storelink_erp_kit.errors import ErpOutcomeUnknown, ErpUnavailable


def retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from datetime import UTC, datetime

        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    body: dict[str, Any],
    *,
    erp_name: str,
    timeout: float,
    writes: bool,
) -> tuple[httpx.Response, Any | None]:
    """(response, parsed JSON or None when the body is not JSON). Raises ErpUnavailable/ErpOutcomeUnknown."""
    host = urlsplit(url).netloc
    unknown = ErpOutcomeUnknown if writes else ErpUnavailable
    try:
        response = await client.post(
            url, content=json.dumps(body), timeout=timeout, headers={"content-type": "application/json"}
        )
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise ErpUnavailable(
            f"{erp_name} cannot be reached at {host} ({type(exc).__name__})", code="unreachable"
        ) from None
    except httpx.TimeoutException:
        raise unknown(
            f"{erp_name} did not answer within {timeout:g} s"
            + ("; the document may have been stored" if writes else ""),
            code="timeout",
        ) from None
    except httpx.TransportError as exc:
        raise unknown(
            f"the connection to {erp_name} broke ({type(exc).__name__})", code="transport"
        ) from None
    if response.status_code == 429:
        raise ErpUnavailable(
            f"{erp_name} is rate limiting requests (HTTP 429)",
            code="429",
            retry_after=retry_after_seconds(response.headers.get("retry-after")),
        )
    try:
        data = response.json()
    except ValueError:
        data = None
    if data is None and response.status_code >= 500:
        raise unknown(f"{erp_name} failed with HTTP {response.status_code}", code=str(response.status_code))
    return response, data
