"""HTTP errors with a body a person can act on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.orm.exc import StaleDataError

from storelink_contracts import ErpSystem, Platform
from storelink_control.schemas import CREATE_MODELS, Problem

_TAGS = {p.value for p in Platform} | {e.value for e in ErpSystem}
_DROP = {"body", "query", "path", "function-after", "function-before"}


class NotFound(Exception):
    """Also what another tenant's resource looks like: it does not exist for this caller."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")


class Conflict(Exception):
    pass


class Invalid(Exception):
    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.problem}" for p in problems))
        self.problems = list(problems)


class Unavailable(Exception):
    """A dependency (Kafka) did not take the change; nothing was saved."""


def problems_of(errors: Sequence[Any], prefix: str = "") -> list[Problem]:
    """pydantic errors → {field, problem}; the union's tag (wix, metakocka…) is left out of the path."""
    out: list[Problem] = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if str(p) not in _DROP]
        if len(loc) > 1 and loc[0] in _TAGS:
            loc = loc[1:]
        loc = [p for i, p in enumerate(loc) if not (p in _TAGS and i > 0 and loc[i - 1] in {"company"})]
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if err.get("type") in ("union_tag_invalid", "union_tag_not_found"):
            tag = str(err.get("ctx", {}).get("discriminator", "")).strip("'\"")
            loc = [*loc, tag]
            allowed = (
                sorted(p.value for p in CREATE_MODELS)
                if tag == "platform"
                else sorted(e.value for e in ErpSystem)
            )
            given = err.get("ctx", {}).get("tag")
            message = f"must be one of {', '.join(allowed)}" + (f" (got {given!r})" if given else "")
        field = prefix + ".".join(loc) if loc else (prefix.rstrip(".") or "body")
        out.append(Problem(field=field, problem=message))
    return out


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _request_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = problems_of(exc.errors())
        return _invalid(problems)

    @app.exception_handler(ValidationError)
    async def _model_invalid(request: Request, exc: ValidationError) -> JSONResponse:
        return _invalid(problems_of(exc.errors()))

    @app.exception_handler(Invalid)
    async def _invalid_handler(request: Request, exc: Invalid) -> JSONResponse:
        return _invalid(exc.problems)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> JSONResponse:
        return JSONResponse(
            {"detail": "someone changed this at the same moment; reload it and try again"}, status_code=409
        )

    @app.exception_handler(PermissionError)
    async def _forbidden(request: Request, exc: PermissionError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=403)

    @app.exception_handler(Unavailable)
    async def _unavailable(request: Request, exc: Unavailable) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "5"})


def _invalid(problems: list[Problem]) -> JSONResponse:
    summary = "; ".join(f"{p.field}: {p.problem}" for p in problems)
    return JSONResponse(
        {"detail": f"invalid request: {summary}", "errors": [p.model_dump() for p in problems]},
        status_code=422,
    )
