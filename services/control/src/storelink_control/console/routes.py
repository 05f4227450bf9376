"""The operator console: server-rendered pages (Jinja2) with htmx for the live parts.

Every page acts as the signed-in token's principal through the same operations the API uses
(`operations`, `api.documents`, `api.problems`), so the console can do nothing the API would not
let that token do, and every form is validated by the API's own models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from storelink_contracts import ErpSystem, Platform
from storelink_control import operations as ops
from storelink_control.api.connections import status_of
from storelink_control.api.documents import list_documents_of, retry_documents, timelines
from storelink_control.api.views import connection_out, dead_letter_out
from storelink_control.auth import Principal, principal_for
from storelink_control.console.forms import PRICE_LIST_ROWS, FieldSpec, fields_of, flat, values_from_form
from storelink_control.console.session import (
    COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_SECONDS,
    SignInNeeded,
    check_csrf,
    console_principal,
    csrf_token,
)
from storelink_control.control import Control, get_control
from storelink_control.db.tables import ApiToken, AttentionItem, DeadLetter, Tenant
from storelink_control.erp_test import run_erp_test
from storelink_control.errors import Invalid, NotFound, Unavailable, problems_of
from storelink_control.i18n import LANGS, Lang, as_lang, text
from storelink_control.replay import replay_attention, replay_dead_letter
from storelink_control.rules import check_company, check_settings
from storelink_control.schemas import (
    CREATE_MODELS,
    CREDENTIALS_MODELS,
    ERP_CREDENTIALS_MODELS,
    CompanyBase,
    CompanyUpdate,
    ConnectionSettings,
    ConnectionUpdate,
    DocumentRetry,
    Problem,
    TenantCreate,
)
from storelink_control.secrecy import secret_fields
from storelink_control.testers import run_test
from storelink_control.webhooks import webhook_url

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(prefix="/console", include_in_schema=False)
Me = Annotated[Principal, Depends(console_principal)]
Ctl = Annotated[Control, Depends(get_control)]
Csrf = Depends(check_csrf)

PLATFORMS = tuple(CREDENTIALS_MODELS)
"""The installed shop plugins, in name order."""
SETTINGS_SKIP = frozenset({"platform", "credentials"})
COMPANY_FIELDS = fields_of(CompanyBase)


LANG_COOKIE = "storelink_console_lang"
"""The last chosen language on this browser, so the sign-in page speaks it too (the choice itself
is stored on the user's token)."""


def lang_of(request: Request, me: Principal | None) -> Lang:
    if me is not None and me.language:
        return as_lang(me.language)
    return as_lang(request.cookies.get(LANG_COOKIE) or request.headers.get("accept-language"))


def remember_language(response: Response, lang: str) -> None:
    response.set_cookie(
        LANG_COOKIE, as_lang(lang), max_age=365 * 86400, httponly=True, samesite="strict", path="/console"
    )


def page(
    request: Request, name: str, me: Principal | None, status_code: int = 200, **context: Any
) -> Response:
    lang = lang_of(request, me)
    session = request.cookies.get(COOKIE) or ""

    def t(key: str, **params: Any) -> str:
        return text(key, lang, **params)

    return templates.TemplateResponse(
        request,
        name,
        {
            "t": t,
            "lang": lang,
            "langs": LANGS,
            "me": me,
            "csrf": csrf_token(session) if session else "",
            "csrf_field": CSRF_FIELD,
            "csrf_header": CSRF_HEADER,
            "price_list_rows": PRICE_LIST_ROWS,
            **context,
        },
        status_code=status_code,
    )


def errors_by_field(problems: list[Problem]) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in problems:
        field = p.field.removeprefix("company.")
        out[field] = f"{out[field]}; {p.problem}" if field in out else p.problem
    return out


def install(app: FastAPI) -> None:
    """Mount the console on the control app (pages, static files, the sign-in redirect)."""
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")

    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, exc: SignInNeeded) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=204, headers={"HX-Redirect": "/console/sign-in"})
        return RedirectResponse("/console/sign-in", status_code=303)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/console", status_code=303)


