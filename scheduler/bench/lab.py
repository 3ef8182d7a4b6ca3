"""A fleet on one machine, for benchmarks and fault tests: private Redis, PostgreSQL schema,
worker and scheduler processes, and a seeded Tencent campaign.

Everything runs on 127.0.0.1. The Tencent emulator runs in the calling process and the fleet
processes reach it over loopback, exactly as they would reach a vendor.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from ledger import quota, tasks
from ledger.accounts import add_account
from ledger.certificates import validate_bundle
from ledger.certstore import import_certificate
from ledger.db import Database
from ledger.models import TERMINAL_STATES
from ledger.timeutil import utcnow
from ledger.vault import KEY_ENV, Vault, generate_key, load_vault
from providers.emulators.pki import Authority
from providers.emulators.tencent import TencentEmulator
from scheduler.drafting import draft_task
from scheduler.task_spec import TaskSpec

CERTFLEET = str(Path(sys.executable).with_name("certfleet"))


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_schema(admin_url: str) -> str:
    """A URL on a new, empty PostgreSQL schema, so runs never see each other's rows."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return f"{admin_url}?options=-csearch_path%3D{schema}"


class PrivateRedis:
    """A throwaway redis-server that can be restarted on the same port (state is lost)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@dataclass
class FleetProcesses:
    """The worker and scheduler processes of one fleet and the environment they share."""

    env: dict[str, str]
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def spawn(self, name: str, *args: str) -> None:
        with (self.logs / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(
                [CERTFLEET, *args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def worker(self, name: str, *, processes: int = 1, threads: int = 4) -> None:
        self.spawn(name, "worker", "--processes", str(processes), "--threads", str(threads))

    def scheduler(self, name: str, interval: float = 0.3) -> None:
        self.spawn(name, "scheduler", "--interval", str(interval))

    def kill(self, name: str) -> None:
        """SIGKILL a process and all its children (a host dying)."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for name in list(self.processes):
            process = self.processes.pop(name)
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)

    def tail_logs(self, chars: int = 2000) -> str:
        return "\n".join(p.read_text()[-chars:] for p in self.logs.glob("*.log"))

    def pids(self) -> list[int]:
        """The pids of the processes started here that are still running (roots of trees)."""
        return [p.pid for p in self.processes.values() if p.poll() is None]

    def exited(self) -> dict[str, int]:
        """Processes that ended on their own, by name, with their exit codes."""
        return {n: p.returncode for n, p in self.processes.items() if p.poll() is not None}


def fleet_env(
    *, database_url: str, broker_url: str, vault_key: str, data_dir: Path, **extra: str
) -> dict[str, str]:
    """The process environment for fleet processes: ours, minus proxies and stray settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CERTFLEET_") and "proxy" not in k.lower()
    }
    env.update(
        {
            "CERTFLEET_DATABASE_URL": database_url,
            "CERTFLEET_BROKER_URL": broker_url,
            "CERTFLEET_VAULT_KEY": vault_key,
            "CERTFLEET_DATA_DIR": str(data_dir),
            "CERTFLEET_METRICS_HOST": "127.0.0.1",
        }
    )
    env.update({f"CERTFLEET_{k.upper()}": v for k, v in extra.items()})
    return env


def wait_terminal(
    database: Database, task_ids: Sequence[int], timeout: float, poll: float = 0.25
) -> float:
    """Block until every deployment of the tasks is terminal; returns the seconds it took."""
    started = time.monotonic()
    counts: list[Counter[str]] = []
    while time.monotonic() - started < timeout:
        try:
            with database.unit_of_work() as session:
                counts = [tasks.progress(session, t) for t in task_ids]
        except DBAPIError:  # the database is restarting (chaos): ask again
            time.sleep(poll)
            continue
        if all(set(c) <= set(TERMINAL_STATES) for c in counts):
            return time.monotonic() - started
        time.sleep(poll)
    raise TimeoutError(f"deployments still open after {timeout}s: {counts}")


class ClockedTencentEmulator(TencentEmulator):
    """The Tencent emulator, also recording when each account's calls of each action arrive,
    to measure the request rate the vendor observes (Tencent limits each action on its own)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.arrivals: dict[tuple[str, str], list[float]] = defaultdict(list)
        self._arrivals_lock = threading.Lock()

    def handle(self, method: str, headers: Mapping[str, str], body: bytes) -> Any:
        action = headers.get("x-tc-action", "")
        credential = headers.get("authorization", "").split("Credential=")[-1]
        key = (credential.split("/", 1)[0], action)
        with self._arrivals_lock:
            self.arrivals[key].append(time.monotonic())
        return super().handle(method, headers, body)

    def peak_rates(self, since: float = 0.0) -> dict[tuple[str, str], int]:
        """The most calls any one-second window held, per (SecretId, action)."""
        with self._arrivals_lock:
            return {
                key: _max_in_one_second([t for t in times if t >= since])
                for key, times in self.arrivals.items()
            }

    def calls_since(self, since: float) -> dict[tuple[str, str], int]:
        with self._arrivals_lock:
            return {k: sum(1 for t in v if t >= since) for k, v in self.arrivals.items()}


