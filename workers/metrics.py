"""Prometheus metrics of deployments, vendor calls and worker processes.

Labels are bounded: provider, product, account *name* (operators register a handful to a few
hundred) and outcome — never resource ids, hostnames or anything secret.

In a fleet, each worker host's processes write these to one multiprocess directory
(:mod:`workers.observability.multiprocess`) and the host's endpoint sums them; gauges therefore
declare how processes combine (``livesum``: the sum over processes alive now). What the ledger
knows (queue depth, quota, tasks, certificate expiry) is exported by the scheduler instead
(:mod:`scheduler.fleet_metrics`), so it is counted once however many workers run.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

DEPLOYMENTS = Counter(
    "certfleet_deployments_total",
    "Deployments that reached a terminal state.",
    ["provider", "product", "account", "outcome"],
)
DEPLOYMENT_SECONDS = Histogram(
    "certfleet_deployment_duration_seconds",
    "Wall time of one deployment attempt that ended (success, failure or retry).",
    ["provider", "product"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
RETRIES = Counter(
    "certfleet_deployment_retries_total",
    "Deployment attempts released for a later retry.",
    ["provider", "product", "reason"],
)
VENDOR_CALLS = Counter(
    "certfleet_vendor_calls_total",
    "Vendor API calls by result (ok, throttled, transient, permanent).",
    ["provider", "action", "result"],
)
VENDOR_CALL_SECONDS = Histogram(
    "certfleet_vendor_call_duration_seconds",
    "Latency of vendor API calls.",
    ["provider", "action"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RATE_LIMIT_WAIT_SECONDS = Counter(
    "certfleet_rate_limit_wait_seconds_total",
    "Seconds workers waited for a request token, per provider.",
    ["provider"],
)
THROTTLES = Counter(
    "certfleet_vendor_throttles_total",
    "Throttle answers from vendors, per provider and account.",
    ["provider", "account"],
)
WORKER_PROCESSES = Gauge(
    "certfleet_worker_processes",
    "Worker processes running on this host.",
    multiprocess_mode="livesum",
)
WORKER_THREADS = Gauge(
    "certfleet_worker_threads",
    "Worker threads on this host: how many deployment attempts it can run at once.",
    multiprocess_mode="livesum",
)
IN_PROGRESS = Gauge(
    "certfleet_deployments_in_progress",
    "Deployment attempts running on this host now.",
    multiprocess_mode="livesum",
)
