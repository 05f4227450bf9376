"""The e-računi API client of one API user (implements `ErpClient`).

e-računi allows one call in flight per API user (a second one is refused with "Another web request
is currently being processed"), so every call of one user goes through one lock; refusals by that
lock and HTTP 429 are waited out with backoff (they did nothing, so resending is safe). A create is
never resent after an unknown outcome here; the processor looks it up first.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from storelink_contracts import DocumentRequested, FiscalCodes
from storelink_erp_eracuni.errors import ErpBusy, classify
from storelink_erp_eracuni.mapping import (
    LIST_METHODS,
    EracuniOptions,
    MappingError,
    build_document,
    method_of,
)
from storelink_erp_kit.client import ConnectionVerdict, ErpDocumentRef, PriceLevel, StockLevel, Verdict
from storelink_erp_kit.errors import ErpAuthFailed, ErpError, ErpRejected, ErpUnavailable
from storelink_erp_kit.http import post_json

DEFAULT_URL = "https://e-racuni.com/WebServicesSI/API"
_user_locks: defaultdict[tuple[str, str, str], asyncio.Lock] = defaultdict(asyncio.Lock)


class EracuniClient:
    def __init__(
        self,
        *,
        username: str,
        secret_key: str,
        token: str,
        url: str = DEFAULT_URL,
        timeout: float = 30.0,
        options: EracuniOptions | None = None,
        busy_attempts: int = 6,
        busy_backoff_seconds: float = 5.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.username = username
        self._secret_key = secret_key
        self._token = token
        self.url = url
        self.timeout = timeout
        self.options = options or EracuniOptions()
        self.busy_attempts = busy_attempts
        self.busy_backoff_seconds = busy_backoff_seconds
        self._http = http or httpx.AsyncClient()
        self._own_http = http is None
        self._lock = _user_locks[(url, username, token)]

    @classmethod
    def from_credentials(
        cls,
        creds: dict[str, Any],
        *,
        url: str = DEFAULT_URL,
        timeout: float = 30.0,
        busy_backoff_seconds: float = 5.0,
    ) -> EracuniClient:
        missing = [k for k in ("username", "secret_key", "token") if not creds.get(k)]
        if missing:
            raise ErpRejected(
                f"the e-računi credentials lack {', '.join(missing)}: enter them in the connection settings",
                code="credentials_incomplete",
            )
        return cls(
            username=str(creds["username"]),
            secret_key=str(creds["secret_key"]),
            token=str(creds["token"]),
            url=str(creds.get("url") or url),
            timeout=timeout,
            options=EracuniOptions.from_credentials(creds),
            busy_backoff_seconds=busy_backoff_seconds,
        )

    def __repr__(self) -> str:
        return f"EracuniClient(username={self.username!r}, url={self.url!r})"

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    def envelope(self, method: str, parameters: dict[str, Any]) -> dict[str, Any]:
        return {
            "username": self.username,
            "secretKey": self._secret_key,
            "token": self._token,
            "method": method,
            "parameters": parameters,
        }

    async def _once(self, method: str, parameters: dict[str, Any], writes: bool) -> Any:
        async with self._lock:
            try:
                response, data = await post_json(
                    self._http,
                    self.url,
                    self.envelope(method, parameters),
                    erp_name="e-računi",
                    timeout=self.timeout,
                    writes=writes,
                )
            except ErpUnavailable as exc:
                if exc.code == "429":
                    raise ErpBusy(exc.reason, code="429", retry_after=exc.retry_after) from None
                raise
        envelope = data.get("response") if isinstance(data, dict) else None
        if not isinstance(envelope, dict):
            raise ErpRejected(
                f"e-računi answered {method} without the response envelope (HTTP {response.status_code}): "
                "check the API address (…/WebServicesSI/API)",
                code="not_json",
            )
        if envelope.get("status") == "ok":
            return envelope.get("result")
        raise classify(str(envelope.get("description") or ""), method=method)

    async def call(self, method: str, parameters: dict[str, Any], *, writes: bool = False) -> Any:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(ErpBusy),
            stop=stop_after_attempt(self.busy_attempts),
            wait=_busy_wait(self.busy_backoff_seconds),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._once(method, parameters, writes)
        raise AssertionError("unreachable")  # pragma: no cover

    # ---------------------------------------------------------------- documents

    def _build(self, doc: DocumentRequested) -> tuple[str, dict[str, Any]]:
        try:
            return build_document(doc, self.options)
        except MappingError as exc:
            raise ErpRejected(str(exc), code="mapping") from None

    def render(self, doc: DocumentRequested, related: ErpDocumentRef | None = None) -> dict[str, Any]:
        method, parameters = self._build(doc)
        body = self.envelope(method, parameters)
        body["secretKey"] = "***"
        body["token"] = "***"  # noqa: S105 - masking
        return {"method": "POST", "url": self.url, "json": body}

    async def create_document(
        self, doc: DocumentRequested, related: ErpDocumentRef | None = None
    ) -> ErpDocumentRef:
        method, parameters = self._build(doc)
        result = await self.call(method, parameters, writes=True)
        if not isinstance(result, dict) or not result.get("documentID"):
            raise ErpUnavailable(f"e-računi answered {method} without a documentID", code="no_document_id")
        return _ref(result)

    async def find_document(self, doc: DocumentRequested) -> ErpDocumentRef | None:
        _, wrapper = method_of(doc.kind)
        day = doc.issued_at.astimezone(UTC).date()
        result = await self.call(
            LIST_METHODS[wrapper],
            {
                "dateFrom": (day - timedelta(days=1)).isoformat(),
                "dateTo": (day + timedelta(days=1)).isoformat(),
            },
        )
        rows = (
            result
            if isinstance(result, list)
            else (result or {}).get(wrapper + "s", [])
            if isinstance(result, dict)
            else []
        )
        for row in rows:
            if str(row.get("reference")) == doc.order_number:
                return _ref(row)
        return None

    # ---------------------------------------------------------------- connection test and stock

    async def test_connection(self) -> ConnectionVerdict:
        today = datetime.now(UTC).date().isoformat()
        try:
            await self.call("SalesInvoiceList", {"dateFrom": today, "dateTo": today})
        except ErpAuthFailed as exc:
            code = exc.code or ""
            verdict = (
                Verdict.MISSING_PRIVILEGES
                if code == "privileges"
                else Verdict.WRONG_SECRET
                if code == "auth:secret"
                else Verdict.WRONG_ACCOUNT
            )
            return ConnectionVerdict(verdict, exc.reason)
        except ErpUnavailable as exc:
            return ConnectionVerdict(Verdict.UNREACHABLE, exc.reason)
        except ErpError as exc:
            return ConnectionVerdict(Verdict.UNEXPECTED, exc.reason)
        return ConnectionVerdict(
            Verdict.OK, f"e-računi answers for API user {self.username}; the key and token work"
        )

    async def read_stock(self, warehouse: str | None = None) -> list[StockLevel]:
        params: dict[str, Any] = {"queryType": "perWarehouseAvailableStock"}
        if warehouse:
            params["warehouseCode"] = warehouse
        result = await self.call("WarehouseGetArticleStockQuantity", params)
        rows = result.get("StockQuantityInfo", []) if isinstance(result, dict) else (result or [])
        totals: dict[tuple[str, str], Decimal] = {}
        for row in rows:
            key = (str(row.get("warehouseCode") or warehouse or "*"), str(row["productCode"]))
            try:
                qty = Decimal(str(row.get("quantity", "0")).replace(",", "."))
            except InvalidOperation:
                raise ErpRejected(f"e-računi returned {row.get('quantity')!r} as a stock quantity") from None
            totals[key] = totals.get(key, Decimal(0)) + qty
        return [StockLevel(warehouse=w, sku=s, quantity=q) for (w, s), q in sorted(totals.items())]

    async def read_prices(self, price_lists: list[str]) -> list[PriceLevel]:
        return []  # e-računi documents no price-list read; prices come from the ingest or MetaKocka


def _busy_wait(base: float) -> Any:
    exponential = wait_exponential_jitter(multiplier=base, max=base * 6, jitter=base / 2)

    def wait(retry_state: Any) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        after = getattr(exc, "retry_after", None) or 0.0
        return max(float(exponential(retry_state)), float(after))

    return wait


def _ref(row: dict[str, Any]) -> ErpDocumentRef:
    zoi = row.get("zoi")
    fiscal = FiscalCodes(zoi=str(zoi), eor=str(row["eor"]) if row.get("eor") else None) if zoi else None
    return ErpDocumentRef(erp_id=str(row["documentID"]), number=row.get("number"), fiscal=fiscal)
