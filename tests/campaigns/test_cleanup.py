"""certfleet cleanup deletes only its own expired uploads that nothing serves."""

from __future__ import annotations

from datetime import UTC, datetime

from ledger.accounts import get_account
from ledger.timeutil import utcnow
from providers.base import Account, NoHooks
from providers.secrets import Secret
from providers.tencent.cdn import TencentCdn
from scheduler.cleanup import apply_cleanup, plan_cleanup
from tests.contract.bundles import bundle_of
from tests.workers.conftest import AK, SECRET


def test_cleanup_deletes_expired_unbound_uploads_only(world, authority) -> None:
    w = world(["bound.w.test"])
    account = Account("acct", "tencent", AK, Secret(SECRET), api_endpoint=w.emulator.endpoint)
    cdn = TencentCdn(NoHooks())
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    unbound = cdn.ensure_certificate(
        account, bundle_of(authority.issue(["old.w.test"], not_before=long_ago, days=30)), None
    )
    still_bound = cdn.ensure_certificate(
        account, bundle_of(authority.issue(["*.w.test"], not_before=long_ago, days=31)), None
    )
    (resource,) = [r for r in cdn.discover(account) if r.native_id == "bound.w.test"]
    cdn.bind(account, resource, still_bound)
    current = cdn.ensure_certificate(account, bundle_of(authority.issue(["new.w.test"])), None)
    manual = authority.issue(["manual.w.test"], not_before=long_ago, days=30)
    w.emulator.add_cdn_domain(AK, "manual.w.test", cert=manual)  # not a certfleet upload

    unknown = plan_cleanup(w.database, w.vault, accounts=["acct"], now=utcnow())
    assert unknown and not any(c.delete for c in unknown)  # CLB unreadable: keep everything
    assert "tencent.clb could not be read" in unknown[0].reason
    with w.database.unit_of_work() as session:
        get_account(session, "acct").regions = ["ap-guangzhou"]
    verdicts = plan_cleanup(w.database, w.vault, accounts=["acct"], now=utcnow())
    plan = {c.certificate.remote_id: c for c in verdicts}
    assert plan[unbound].delete and plan[unbound].reason == "expired and bound nowhere"
    assert not plan[still_bound].delete and "served" in plan[still_bound].reason
    assert not plan[current].delete and plan[current].reason == "not expired yet"
    assert all(c.certificate.name.startswith("certfleet-") for c in plan.values())

    before = set(w.emulator.certificate_ids(AK))
    assert apply_cleanup(w.database, w.vault, list(plan.values())) == 1
    assert before - set(w.emulator.certificate_ids(AK)) == {unbound}
    assert w.emulator.calls[(AK, "DeleteCertificate")] == 1
