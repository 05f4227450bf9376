"""The ERP event ingest: an authenticated HTTP door to the stock and prices topics.

For ERPs that cannot speak Kafka. A batch of StockChanged (or PriceChanged) events is checked
against the contracts (the same models the published JSON Schemas in docs/schemas come from); one
bad item rejects the whole batch with a reason per item and nothing of it is published. A good
batch is answered only after Kafka acknowledged every event (acks=all). Each bearer token belongs
to one tenant and may only publish that tenant's events.

Run: `python -m storelink_erp_kit.ingest` with `STORELINK_ERP_INGEST_TOKENS='{"acme": "<token>"}'`
(deployed as service `erp-ingest` of deploy/services.toml; for ERP teams: docs/erp-ingest.md).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, generate_latest
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import SettingsConfigDict

from storelink_contracts import Event, PriceChanged, StockChanged
from storelink_kit.broker import make_broker, start_with_retry
from storelink_kit.health import health_router, kafka_answers
from storelink_kit.jsonbody import JsonBodyError, parse_json_body
from storelink_kit.publishing import EventPublisher
from storelink_kit.service import serve
from storelink_kit.settings import ServiceSettings

log = logging.getLogger("storelink.erp.ingest")
MAX_BATCH = 5000
MIN_TOKEN_LENGTH = 24
BATCHES = Counter("storelink_ingest_batches", "ERP ingest batches by kind and outcome", ["kind", "outcome"])
EVENTS = Counter("storelink_ingest_events", "Events the ERP ingest published", ["kind"])


class IngestSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="STORELINK_ERP_INGEST_", extra="ignore")

    service_name: str = "erp-ingest"
    http_port: int = 8095
    tokens: dict[str, SecretStr] = Field(
        default_factory=dict, description="tenant id → bearer token (JSON in STORELINK_ERP_INGEST_TOKENS)"
    )

    @field_validator("tokens")
    @classmethod
    def _strong_and_one_tenant_each(cls, tokens: dict[str, SecretStr]) -> dict[str, SecretStr]:
        """A guessable or shared token would let one tenant write another's stock and prices."""
        for tenant, token in tokens.items():
            if len(token.get_secret_value()) < MIN_TOKEN_LENGTH:
                raise ValueError(
                    f"the token of tenant {tenant!r} is too short: use at least {MIN_TOKEN_LENGTH} "
                    "characters, e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'"
                )
        values = [token.get_secret_value() for token in tokens.values()]
        if len(set(values)) != len(values):
            raise ValueError("two tenants share a token: each token must belong to one tenant only")
        return tokens


def tenant_of(tokens: dict[str, SecretStr], authorization: str | None) -> str | None:
    """The tenant whose token is presented (constant-time comparison against every token)."""
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    given = authorization[7:].strip().encode("utf-8", "surrogatepass")
    found = None
    for tenant, token in tokens.items():
        if hmac.compare_digest(given, token.get_secret_value().encode()):
            found = tenant
    return found


def _reasons(exc: ValidationError) -> list[str]:
    out = []
    for e in exc.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(event)"
        out.append(f"{where}: {e['msg']}")
    return out


def validate_batch(
    model: type[StockChanged] | type[PriceChanged], items: Any, tenant: str
) -> tuple[list[Event], list[dict[str, Any]]]:
    """(events, errors); errors carry the item index and every reason found."""
    if isinstance(items, dict) and "events" in items:
        items = items["events"]
    if not isinstance(items, list):
        return [], [
            {"index": None, "reasons": ['the body must be a JSON array of events or {"events": [...]}']}
        ]
    if not items:
        return [], [{"index": None, "reasons": ["the batch is empty"]}]
    if len(items) > MAX_BATCH:
        return [], [{"index": None, "reasons": [f"at most {MAX_BATCH} events per batch, got {len(items)}"]}]
    events: list[Event] = []
    errors: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        try:  # JSON mode: exactly the wire rules the published schemas state (docs/schemas)
            event = model.model_validate_json(json.dumps(item))
        except ValidationError as exc:
            errors.append({"index": i, "reasons": _reasons(exc)})
            continue
        if event.tenant_id != tenant:
            errors.append(
                {"index": i, "reasons": [f"tenant_id {event.tenant_id!r} does not belong to this token"]}
            )
            continue
        events.append(event)
    return events, errors


def create_ingest_app(settings: IngestSettings, broker: KafkaBroker | None = None) -> FastAPI:
    broker = broker or make_broker(settings, dead_letters=False)
    publisher = EventPublisher(broker, settings.kafka.topics, source=f"storelink/{settings.service_name}")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await start_with_retry(broker, settings.kafka)
        try:
            yield
        finally:
            await broker.stop()

    app = FastAPI(title="Storelink ERP event ingest", lifespan=lifespan)

    async def ingest(request: Request, model: type[StockChanged] | type[PriceChanged]) -> JSONResponse:
        kind = "stock" if model is StockChanged else "prices"
        tenant = tenant_of(settings.tokens, request.headers.get("authorization"))
        if tenant is None:
            BATCHES.labels(kind, "unauthorized").inc()
            return JSONResponse(
                {"accepted": False, "reason": "missing or unknown bearer token"},
                status_code=401,
                headers={"www-authenticate": "Bearer"},
            )
        try:
            body = parse_json_body(await request.body())
        except JsonBodyError as exc:
            BATCHES.labels(kind, "invalid").inc()
            return JSONResponse({"accepted": False, "reason": str(exc)}, status_code=400)
        events, errors = validate_batch(model, body, tenant)
        if errors:
            BATCHES.labels(kind, "invalid").inc()
            return JSONResponse(
                {
                    "accepted": False,
                    "published": 0,
                    "reason": f"{len(errors)} invalid item(s); nothing was published",
                    "errors": errors,
                },
                status_code=422,
            )
        try:
            await publisher.publish_many(((e, None) for e in events), origin=f"erp-ingest:{tenant}")
        except Exception as exc:  # the caller must retry: values are absolute, so a re-send is harmless
            log.warning("publishing an ingest batch failed", extra={"tenant": tenant, "error": str(exc)})
            BATCHES.labels(kind, "kafka_failed").inc()
            return JSONResponse(
                {"accepted": False, "reason": "Kafka did not accept the batch; retry it"}, status_code=503
            )
        BATCHES.labels(kind, "published").inc()
        EVENTS.labels(kind).inc(len(events))
        return JSONResponse({"accepted": True, "published": len(events)}, status_code=202)

    @app.post("/v1/stock")
    async def stock(request: Request) -> JSONResponse:
        return await ingest(request, StockChanged)

    @app.post("/v1/prices")
    async def prices(request: Request) -> JSONResponse:
        return await ingest(request, PriceChanged)

    # ready when Kafka answers: a batch is only ever acknowledged after Kafka has it
    app.include_router(health_router(kafka_answers(lambda: broker)))

    @app.get("/metrics")
    async def metrics() -> Response:
        """Prometheus text at exactly /metrics (a mount would answer 307 to /metrics/)."""
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return app


def main() -> None:
    settings = IngestSettings()
    if not settings.tokens:
        log.warning("no tokens in STORELINK_ERP_INGEST_TOKENS: every batch will be refused (401)")
    serve(create_ingest_app(settings), settings)


if __name__ == "__main__":
    main()