# --------------------------------------------------------------------------- sign-in, language


@router.get("/sign-in")
async def sign_in_page(request: Request) -> Response:
    return page(request, "sign_in.html", None)


@router.post("/sign-in")
async def sign_in(request: Request, control: Ctl, token: Annotated[str, Form()] = "") -> Response:
    try:
        me = await principal_for(control, token.strip())
    except Exception:
        return page(request, "sign_in.html", None, status_code=401, error=True)
    response = RedirectResponse("/console", status_code=303)
    if me.language:
        remember_language(response, me.language)
    response.set_cookie(
        COOKIE,
        token.strip(),
        max_age=SESSION_SECONDS,
        httponly=True,
        secure=control.settings.console_cookie_secure,
        samesite="strict",
        path="/console",
    )
    return response


@router.post("/sign-out", dependencies=[Csrf])
async def sign_out() -> Response:
    response = RedirectResponse("/console/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response


@router.post("/language", dependencies=[Csrf])
async def language(request: Request, me: Me, control: Ctl, lang: Annotated[str, Form()]) -> Response:
    """Remembered per user: stored on the user's token."""
    async with control.sessions() as session, session.begin():
        row = await session.get(ApiToken, me.token_id)
        if row is not None:
            row.language = as_lang(lang)
    back = request.headers.get("referer") or "/console"
    response = RedirectResponse(back if "/console" in back else "/console", status_code=303)
    remember_language(response, lang)
    return response


# --------------------------------------------------------------------------- home and status


async def visible_tenants(control: Control, me: Principal) -> list[Tenant]:
    async with control.sessions() as session:
        query = select(Tenant).order_by(Tenant.id)
        if me.tenant_id is not None:
            query = query.where(Tenant.id == me.tenant_id)
        return list((await session.scalars(query)).all())


async def status_rows(control: Control, me: Principal) -> list[Any]:
    async with control.sessions() as session:
        rows = await ops.live_connections(session, me.tenant_id)
    return [await status_of(control, c) for c in rows]


@router.get("")
async def home(request: Request, me: Me, control: Ctl) -> Response:
    tenants = await visible_tenants(control, me)
    return page(request, "home.html", me, tenants=tenants, statuses=await status_rows(control, me))


@router.get("/status")
async def status_fragment(request: Request, me: Me, control: Ctl) -> Response:
    return page(request, "status.html", me, statuses=await status_rows(control, me))


# --------------------------------------------------------------------------- tenants (company profile)


def company_specs(erp: ErpSystem) -> list[FieldSpec]:
    return fields_of(ERP_CREDENTIALS_MODELS[erp], "erp_credentials.")


def _erp_of(value: str | None, default: ErpSystem = ErpSystem.METAKOCKA) -> ErpSystem:
    try:
        return ErpSystem(value) if value else default
    except ValueError:
        return default


@router.get("/tenants/new")
async def new_tenant(request: Request, me: Me, erp: str | None = None) -> Response:
    chosen = _erp_of(erp)
    return page(
        request,
        "company.html",
        me,
        tenant=None,
        erp=chosen,
        company_fields=COMPANY_FIELDS,
        erp_fields=company_specs(chosen),
        values={"country": "SI", "erp": chosen.value},
        errors={},
        secrets_saved=False,
    )


@router.post("/tenants/new", dependencies=[Csrf])
async def create_tenant(request: Request, me: Me, control: Ctl) -> Response:
    form = await request.form()
    erp = _erp_of(str(form.get("erp") or ""))
    lang = lang_of(request, me)
    company = values_from_form(form, [*COMPANY_FIELDS, *company_specs(erp)])
    company["erp"] = erp.value
    tenant_id = str(form.get("tenant_id") or "").strip()
    problems: list[Problem] = []
    try:
        body = TenantCreate.model_validate({"tenant_id": tenant_id, "company": company})
        problems = check_company(body.company)
    except ValidationError as exc:
        problems = problems_of(exc.errors(), lang=lang)
    if not problems:
        try:
            await ops.create_tenant(control, me, body)
        except PermissionError:
            problems = [Problem(field="tenant_id", problem=text("console.operator_only", lang))]
        except Exception as exc:  # Conflict: the id is taken
            problems = [Problem(field="tenant_id", problem=str(exc))]
    if problems:
        return page(
            request,
            "company.html",
            me,
            status_code=422,
            tenant=None,
            erp=erp,
            company_fields=COMPANY_FIELDS,
            erp_fields=company_specs(erp),
            values={
                **flat({k: v for k, v in company.items() if k != "erp_credentials"}),
                "tenant_id": tenant_id,
            },
            errors=errors_by_field(problems),
            secrets_saved=False,
        )
    return RedirectResponse(f"/console/tenants/{quote(tenant_id)}?saved=1", status_code=303)


async def _tenant_page(
    request: Request,
    me: Principal,
    control: Control,
    tenant: Tenant,
    *,
    erp: ErpSystem | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    saved: bool = False,
) -> Response:
    chosen = erp or ErpSystem(tenant.erp)
    stored = dict(tenant.erp_credentials_masked or {}) if chosen.value == tenant.erp else {}
    secrets = secret_fields(ERP_CREDENTIALS_MODELS[chosen])
    shown = {
        "name": tenant.name,
        "country": tenant.country,
        "vat_id": tenant.vat_id or "",
        "oss_registered": tenant.oss_registered,
        "fiscal_verification": tenant.fiscal_verification,
        **{f"erp_credentials.{k}": v for k, v in stored.items() if k not in secrets},
    }
    async with control.sessions() as session:
        connections = await ops.live_connections(session, tenant.id)
    return page(
        request,
        "company.html",
        me,
        status_code=status_code,
        tenant=tenant,
        erp=chosen,
        company_fields=COMPANY_FIELDS,
        erp_fields=company_specs(chosen),
        values=values if values is not None else shown,
        errors=errors or {},
        secrets_saved=bool(stored),
        connections=connections,
        platforms=PLATFORMS,
        saved=saved,
    )


@router.get("/tenants/{tenant_id}")
async def tenant_page(
    request: Request, tenant_id: str, me: Me, control: Ctl, erp: str | None = None, saved: int = 0
) -> Response:
    async with control.sessions() as session:
        tenant = await ops.get_tenant(session, me, tenant_id)
    return await _tenant_page(
        request, me, control, tenant, erp=_erp_of(erp, ErpSystem(tenant.erp)), saved=bool(saved)
    )


@router.post("/tenants/{tenant_id}", dependencies=[Csrf])
async def save_company(request: Request, tenant_id: str, me: Me, control: Ctl) -> Response:
    form = await request.form()
    lang = lang_of(request, me)
    async with control.sessions() as session:
        tenant = await ops.get_tenant(session, me, tenant_id)
    erp = _erp_of(str(form.get("erp") or ""), ErpSystem(tenant.erp))
    company = values_from_form(form, [*COMPANY_FIELDS, *company_specs(erp)])
    company["erp"] = erp.value
    typed = {k: v for k, v in (company.get("erp_credentials") or {}).items() if str(v).strip()}
    if typed and erp.value == tenant.erp and tenant.erp_credentials_encrypted:
        # a secret left blank keeps the saved one (it is never shown again)
        stored = control.box.decrypt_json(tenant.erp_credentials_encrypted)
        company["erp_credentials"] = {**{k: str(v) for k, v in stored.items()}, **typed}
    elif not typed:
        company.pop("erp_credentials", None)
    problems: list[Problem] = []
    try:
        body = CompanyUpdate.model_validate({"company": company})
        problems = check_company(body.company)
    except ValidationError as exc:
        problems = problems_of(exc.errors(), lang=lang)
    if not problems:
        try:
            await ops.update_company(control, me, tenant_id, body.company)
        except Invalid as exc:
            problems = exc.problems
        except Unavailable as exc:
            problems = [Problem(field="name", problem=str(exc))]
    if problems:
        values = flat({k: v for k, v in company.items() if k != "erp_credentials"})
        values.update({f"erp_credentials.{k}": v for k, v in typed.items() if k not in _secrets(erp)})
        return await _tenant_page(
            request,
            me,
            control,
            tenant,
            erp=erp,
            values=values,
            errors=errors_by_field(problems),
            status_code=422,
        )
    return RedirectResponse(f"/console/tenants/{quote(tenant_id)}?saved=1", status_code=303)


def _secrets(erp: ErpSystem) -> frozenset[str]:
    return secret_fields(ERP_CREDENTIALS_MODELS[erp])


@router.post("/tenants/{tenant_id}/test-erp", dependencies=[Csrf])
async def test_erp(request: Request, tenant_id: str, me: Me, control: Ctl) -> Response:
    async with control.sessions() as session:
        tenant = await ops.get_tenant(session, me, tenant_id)
    result = await run_erp_test(control, tenant)
    return page(
        request, "verdict.html", me, verdict=result.verdict, reason=result.reason, message=result.message
    )


# --------------------------------------------------------------------------- connections


def settings_specs(platform: Platform) -> list[FieldSpec]:
    return fields_of(CREATE_MODELS[platform], skip=SETTINGS_SKIP)


def credential_specs(platform: Platform) -> list[FieldSpec]:
    return fields_of(CREDENTIALS_MODELS[platform], "credentials.")


def _platform(value: str | None) -> Platform:
    """The platform a link asks for; an unknown or missing one is the first installed plugin."""
    try:
        platform = Platform(value or "")
    except ValueError:
        return PLATFORMS[0]
    return platform if platform in PLATFORMS else PLATFORMS[0]


def _connection_page(
    request: Request,
    me: Principal,
    *,
    tenant_id: str,
    platform: Platform,
    connection: Any = None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    new_webhook_url: str | None = None,
    saved: bool = False,
) -> Response:
    return page(
        request,
        "connection.html",
        me,
        status_code=status_code,
        tenant_id=tenant_id,
        platform=platform,
        connection=connection,
        credential_fields=credential_specs(platform),
        settings_fields=settings_specs(platform),
        values=values,
        errors=errors or {},
        new_webhook_url=new_webhook_url,
        saved=saved,
    )


def _defaults() -> dict[str, Any]:
    return flat(ConnectionSettings().model_dump(mode="json"))


@router.get("/tenants/{tenant_id}/connections/new")
async def new_connection(
    request: Request, tenant_id: str, me: Me, control: Ctl, platform: str | None = None
) -> Response:
    async with control.sessions() as session:
        await ops.get_tenant(session, me, tenant_id)
    return _connection_page(
        request, me, tenant_id=tenant_id, platform=_platform(platform), values=_defaults()
    )


@router.post("/tenants/{tenant_id}/connections/new", dependencies=[Csrf])
async def create_connection(request: Request, tenant_id: str, me: Me, control: Ctl) -> Response:
    form = await request.form()
    lang = lang_of(request, me)
    platform = _platform(str(form.get("platform") or ""))
    data = values_from_form(form, [*settings_specs(platform), *credential_specs(platform)])
    data["platform"] = platform.value
    data.setdefault("credentials", {})
    problems: list[Problem] = []
    try:
        body: Any = CREATE_MODELS[platform].model_validate(data)
        problems = check_settings(body)
    except ValidationError as exc:
        problems = problems_of(exc.errors(), lang=lang)
    if not problems:
        try:
            connection, token = await ops.create_connection(control, me, tenant_id, body)
        except Invalid as exc:
            problems = exc.problems
        except Unavailable as exc:
            problems = [Problem(field="description", problem=str(exc))]
    if problems:
        secrets = secret_fields(CREDENTIALS_MODELS[platform])
        shown = {k: v for k, v in flat(data).items() if k.removeprefix("credentials.") not in secrets}
        return _connection_page(
            request,
            me,
            tenant_id=tenant_id,
            platform=platform,
            values=shown,
            errors=errors_by_field(problems),
            status_code=422,
        )
    url = webhook_url(control.settings.webhook_base(platform.value), platform.value, connection.id, token)
    return _connection_page(
        request,
        me,
        tenant_id=tenant_id,
        platform=platform,
        connection=connection_out(connection, control.settings),
        values=_values_of(connection_out(connection, control.settings)),
        new_webhook_url=url,
        saved=True,
    )


def _values_of(out: BaseModel) -> dict[str, Any]:
    data = out.model_dump(mode="json")
    secrets = secret_fields(CREDENTIALS_MODELS[Platform(data["platform"])])
    creds = {k: v for k, v in data.pop("credentials").items() if k not in secrets}
    return {**flat(data), **{f"credentials.{k}": v for k, v in creds.items()}}


@router.get("/connections/{connection_id}")
async def connection_page(
    request: Request, connection_id: str, me: Me, control: Ctl, saved: int = 0
) -> Response:
    async with control.sessions() as session:
        connection = await ops.get_connection(session, me, connection_id)
    out = connection_out(connection, control.settings)
    return _connection_page(
        request,
        me,
        tenant_id=connection.tenant_id,
        platform=Platform(connection.platform),
        connection=out,
        values=_values_of(out),
        saved=bool(saved),
    )


@router.post("/connections/{connection_id}", dependencies=[Csrf])
async def save_connection(request: Request, connection_id: str, me: Me, control: Ctl) -> Response:
    form = await request.form()
    lang = lang_of(request, me)
    async with control.sessions() as session:
        connection = await ops.get_connection(session, me, connection_id)
    platform = Platform(connection.platform)
    data = values_from_form(form, [*settings_specs(platform), *credential_specs(platform)])
    typed = {k: v for k, v in (data.pop("credentials", None) or {}).items() if str(v).strip()}
    stored = {k: str(v) for k, v in control.box.decrypt_json(connection.credentials_encrypted).items()}
    settings = {k: v for k, v in data.items() if k in ConnectionSettings.model_fields}
    problems: list[Problem] = []
    try:
        model: Any = CREATE_MODELS[platform].model_validate(
            {**settings, "platform": platform.value, "credentials": {**stored, **typed}}
        )
        problems = check_settings(model)
    except ValidationError as exc:
        problems = problems_of(exc.errors(), lang=lang)
    if not problems:
        try:
            await ops.update_connection(
                control,
                me,
                connection_id,
                ConnectionUpdate.model_validate({**settings, "credentials": typed or None}),
            )
        except (Invalid, ValidationError) as exc:
            problems = exc.problems if isinstance(exc, Invalid) else problems_of(exc.errors(), lang=lang)
        except Unavailable as exc:
            problems = [Problem(field="description", problem=str(exc))]
    if problems:
        secrets = secret_fields(CREDENTIALS_MODELS[platform])
        shown = flat(settings) | {f"credentials.{k}": v for k, v in typed.items() if k not in secrets}
        out = connection_out(connection, control.settings)
        return _connection_page(
            request,
            me,
            tenant_id=connection.tenant_id,
            platform=platform,
            connection=out,
            values={**_values_of(out), **shown},
            errors=errors_by_field(problems),
            status_code=422,
        )
    return RedirectResponse(f"/console/connections/{quote(connection_id)}?saved=1", status_code=303)


@router.post("/connections/{connection_id}/test", dependencies=[Csrf])
async def test_connection(request: Request, connection_id: str, me: Me, control: Ctl) -> Response:
    async with control.sessions() as session:
        connection = await ops.get_connection(session, me, connection_id)
    platform = Platform(connection.platform)
    clear = {k: str(v) for k, v in control.box.decrypt_json(connection.credentials_encrypted).items()}
    outcome = await run_test(control.testers, platform, clear, control.settings.test_timeout_seconds)
    return page(
        request, "verdict.html", me, verdict=outcome.verdict, reason=outcome.reason, message=outcome.message
    )


@router.post("/connections/{connection_id}/webhook", dependencies=[Csrf])
async def rotate_webhook(request: Request, connection_id: str, me: Me, control: Ctl) -> Response:
    connection, token = await ops.rotate_webhook(control, me, connection_id)
    url = webhook_url(
        control.settings.webhook_base(connection.platform), connection.platform, connection.id, token
    )
    return page(request, "webhook.html", me, platform=Platform(connection.platform), new_webhook_url=url)


# --------------------------------------------------------------------------- inbox


@router.get("/inbox")
async def inbox(request: Request, me: Me, control: Ctl, done: str | None = None) -> Response:
    async with control.sessions() as session:
        query = select(AttentionItem).where(AttentionItem.resolved.is_(False)).order_by(AttentionItem.id)
        dead = select(DeadLetter).where(DeadLetter.replayed_at.is_(None)).order_by(DeadLetter.id)
        if me.tenant_id is not None:
            query = query.where(AttentionItem.tenant_id == me.tenant_id)
            dead = dead.where(DeadLetter.tenant_id == me.tenant_id)
        attention = list((await session.scalars(query)).all())
        dead_letters = [dead_letter_out(r) for r in (await session.scalars(dead)).all()]
    failed = await list_documents_of(control, me, "failed", None)
    return page(
        request, "inbox.html", me, attention=attention, failed=failed, dead_letters=dead_letters, done=done
    )


@router.post("/inbox/documents/retry", dependencies=[Csrf])
async def retry(request: Request, me: Me, control: Ctl) -> Response:
    form = await request.form()
    key = str(form.get("idempotency_key") or "") or None
    result = await retry_documents(control, me, DocumentRetry(idempotency_key=key))
    return RedirectResponse(f"/console/inbox?done={quote(result.message)}", status_code=303)


@router.post("/inbox/attention/{item_id}/replay", dependencies=[Csrf])
async def replay_item(item_id: int, me: Me, control: Ctl) -> Response:
    from storelink_control.db.tables import OrderSeen

    async with control.sessions() as session, session.begin():
        item = await session.get(AttentionItem, item_id)
        if item is None or not me.can_see(item.tenant_id):
            raise NotFound(f"needs-attention item {item_id}")
        order = await session.get(OrderSeen, (item.connection_id, item.external_id))
        reason = await replay_attention(control, item, order)
    return RedirectResponse(f"/console/inbox?done={quote(reason or 'ok')}", status_code=303)


@router.post("/inbox/dead-letters/{dead_letter_id}/replay", dependencies=[Csrf])
async def replay_dead(dead_letter_id: int, me: Me, control: Ctl) -> Response:
    async with control.sessions() as session, session.begin():
        row = await session.get(DeadLetter, dead_letter_id)
        if row is None or (me.tenant_id is not None and row.tenant_id != me.tenant_id):
            raise NotFound(f"dead letter {dead_letter_id}")
        reason = await replay_dead_letter(control, row)
    return RedirectResponse(f"/console/inbox?done={quote(reason or 'ok')}", status_code=303)


# --------------------------------------------------------------------------- order timeline


@router.get("/orders")
async def orders(request: Request, me: Me, control: Ctl, number: str = "") -> Response:
    found = await timelines(control, me, number) if number.strip() else []
    return page(request, "orders.html", me, number=number, timelines=found)


@router.get("/orders/fragment", response_class=HTMLResponse)
async def orders_fragment(request: Request, me: Me, control: Ctl, number: str = "") -> Response:
    found = await timelines(control, me, number) if number.strip() else []
    return page(request, "timeline.html", me, number=number, timelines=found)
