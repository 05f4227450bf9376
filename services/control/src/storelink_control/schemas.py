"""Request and response bodies of the HTTP API.

Settings fields, enums and defaults are taken from `storelink_contracts.ConnectionConfigured` and
`CompanyProfile`, so what a person sets and what the services receive cannot diverge (a test checks
that every settings field exists in the event with the same default).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
    create_model,
    field_validator,
)

from storelink_connector_kit.plugin import ShopCredentials, ShopPlugin, shop_plugins
from storelink_contracts import (
    CompanyProfile,
    ConnectionConfigured,
    ErpSystem,
    Platform,
    PriceListSetting,
    TargetDocument,
)
from storelink_contracts.base import CountryCode, NonEmptyStr
from storelink_erp_kit.adapters import ErpAdapterSpec, ErpCredentials, installed_adapters

_EVENT = ConnectionConfigured.model_fields
_COMPANY = CompanyProfile.model_fields


def _default(name: str) -> Any:
    """The event's own default for a settings field (one source of truth)."""
    return _EVENT[name].get_default(call_default_factory=True)


class ApiModel(BaseModel):
    """Unknown fields are an error: a typo must not be silently dropped."""

    model_config = ConfigDict(extra="forbid")


Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]

TOLERANCE_PATTERN = r"^(0(\.[0-9]{1,2})?|1(\.0{1,2})?)$"


def _tolerance(value: object) -> object:
    """A decimal string from "0" to "1" (cents); no number, no other type is turned into one."""
    if isinstance(value, Decimal):  # the default
        return value
    if not isinstance(value, str) or not re.fullmatch(TOLERANCE_PATTERN, value):
        raise ValueError('must be a decimal string from "0" to "1" with at most 2 decimals, e.g. "0.05"')
    return Decimal(value)


RoundingTolerance = Annotated[
    Decimal,
    BeforeValidator(_tolerance),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": TOLERANCE_PATTERN,
            "examples": ["0.05"],
            "description": "How far a document may differ from the shop's total (EUR, 0 to 1)",
        }
    ),
]
OptionalName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]

# --------------------------------------------------------------------------- shop credentials

CREDENTIALS_MODELS: Mapping[Platform, type[ShopCredentials]] = MappingProxyType(
    {platform: plugin.credentials for platform, plugin in shop_plugins().items()}
)
"""Each installed shop plugin's own credentials model: control holds no per-platform code."""

# --------------------------------------------------------------------------- connection settings


class ConnectionSettings(ApiModel):
    """Everything a person sets for one shop connection except its credentials."""

    description: str = Field(default=_default("description"), max_length=200)
    enabled: StrictBool = _default("enabled")
    import_orders: StrictBool = _default("import_orders")
    target_document: TargetDocument = Field(
        default=_default("target_document"), description="What an imported order becomes in the ERP"
    )
    auto_invoice_paid: StrictBool = Field(
        default=_default("auto_invoice_paid"), description="Invoice paid orders automatically"
    )
    polling_interval_seconds: StrictInt = Field(default=_default("polling_interval_seconds"), ge=60, le=86400)
    first_import_lookback_days: StrictInt = Field(
        default=_default("first_import_lookback_days"), ge=0, le=365
    )
    warehouse: OptionalName | None = Field(
        default=_default("warehouse"), description="ERP warehouse whose stock goes to the shop"
    )
    cost_center: OptionalName | None = _default("cost_center")
    price_lists: list[PriceListSetting] = Field(
        default_factory=list, description="B2C sent gross, B2B sent net unless send_gross says otherwise"
    )
    stock_sync: StrictBool = _default("stock_sync")
    price_sync: StrictBool = _default("price_sync")
    rounding_tolerance: RoundingTolerance = _default("rounding_tolerance")
    shadow: StrictBool = Field(
        default=_default("shadow"),
        description="Shadow mode: read and map orders, record the documents as they would be sent, "
        "write nothing to the ERP or the shop",
    )
    reconcile_daily: StrictBool = Field(
        default=_default("reconcile_daily"),
        description="Reconcile the previous day every day; each difference becomes a needs-attention item",
    )
    reconcile_hour: StrictInt = Field(
        default=_default("reconcile_hour"),
        ge=0,
        le=23,
        description="The hour of the day (in the hub's reconciliation time zone) from which it runs",
    )

    @field_validator("warehouse", "cost_center")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


