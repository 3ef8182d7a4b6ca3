"""One attempt of one deployment: claim → upload if needed → bind → read back → verify → record.

This is the only place that turns provider errors into deployment outcomes. It never holds a
database transaction open across a vendor call, and it re-reads vendor state at every step
(``ensure_certificate`` finds earlier uploads, ``bind`` checks before changing), so an attempt
that is repeated after a crash or a duplicate message neither uploads nor binds twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from ledger import deployments, resources, rollout
from ledger.deployments import CertificateView, Claim, DeploymentWork
from ledger.timeutil import utcnow
from providers import registry
from providers.base import (
    CertificateBundle,
    Resource,
    ServedCert,
    SupportsInlineCertificates,
)
from providers.errors import (
    Permanent,
    ProviderError,
    Throttled,
    Transient,
    VerificationFailed,
)
from providers.secrets import Secret
from providers.verify import verify_served_certificate
from workers import metrics
from workers.credentials import provider_account
from workers.lease import LeaseKeeper
from workers.runtime import Runtime

log = logging.getLogger("certfleet.worker")

OutcomeKind = Literal["succeeded", "failed", "retry", "skipped"]


@dataclass(frozen=True)
class Outcome:
    """What an attempt decided; ``delay`` (seconds) only for retries."""

    kind: OutcomeKind
    delay: float = 0.0
    reason: str | None = None
    released: tuple[int, ...] = ()  # deployments of the same task to enqueue now
    route: tuple[str, int] | None = None  # (provider, account id) for those


def to_resource(work: DeploymentWork) -> Resource:
    """The provider's view of the resource, as discovery last saw it."""
    return Resource(
        provider=work.provider,
        product=work.product,
        native_id=work.native_id,
        hostnames=work.hostnames,
        served=ServedCert(work.served_remote_id) if work.served_remote_id else None,
        region=work.region,
        https_endpoint=work.https_endpoint,
        attributes=work.resource_attributes,
    )


def to_bundle(cert: CertificateView, runtime: Runtime) -> CertificateBundle:
    """The certificate to upload, with its key decrypted into a :class:`Secret`."""
    return CertificateBundle(
        fingerprint=cert.fingerprint,
        chain_pem=cert.chain_pem,
        key_pem=Secret(runtime.vault.decrypt(cert.key_ciphertext, "certificate-key")),
        names=cert.names,
        not_after=cert.not_after,
    )


def _ensure_uploaded(
    runtime: Runtime,
    work: DeploymentWork,
    cert: CertificateView,
    claim: Claim,
    upload: Callable[[CertificateBundle], str],
) -> str:
    """The certificate's vendor id, uploading it at most once however many workers race.

    Hundreds of deployments of one certificate start together; the fleet-wide lock makes one of
    them upload while the rest wait, then find the id it remembered in the ledger (products that
    share a vendor store share the lock, and the adapter finds the other product's upload at
    the vendor instead of making a second one). Only the
    first ones come here without an id: the others find it remembered (in
    :func:`~ledger.deployments.load_work`, or in the look-up below, made before queueing on the
    lock so that deployments arriving after the upload never wait for the lock at all).
    """
    scope = deployments.remote_scope(work.product, work.region)

    def remembered() -> str | None:
        with runtime.database.unit_of_work() as session:
            return deployments.remembered_remote_id(session, work.account.id, cert.id, scope)

    remote_id = remembered()
    if remote_id is not None:
        return remote_id
    account = provider_account(work.account, runtime.vault)
    store = registry.PRODUCTS[work.product].store_of(work.region)
    with runtime.hooks.exclusive(account, f"upload:{cert.fingerprint}:{store}"):
        remote_id = remembered()
        if remote_id is not None:
            return remote_id
        remote_id = upload(to_bundle(cert, runtime))
        with runtime.database.unit_of_work() as session:
            deployments.remember_remote_id(
                session,
                claim,
                account_id=work.account.id,
                certificate_id=cert.id,
                scope=scope,
                remote_id=remote_id,
            )
    return remote_id


@dataclass(frozen=True)
class Deployed:
    """What the vendor side of a successful attempt established."""

    remote_id: str  # the vendor's id of the certificate the resource now serves
    verified: bool  # a TLS handshake saw it served


def _deploy(runtime: Runtime, work: DeploymentWork, claim: Claim) -> Deployed:
    """The vendor side of an attempt: upload if needed, bind, read back, verify."""
    account = provider_account(work.account, runtime.vault)
    resource = to_resource(work)
    adapter = registry.adapter(work.product, runtime.hooks)
    remote_id = work.remote_cert_id
    if isinstance(adapter, SupportsInlineCertificates) and work.certificate is not None:
        # No vendor store to remember an id in: the certificate travels with every bind.
        bundle = to_bundle(work.certificate, runtime)
        remote_id = adapter.ensure_certificate(account, bundle, work.region)
        adapter.bind_certificate(account, resource, bundle)
    else:
        if remote_id is None:
            if work.certificate is None:
                raise Permanent("nothing to deploy: no certificate and no certificate to restore")
            remote_id = _ensure_uploaded(
                runtime,
                work,
                work.certificate,
                claim,
                lambda bundle: adapter.ensure_certificate(account, bundle, work.region),
            )
        adapter.bind(account, resource, remote_id)
    served = adapter.current(account, resource)
    if served.remote_id != remote_id:
        raise Transient(
            f"read-back: {work.native_id} still reports certificate {served.remote_id} "
            f"after binding {remote_id} (stale)"
        )
    if runtime.verify_tls and resource.https_endpoint and work.expected_fingerprint:
        verify_served_certificate(account, resource, work.expected_fingerprint)
        return Deployed(remote_id, verified=True)
    return Deployed(remote_id, verified=False)


