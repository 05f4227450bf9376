"""Tables of the control plane. Portable types only, so SQLite and PostgreSQL both work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storelink_kit.database import Instant


class Base(DeclarativeBase):
    type_annotation_map = {datetime: Instant(), dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    vat_id: Mapped[str | None] = mapped_column(String(20))
    oss_registered: Mapped[bool] = mapped_column(Boolean)
    fiscal_verification: Mapped[bool] = mapped_column(Boolean)
    erp: Mapped[str] = mapped_column(String(32))
    erp_credentials_encrypted: Mapped[str | None] = mapped_column(Text)
    erp_credentials_masked: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ApiToken(Base):
    """A bearer token; only its SHA-256 is kept. No tenant = an operator token."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenants.id"))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(8), doc="The console language its user chose")


class Connection(Base):
    __tablename__ = "connections"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, doc="Settings without the credentials")
    credentials_encrypted: Mapped[str] = mapped_column(Text)
    credentials_masked: Mapped[dict[str, Any]] = mapped_column(JSON)
    webhook_token_sha256: Mapped[str] = mapped_column(String(64))
    webhook_rotated_at: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str | None] = mapped_column(String(200))
    removed_at: Mapped[datetime | None]

    # optimistic locking: an UPDATE carries `WHERE version = <the version read>`, so two concurrent
    # changes cannot both become the same next version (the loser gets StaleDataError → 409)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # noqa: RUF012


class AuditEntry(Base):
    """Who changed what when; secrets appear only as a mask."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64), index=True)
    """None: the hub itself (an operator token)."""
    subject: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
    changes: Mapped[list[Any]] = mapped_column(JSON)


class OrderSeen(Base):
    """The latest snapshot of each order (kept raw, so 'replay through current settings' can resend it)."""

    __tablename__ = "orders_seen"

    connection_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    number: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(32))
    payment_status: Mapped[str] = mapped_column(String(32))
    order_updated_at: Mapped[datetime]
    received_at: Mapped[datetime]
    origin: Mapped[str | None] = mapped_column(String(64))
    record_key: Mapped[str] = mapped_column(String(300))
    record_headers: Mapped[dict[str, Any]] = mapped_column(JSON)
    record_value: Mapped[bytes] = mapped_column(LargeBinary)


class ConnectionActivity(Base):
    __tablename__ = "connection_activity"

    connection_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_order_at: Mapped[datetime | None]
    last_webhook_at: Mapped[datetime | None]
    last_poll_at: Mapped[datetime | None]


class DocumentState(Base):
    __tablename__ = "documents"

    idempotency_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    connection_id: Mapped[str] = mapped_column(String(64), index=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    order_external_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    erp_document_id: Mapped[str | None] = mapped_column(String(200))
    erp_number: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    settings_version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    fiscal_zoi: Mapped[str | None] = mapped_column(String(100))
    fiscal_eor: Mapped[str | None] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(100), doc="The ERP's own error code of a failure")
    retryable: Mapped[bool | None] = mapped_column(Boolean)
    retried_at: Mapped[datetime | None]
    retry_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class OrderSnapshot(Base):
    """Every order snapshot control received (the timeline), one row per Kafka record."""

    __tablename__ = "order_snapshots"
    __table_args__ = (UniqueConstraint("record_topic", "record_partition", "record_offset"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_topic: Mapped[str] = mapped_column(String(300))
    record_partition: Mapped[int] = mapped_column(Integer)
    record_offset: Mapped[int] = mapped_column(BigInteger)
    connection_id: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(200))
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    number: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(32))
    payment_status: Mapped[str] = mapped_column(String(32))
    total: Mapped[str] = mapped_column(String(40), doc="The shop's gross total, a decimal string")
    currency: Mapped[str] = mapped_column(String(3))
    order_updated_at: Mapped[datetime]
    received_at: Mapped[datetime]
    origin: Mapped[str | None] = mapped_column(String(200))


class DocumentRequest(Base):
    """What the mapper asked the ERP for (the latest request per idempotency key), with its why."""

    __tablename__ = "document_requests"

    idempotency_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    connection_id: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(200))
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    erp: Mapped[str] = mapped_column(String(32))
    settings_version: Mapped[int] = mapped_column(Integer)
    gross: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    fiscalize: Mapped[bool] = mapped_column(Boolean)
    why: Mapped[list[Any]] = mapped_column(JSON)
    requested_at: Mapped[datetime]
    shadow: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), doc="Mapped in shadow mode: would send, never sent"
    )


class AttentionItem(Base):
    __tablename__ = "attention_items"
    __table_args__ = (UniqueConstraint("connection_id", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    connection_id: Mapped[str] = mapped_column(String(64), index=True)
    external_id: Mapped[str] = mapped_column(String(200))
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    number: Mapped[str | None] = mapped_column(String(200))
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    resolved: Mapped[bool] = mapped_column(Boolean)
    settings_version: Mapped[int | None] = mapped_column(Integer)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    replayed_at: Mapped[datetime | None]
    replay_count: Mapped[int] = mapped_column(Integer, default=0)


class DeadLetter(Base):
    __tablename__ = "dead_letters"
    __table_args__ = (UniqueConstraint("dlq_topic", "dlq_partition", "dlq_offset"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dlq_topic: Mapped[str] = mapped_column(String(300))
    dlq_partition: Mapped[int] = mapped_column(Integer)
    dlq_offset: Mapped[int] = mapped_column(BigInteger)
    tenant_id: Mapped[str | None] = mapped_column(String(64), index=True)
    connection_id: Mapped[str | None] = mapped_column(String(64), index=True)
    original_topic: Mapped[str] = mapped_column(String(300))
    original_key: Mapped[str | None] = mapped_column(String(300))
    error_class: Mapped[str] = mapped_column(String(200))
    error: Mapped[str] = mapped_column(Text)
    service: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int | None] = mapped_column(Integer)
    failed_at: Mapped[datetime]
    headers: Mapped[dict[str, Any]] = mapped_column(JSON)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    replayed_at: Mapped[datetime | None]
    replay_count: Mapped[int] = mapped_column(Integer, default=0)


class Backfill(Base):
    """How far the import of a connection's orders since `first_day` got: the shop's page cursor is
    saved after each page was published, so a crashed or interrupted backfill goes on from there."""

    __tablename__ = "backfills"

    connection_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_day: Mapped[str] = mapped_column(String(10), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    cursor: Mapped[str | None] = mapped_column(Text)
    pages: Mapped[int] = mapped_column(Integer)
    published: Mapped[int] = mapped_column(Integer)
    done: Mapped[bool] = mapped_column(Boolean)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ReconcileRun(Base):
    """The scheduled reconciliation of one connection's day: the row is the claim (its primary key
    makes a second replica's insert fail, so a day is reconciled once) and then the outcome."""

    __tablename__ = "reconcile_runs"

    connection_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True, doc="YYYY-MM-DD")
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16), doc="running, done or failed")
    attempts: Mapped[int] = mapped_column(Integer)
    claimed_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    findings: Mapped[int | None] = mapped_column(Integer, doc="Differences found (done runs)")
    attention_items: Mapped[int | None] = mapped_column(Integer, doc="Orders raised as needs-attention")
    error: Mapped[str | None] = mapped_column(Text, doc="Why the last attempt failed, in plain words")
