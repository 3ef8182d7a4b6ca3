"""A deployment's life in the ledger: claim, remember progress, succeed, retry later, fail.

Every transition is a compare-and-set ``UPDATE … WHERE state = … AND attempts = …``. ``attempts``
is the fencing token: a worker whose lease expired (it stalled, or was presumed dead) and was
replaced by another cannot overwrite the newer attempt's outcome. Failure and its refund are one
transaction, so a crash can never leave a failed deployment unrefunded or refunded twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ledger import quota
from ledger.accounts import AccountView
from ledger.db import changed
from ledger.models import (
    Account,
    Certificate,
    Deployment,
    RemoteCertificate,
    Resource,
    Task,
)


@dataclass(frozen=True)
class Claim:
    """A worker's right to run one attempt of a deployment until ``lease_until``."""

    deployment_id: int
    attempt: int
    lease_until: datetime


def claim(session: Session, deployment_id: int, now: datetime, lease_seconds: int) -> Claim | None:
    """Take a queued deployment (or one whose lease expired); None if someone else has it."""
    lease_until = now + timedelta(seconds=lease_seconds)
    taken = changed(
        session,
        update(Deployment)
        .where(
            Deployment.id == deployment_id,
            or_(
                Deployment.state == "queued",
                (Deployment.state == "running") & (Deployment.lease_until < now),
            ),
        )
        .values(
            state="running",
            attempts=Deployment.attempts + 1,
            lease_until=lease_until,
            started_at=now,
        ),
    )
    if taken != 1:
        return None
    attempt = session.execute(
        select(Deployment.attempts).where(Deployment.id == deployment_id)
    ).scalar_one()
    return Claim(deployment_id, attempt, lease_until)


def renew_lease(session: Session, claim_: Claim, until: datetime) -> bool:
    """Extend a live attempt's lease; False if the attempt no longer owns the deployment."""
    return (
        changed(session, update(Deployment).where(*_fenced(claim_)).values(lease_until=until)) == 1
    )


def lease_remaining(session: Session, deployment_id: int, now: datetime) -> float | None:
    """Seconds until another attempt may claim a running deployment; None if not running."""
    row = session.execute(
        select(Deployment.state, Deployment.lease_until).where(Deployment.id == deployment_id)
    ).one_or_none()
    if row is None or row.state != "running" or row.lease_until is None:
        return None
    lease_until: datetime = row.lease_until
    return max(0.0, (lease_until - now).total_seconds())


@dataclass(frozen=True)
class CertificateView:
    """The certificate a deployment uploads; its key still encrypted."""

    id: int
    fingerprint: str
    names: tuple[str, ...]
    not_after: datetime
    chain_pem: str
    key_ciphertext: bytes = field(repr=False)


@dataclass(frozen=True)
class DeploymentWork:
    """Everything a worker needs for one attempt, read in one go; secrets still encrypted.

    A deployment either uploads and binds ``certificate``, or (a rollback) re-binds
    ``target_remote_id``; ``expected_fingerprint`` is what the TLS check must then see, when known.
    """

    deployment_id: int
    task_id: int
    idempotency_key: str
    account: AccountView
    resource_id: int
    product: str
    native_id: str
    hostnames: tuple[str, ...]
    region: str | None
    https_endpoint: bool
    resource_attributes: dict[str, str]
    served_remote_id: str | None
    certificate: CertificateView | None
    target_remote_id: str | None
    expected_fingerprint: str | None
    remote_cert_id: str | None
    transient_failures: int

    @property
    def provider(self) -> str:
        return self.account.provider


