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
from contextlib import ExitStack
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
from scheduler.demo_clouds import CLOUDS, Certificates, DemoAccount
from scheduler.demo_inbox import WebhookInbox
from scheduler.renewal import plan_campaign, submit_campaign
from workers.runtime import Runtime, build_runtime

WEBHOOK_SECRET = "demo-webhook-secret"  # noqa: S105 - the demo's own throwaway receiver


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


def _certificates(ca: Authority) -> dict[str, tuple[IssuedCertificate, str]]:
    return {
        "wildcard": (ca.issue(["*.example.com", "example.com"], days=90), "uploaded"),
        "api": (ca.issue(["api.example.com"], days=60), "uploaded"),
        "staging": (ca.issue(["*.staging.example.org"], days=90), "issued"),
    }


def _register(
    database: Database,
    vault: Vault,
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
                provider=account.provider,
                access_key_id=account.access_key_id,
                secret=account.secret,
                regions=account.regions,
                api_endpoint=account.api_endpoint,
                tls_edge=account.tls_edge,
                options=dict(account.options),
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
    report = DemoReport()
    with ExitStack() as stack:
        inbox = stack.enter_context(WebhookInbox(WEBHOOK_SECRET))
        seeds = Certificates(old=old, current=current, authority=ca)
        accounts = [a for cloud in CLOUDS for a in cloud(stack, seeds, domains)]
        cert_ids = _register(database, vault, accounts, certs=_certificates(ca), ca=ca)
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
