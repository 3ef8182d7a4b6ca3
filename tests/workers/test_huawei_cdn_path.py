"""Huawei CDN has no certificate store: the workers must send the certificate with every bind,
also when another deployment already "uploaded" it (remembered id, different process state)."""

from __future__ import annotations

from pathlib import Path

from ledger import quota, tasks
from ledger.accounts import add_account
from ledger.certificates import validate_bundle
from ledger.certstore import import_certificate
from ledger.deployments import remote_scope
from ledger.models import RemoteCertificate
from ledger.settings import load_settings
from ledger.timeutil import utcnow
from providers.emulators.huawei import HuaweiEmulator
from providers.emulators.pki import Authority
from providers.huawei import cdn as huawei_cdn
from scheduler.drafting import draft_task
from scheduler.embedded import EmbeddedRunner
from scheduler.task_spec import TaskSpec
from workers.runtime import build_runtime


def test_huawei_cdn_deployments_succeed_and_verify(tmp_path: Path, authority: Authority) -> None:
    old, new = authority.issue(["*.hw.test"], days=10), authority.issue(["*.hw.test"], days=90)
    with HuaweiEmulator(seed=3) as emulator:
        ids = emulator.add_account("HWAKtest0001", "hw-secret")
        for i in range(6):
            emulator.add_cdn_domain("HWAKtest0001", f"d{i}.hw.test", cert=old)
        runtime = build_runtime(load_settings({"CERTFLEET_DATA_DIR": str(tmp_path)}))
        runtime.database.upgrade()
        with runtime.database.unit_of_work() as session:
            add_account(
                session,
                runtime.vault,
                name="hw",
                provider="huawei",
                access_key_id="HWAKtest0001",
                secret="hw-secret",
                api_endpoint=emulator.endpoint,
                tls_edge=emulator.tls_edge,
                regions=["cn-north-4"],
                options=ids.options(),
            )
            validated = validate_bundle(new.chain_pem, new.key_pem, trust_anchors=[authority.root])
            cert, _ = import_certificate(session, runtime.vault, validated, cert_type="uploaded")
            quota.buy(session, 10)
        spec = TaskSpec("hw", "hw", ("ops@hw.test",), (cert.id,), ("huawei.cdn",), utcnow())
        _, task_id = draft_task(runtime.database, runtime.vault, spec)
        # As if another worker process had prepared it: the ledger remembers the id, while this
        # process holds no copy of the certificate in memory.
        with runtime.database.unit_of_work() as session:
            session.add(
                RemoteCertificate(
                    account_id=1,
                    certificate_id=cert.id,
                    scope=remote_scope("huawei.cdn", None),
                    remote_id=f"certfleet-{new.fingerprint[:16]}",
                )
            )
        huawei_cdn.PREPARED.clear()
        with runtime.database.unit_of_work() as session:
            tasks.submit(session, task_id)
        with EmbeddedRunner(runtime, threads=3, tick_seconds=0.05) as runner:
            assert runner.run_until_done([task_id], timeout=60) == {task_id: "succeeded"}
        with runtime.database.unit_of_work() as session:
            assert tasks.progress(session, task_id) == {"succeeded": 6}
        for i in range(6):
            assert emulator.cdn_https("HWAKtest0001", f"d{i}.hw.test")["certificate_name"]