def load_work(session: Session, deployment_id: int) -> DeploymentWork:
    """The deployment joined with its account, resource and (unless a rollback) certificate."""
    d, a, r, c = session.execute(
        select(Deployment, Account, Resource, Certificate)
        .join(Resource, Resource.id == Deployment.resource_id)
        .join(Account, Account.id == Resource.account_id)
        .outerjoin(Certificate, Certificate.id == Deployment.certificate_id)
        .where(Deployment.id == deployment_id)
    ).one()
    certificate = None
    remote = d.remote_cert_id or d.target_remote_id
    if c is not None:
        certificate = CertificateView(
            c.id, c.fingerprint, tuple(c.names), c.not_after, c.chain_pem, c.key_ciphertext
        )
        remote = remote or remembered_remote_id(
            session, a.id, c.id, remote_scope(r.product, r.region)
        )
    return DeploymentWork(
        deployment_id=d.id,
        task_id=d.task_id,
        idempotency_key=d.idempotency_key,
        account=AccountView.of(a),
        resource_id=r.id,
        product=r.product,
        native_id=r.native_id,
        hostnames=tuple(r.hostnames),
        region=r.region,
        https_endpoint=r.https_endpoint,
        resource_attributes=dict(r.attributes),
        served_remote_id=r.served_remote_id,
        certificate=certificate,
        target_remote_id=d.target_remote_id,
        # A rollback can only be checked over TLS if discovery knew the old fingerprint.
        expected_fingerprint=c.fingerprint if c is not None else d.target_fingerprint,
        remote_cert_id=remote,
        transient_failures=d.transient_failures,
    )


def remote_scope(product: str, region: str | None) -> str:
    """Where a vendor certificate id is valid: per product family and region."""
    return f"{product}@{region or '-'}"


def remembered_remote_id(
    session: Session, account_id: int, certificate_id: int, scope: str
) -> str | None:
    """The vendor id of an earlier upload of this certificate to this account, if any."""
    return session.execute(
        select(RemoteCertificate.remote_id).where(
            RemoteCertificate.account_id == account_id,
            RemoteCertificate.certificate_id == certificate_id,
            RemoteCertificate.scope == scope,
        )
    ).scalar_one_or_none()


def remember_remote_id(
    session: Session,
    claim_: Claim,
    *,
    account_id: int,
    certificate_id: int,
    scope: str,
    remote_id: str,
) -> None:
    """Record an upload's vendor id for this deployment and for later ones (insert-or-ignore).

    Written as soon as the upload returns, before the bind: if the worker dies now, the next
    attempt (or any other deployment of the certificate) reuses the upload instead of making
    another one.
    """
    values = {
        "account_id": account_id,
        "certificate_id": certificate_id,
        "scope": scope,
        "remote_id": remote_id,
    }
    dialect = session.get_bind().dialect.name
    insert_fn = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert_fn(RemoteCertificate).values(**values).on_conflict_do_nothing())
    session.execute(
        update(Deployment)
        .where(Deployment.id == claim_.deployment_id, Deployment.attempts == claim_.attempt)
        .values(remote_cert_id=remote_id)
    )


def _fenced(claim_: Claim) -> list[ColumnElement[bool]]:
    return [
        Deployment.id == claim_.deployment_id,
        Deployment.state == "running",
        Deployment.attempts == claim_.attempt,
    ]


def succeed(
    session: Session,
    claim_: Claim,
    now: datetime,
    *,
    verified: bool,
    remote_id: str | None = None,
) -> bool:
    """Mark the attempt succeeded, bound to ``remote_id`` (the vendor's id of what it serves
    now, when the vendor keeps one); False if this attempt no longer owns the deployment."""
    done = changed(
        session,
        update(Deployment)
        .where(*_fenced(claim_))
        .values(
            state="succeeded",
            finished_at=now,
            verified_at=now if verified else None,
            lease_until=None,
            error=None,
            remote_cert_id=func.coalesce(remote_id, Deployment.remote_cert_id),
        ),
    )
    if done == 1:
        _record_served(session, claim_.deployment_id, now)
    return done == 1


def _record_served(session: Session, deployment_id: int, now: datetime) -> None:
    """The inventory now knows what the resource serves, without waiting for a discovery."""
    row = session.execute(
        select(
            Deployment.resource_id,
            func.coalesce(Deployment.remote_cert_id, Deployment.target_remote_id),
            func.coalesce(Certificate.fingerprint, Deployment.target_fingerprint),
            Certificate.not_after,
        )
        .outerjoin(Certificate, Certificate.id == Deployment.certificate_id)
        .where(Deployment.id == deployment_id)
    ).one()
    resource_id, remote_id, fingerprint, not_after = row
    session.execute(
        update(Resource)
        .where(Resource.id == resource_id)
        .values(
            served_remote_id=remote_id,
            served_fingerprint=fingerprint,
            served_not_after=not_after,
        )
    )


