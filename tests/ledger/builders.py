"""Small builders for ledger tests: an account, certificates, resources, a submitted task."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ledger import tasks
from ledger.accounts import add_account
from ledger.certificates import validate_bundle
from ledger.certstore import import_certificate
from ledger.models import Certificate
from ledger.resources import ResourceSnapshot, live_resources, record_discovery
from ledger.tasks import PlannedDeployment
from ledger.timeutil import utcnow
from ledger.vault import Vault
from providers.emulators.pki import Authority


def account(session: Session, vault: Vault, name: str = "acme") -> int:
    return add_account(
        session, vault, name=name, provider="tencent", access_key_id="AKID" + name, secret="sk"
    ).id


def certificate(
    session: Session, vault: Vault, authority: Authority, names: list[str], cert_type: str
) -> Certificate:
    issued = authority.issue(names)
    validated = validate_bundle(issued.chain_pem, issued.key_pem, trust_anchors=[authority.root])
    return import_certificate(session, vault, validated, cert_type=cert_type)[0]


def resources(session: Session, account_id: int, hostnames: list[str]) -> list[int]:
    record_discovery(
        session,
        account_id=account_id,
        provider="tencent",
        product="tencent.cdn",
        snapshots=[ResourceSnapshot(native_id=h, hostnames=(h,)) for h in hostnames],
    )
    return [r.id for r in live_resources(session, account_id, ["tencent.cdn"])]


def draft(
    session: Session, account_id: int, cert: Certificate, resource_ids: list[int], name: str = "t"
) -> int:
    return tasks.create_draft(
        session,
        name=name,
        account_id=account_id,
        contacts=["ops@example.com"],
        products=["tencent.cdn"],
        certificate_ids=[cert.id],
        cert_type=cert.cert_type,
        run_at=utcnow(),
        plan=[PlannedDeployment(r, cert.id) for r in resource_ids],
    ).id
