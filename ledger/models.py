"""The system of record: SQLAlchemy 2 models for every table certfleet keeps.

Secrets live only in ``*_ciphertext`` columns written by :mod:`ledger.vault`. Rules that must hold
under concurrency (one deployment per task and resource, one debit and one refund per deployment,
a balance that never goes negative) are database constraints, not only code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ledger.timeutil import as_utc, utcnow

# Deterministic constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CERT_TYPES = ("uploaded", "issued", "shared")
TASK_STATUSES = (
    "draft",
    "scheduled",
    "running",
    "halted",
    "succeeded",
    "partial",
    "failed",
    "cancelled",
)
TASK_KINDS = ("deploy", "rollback")
DEPLOYMENT_STATES = ("pending", "queued", "running", "paused", "succeeded", "failed", "cancelled")
TERMINAL_STATES = ("succeeded", "failed", "cancelled")
QUOTA_KINDS = ("purchase", "debit", "refund")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, returns aware UTC datetimes on every backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    """Declarative base with the shared naming convention."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Account(Base):
    """A third-party cloud account (AccessKey pair); the secret is stored encrypted."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    provider: Mapped[str] = mapped_column(String(20))
    access_key_id: Mapped[str] = mapped_column(String(200))
    secret_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    regions: Mapped[list[Any]] = mapped_column(default=list)
    api_endpoint: Mapped[str | None] = mapped_column(String(300))
    tls_edge: Mapped[str | None] = mapped_column(String(300))
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_at: Mapped[datetime | None]
    check_error: Mapped[str | None] = mapped_column(Text)


class Certificate(Base):
    """An imported certificate chain; its private key is stored encrypted."""

    __tablename__ = "certificates"
    __table_args__ = (CheckConstraint(_in("cert_type", CERT_TYPES), name="cert_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    cert_type: Mapped[str] = mapped_column(String(20))
    label: Mapped[str | None] = mapped_column(String(200))
    names: Mapped[list[Any]]
    common_name: Mapped[str | None] = mapped_column(String(300))
    issuer: Mapped[str] = mapped_column(String(500))
    key_type: Mapped[str] = mapped_column(String(30))
    not_before: Mapped[datetime]
    not_after: Mapped[datetime]
    chain_pem: Mapped[str] = mapped_column(Text)
    key_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class Resource(Base):
    """A discovered cloud resource that holds one certificate (domain, listener, distribution)."""

    __tablename__ = "resources"
    __table_args__ = (UniqueConstraint("account_id", "product", "native_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    provider: Mapped[str] = mapped_column(String(20))
    product: Mapped[str] = mapped_column(String(40))
    native_id: Mapped[str] = mapped_column(String(500))
    hostnames: Mapped[list[Any]]
    region: Mapped[str | None] = mapped_column(String(60))
    https_endpoint: Mapped[bool] = mapped_column(Boolean, default=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    served_remote_id: Mapped[str | None] = mapped_column(String(500))
    served_fingerprint: Mapped[str | None] = mapped_column(String(64))
    served_not_after: Mapped[datetime | None]
    discovered_at: Mapped[datetime] = mapped_column(default=utcnow)
    gone_at: Mapped[datetime | None]


class Task(Base):
    """A deployment task: one account, certificates of one type, a run time, contacts."""

    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint(_in("status", TASK_STATUSES), name="status"),
        CheckConstraint(_in("cert_type", CERT_TYPES), name="cert_type"),
        CheckConstraint(_in("kind", TASK_KINDS), name="kind"),
        Index("ix_tasks_status_run_at", "status", "run_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    contacts: Mapped[list[Any]]
    products: Mapped[list[Any]]
    certificate_ids: Mapped[list[Any]]
    cert_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    kind: Mapped[str] = mapped_column(String(20), default="deploy")
    campaign: Mapped[str | None] = mapped_column(String(200))
    rollback_of: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    # Staged rollout: the first `canary` deployments per product must all succeed before the
    # rest are released; a failure share above `halt_failure_rate` (once `halt_min_finished`
    # deployments have ended) pauses what is left.
    canary: Mapped[int | None] = mapped_column(Integer)
    halt_failure_rate: Mapped[float | None] = mapped_column(Float)
    halt_min_finished: Mapped[int] = mapped_column(Integer, default=10)
    run_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class Deployment(Base):
    """One certificate going to one resource within one task; the unit of work of a worker."""

    __tablename__ = "deployments"
    __table_args__ = (
        UniqueConstraint("task_id", "resource_id"),
        CheckConstraint(_in("state", DEPLOYMENT_STATES), name="state"),
        Index("ix_deployments_task_state", "task_id", "state"),
        Index("ix_deployments_state_lease", "state", "lease_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    # None for a rollback, which re-binds `target_remote_id` (what the resource served before).
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    target_remote_id: Mapped[str | None] = mapped_column(String(500))
    target_fingerprint: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    canary: Mapped[bool] = mapped_column(Boolean, default=False)
    charged: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    transient_failures: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None]
    remote_cert_id: Mapped[str | None] = mapped_column(String(500))
    previous_remote_id: Mapped[str | None] = mapped_column(String(500))
    previous_fingerprint: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    # When a worker should next pick it up; the reaper re-enqueues queued ones overdue by a grace.
    due_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]


class QuotaEntry(Base):
    """Append-only quota journal: purchases (+), debits (-1) and refunds (+1).

    A debit or refund always names its deployment, and the unique constraint on
    (deployment_id, kind) makes a second debit or refund of the same deployment impossible.
    """

    __tablename__ = "quota_entries"
    __table_args__ = (
        UniqueConstraint("deployment_id", "kind"),
        CheckConstraint(_in("kind", QUOTA_KINDS), name="kind"),
        CheckConstraint(
            "(kind = 'purchase' AND units > 0 AND deployment_id IS NULL)"
            " OR (kind = 'debit' AND units = -1 AND deployment_id IS NOT NULL)"
            " OR (kind = 'refund' AND units = 1 AND deployment_id IS NOT NULL)",
            name="shape",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    units: Mapped[int] = mapped_column(Integer)
    deployment_id: Mapped[int | None] = mapped_column(ForeignKey("deployments.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuotaBalance(Base):
    """The running balance, kept in the same transaction as each entry.

    It exists so concurrent submissions serialise on one row lock and the database itself refuses
    a negative balance (CHECK); ``certfleet quota audit`` proves it equals the sum of entries.
    """

    __tablename__ = "quota_balance"
    __table_args__ = (CheckConstraint("units >= 0", name="not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    units: Mapped[int] = mapped_column(Integer, default=0)


class RemoteCertificate(Base):
    """Where a certificate was uploaded at a vendor, so later deployments skip the look-up."""

    __tablename__ = "remote_certificates"
    __table_args__ = (UniqueConstraint("account_id", "certificate_id", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    scope: Mapped[str] = mapped_column(String(100))  # product/region where the id is valid
    remote_id: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """An outbox row per task event and contact, sent at most once."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("task_id", "event", "recipient"),
        Index("ix_notifications_pending", "sent_at", "gave_up_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    event: Mapped[str] = mapped_column(String(30))
    recipient: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the dispatcher may (re)try; set ahead while a send is in flight, like a lease.
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    gave_up_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
