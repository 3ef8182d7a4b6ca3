"""From a task request to a preview: which resources get which certificate, at what quota cost.

The preview is computed from the resource inventory (refreshed by discovery just before) and the
selected certificates, using the indexed matcher; the same computation feeds the draft task, so
what the user confirmed is exactly what gets deployed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy.orm import Session

from ledger import quota
from ledger.accounts import get_account
from ledger.certstore import CertificateFacts, get_certificates
from ledger.errors import InputError
from ledger.resources import live_resources
from ledger.tasks import PlannedDeployment
from providers import registry
from scheduler.matching import CandidateCert, match
from scheduler.task_spec import TaskSpec


class PreviewRow(NamedTuple):
    """One matched resource in the preview."""

    resource_id: int
    product: str
    native_id: str
    hostnames: tuple[str, ...]
    certificate_id: int
    alternatives: tuple[int, ...]
    served_remote_id: str | None


@dataclass
class Preview:
    """What submitting the task would do; shown before anything is charged."""

    spec: TaskSpec
    account_id: int
    provider: str
    cert_type: str
    discovered: int
    matched: list[PreviewRow] = field(default_factory=list)
    unmatched: list[tuple[str, str, str]] = field(default_factory=list)  # product, id, reason
    certificates_used: Counter[int] = field(default_factory=Counter)
    quota_to_consume: int = 0
    balance: int = 0

    @property
    def plan(self) -> list[PlannedDeployment]:
        return [PlannedDeployment(r.resource_id, r.certificate_id) for r in self.matched]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for ``--output json``."""
        return {
            "name": self.spec.name,
            "account": self.spec.account,
            "products": list(self.spec.products),
            "run_at": self.spec.run_at.isoformat(),
            "cert_type": self.cert_type,
            "discovered": self.discovered,
            "matched": len(self.matched),
            "quota_to_consume": self.quota_to_consume,
            "quota_balance": self.balance,
            "certificates_used": {str(k): v for k, v in sorted(self.certificates_used.items())},
            "resources": [
                {
                    "product": r.product,
                    "resource": r.native_id,
                    "hostnames": list(r.hostnames),
                    "certificate": r.certificate_id,
                    "also_covered_by": list(r.alternatives),
                }
                for r in self.matched
            ],
            "unmatched": [
                {"product": p, "resource": n, "reason": why} for p, n, why in self.unmatched
            ],
        }


def _single_type(certs: list[CertificateFacts]) -> str:
    types = {c.cert_type for c in certs}
    if len(types) != 1:
        listed = ", ".join(f"{c.id}={c.cert_type}" for c in certs)
        raise InputError("--cert", f"a task takes certificates of one type only; got {listed}")
    return types.pop()


def _usable(certs: list[CertificateFacts], run_at: datetime) -> list[CandidateCert]:
    for cert in certs:
        if cert.not_after <= run_at:
            raise InputError(
                "--cert",
                f"certificate {cert.id} expires {cert.not_after:%Y-%m-%d}, before the task runs",
            )
    return [CandidateCert(c.id, tuple(c.names), c.not_after, c.fingerprint) for c in certs]


def _check_products(provider: str, products: tuple[str, ...]) -> None:
    for product in products:
        if product not in registry.PRODUCTS:
            known = ", ".join(sorted(registry.PRODUCTS))
            raise InputError("--product", f"unknown product {product!r}; known: {known}")
        if not product.startswith(provider + "."):
            raise InputError(
                "--product", f"{product} is not a {provider} product (the account's provider)"
            )


def preview(session: Session, spec: TaskSpec) -> Preview:
    """Match the inventory against the selected certificates; zero matches is an error."""
    account = get_account(session, spec.account)
    _check_products(account.provider, spec.products)
    certs = get_certificates(session, list(spec.certificate_ids))
    cert_type = _single_type(certs)
    candidates = _usable(certs, spec.run_at)
    resources = live_resources(session, account.id, spec.products)
    report = match(((r, r.hostnames) for r in resources), candidates)
    result = Preview(
        spec=spec,
        account_id=account.id,
        provider=account.provider,
        cert_type=cert_type,
        discovered=len(resources),
    )
    rows = result.matched
    for r, cert, alternatives in report.matched:
        rows.append(
            PreviewRow(
                r.id,
                r.product,
                r.native_id,
                r.hostnames,
                cert.id,
                tuple(a.id for a in alternatives) if alternatives else (),
                r.served_remote_id,
            )
        )
    result.certificates_used.update(row.certificate_id for row in rows)
    result.unmatched = [(u.key.product, u.key.native_id, u.reason) for u in report.unmatched]
    if not result.matched:
        example = f" (e.g. {result.unmatched[0][1]}: {result.unmatched[0][2]})" if resources else ""
        raise InputError(
            "--cert",
            f"0 matches: none of the {len(resources)} discovered resources of "
            f"{', '.join(spec.products)} in account {account.name!r} is covered by the selected "
            f"certificates{example}; select certificates whose names cover them",
        )
    result.quota_to_consume = len(result.matched) if cert_type == "uploaded" else 0
    result.balance = quota.balance(session)
    return result