SETTINGS_FIELDS: tuple[str, ...] = tuple(ConnectionSettings.model_fields)


class ConnectionCreateBase(ConnectionSettings):
    """What every platform's create body has; one model per installed plugin narrows both fields."""

    platform: Platform
    credentials: ShopCredentials


def _create_model(plugin: ShopPlugin) -> type[ConnectionCreateBase]:
    """`WixConnectionCreate`: the settings, `platform: "wix"` and the plugin's credentials model."""
    tag: Any = Literal[plugin.platform]  # one value, known only when the plugins are read
    return create_model(
        f"{plugin.title}ConnectionCreate",
        __base__=ConnectionCreateBase,
        __module__=__name__,
        platform=(tag, ...),
        credentials=(plugin.credentials, ...),
    )


CREATE_MODELS: Mapping[Platform, type[ConnectionCreateBase]] = MappingProxyType(
    {platform: _create_model(plugin) for platform, plugin in shop_plugins().items()}
)


def _one_of(models: Sequence[type[BaseModel]], what: str, tag: str) -> Any:
    """A request body: one of the plugins' models, told apart by the `tag` field."""
    if not models:  # a deployment mistake: say so at start, not with every request
        raise RuntimeError(
            f"no {what} is installed beside the control plane (see docs/architecture.md, Plugins)"
        )
    if len(models) == 1:  # a discriminated union needs two
        return models[0]
    return Annotated[Union[tuple(models)], Field(discriminator=tag)]  # noqa: UP007 - built at run time


if TYPE_CHECKING:
    ConnectionCreate: TypeAlias = ConnectionCreateBase
else:
    ConnectionCreate = _one_of(list(CREATE_MODELS.values()), "shop plugin", "platform")


class ConnectionUpdate(ApiModel):
    """Only the fields given change; credentials may be given in part (e.g. a new api_key only)."""

    description: str | None = None
    enabled: StrictBool | None = None
    import_orders: StrictBool | None = None
    target_document: TargetDocument | None = None
    auto_invoice_paid: StrictBool | None = None
    polling_interval_seconds: StrictInt | None = None
    first_import_lookback_days: StrictInt | None = None
    warehouse: str | None = None
    cost_center: str | None = None
    price_lists: list[PriceListSetting] | None = None
    stock_sync: StrictBool | None = None
    price_sync: StrictBool | None = None
    rounding_tolerance: RoundingTolerance | None = None
    shadow: StrictBool | None = None
    reconcile_daily: StrictBool | None = None
    reconcile_hour: StrictInt | None = None
    credentials: dict[str, str] | None = Field(
        default=None, description="Credential fields to replace; the others stay as they are"
    )


# --------------------------------------------------------------------------- tenants


_ADAPTERS = sorted(installed_adapters().items())
"""The installed ERP adapters, read from their entry points once."""

ERP_CREDENTIALS_MODELS: Mapping[ErpSystem, type[ErpCredentials]] = MappingProxyType(
    {erp: spec.credentials for erp, spec in _ADAPTERS}
)
"""Each installed ERP adapter's own credentials model: control holds no per-ERP code."""


class CompanyBase(ApiModel):
    name: NonEmptyStr = Field(max_length=200)
    country: CountryCode = _COMPANY["country"].default
    vat_id: str | None = Field(default=None, description="With the country prefix, e.g. SI12345678")
    oss_registered: StrictBool = _COMPANY["oss_registered"].default
    fiscal_verification: StrictBool = Field(
        default=_COMPANY["fiscal_verification"].default,
        description="Fiscally verify invoices (Slovenian davčno potrjevanje)",
    )

    @field_validator("vat_id")
    @classmethod
    def _normalise_vat_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = re.sub(r"[\s.-]", "", value).upper()
        return text or None


