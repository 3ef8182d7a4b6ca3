"""``certfleet demo``: renewal campaigns against an in-process Tencent Cloud emulator.

Everything a user would do, through the same functions the CLI commands call: register two
accounts, import certificates from a throwaway CA (a wildcard and an exact ``uploaded`` one, an
``issued`` one), buy quota, then run two renewal campaigns — the ``issued`` certificate for the
staging apps, then the ``uploaded`` ones for every example.com domain in both accounts — each
discovering a few hundred CDN domains, selecting those whose certificate expires within 30 days,
previewing, submitting one task per account, running them on the embedded worker and verifying
every binding with a TLS handshake. Some domains are locked at the emulator so they fail
permanently and their quota comes back; some serve a current certificate and are left alone;
some are covered by no new certificate and are reported, not touched.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from ledger import quota, tasks
from ledger.accounts import add_account
from ledger.certificates import validate_bundle
from ledger.certstore import import_certificate
from ledger.db import Database
from ledger.models import Deployment, Resource
from ledger.settings import load_settings
from ledger.timeutil import utcnow
from ledger.vault import Vault, load_vault
from providers.emulators.pki import Authority, IssuedCertificate
from providers.emulators.tencent.server import TencentEmulator
from scheduler.demo_inbox import WebhookInbox
from scheduler.renewal import plan_campaign, submit_campaign
from workers.runtime import Runtime, build_runtime

# The emulator grants more than Tencent's documented 20 req/s so the demo finishes in seconds;
# the accounts tell certfleet so (option rate.<family>), exactly as an operator would.
EMULATOR_RATE = 120.0
WEBHOOK_SECRET = "demo-webhook-secret"  # noqa: S105 - the demo's own throwaway receiver
ACCOUNT_RATE = "100"


@dataclass(frozen=True)
class TaskSummary:
    """One demo task's outcome."""

    task: int
    name: str
    status: str
    cert_type: str
    succeeded: int
    failed: int
    debited: int
    refunded: int
    failures: list[dict[str, object]]


@dataclass
class DemoReport:
    """The demo's result; the invariants it must satisfy are checked by the tests."""

    matched: int = 0
    succeeded: int = 0
    failed: int = 0
    verified: int = 0
    quota_debited: int = 0
    quota_refunded: int = 0
    failed_uploaded: int = 0
    unmatched: int = 0
    seconds: float = 0.0
    deployments_per_second: float = 0.0
    tasks: list[TaskSummary] = field(default_factory=list)
    campaigns: list[dict[str, object]] = field(default_factory=list)
    notifications: int = 0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class DemoAccount:
    name: str
    secret_id: str
    secret_key: str
    domains: tuple[str, ...]  # serving a certificate that expires in 12 days
    locked: tuple[str, ...]
    current: tuple[str, ...]  # serving a certificate valid for months: nothing to renew