def _max_in_one_second(times: list[float]) -> int:
    window: deque[float] = deque()
    best = 0
    for t in sorted(times):
        window.append(t)
        while window[0] <= t - 1.0:
            window.popleft()
        best = max(best, len(window))
    return best


@dataclass
class TencentCampaign:
    """A seeded campaign: one submitted task per emulated account."""

    emulator: TencentEmulator
    task_ids: list[int]
    domains: dict[str, list[str]]  # SecretId -> domains


def seed_tencent_campaign(
    database: Database,
    vault: Vault,
    emulator: TencentEmulator,
    authority: Authority,
    *,
    accounts: int,
    domains_per_account: int,
    account_rate: str,
    submit: bool = True,
) -> TencentCampaign:
    """Accounts with CDN domains serving an old certificate, a new one imported, tasks drafted."""
    old = authority.issue(["*.fleet.test"], days=10)
    new = authority.issue(["*.fleet.test"], days=90)
    with database.unit_of_work() as session:
        validated = validate_bundle(new.chain_pem, new.key_pem, trust_anchors=[authority.root])
        cert, _ = import_certificate(session, vault, validated, cert_type="uploaded")
        quota.buy(session, accounts * domains_per_account)
    campaign = TencentCampaign(emulator, [], {})
    for a in range(accounts):
        sid = f"AKIDfleet{a:04d}xxxxxxxx"
        emulator.add_account(sid, f"secret-{a}")
        campaign.domains[sid] = [f"a{a}-d{i:05d}.fleet.test" for i in range(domains_per_account)]
        for domain in campaign.domains[sid]:
            emulator.add_cdn_domain(sid, domain, cert=old)
        with database.unit_of_work() as session:
            add_account(
                session,
                vault,
                name=f"acct{a}",
                provider="tencent",
                access_key_id=sid,
                secret=f"secret-{a}",
                api_endpoint=emulator.endpoint,
                tls_edge=emulator.tls_edge,
                options={"rate.cdn": account_rate, "rate.ssl": account_rate},
            )
        spec = TaskSpec(
            f"fleet {a}", f"acct{a}", ("ops@fleet.test",), (cert.id,), ("tencent.cdn",), utcnow()
        )
        _, task_id = draft_task(database, vault, spec)
        assert task_id is not None
        if submit:
            with database.unit_of_work() as session:
                tasks.submit(session, task_id)
        campaign.task_ids.append(task_id)
    return campaign


class FleetLab:
    """Everything one fleet run needs, torn down by :meth:`close`: a fresh schema (migrated),
    the fleet's vault key, a private Redis and the process set (see :class:`FleetProcesses`).

    ``settings`` become ``CERTFLEET_<NAME>`` variables of every fleet process.
    """

    def __init__(self, admin_url: str, workdir: Path, **settings: str) -> None:
        self.workdir = workdir
        self.url = fresh_schema(admin_url)
        self.database = Database(self.url)
        self.database.upgrade()
        self.key = generate_key()
        self.vault = load_vault(workdir, embedded=False, env={KEY_ENV: self.key})
        self.redis = PrivateRedis(workdir)
        self.redis.start()
        (workdir / "logs").mkdir(exist_ok=True)
        env = fleet_env(
            database_url=self.url,
            broker_url=self.redis.url,
            vault_key=self.key,
            data_dir=workdir / "data",
            **settings,
        )
        self.fleet = FleetProcesses(env, workdir / "logs")

    def wait_for_workers(self, processes: int, timeout: float = 60.0) -> None:
        """Block until ``processes`` worker processes have polled the broker once."""
        client = redis.Redis.from_url(self.redis.url)
        deadline = time.monotonic() + timeout
        while client.zcard("dramatiq:__heartbeats__") < processes:
            if time.monotonic() > deadline:
                raise TimeoutError(f"workers not up after {timeout}s:\n{self.fleet.tail_logs()}")
            time.sleep(0.1)

    def start_scheduler(self, name: str, interval: float = 0.2, timeout: float = 60.0) -> None:
        """Start a scheduler process and wait until its first pass succeeded (``/readyz``)."""
        port = free_port()
        self.fleet.spawn(
            name, "scheduler", "--interval", str(interval), "--metrics-port", str(port)
        )
        deadline = time.monotonic() + timeout
        while not _ready(port):
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"scheduler not ready after {timeout}s:\n{self.fleet.tail_logs()}"
                )
            time.sleep(0.1)

    def close(self) -> None:
        self.fleet.stop_all()
        self.redis.stop()
        self.database.dispose()


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def restart_postgres(timeout: float = 60.0) -> float:
    """Restart the machine's own PostgreSQL cluster (chaos only); returns seconds until it
    accepts connections again."""
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[0]
    started = time.monotonic()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        capture_output=True,
        timeout=timeout,
    )
    wait_for_postgres(timeout)
    return time.monotonic() - started


def wait_for_postgres(timeout: float = 60.0) -> None:
    """Block until PostgreSQL on 127.0.0.1:5432 accepts connections."""
    deadline = time.monotonic() + timeout
    while subprocess.run(
        ["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"], check=False
    ).returncode:
        if time.monotonic() > deadline:
            raise TimeoutError(f"PostgreSQL not back after {timeout}s")
        time.sleep(0.2)