class CompanyInBase(CompanyBase):
    """What every ERP's company body has; one model per installed adapter narrows both fields."""

    erp: ErpSystem
    erp_credentials: ErpCredentials | None = None


def _company_model(spec: ErpAdapterSpec) -> type[CompanyInBase]:
    """`MetaKockaCompany`: the profile, `erp: "metakocka"` and the adapter's credentials model."""
    tag: Any = Literal[spec.erp]  # one value, known only when the adapters are read
    credentials: Any = spec.credentials | None
    return create_model(
        f"{spec.name}Company",
        __base__=CompanyInBase,
        __module__=__name__,
        erp=(tag, ...),
        erp_credentials=(credentials, Field(default=None, description="Omit to keep the stored credentials")),
    )


COMPANY_MODELS: Mapping[ErpSystem, type[CompanyInBase]] = MappingProxyType(
    {erp: _company_model(spec) for erp, spec in _ADAPTERS}
)

if TYPE_CHECKING:
    CompanyIn: TypeAlias = CompanyInBase
else:
    CompanyIn = _one_of(list(COMPANY_MODELS.values()), "ERP adapter", "erp")


class TenantCreate(ApiModel):
    tenant_id: Slug = Field(description="Lower-case letters, digits and dashes")
    company: CompanyIn


class CompanyUpdate(ApiModel):
    company: CompanyIn


class CompanyOut(BaseModel):
    name: str
    country: str
    vat_id: str | None
    oss_registered: bool
    fiscal_verification: bool
    erp: ErpSystem
    erp_credentials: dict[str, str] | None = Field(description="Masked: secrets show as ***")


class TenantOut(BaseModel):
    tenant_id: str
    company: CompanyOut
    created_at: datetime
    updated_at: datetime


# --------------------------------------------------------------------------- connections out


class ConnectionOut(ConnectionSettings):
    model_config = ConfigDict(extra="ignore")

    connection_id: str
    tenant_id: str
    platform: Platform
    version: int
    credentials: dict[str, str] = Field(description="Masked: secrets show as ***")
    webhook_url: str = Field(description="The webhook address with its token masked")
    webhook_rotated_at: datetime
    created_at: datetime
    updated_at: datetime
    updated_by: str | None


class WebhookUrl(BaseModel):
    connection_id: str
    version: int
    webhook_url: str = Field(description="Shown only now: add it in the shop (e.g. a Wix Automation)")


class ConnectionCreated(BaseModel):
    connection: ConnectionOut
    webhook_url: str = Field(description="Shown only now: add it in the shop (e.g. a Wix Automation)")


class ConnectionRemovedOut(BaseModel):
    connection_id: str
    version: int
    removed_at: datetime


class Change(BaseModel):
    field: str
    old: Any = None
    new: Any = None


class AuditOut(BaseModel):
    subject: str
    subject_id: str
    version: int | None
    action: str
    actor: str
    at: datetime
    changes: list[Change]


# --------------------------------------------------------------------------- tokens


class TokenCreate(ApiModel):
    name: NonEmptyStr = Field(max_length=200, description="Who or what uses it (shown in the audit)")
    tenant_id: str | None = Field(default=None, description="None = an operator token (all tenants)")


class TokenOut(BaseModel):
    token_id: str
    name: str
    tenant_id: str | None
    created_at: datetime
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="Shown only now; only its SHA-256 is stored")


# --------------------------------------------------------------------------- test, status, replay

Verdict = Literal["ok", "failed", "unsupported", "timeout", "error"]


class TestResult(BaseModel):
    connection_id: str
    platform: Platform
    verdict: Verdict
    message: str = Field(description="What is wrong and what to do, in one sentence")
    reason: str | None = Field(
        default=None, description="The finer verdict, e.g. wrong_secret, wrong_account, unreachable, ok"
    )


