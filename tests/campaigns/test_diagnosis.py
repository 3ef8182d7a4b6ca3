"""Each failed deployment carries a reason a person can act on (issue #7's diagnosis list)."""

from __future__ import annotations

from ledger import tasks
from ledger.accounts import get_account
from ledger.certificates import validate_bundle
from ledger.certstore import import_certificate
from ledger.models import Resource
from ledger.resources import live_resources
from ledger.tasks import PlannedDeployment
from ledger.timeutil import utcnow
from providers.emulators.pki import Authority
from providers.emulators.tls_edge import TlsEdge
from scheduler.discovery import discover


def _only_failure(w, task_id: int) -> str:
    with w.database.unit_of_work() as session:
        (failure,) = tasks.failures(session, task_id)
    return str(failure["reason"])


def test_stale_binding_is_reported_as_stale(world) -> None:
    w = world(["slow.w.test"], max_failures=2)
    w.emulator.set_propagation_delay(3600)  # the vendor says done; the edge never switches
    task_id = w.submit()
    assert w.run(task_id) == {task_id: "failed"}
    reason = _only_failure(w, task_id)
    assert "slow.w.test still serves certificate" in reason and "stale" in reason


def test_a_hop_in_front_is_named(world) -> None:
    w = world(["www.w.test"], max_failures=2)
    w.emulator.set_propagation_delay(3600)
    with w.database.unit_of_work() as session:
        account = get_account(session, "acct")
        session.add(
            Resource(
                account_id=account.id,
                provider="tencent",
                product="tencent.waf",
                native_id="waf-1/d-1/www.w.test",
                hostnames=["www.w.test"],
            )
        )
    task_id = w.submit()
    w.run(task_id)
    reason = _only_failure(w, task_id)
    assert "hop in front: tencent.waf waf-1/d-1/www.w.test" in reason


def test_a_name_on_several_endpoints_names_the_ones_left_behind(
    world, authority: Authority
) -> None:
    w = world(["multi.w.test"], max_failures=2)
    old = authority.issue(["multi.w.test"], days=5)
    with TlsEdge() as behind:
        behind.bind("multi.w.test", old.chain_pem, old.key_pem)
        with w.database.unit_of_work() as session:
            get_account(session, "acct").tls_edge = f"{w.emulator.tls_edge},{behind.address}"
        task_id = w.submit()
        w.run(task_id)
        address = behind.address
    reason = _only_failure(w, task_id)
    assert "resolves to 2 endpoints and 1 of them do not serve the new certificate" in reason
    assert address in reason


def test_a_missing_permission_names_the_policy_to_grant(world) -> None:
    w = world(["perm.w.test"])
    task_id = w.submit()
    w.emulator.inject(
        "UpdateDomainConfig", error_code="UnauthorizedOperation.CdnCamUnauthorized", times=None
    )
    w.run(task_id)
    reason = _only_failure(w, task_id)
    assert "QcloudSSLFullAccess + QcloudCDNFullAccess" in reason


def test_a_certificate_that_does_not_cover_the_name_is_refused_with_the_vendor_reason(
    world, authority: Authority
) -> None:
    w = world(["moved.w.test"])
    other = authority.issue(["elsewhere.test"], days=90)
    with w.database.unit_of_work() as session:
        validated = validate_bundle(other.chain_pem, other.key_pem, trust_anchors=[authority.root])
        cert, _ = import_certificate(session, w.vault, validated, cert_type="issued")
    discover(w.database, w.vault, "acct", ["tencent.cdn"])
    with w.database.unit_of_work() as session:  # a plan made before the domain changed hands
        account = get_account(session, "acct")
        (resource,) = live_resources(session, account.id, ["tencent.cdn"])
        task = tasks.create_draft(
            session,
            name="stale plan",
            account_id=account.id,
            contacts=["ops@w.test"],
            products=["tencent.cdn"],
            certificate_ids=[cert.id],
            cert_type="issued",
            run_at=utcnow(),
            plan=[PlannedDeployment(resource.id, cert.id)],
        )
        tasks.submit(session, task.id)
    w.run(task.id)
    reason = _only_failure(w, task.id)
    assert "does not match the domain moved.w.test" in reason
    assert "CdnParamError" in reason
