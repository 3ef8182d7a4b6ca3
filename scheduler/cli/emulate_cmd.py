"""``certfleet emulate``: run a vendor emulator as its own process, for fleets and manual tests.

In-process emulators serve the tests and the demo; a fleet of worker processes on several hosts
needs one they can all reach. A seed file (JSON) creates accounts and resources at start:
``{"accounts": [{"secret_id": "AKID…", "secret_key": "…", "cdn_domains": ["www.a.com"]}],
"rate_limit": 20}`` (Huawei: ``access_key``/``secret_key``/``cdn_domains``; AWS:
``access_key``/``secret_key``/``distributions``, a list of alias lists); every seeded resource
serves a throwaway certificate until certfleet replaces it.
"""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.errors import InputError
from scheduler.cli.output import console


def _seed(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {"accounts": []}
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise InputError("--seed", f"cannot read {path}: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("accounts", []), list):
        raise InputError("--seed", 'expected {"accounts": [...]} (see certfleet emulate --help)')
    return data


def _run_tencent(port: int, tls_port: int, seed: dict[str, Any], stop: threading.Event) -> None:
    from providers.emulators.pki import Authority  # noqa: PLC0415 - only this command needs it
    from providers.emulators.tencent import TencentEmulator  # noqa: PLC0415
    from providers.emulators.tls_edge import TlsEdge  # noqa: PLC0415

    edge = TlsEdge("127.0.0.1", tls_port)
    edge.start()
    emulator = TencentEmulator("127.0.0.1", port, edge=edge)
    emulator.start()
    if seed.get("rate_limit"):
        emulator.set_rate_limit(None, float(seed["rate_limit"]))
    authority = Authority("certfleet emulator")
    for account in seed.get("accounts", []):
        emulator.add_account(account["secret_id"], account["secret_key"])
        for domain in account.get("cdn_domains", []):
            emulator.add_cdn_domain(account["secret_id"], domain, cert=authority.issue([domain]))
    console.print(f"tencent emulator: API {emulator.endpoint}  TLS edge {emulator.tls_edge}")
    console.print("register accounts with --endpoint and --tls-edge set to these; Ctrl-C stops")
    stop.wait()
    emulator.stop()
    edge.stop()


def _run_huawei(port: int, tls_port: int, seed: dict[str, Any], stop: threading.Event) -> None:
    from providers.emulators.huawei import HuaweiEmulator  # noqa: PLC0415
    from providers.emulators.pki import Authority  # noqa: PLC0415
    from providers.emulators.tls_edge import TlsEdge  # noqa: PLC0415

    edge = TlsEdge("127.0.0.1", tls_port)
    edge.start()
    emulator = HuaweiEmulator("127.0.0.1", port, edge=edge)
    emulator.start()
    if seed.get("rate_limit"):
        emulator.set_rate_limit(None, float(seed["rate_limit"]))
    authority = Authority("certfleet emulator")
    for account in seed.get("accounts", []):
        ids = emulator.add_account(account["access_key"], account["secret_key"])
        console.print(f"account {account['access_key']}: options {json.dumps(ids.options())}")
        for domain in account.get("cdn_domains", []):
            emulator.add_cdn_domain(account["access_key"], domain, cert=authority.issue([domain]))
    console.print(f"huawei emulator: API {emulator.endpoint}  TLS edge {emulator.tls_edge}")
    stop.wait()
    emulator.stop()
    edge.stop()


def _run_aws(port: int, tls_port: int, seed: dict[str, Any], stop: threading.Event) -> None:
    from providers.emulators.aws import AwsEmulator  # noqa: PLC0415 - needs moto
    from providers.emulators.pki import Authority  # noqa: PLC0415
    from providers.emulators.tls_edge import TlsEdge  # noqa: PLC0415

    edge = TlsEdge("127.0.0.1", tls_port)
    edge.start()
    emulator = AwsEmulator("127.0.0.1", port, edge=edge)
    emulator.start()
    authority = Authority("certfleet emulator")
    for account in seed.get("accounts", []):
        account_id = emulator.add_account(account["access_key"], account["secret_key"])
        for aliases in account.get("distributions", []):
            emulator.add_distribution(account_id, aliases, authority.issue(list(aliases)))
    console.print(f"aws emulator: API {emulator.endpoint}  TLS edge {emulator.tls_edge}")
    stop.wait()
    emulator.stop()
    edge.stop()


def _stop_on_signals() -> threading.Event:
    """Installed before the emulator announces itself, so a prompt SIGTERM stops it cleanly."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


RUNNERS = {"tencent": _run_tencent, "huawei": _run_huawei, "aws": _run_aws}


def emulate(
    vendor: Annotated[str, typer.Argument(help="tencent, huawei or aws")],
    port: Annotated[int, typer.Option(help="API port on 127.0.0.1 (0: any free port)")] = 0,
    tls_port: Annotated[int, typer.Option(help="TLS edge port (0: any free port)")] = 0,
    seed: Annotated[Path | None, typer.Option(help="JSON file of accounts and resources")] = None,
) -> None:
    """Serve a vendor emulator on 127.0.0.1 until interrupted."""
    runner = RUNNERS.get(vendor)
    if runner is None:
        raise InputError("vendor", f"no emulator for {vendor!r}; choose {', '.join(RUNNERS)}")
    runner(port, tls_port, _seed(seed), _stop_on_signals())