def fail(session: Session, claim_: Claim, now: datetime, reason: str) -> bool:
    """Mark the attempt failed and refund its unit in the same transaction."""
    done = changed(
        session,
        update(Deployment)
        .where(*_fenced(claim_))
        .values(state="failed", finished_at=now, lease_until=None, error=reason),
    )
    if done != 1:
        return False
    quota.refund(session, claim_.deployment_id, note=reason[:500])
    return True


def release(
    session: Session, claim_: Claim, due_at: datetime, reason: str, *, counts_as_failure: bool
) -> bool:
    """Give the deployment back to the queue to retry at ``due_at``.

    Throttles do not count as failures (the vendor asked us to slow down, nothing went wrong);
    transient errors do, and the worker fails the deployment once they exceed the limit.
    """
    values: dict[str, object] = {
        "state": "queued",
        "due_at": due_at,
        "lease_until": None,
        "error": reason,
    }
    if counts_as_failure:
        values["transient_failures"] = Deployment.transient_failures + 1
    done = changed(session, update(Deployment).where(*_fenced(claim_)).values(**values))
    return done == 1


@dataclass(frozen=True)
class Routed:
    """A deployment id with what a broker needs to route it to its account's shard."""

    deployment_id: int
    provider: str
    account_id: int


def overdue(
    session: Session,
    now: datetime,
    grace_seconds: int,
    limit: int = 1000,
    *,
    horizons: Mapping[int, datetime] | None = None,
) -> list[Routed]:
    """Deployments a crash may have orphaned: queued past due + grace, or running past lease.

    Covers the outbox gap too (committed as queued, never enqueued). Their ``due_at`` is pushed
    forward as they are returned, so several reapers do not re-enqueue the same deployment every
    tick; a duplicate message is harmless anyway (claims are compare-and-set).

    ``horizons`` (see :func:`delivery_horizons`) tells which accounts' queues are delivering,
    and how far they got. A queue delivers its messages about in the order they were sent, so a
    waiting deployment sent more than the grace before the newest message the queue delivered
    has been skipped: its message is lost. One sent after that is still waiting its turn: in a
    large campaign most of the queue waits longer than any grace, and re-sending those would
    fill the queue with duplicates that every worker pays a claim for.
    """
    grace = timedelta(seconds=grace_seconds)
    waiting = (Deployment.state == "queued") & (Deployment.due_at < now - grace)
    if horizons:
        skipped = [
            (Resource.account_id == account) & (Deployment.due_at < horizon - grace)
            for account, horizon in horizons.items()
        ]
        waiting = waiting & or_(Resource.account_id.not_in(list(horizons)), *skipped)
    query = (
        select(Deployment.id, Account.provider, Account.id)
        .join(Resource, Resource.id == Deployment.resource_id)
        .join(Account, Account.id == Resource.account_id)
        .where(or_(waiting, (Deployment.state == "running") & (Deployment.lease_until < now)))
        .order_by(Deployment.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Deployment)
    found = [Routed(d, p, a) for d, p, a in session.execute(query).all()]
    if found:
        # Re-sent now: a queued one waits another grace before it can be called lost again,
        # and one whose lease expired is queued again (its dead attempt stays fenced off by
        # ``attempts``), or every pass would send it again until a worker claimed it: in a
        # chaos run that was a thousand duplicate messages a second.
        session.execute(
            update(Deployment)
            .where(
                Deployment.id.in_([r.deployment_id for r in found]),
                or_(
                    Deployment.state == "queued",
                    (Deployment.state == "running") & (Deployment.lease_until < now),
                ),
            )
            .values(state="queued", due_at=now, lease_until=None)
        )
    return found


def delivery_horizons(session: Session, since: datetime) -> dict[int, tuple[str, datetime]]:
    """For accounts of running tasks whose queue delivered a message since ``since`` (a worker
    claimed one of their deployments): account id → (provider, the latest ``due_at`` among the
    deployments claimed since then, i.e. how recent a message the queue has reached)."""
    rows = session.execute(
        select(Task.account_id, Account.provider, func.max(Deployment.due_at))
        .join(Deployment, Deployment.task_id == Task.id)
        .join(Account, Account.id == Task.account_id)
        .where(Task.status == "running", Deployment.started_at >= since)
        .group_by(Task.account_id, Account.provider)
    ).all()
    return {account: (provider, due) for account, provider, due in rows if due is not None}
