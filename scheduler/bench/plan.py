"""``certfleet bench plan``: matching and preview at campaign scale, and how they grow.

An estate of R resources and R/10 certificates over R/20 zones, names mixed the way campaigns
see them: half the certificates are wildcards (``*.zN.bench``, some with the apex), half list
exact names; most resources serve one hostname, some two or three (a listener's rule domains),
and a few are served by no selected certificate. Two figures per size:

* ``match_s``: :func:`scheduler.matching.match` alone, in memory;
* ``preview_s``: :func:`scheduler.planning.preview` against PostgreSQL (the inventory and the
  certificates loaded from the ledger, matched, and the preview rows built), which is what
  ``certfleet task create --preview`` waits for after discovery.

Both run in this one thread; ``*_cpu_s`` is this process's CPU time (PostgreSQL's own work on
the other core is not in it).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import insert

from ledger.db import Database
from ledger.models import Account, Certificate, Resource
from scheduler.bench.lab import fresh_schema
from scheduler.matching import CandidateCert, match
from scheduler.planning import Preview, preview
from scheduler.task_spec import TaskSpec

TARGET_SECONDS = 2.0
PRODUCT = "tencent.cdn"
_CHAIN = "-----BEGIN CERTIFICATE-----\n" + ("A" * 64 + "\n") * 20 + "-----END CERTIFICATE-----\n"


@dataclass(frozen=True)
class Estate:
    """Resources as (key, hostnames) and the candidate certificates."""

    resources: list[tuple[int, tuple[str, ...]]]
    certificates: list[CandidateCert]


def make_estate(resources: int, seed: int = 6125) -> Estate:
    """R resources, R/10 certificates (half wildcard: one per zone; half exact), R/20 zones."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    certificates = max(1, resources // 10)
    zones = max(1, resources // 20)
    now = datetime.now(UTC)
    certs: list[CandidateCert] = []
    exact_names: list[str] = []
    for i in range(certificates):
        zone = f"z{i % zones}.bench"
        if i < zones:  # one wildcard per zone, every other one with its apex
            names: tuple[str, ...] = (f"*.{zone}", zone) if i % 2 == 0 else (f"*.{zone}",)
        else:
            names = tuple(f"e{i}-{k}.{zone}" for k in range(4))
            exact_names.extend(names)
        expiry = now + timedelta(days=30 + rng.randrange(365))
        certs.append(CandidateCert(i + 1, names, expiry, f"{i:064x}"))
    estate: list[tuple[int, tuple[str, ...]]] = []
    for key in range(resources):
        roll = rng.random()
        zone = f"z{rng.randrange(zones)}.bench"
        if roll < 0.03:  # a zone nobody selected a certificate for
            hosts: tuple[str, ...] = (f"h{key}.unknown{key % 97}.example",)
        elif roll < 0.25 and exact_names:  # a name one exact certificate lists
            hosts = (rng.choice(exact_names),)
        elif roll < 0.35:  # a listener's rule domains: one certificate must cover them all
            hosts = tuple(f"r{key}-{k}.{zone}" for k in range(rng.randrange(2, 4)))
        else:
            hosts = (f"h{key}.{zone}",)
        estate.append((key, hosts))
    return Estate(estate, certs)


REPEATS = 3  # each timing is the median of this many runs in the same process


T = TypeVar("T")


def _repeated(name: str, run: Callable[[], T]) -> tuple[dict[str, float], T]:
    """``REPEATS`` timed runs of ``run``: median wall and CPU seconds, the first (cold) run's
    wall seconds, as ``<name>_s``, ``<name>_cpu_s`` and ``<name>_first_s``; and the last result."""
    walls, cpus = [], []
    for _ in range(REPEATS):
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    figures = {
        f"{name}_s": round(statistics.median(walls), 3),
        f"{name}_first_s": round(walls[0], 3),
        f"{name}_cpu_s": round(statistics.median(cpus), 3),
    }
    return figures, result


def time_match(estate: Estate) -> dict[str, Any]:
    """Seconds (wall and CPU) of an in-memory match of the whole estate (see :func:`_repeated`:
    a 2-core machine shared with other work is noisy)."""
    figures, report = _repeated("match", lambda: match(estate.resources, estate.certificates))
    return figures | {"matched": len(report.matched), "unmatched": len(report.unmatched)}


def _rows(items: Sequence[dict[str, Any]], size: int = 5000) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def seed_ledger(database: Database, estate: Estate) -> TaskSpec:
    """The estate as ledger rows (one account), and the task request that previews it."""
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        account_id = session.execute(
            insert(Account)
            .values(
                name="bench",
                provider="tencent",
                access_key_id="AKIDbench",
                secret_ciphertext=b"sealed",
                regions=[],
                options={},
            )
            .returning(Account.id)
        ).scalar_one()
        certs = [
            {
                "id": c.id,
                "fingerprint": c.fingerprint,
                "cert_type": "uploaded",
                "names": list(c.names),
                "common_name": c.names[0],
                "issuer": "CN=bench intermediate",
                "key_type": "ec-p256",
                "not_before": now - timedelta(days=1),
                "not_after": c.not_after,
                "chain_pem": _CHAIN,
                "key_ciphertext": b"\0" * 120,
            }
            for c in estate.certificates
        ]
        for chunk in _rows(certs):
            session.execute(insert(Certificate), chunk)
        resources = [
            {
                "account_id": account_id,
                "provider": "tencent",
                "product": PRODUCT,
                "native_id": f"res-{key}",
                "hostnames": list(hosts),
                "https_endpoint": True,
                "attributes": {"status": "online"},
                "served_remote_id": "old-cert",
            }
            for key, hosts in estate.resources
        ]
        for chunk in _rows(resources):
            session.execute(insert(Resource), chunk)
    return TaskSpec(
        "bench plan",
        "bench",
        ("ops@bench.test",),
        tuple(c.id for c in estate.certificates),
        (PRODUCT,),
        now,
    )


def time_preview(admin_url: str, estate: Estate) -> dict[str, Any]:
    """Seconds (wall and CPU) of a preview from a fresh schema holding the estate (see
    :func:`_repeated`), each preview in its own transaction."""
    database = Database(fresh_schema(admin_url))
    try:
        database.upgrade()
        spec = seed_ledger(database, estate)

        def one_preview() -> Preview:
            with database.unit_of_work() as session:
                return preview(session, spec)

        figures, result = _repeated("preview", one_preview)
        return figures | {"preview_matched": len(result.matched)}
    finally:
        database.dispose()


def run(admin_url: str, sizes: Sequence[int]) -> dict[str, Any]:
    """Every size in turn (smallest first); the target applies to the largest."""
    runs: list[dict[str, Any]] = []
    for size in sorted(sizes):
        estate = make_estate(size)
        figures: dict[str, Any] = {"resources": size, "certificates": len(estate.certificates)}
        figures |= time_match(estate)
        figures |= time_preview(admin_url, estate)
        figures["preview_us_per_resource"] = round(figures["preview_s"] / size * 1e6, 1)
        runs.append(figures)
    first, last = runs[0], runs[-1]
    scale = last["resources"] / first["resources"]
    return {
        "bench": "plan",
        "runs": runs,
        "growth": {
            "resources_ratio": scale,
            "match_time_ratio": _ratio(last["match_s"], first["match_s"]),
            "preview_time_ratio": _ratio(last["preview_s"], first["preview_s"]),
            "note": "linear growth means a time ratio close to the resources ratio",
        },
        "targets": {
            "preview_largest<=2s": last["preview_s"] <= TARGET_SECONDS,
            "match_largest<=2s": last["match_s"] <= TARGET_SECONDS,
        },
    }


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None
