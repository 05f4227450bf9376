"""HTTP errors with a body a person can act on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from storelink_contracts import ErpSystem, Platform
from storelink_control.i18n import DEFAULT_LANG, Lang, problem_text
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


def problems_of(errors: Sequence[Any], prefix: str = "", lang: Lang = DEFAULT_LANG) -> list[Problem]:
    """pydantic errors → {field, problem in plain words}; the union's tag (wix, metakocka…) is left
    out of the path."""
    out: list[Problem] = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if str(p) not in _DROP]
        if len(loc) > 1 and loc[0] in _TAGS:
            loc = loc[1:]
        loc = [p for i, p in enumerate(loc) if not (p in _TAGS and i > 0 and loc[i - 1] in {"company"})]
        message = problem_text(err, lang)
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


def allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method some route of this path answers (Starlette's 405 names only the first route's)."""
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            return JSONResponse(
                {"detail": "Method Not Allowed"},
                status_code=405,
                headers={"Allow": ", ".join(allowed_methods(app, request))},
            )
        return await http_exception_handler(request, exc)

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


def document_shared_answers(document: dict[str, Any]) -> dict[str, Any]:
    """What every operation can answer besides its own responses, written into the OpenAPI document:
    a body that is not JSON → 400 (FastAPI's "There was an error parsing the body"); a 422 always has
    the `ValidationProblem` shape (the handlers above), also for bad path and query parameters."""
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                responses.setdefault("400", _answer("The body cannot be parsed as JSON", "ErrorOut"))
            if "422" in responses:
                responses["422"] = _answer("Each bad field, and why", "ValidationProblem")
    schemas = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


def _answer(description: str, model: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}},
    }