class ConnectionStatus(BaseModel):
    connection_id: str
    tenant_id: str
    platform: Platform
    description: str
    version: int
    enabled: bool
    paused: bool = Field(description="Disabled by a person: nothing is imported or synced")
    last_order_at: datetime | None
    last_order_number: str | None
    last_webhook_at: datetime | None
    last_poll_at: datetime | None
    orders_by_status: dict[str, int]
    documents_by_state: dict[str, int]
    open_attention: int
    dead_letters: int = Field(description="Dead letters not replayed yet")
    last_reconciled: date | None = Field(
        default=None, description="The latest day the daily reconciliation finished"
    )


class DeadLetterOut(BaseModel):
    id: int
    tenant_id: str | None
    connection_id: str | None
    event_type: str | None
    original_topic: str
    original_key: str | None
    error_class: str
    error: str
    service: str | None
    attempts: int | None
    failed_at: datetime
    replayed_at: datetime | None
    replay_count: int


class DeadLetterFilter(ApiModel):
    connection_id: str | None = None
    original_topic: str | None = None
    error_class: str | None = None
    include_replayed: StrictBool = False


class AttentionOut(BaseModel):
    id: int
    tenant_id: str
    connection_id: str
    external_id: str
    number: str | None
    reasons: list[str]
    resolved: bool
    settings_version: int | None
    first_seen: datetime
    last_seen: datetime
    replayed_at: datetime | None
    replay_count: int


class AttentionFilter(ApiModel):
    connection_id: str | None = None


class ReplayResult(BaseModel):
    replayed: list[int]
    skipped: list[int] = Field(default_factory=list, description="Items that could not be replayed")
    message: str


class Problem(BaseModel):
    field: str
    problem: str


class ValidationProblem(BaseModel):
    detail: str
    errors: list[Problem]


class ErrorOut(BaseModel):
    detail: str


# --------------------------------------------------------------------------- documents, timeline, ERP test


class DocumentOfOrder(BaseModel):
    """Which document of which order: what every document listing starts with."""

    idempotency_key: str
    tenant_id: str
    connection_id: str
    order_external_id: str
    order_number: str | None
    kind: str


class DocumentOut(DocumentOfOrder):
    state: Literal["created", "failed"]
    erp_document_id: str | None
    erp_number: str | None
    fiscal_zoi: str | None = Field(description="Fiscal verification: the invoice's protective mark (ZOI)")
    fiscal_eor: str | None = Field(description="Fiscal verification: the tax authority's unique id (EOR)")
    reason: str | None = Field(description="Why the ERP refused it, for a person")
    code: str | None = Field(description="The ERP's own error code")
    retryable: bool | None
    settings_version: int
    at: datetime
    retried_at: datetime | None
    retry_count: int


class DocumentRetry(ApiModel):
    idempotency_key: str | None = Field(default=None, description="One failed document; omit for every one")
    connection_id: str | None = Field(default=None, description="Only this connection's failed documents")


class SnapshotOut(BaseModel):
    received_at: datetime
    via: Literal["webhook", "poll", "replay", "other"]
    origin: str | None
    status: str
    payment_status: str
    total: str
    currency: str
    order_updated_at: datetime


class TimelineDocument(BaseModel):
    idempotency_key: str
    kind: str
    requested_at: datetime | None
    why: list[str]
    gross: str | None
    fiscalize: bool | None
    result: DocumentOut | None = Field(description="The ERP's answer; None while it is pending")
    shadow: bool = Field(
        default=False, description="Would send: mapped in shadow mode, recorded only, never sent to the ERP"
    )


class OrderTimeline(BaseModel):
    connection_id: str
    tenant_id: str
    external_id: str
    number: str
    snapshots: list[SnapshotOut]
    documents: list[TimelineDocument]
    attention: list[str] = Field(description="Open needs-attention reasons")


class ErpTestResult(BaseModel):
    tenant_id: str
    erp: ErpSystem
    verdict: Verdict
    reason: str | None = Field(
        default=None, description="The finer verdict: ok, wrong_secret, wrong_account, unreachable, …"
    )
    message: str = Field(description="What is wrong and what to do, in one sentence")


class DocumentRetryResult(BaseModel):
    retried: list[str] = Field(description="Idempotency keys sent again")
    skipped: dict[str, str] = Field(default_factory=dict, description="Idempotency key → why not")
    message: str
