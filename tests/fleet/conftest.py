"""A real fleet on one machine: PostgreSQL, a private Redis, worker and scheduler processes.

The Tencent emulator runs inside the test process; the fleet processes reach it on 127.0.0.1.
Redis is a private ``redis-server`` on a free port so a test can restart it without touching the
machine's own Redis.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

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
from tests.services import postgres_url

pytestmark = pytest.mark.services
CERTFLEET = str(Path(sys.executable).with_name("certfleet"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateRedis:
    """A throwaway redis-server that can be restarted on the same port (state is lost)."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
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
class Fleet:
    """The processes of one fleet and the environment they share."""

    env: dict[str, str]
    database: Database
    vault: Vault
    redis: PrivateRedis
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def spawn(self, name: str, *args: str) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [CERTFLEET, *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def worker(self, name: str, *, processes: int = 1, threads: int = 4) -> None:
        self.spawn(name, "worker", "--processes", str(processes), "--threads", str(threads))

    def scheduler(self, name: str) -> None:
        self.spawn(name, "scheduler", "--interval", "0.3")

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

    def wait_terminal(self, task_ids: list[int], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.database.unit_of_work() as session:
                counts = [tasks.progress(session, t) for t in task_ids]
            if all(set(c) <= set(TERMINAL_STATES) for c in counts):
                return
            time.sleep(0.5)
        logs = "\n".join(p.read_text()[-2000:] for p in self.logs.glob("*.log"))
        raise AssertionError(f"deployments still open after {timeout}s: {counts}\n{logs}")


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (this machine kind has it; CI too)")
    url = postgres_url(fresh_schema=True)
    database = Database(url)
    database.upgrade()
    key = generate_key()
    private = PrivateRedis(tmp_path)
    private.start()
    (tmp_path / "logs").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTFLEET_")}
    env = {k: v for k, v in env.items() if "proxy" not in k.lower()}
    env.update(
        {
            "CERTFLEET_DATABASE_URL": url,
            "CERTFLEET_BROKER_URL": private.url,
            "CERTFLEET_VAULT_KEY": key,
            "CERTFLEET_DATA_DIR": str(tmp_path / "data"),
            "CERTFLEET_LEASE_SECONDS": "6",
            "CERTFLEET_REAP_GRACE_SECONDS": "5",
            "CERTFLEET_RETRY_BASE_SECONDS": "0.3",
            "CERTFLEET_RETRY_MAX_SECONDS": "3",
        }
    )
    vault = load_vault(tmp_path, embedded=False, env={KEY_ENV: key})  # the fleet's own key
    running = Fleet(env, database, vault, private, tmp_path / "logs")
    yield running
    running.stop_all()
    private.stop()
    database.dispose()


@dataclass
class Campaign:
    emulator: TencentEmulator
    task_ids: list[int]
    accounts: list[str]  # SecretIds
    domains: dict[str, list[str]]


@pytest.fixture
def campaign(fleet: Fleet, authority: Authority) -> Iterator[Callable[..., Campaign]]:
    emulators: list[TencentEmulator] = []

    def make(
        *,
        accounts: int,
        domains_per_account: int,
        emulator_rate: float = 200.0,
        account_rate: str = "150",
        emulator_cls: type[TencentEmulator] = TencentEmulator,
    ) -> Campaign:
        emulator = emulator_cls(seed=9).start()
        emulators.append(emulator)
        emulator.set_rate_limit(None, emulator_rate)
        old = authority.issue(["*.fleet.test"], days=10)
        new = authority.issue(["*.fleet.test"], days=90)
        ids, names, domains = [], [], {}
        with fleet.database.unit_of_work() as session:
            validated = validate_bundle(new.chain_pem, new.key_pem, trust_anchors=[authority.root])
            cert, _ = import_certificate(session, fleet.vault, validated, cert_type="uploaded")
            quota.buy(session, accounts * domains_per_account)
        for a in range(accounts):
            sid = f"AKIDfleet{a:04d}xxxxxxxx"
            emulator.add_account(sid, f"secret-{a}")
            domains[sid] = [f"a{a}-d{i:04d}.fleet.test" for i in range(domains_per_account)]
            for d in domains[sid]:
                emulator.add_cdn_domain(sid, d, cert=old)
            with fleet.database.unit_of_work() as session:
                add_account(
                    session,
                    fleet.vault,
                    name=f"acct{a}",
                    provider="tencent",
                    access_key_id=sid,
                    secret=f"secret-{a}",
                    api_endpoint=emulator.endpoint,
                    tls_edge=emulator.tls_edge,
                    options={"rate.cdn": account_rate, "rate.ssl": account_rate},
                )
            names.append(sid)
            spec = TaskSpec(
                f"fleet {a}",
                f"acct{a}",
                ("ops@fleet.test",),
                (cert.id,),
                ("tencent.cdn",),
                utcnow(),
            )
            _, task_id = draft_task(fleet.database, fleet.vault, spec)
            assert task_id is not None
            with fleet.database.unit_of_work() as session:
                tasks.submit(session, task_id)
            ids.append(task_id)
        return Campaign(emulator, ids, names, domains)

    yield make
    for emulator in emulators:
        emulator.stop()