def _accounts(domains: int) -> list[DemoAccount]:
    shops = tuple(f"shop-{i:03d}.example.com" for i in range(domains))
    prod_locked = tuple(f"legacy-{i:02d}.example.com" for i in range(max(2, domains // 15)))
    stray = tuple(f"static-{i:02d}.example.net" for i in range(max(2, domains // 9)))
    fresh = tuple(f"fresh-{i:02d}.example.com" for i in range(max(2, domains // 12)))
    apps = tuple(f"app-{i:03d}.staging.example.org" for i in range(max(5, domains // 2)))
    staging_locked = tuple(f"frozen-{i}.staging.example.org" for i in range(max(1, domains // 36)))
    staging_shops = tuple(f"shop-stg-{i:02d}.example.com" for i in range(max(2, domains // 10)))
    return [
        DemoAccount(
            "acme-prod",
            "AKIDdemoprod0001",
            "demo-prod-secret",
            ("example.com", "www.example.com", "api.example.com", *shops, *prod_locked, *stray),
            prod_locked,
            fresh,
        ),
        DemoAccount(
            "acme-staging",
            "AKIDdemostaging01",
            "demo-staging-secret",
            (*apps, *staging_locked, *staging_shops),
            staging_locked,
            (),
        ),
    ]


def _certificates(ca: Authority) -> dict[str, tuple[IssuedCertificate, str]]:
    return {
        "wildcard": (ca.issue(["*.example.com", "example.com"], days=90), "uploaded"),
        "api": (ca.issue(["api.example.com"], days=60), "uploaded"),
        "staging": (ca.issue(["*.staging.example.org"], days=90), "issued"),
    }


def _seed_emulator(
    emulator: TencentEmulator,
    accounts: Sequence[DemoAccount],
    old: IssuedCertificate,
    current: IssuedCertificate,
) -> None:
    emulator.set_rate_limit(None, EMULATOR_RATE)
    for account in accounts:
        emulator.add_account(account.secret_id, account.secret_key)
        for domain in account.domains:
            emulator.add_cdn_domain(
                account.secret_id, domain, cert=old, locked=domain in account.locked
            )
        for domain in account.current:
            emulator.add_cdn_domain(account.secret_id, domain, cert=current)


def _register(
    database: Database,
    vault: Vault,
    emulator: TencentEmulator,
    accounts: Sequence[DemoAccount],
    *,
    certs: dict[str, tuple[IssuedCertificate, str]],
    ca: Authority,
) -> dict[str, int]:
    ids: dict[str, int] = {}
    with database.unit_of_work() as session:
        for account in accounts:
            add_account(
                session,
                vault,
                name=account.name,
                provider="tencent",
                access_key_id=account.secret_id,
                secret=account.secret_key,
                api_endpoint=emulator.endpoint,
                tls_edge=emulator.tls_edge,
                options={"rate.cdn": ACCOUNT_RATE, "rate.ssl": ACCOUNT_RATE},
            )
        for label, (issued, cert_type) in certs.items():
            validated = validate_bundle(issued.chain_pem, issued.key_pem, trust_anchors=[ca.root])
            row, _ = import_certificate(session, vault, validated, cert_type=cert_type, label=label)
            ids[label] = row.id
        quota.buy(session, 1000, note="demo pack")
    return ids


CAMPAIGNS = (
    # (name, certificate labels, accounts): the issued one first, so the staging apps already
    # serve their renewal when the uploaded campaign looks at what still expires.
    ("staging apps (issued)", ("staging",), ("acme-staging",)),
    ("example.com (uploaded)", ("wildcard", "api"), ()),
)


def _run_campaigns(
    database: Database,
    vault: Vault,
    cert_ids: dict[str, int],
    run: Callable[[list[int]], object],
    *,
    report: DemoReport,
    contact: str,
) -> list[int]:
    """Plan, submit and run each campaign in turn; returns every task id."""
    task_ids: list[int] = []
    uncovered: set[str] = set()
    for name, labels, accounts in CAMPAIGNS:
        plan = plan_campaign(
            database,
            vault,
            name=name,
            certificate_ids=[cert_ids[c] for c in labels],
            within=timedelta(days=30),
            now=utcnow(),
            accounts=accounts,
        )
        uncovered |= {u.resource for u in plan.uncovered}
        report.campaigns.append(plan.as_dict())
        ids = submit_campaign(database, plan, contacts=[contact], run_at=utcnow())
        run(ids)
        task_ids += ids
    with database.unit_of_work() as session:
        # what no campaign covered (a resource one campaign left uncovered may be another's)
        planned = set(
            session.execute(
                select(Resource.native_id)
                .join(Deployment, Deployment.resource_id == Resource.id)
                .where(Deployment.task_id.in_(task_ids))
            ).scalars()
        )
    report.unmatched = len(uncovered - planned)
    return task_ids


def _tally(database: Database, task_ids: Sequence[int], report: DemoReport) -> None:
    with database.unit_of_work() as session:
        for task_id in task_ids:
            task = tasks.get_task(session, task_id)
            counts = tasks.progress(session, task_id)
            debited, refunded = tasks.quota_for_task(session, task_id)
            verified = session.execute(
                select(func.count()).where(
                    Deployment.task_id == task_id, Deployment.verified_at.is_not(None)
                )
            ).scalar_one()
            report.matched += sum(counts.values())
            report.succeeded += counts["succeeded"]
            report.failed += counts["failed"]
            report.verified += verified
            report.quota_debited += debited
            report.quota_refunded += refunded
            if task.cert_type == "uploaded":
                report.failed_uploaded += counts["failed"]
            report.tasks.append(
                TaskSummary(
                    task=task_id,
                    name=task.name,
                    status=task.status,
                    cert_type=task.cert_type,
                    succeeded=counts["succeeded"],
                    failed=counts["failed"],
                    debited=debited,
                    refunded=refunded,
                    failures=tasks.failures(session, task_id)[:2],
                )
            )


def run_demo(
    *, domains: int = 180, data_dir: Path | None = None, threads: int = 8, show: bool = True
) -> DemoReport:
    """Run the demo campaign end to end and return its figures."""
    from scheduler.cli.progress import run_tasks  # noqa: PLC0415 - CLI-side progress display

    workdir = data_dir or Path(tempfile.mkdtemp(prefix="certfleet-demo-"))
    settings = load_settings(
        {
            "CERTFLEET_DATA_DIR": str(workdir),
            "CERTFLEET_RETRY_BASE_SECONDS": "0.2",
            "CERTFLEET_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
    )
    database = Database(settings.database_url)
    database.upgrade()
    vault = load_vault(settings.data_dir, embedded=True, env={})
    ca = Authority("certfleet demo")
    names = ["*.example.com", "example.com", "*.staging.example.org", "*.example.net"]
    old = ca.issue(names, not_before=utcnow() - timedelta(days=78), days=90)
    current = ca.issue(names, days=80)
    accounts = _accounts(domains)
    report = DemoReport()
    with TencentEmulator() as emulator, WebhookInbox(WEBHOOK_SECRET) as inbox:
        _seed_emulator(emulator, accounts, old, current)
        cert_ids = _register(database, vault, emulator, accounts, certs=_certificates(ca), ca=ca)
        rt: Runtime = build_runtime(settings)
        rt.database, rt.vault = database, vault
        started = time.monotonic()
        task_ids = _run_campaigns(
            database,
            vault,
            cert_ids,
            lambda ids: run_tasks(rt, ids, show=show, threads=threads),
            report=report,
            contact=inbox.url,
        )
        report.notifications = len(inbox.deliveries)
        report.seconds = round(time.monotonic() - started, 2)
    _tally(database, task_ids, report)
    report.deployments_per_second = (
        round(report.matched / report.seconds, 1) if report.seconds else 0.0
    )
    database.dispose()
    return report
