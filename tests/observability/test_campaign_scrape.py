"""A small campaign on the embedded runner, then live scrapes of the worker and scheduler
endpoints: the counters say what happened, and every metric the dashboard and the alert rules
use is one the code exports, with the labels they use.

The campaign: eight CDN domains of one account, one of them locked at the vendor (fails for
good), three throttle answers and two 502s injected — real SDK, real emulator, real actor.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import prometheus_client
import pytest
import yaml

from ledger import quota, tasks
from ledger.accounts import add_account
from ledger.certificates import validate_bundle
from ledger.certstore import import_certificate
from ledger.db import Database
from ledger.settings import load_settings
from ledger.timeutil import utcnow
from providers.emulators.pki import Authority
from providers.emulators.tencent import TencentEmulator
from scheduler.drafting import draft_task
from scheduler.embedded import EmbeddedRunner
from scheduler.process import SchedulerProcess, endpoint
from scheduler.service import Scheduler
from scheduler.task_spec import TaskSpec
from tests.observability import promql
from tests.observability.conftest import (
    DEPLOY,
    PROMETHEUS_SERIES,
    TARGET_LABELS,
    Exported,
    get,
    health,
)
from workers import actors
from workers.observability import exposition
from workers.observability.exposition import Endpoint
from workers.observability.logs import configure_logging
from workers.retry_policy import RetryPolicy
from workers.runtime import build_runtime

AK, SECRET = "AKIDobservability0001", "observability-secret-value"
GROUP = {"provider": "tencent", "product": "tencent.cdn", "account": "obs"}
DOMAINS = [f"d{i}.obs.test" for i in range(8)]
LOCKED = "d7.obs.test"


@dataclass
class Scrapes:
    before: Exported  # the worker registry before the campaign (it is process-wide)
    worker: Exported
    scheduler: Exported
    health: dict[str, tuple[int, dict[str, object]]]
    logs: list[dict[str, object]]
    task_status: str

    def delta(self, name: str, **labels: str) -> float:
        return self.worker.total(name, **labels) - self.before.total(name, **labels)

    @property
    def exported(self) -> Exported:
        merged = Exported()
        for part in (self.worker, self.scheduler):
            for name, labels in part.labels.items():
                merged.labels.setdefault(name, set()).update(labels)
        for name, labels in PROMETHEUS_SERIES.items():
            merged.labels.setdefault(name, set()).update(labels)
        for labels in merged.labels.values():
            labels.update(TARGET_LABELS)
        return merged


def _scrape(url: str) -> Exported:
    status, body = get(url)
    assert status == 200, body
    return Exported().add(body)


def _run_campaign(tmp: Path, authority: Authority) -> tuple[str, SchedulerProcess, Database]:
    emulator = TencentEmulator(seed=11).start()
    try:
        emulator.add_account(AK, SECRET)
        old = authority.issue(["*.obs.test"], days=10)
        for domain in DOMAINS:
            emulator.add_cdn_domain(AK, domain, cert=old, locked=domain == LOCKED)
        runtime = build_runtime(load_settings({"CERTFLEET_DATA_DIR": str(tmp)}))
        runtime.database.upgrade()
        runtime.policy = RetryPolicy(max_transient_failures=3, base_seconds=0.05, max_seconds=0.2)
        new = authority.issue(["*.obs.test"], days=90)
        with runtime.database.unit_of_work() as session:
            add_account(
                session,
                runtime.vault,
                name="obs",
                provider="tencent",
                access_key_id=AK,
                secret=SECRET,
                api_endpoint=emulator.endpoint,
                tls_edge=emulator.tls_edge,
                options={"rate.cdn": "20", "rate.ssl": "20"},
            )
            valid = validate_bundle(new.chain_pem, new.key_pem, trust_anchors=[authority.root])
            cert, _ = import_certificate(session, runtime.vault, valid, cert_type="uploaded")
            quota.buy(session, 1000)
        spec = TaskSpec("obs", "obs", ("ops@example.com",), (cert.id,), ("tencent.cdn",), utcnow())
        _, task_id = draft_task(runtime.database, runtime.vault, spec)
        assert task_id is not None
        with runtime.database.unit_of_work() as session:
            tasks.submit(session, task_id)
        emulator.inject(None, error_code="RequestLimitExceeded", times=3, secret_id=AK)
        emulator.inject("UpdateDomainConfig", http_status=502, times=2, secret_id=AK)
        with EmbeddedRunner(runtime, threads=4, tick_seconds=0.05) as runner:
            status = runner.run_until_done([task_id], timeout=60)[task_id]
    finally:
        emulator.stop()
    process = SchedulerProcess(Scheduler(runtime.database, actors.enqueue), interval=0.05)
    return status, process, runtime.database


@pytest.fixture(scope="module")
def scrapes(tmp_path_factory: pytest.TempPathFactory, authority: Authority) -> Iterator[Scrapes]:
    worker_endpoint = Endpoint(registry=prometheus_client.REGISTRY)
    before = Exported().add(prometheus_client.generate_latest().decode())
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging("json", "INFO", stream=stream)
    try:
        status, process, database = _run_campaign(tmp_path_factory.mktemp("obs"), authority)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    scheduler_endpoint = endpoint(process, database)
    assert process.tick_once() is not None  # one pass, as the scheduler process runs them
    servers = [
        exposition.start(worker_endpoint, "127.0.0.1", 0),
        exposition.start(scheduler_endpoint, "127.0.0.1", 0),
    ]
    try:
        worker_url, scheduler_url = (f"http://127.0.0.1:{s.server_address[1]}" for s in servers)
        yield Scrapes(
            before=before,
            worker=_scrape(worker_url + "/metrics"),
            scheduler=_scrape(scheduler_url + "/metrics"),
            health={path: health(scheduler_url + path) for path in ("/healthz", "/readyz")},
            logs=[json.loads(line) for line in stream.getvalue().splitlines()],
            task_status=status,
        )
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def test_worker_counters_tell_what_the_campaign_did(scrapes: Scrapes) -> None:
    assert scrapes.task_status == "partial"
    assert scrapes.delta("certfleet_deployments_total", **GROUP, outcome="succeeded") == 7
    assert scrapes.delta("certfleet_deployments_total", **GROUP, outcome="failed") == 1
    assert scrapes.delta("certfleet_vendor_throttles_total", provider="tencent", account="obs") == 3
    assert (
        scrapes.delta("certfleet_vendor_calls_total", provider="tencent", result="throttled") == 3
    )
    assert (
        scrapes.delta("certfleet_vendor_calls_total", provider="tencent", result="transient") == 2
    )
    assert (
        scrapes.delta("certfleet_vendor_calls_total", provider="tencent", result="permanent") >= 1
    )
    assert scrapes.delta("certfleet_vendor_calls_total", provider="tencent", result="ok") > 8
    retries = scrapes.delta("certfleet_deployment_retries_total", provider="tencent")
    assert scrapes.delta("certfleet_deployment_retries_total", reason="transient") == 2
    assert scrapes.delta("certfleet_deployment_retries_total", reason="throttled") >= 3
    attempts = scrapes.delta(
        "certfleet_deployment_duration_seconds_count", provider="tencent", product="tencent.cdn"
    )
    assert attempts >= 8 + retries
    assert scrapes.delta("certfleet_vendor_call_duration_seconds_count", provider="tencent") > 8
    # The runner's worker has stopped: no process, nothing in progress.
    assert scrapes.worker.value("certfleet_worker_processes") == 0
    assert scrapes.worker.value("certfleet_deployments_in_progress") == 0


def test_scheduler_exports_the_ledgers_view(scrapes: Scrapes) -> None:
    s = scrapes.scheduler
    assert s.value("certfleet_ledger_up") == 1
    assert s.value("certfleet_tasks", status="partial") == 1
    assert s.value("certfleet_quota_balance_units") == 1000 - 8 + 1
    assert s.value("certfleet_quota_units_total", kind="debit") == 8
    assert s.value("certfleet_quota_units_total", kind="refund") == 1
    assert s.value("certfleet_quota_journal_consistent") == 1
    assert s.value("certfleet_queue_depth", **GROUP) == 0
    assert s.value("certfleet_deployments_open", **GROUP, state="running") == 0
    # The inventory learned what each success bound (90 days); the locked one still serves
    # the 10-day certificate, and with the task finished nothing is planned for any of them.
    assert s.value("certfleet_served_certificates", **GROUP, expires_in="60-90d") == 7
    assert s.value("certfleet_served_certificates", **GROUP, expires_in="7-14d") == 1
    assert s.value("certfleet_served_certificates_unplanned", **GROUP, expires_in="7-14d") == 1
    assert s.value("certfleet_imported_certificates", cert_type="uploaded", expires_in="60-90d")
    assert s.value("certfleet_scheduler_ticks_total", result="ok") == 1
    assert s.value("certfleet_scheduler_last_success_timestamp_seconds") > 0


def test_scheduler_health_endpoints_answer(scrapes: Scrapes) -> None:
    assert scrapes.health["/healthz"] == (200, {"status": "ok", "checks": {"scheduler_loop": "ok"}})
    status, body = scrapes.health["/readyz"]
    assert status == 200 and body["checks"] == {"scheduler_loop": "ok", "last_pass": "ok"}


def test_no_label_carries_a_resource_a_domain_or_a_secret(scrapes: Scrapes) -> None:
    values = {v for _, labels in scrapes.worker.values for _, v in labels}
    values |= {v for _, labels in scrapes.scheduler.values for _, v in labels}
    leaked = [v for v in values if ".obs.test" in v or v in (SECRET, AK)]
    assert leaked == []


def test_json_logs_carry_task_and_deployment_ids_and_no_secret(scrapes: Scrapes) -> None:
    outcomes = [r for r in scrapes.logs if str(r["message"]).startswith("deployment ")]
    assert outcomes, scrapes.logs[:5]
    assert all({"ts", "level", "logger", "message"} <= r.keys() for r in scrapes.logs)
    assert all(isinstance(r.get("deployment_id"), int) for r in outcomes)
    assert len({r["task_id"] for r in outcomes}) == 1
    assert SECRET not in json.dumps(scrapes.logs)


def _dashboard_queries() -> Iterator[tuple[str, str]]:
    dashboard = json.loads((DEPLOY / "grafana" / "certfleet.json").read_text())
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield f"panel {panel['title']!r}", target["expr"]


def _alert_queries() -> Iterator[tuple[str, str]]:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            yield f"alert {rule['alert']}", rule["expr"]


def _check(where: str, query: promql.Query, exported: Exported) -> list[str]:
    problems = []
    for metric in sorted(query.metrics):
        if metric not in exported.labels:
            problems.append(f"{where}: {metric} is not exported")
            continue
        unknown = query.matchers.get(metric, set()) - exported.labels[metric]
        if unknown:
            problems.append(f"{where}: {metric} has no label {sorted(unknown)}")
    known = set().union(*(exported.labels.get(m, set()) for m in query.metrics)) | {"le"}
    if query.grouping - known:
        problems.append(f"{where}: grouping by unknown labels {sorted(query.grouping - known)}")
    return problems


def test_every_dashboard_query_uses_exported_metrics_and_labels(scrapes: Scrapes) -> None:
    exported = scrapes.exported
    problems = []
    queries = list(_dashboard_queries())
    assert len(queries) >= 20
    for where, expr in queries:
        problems += _check(where, promql.read(expr), exported)
    dashboard = json.loads((DEPLOY / "grafana" / "certfleet.json").read_text())
    for variable in dashboard["templating"]["list"]:
        if variable["type"] != "query":
            continue
        query, label = promql.read_variable(variable["definition"])
        problems += _check(f"variable {variable['name']}", query, exported)
        metric = next(iter(query.metrics))
        assert label in exported.labels[metric]
    assert problems == []


def test_every_alert_uses_exported_metrics_and_labels(scrapes: Scrapes) -> None:
    exported = scrapes.exported
    problems = []
    for where, expr in _alert_queries():
        problems += _check(where, promql.read(expr), exported)
    assert problems == []


def test_promtool_unit_tests_feed_only_exported_series(scrapes: Scrapes) -> None:
    exported = scrapes.exported
    tests = yaml.safe_load((DEPLOY / "prometheus" / "alerts_test.yml").read_text())
    problems = []
    for case in tests["tests"]:
        for series in case["input_series"]:
            problems += _check(f"test {case['name']!r}", promql.read(series["series"]), exported)
    assert problems == []


def test_the_dashboard_covers_what_operators_watch() -> None:
    exprs = " ".join(expr for _, expr in _dashboard_queries())
    for metric in (
        "certfleet_deployments_total",  # success rate, throughput
        "certfleet_vendor_throttles_total",
        "certfleet_vendor_call_duration_seconds_bucket",  # latency p50/p95
        "certfleet_queue_depth",
        "certfleet_quota_balance_units",
        "certfleet_served_certificates_unplanned",  # expiring certificates
    ):
        assert metric in exprs
    assert "histogram_quantile(0.5" in exprs and "histogram_quantile(0.95" in exprs


@pytest.mark.parametrize(
    ("expr", "metrics", "grouping"),
    [
        (
            'sum by (a, b) (rate(x_total{c="1",d=~"$v"}[$__rate_interval])) * 60',
            {"x_total"},
            {"a", "b"},
        ),
        ("histogram_quantile(0.95, sum by (le) (rate(h_bucket[5m])))", {"h_bucket"}, {"le"}),
        ('max(a) < 0.25 * max(increase(b{kind="debit"}[7d])) and on () c', {"a", "b", "c"}, set()),
        ('absent(up{job="s"} == 1) or time() - max(t offset 5m) > 1e3', {"up", "t"}, set()),
    ],
)
def test_promql_reader_finds_metrics_and_grouping(expr: str, metrics: set, grouping: set) -> None:
    query = promql.read(expr)
    assert query.metrics == metrics
    assert query.grouping == grouping