def run_attempt(
    runtime: Runtime, deployment_id: int, clock: Callable[[], datetime] = utcnow
) -> Outcome:
    """Run one attempt and record its outcome in the ledger."""
    with runtime.database.unit_of_work() as session:
        claim = deployments.claim(session, deployment_id, clock(), runtime.settings.lease_seconds)
        work = None if claim is None else deployments.load_work(session, deployment_id)
    if claim is None or work is None:
        return _not_claimed(runtime, deployment_id, clock)
    started = time.monotonic()
    try:
        if claim.attempt > runtime.policy.max_attempts:
            raise Permanent(f"gave up after {claim.attempt - 1} attempts without settling")
        with LeaseKeeper(runtime.database, claim, runtime.settings.lease_seconds, clock):
            deployed = _deploy(runtime, work, claim)
    except ProviderError as error:
        outcome = _on_error(runtime, work, claim, error, clock)
    except Exception as error:  # an adapter bug must not wedge the deployment forever
        log.exception("deployment %s: unexpected error", deployment_id)
        unexpected = Transient(f"internal error ({type(error).__name__}); see worker logs")
        outcome = _on_error(runtime, work, claim, unexpected, clock)
    else:
        with runtime.database.unit_of_work() as session:
            owned = deployments.succeed(
                session, claim, clock(), verified=deployed.verified, remote_id=deployed.remote_id
            )
        outcome = Outcome("succeeded") if owned else Outcome("skipped")
    metrics.DEPLOYMENT_SECONDS.labels(work.provider, work.product).observe(
        time.monotonic() - started
    )
    if outcome.kind in ("succeeded", "failed"):
        metrics.DEPLOYMENTS.labels(
            work.provider, work.product, work.account.name, outcome.kind
        ).inc()
        with runtime.database.unit_of_work() as session:
            step = rollout.advance(session, work.task_id, failed=outcome.kind == "failed")
        if step.released:  # the canary passed: the caller enqueues the rest
            outcome = replace(
                outcome,
                released=tuple(step.released),
                route=(work.provider, work.account.id),
            )
    log.info(
        "deployment %s task %s %s: %s%s",
        deployment_id,
        work.task_id,
        work.native_id,
        outcome.kind,
        f" ({outcome.reason})" if outcome.reason else "",
    )
    return outcome


def _not_claimed(runtime: Runtime, deployment_id: int, clock: Callable[[], datetime]) -> Outcome:
    """Someone holds a live lease (a duplicate message, or a worker that may have died).

    Keep this message alive until the lease can expire: if the holder is dead, this retry is
    what resumes the deployment, within one lease period rather than at the next reaper pass.
    """
    with runtime.database.unit_of_work() as session:
        remaining = deployments.lease_remaining(session, deployment_id, clock())
    if remaining is None:
        return Outcome("skipped")
    return Outcome("retry", remaining + 1.0, "another attempt holds the lease")


def _hops_in_front(session: Session, work: DeploymentWork) -> str:
    """Name other resources serving the same hostnames: a CDN or WAF in front of a load
    balancer keeps its own certificate, so the name shows the old one until it is updated too."""
    others = resources.serving(session, work.hostnames, exclude_id=work.resource_id)
    if not others:
        return ""
    listed = ", ".join(f"{r.product} {r.native_id}" for r in others[:5])
    return f"; other resources serve these names and may be the hop in front: {listed}"


def _on_error(
    runtime: Runtime,
    work: DeploymentWork,
    claim: Claim,
    error: ProviderError,
    clock: Callable[[], datetime],
) -> Outcome:
    policy = runtime.policy
    reason = str(error)
    now = clock()
    if isinstance(error, Throttled):
        delay = policy.after_throttle(error.retry_after)
        with runtime.database.unit_of_work() as session:
            owned = deployments.release(
                session, claim, now + timedelta(seconds=delay), reason, counts_as_failure=False
            )
        metrics.RETRIES.labels(work.provider, work.product, "throttled").inc()
        return Outcome("retry", delay, reason) if owned else Outcome("skipped")
    failures = work.transient_failures + 1
    if isinstance(error, Transient) and not policy.gives_up(failures):
        delay = policy.backoff(failures)
        with runtime.database.unit_of_work() as session:
            owned = deployments.release(
                session, claim, now + timedelta(seconds=delay), reason, counts_as_failure=True
            )
        metrics.RETRIES.labels(work.provider, work.product, "transient").inc()
        return Outcome("retry", delay, reason) if owned else Outcome("skipped")
    if isinstance(error, Transient):
        reason = f"{reason} (gave up after {failures} attempts)"
    with runtime.database.unit_of_work() as session:
        if isinstance(error, VerificationFailed):
            reason += _hops_in_front(session, work)
        owned = deployments.fail(session, claim, now, reason)
    return Outcome("failed", reason=reason) if owned else Outcome("skipped")
