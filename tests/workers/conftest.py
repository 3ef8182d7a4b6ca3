"""A small campaign world: Tencent emulator, SQLite ledger, embedded worker with fast retries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import pytest

from ledger import quota, tasks
from ledger.accounts import add_account
from ledger.certificates import validate_bundle
from ledger.certstore import import_certificate
from ledger.db import Database
from ledger.settings import load_settings
from ledger.timeutil import utcnow
from ledger.vault import Vault
from providers.emulators.pki import Authority, IssuedCertificate
from providers.emulators.tencent import TencentEmulator
from scheduler.drafting import draft_task
from scheduler.embedded import EmbeddedRunner
from scheduler.task_spec import TaskSpec
from workers.retry_policy import RetryPolicy
from workers.runtime import Runtime, build_runtime

AK, SECRET = "AKIDworkerTests00001", "worker-tests-secret"


@dataclass
class World:
    emulator: TencentEmulator
    database: Database
    vault: Vault
    runtime: Runtime
    certificate_id: int
    new_cert: IssuedCertificate

    def submit(self, *, run_at: datetime | None = None, name: str = "t") -> int:
        spec = TaskSpec(
            name=name,
            account="acct",
            contacts=("ops@example.com",),
            certificate_ids=(self.certificate_id,),
            products=("tencent.cdn",),
            run_at=run_at or utcnow(),
        )
        _, task_id = draft_task(self.database, self.vault, spec)
        assert task_id is not None
        with self.database.unit_of_work() as session:
            tasks.submit(session, task_id)
        return task_id

    def run(self, *task_ids: int, timeout: float = 60) -> dict[int, str]:
        with EmbeddedRunner(self.runtime, threads=4, tick_seconds=0.05) as runner:
            return runner.run_until_done(task_ids, timeout=timeout)


@pytest.fixture
def world(tmp_path: Path, authority: Authority) -> Iterator[Callable[..., World]]:
    emulators: list[TencentEmulator] = []

    def make(
        domains: list[str],
        *,
        locked: tuple[str, ...] = (),
        max_failures: int = 3,
        env: dict[str, str] | None = None,
    ) -> World:
        emulator = TencentEmulator(seed=5).start()
        emulators.append(emulator)
        emulator.add_account(AK, SECRET)
        old = authority.issue(["*.w.test"], days=10)
        for domain in domains:
            emulator.add_cdn_domain(AK, domain, cert=old, locked=domain in locked)
        settings = load_settings({"CERTFLEET_DATA_DIR": str(tmp_path), **(env or {})})
        runtime = build_runtime(settings)
        runtime.database.upgrade()
        runtime.policy = replace(
            RetryPolicy(), max_transient_failures=max_failures, base_seconds=0.05, max_seconds=0.2
        )
        new = authority.issue(["*.w.test"], days=90)
        with runtime.database.unit_of_work() as session:
            add_account(
                session,
                runtime.vault,
                name="acct",
                provider="tencent",
                access_key_id=AK,
                secret=SECRET,
                api_endpoint=emulator.endpoint,
                tls_edge=emulator.tls_edge,
            )
            validated = validate_bundle(new.chain_pem, new.key_pem, trust_anchors=[authority.root])
            cert, _ = import_certificate(session, runtime.vault, validated, cert_type="uploaded")
            quota.buy(session, 1000)
        return World(emulator, runtime.database, runtime.vault, runtime, cert.id, new)

    yield make
    for emulator in emulators:
        emulator.stop()
