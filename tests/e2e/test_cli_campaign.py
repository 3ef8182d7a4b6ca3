"""End to end through the ``certfleet`` command against the Tencent emulator and a real TLS edge.

The CLI runs as a separate process (as users run it); the emulator runs in this test process on
127.0.0.1. Nothing is mocked: the real tencentcloud SDK signs and sends every call.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from providers.emulators.pki import Authority
from providers.emulators.tencent import TencentEmulator

SECRET = "e2e-Secret-Never-Printed-9f8e7d"
AK = "AKIDe2eTestAccount0001"
CERTFLEET = str(Path(sys.executable).with_name("certfleet"))


@pytest.fixture
def emulator(authority: Authority) -> Iterator[TencentEmulator]:
    old = authority.issue(["*.shop.test"], days=20)
    with TencentEmulator(seed=3) as running:
        running.add_account(AK, SECRET)
        for i in range(24):
            running.add_cdn_domain(AK, f"s{i:02d}.shop.test", cert=old)
        running.add_cdn_domain(AK, "locked.shop.test", cert=old, locked=True)
        running.add_cdn_domain(AK, "other.example.org", cert=old)
        yield running


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[object]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CERTFLEET_") and "proxy" not in k.lower()
    }
    env.update(
        {
            "CERTFLEET_DATA_DIR": str(tmp_path / "data"),
            "CERTFLEET_RETRY_BASE_SECONDS": "0.1",
            "AK_SECRET": SECRET,
        }
    )

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CERTFLEET, *args],
            check=False,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    yield run


def _served_fingerprint(edge: str, hostname: str) -> str:
    host, port = edge.rsplit(":", 1)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((host, int(port)), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=hostname) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return hashlib.sha256(der).hexdigest()


def test_campaign_through_the_cli(
    cli, emulator: TencentEmulator, authority: Authority, tmp_path: Path
) -> None:
    new = authority.issue(["*.shop.test"], days=90)
    (tmp_path / "chain.pem").write_text(new.chain_pem)
    (tmp_path / "key.pem").write_text(new.key_pem)
    (tmp_path / "root.pem").write_text(authority.root.public_bytes(Encoding.PEM).decode())

    added = cli(
        "account",
        "add",
        "prod",
        "--provider",
        "tencent",
        "--access-key-id",
        AK,
        "--secret-env",
        "AK_SECRET",
        "--endpoint",
        emulator.endpoint,
        "--tls-edge",
        emulator.tls_edge,
        "-o",
        "json",
    )
    assert added.returncode == 0, added.stderr
    imported = cli(
        "cert",
        "import",
        "--cert",
        str(tmp_path / "chain.pem"),
        "--key",
        str(tmp_path / "key.pem"),
        "--type",
        "uploaded",
        "--trust-anchor",
        str(tmp_path / "root.pem"),
        "-o",
        "json",
    )
    assert imported.returncode == 0, imported.stderr
    cert_id = json.loads(imported.stdout)["id"]
    assert cli("quota", "buy", "100").returncode == 0

    common = [
        "--name",
        "renew shop",
        "--account",
        "prod",
        "--contact",
        "ops@shop.test",
        "--cert",
        str(cert_id),
        "--product",
        "tencent.cdn",
    ]
    shown = cli("task", "create", *common, "--preview", "-o", "json")
    assert shown.returncode == 0, shown.stderr
    preview = json.loads(shown.stdout)
    assert preview["task"] is None  # a preview writes no task
    assert preview["preview"]["discovered"] == 26
    assert preview["preview"]["matched"] == 25
    assert preview["preview"]["quota_to_consume"] == 25
    assert [u["resource"] for u in preview["preview"]["unmatched"]] == ["other.example.org"]

    created = cli("task", "create", *common, "-o", "json")
    task_id = json.loads(created.stdout)["task"]
    submitted = cli("task", "submit", str(task_id), "-o", "json")
    assert submitted.returncode == 1, submitted.stderr  # one deployment failed → exit 1
    status = json.loads(submitted.stdout)
    assert status["status"] == "partial"
    assert status["counts"] == {"succeeded": 24, "failed": 1}
    assert status["quota_debited"] == 25 and status["quota_refunded"] == 1
    assert "locked" in status["failures"][0]["reason"].lower()

    for i in (0, 23):  # what the edge really serves now, checked independently of certfleet
        assert _served_fingerprint(emulator.tls_edge, f"s{i:02d}.shop.test") == new.fingerprint

    balance = json.loads(cli("quota", "show", "-o", "json").stdout)
    assert balance == {
        "balance": 76,
        "purchased": 100,
        "debited": 25,
        "refunded": 1,
        "consistent": True,
        "problems": [],
    }

    # Re-running the same campaign uploads nothing new and binds nothing twice.
    uploads_before = emulator.calls[(AK, "UploadCertificate")]
    again = cli("task", "create", *["--name", "again", *common[2:]], "-o", "json")
    rerun = cli("task", "submit", str(json.loads(again.stdout)["task"]), "-o", "json")
    assert json.loads(rerun.stdout)["counts"] == {"succeeded": 24, "failed": 1}
    assert emulator.calls[(AK, "UploadCertificate")] == uploads_before
    assert all(
        emulator.calls[(AK, "UpdateDomainConfig", f"s{i:02d}.shop.test")] == 1 for i in range(24)
    )

    # No secret in anything the CLI printed.
    for result in (added, imported, shown, created, submitted, rerun):
        assert SECRET not in result.stdout + result.stderr
        assert "PRIVATE KEY" not in result.stdout + result.stderr


def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    cli, emulator: TencentEmulator, authority: Authority, tmp_path: Path
) -> None:
    expired = authority.issue(
        ["x.shop.test"],
        days=1,
        not_before=datetime(2020, 1, 1, tzinfo=UTC),
    )
    (tmp_path / "expired.pem").write_text(expired.chain_pem + expired.key_pem)
    result = cli("cert", "import", "--cert", str(tmp_path / "expired.pem"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "expired" in result.stderr
    assert json.loads(cli("cert", "list", "-o", "json").stdout) == []

    assert (
        cli(
            "account",
            "add",
            "prod",
            "--provider",
            "tencent",
            "--access-key-id",
            AK,
            "--secret-env",
            "AK_SECRET",
            "--endpoint",
            emulator.endpoint,
        ).returncode
        == 0
    )
    other = authority.issue(["*.nowhere.test"], days=30)
    (tmp_path / "other.pem").write_text(other.chain_pem + other.key_pem)
    (tmp_path / "root.pem").write_bytes(authority.root.public_bytes(Encoding.PEM))
    cert_id = json.loads(
        cli(
            "cert",
            "import",
            "--cert",
            str(tmp_path / "other.pem"),
            "--trust-anchor",
            str(tmp_path / "root.pem"),
            "-o",
            "json",
        ).stdout
    )["id"]
    zero = cli(
        "task",
        "create",
        "--name",
        "t",
        "--account",
        "prod",
        "--contact",
        "ops@x.test",
        "--cert",
        str(cert_id),
        "--product",
        "tencent.cdn",
    )
    assert zero.returncode == 2
    assert "0 matches" in zero.stderr and zero.stderr.strip().count("\n") == 0
    assert json.loads(cli("task", "list", "-o", "json").stdout) == []

    too_many = cli(
        "task",
        "create",
        "--name",
        "t",
        "--account",
        "prod",
        "--cert",
        str(cert_id),
        "--product",
        "tencent.cdn",
        *[f"--contact=c{i}@x.test" for i in range(11)],
    )
    assert too_many.returncode == 2 and "--contact" in too_many.stderr


def test_account_check_uses_a_harmless_read_and_names_the_fix(
    cli, emulator: TencentEmulator
) -> None:
    good = cli(
        "account",
        "add",
        "good",
        "--provider",
        "tencent",
        "--access-key-id",
        AK,
        "--secret-env",
        "AK_SECRET",
        "--endpoint",
        emulator.endpoint,
    )
    assert good.returncode == 0, good.stderr
    assert cli("account", "check", "good").returncode == 0
    bad = cli(
        "account",
        "add",
        "bad",
        "--provider",
        "tencent",
        "--access-key-id",
        AK,
        "--secret-stdin",
        "--endpoint",
        emulator.endpoint,
        stdin="wrong-secret\n",
    )
    assert bad.returncode == 0, bad.stderr
    checked = cli("account", "check", "bad", "-o", "json")
    assert checked.returncode == 2
    verdict = json.loads(checked.stdout)
    assert verdict["ok"] is False and "SecretKey" in verdict["error"]
    assert "wrong-secret" not in checked.stdout + checked.stderr
    listed = json.loads(cli("account", "list", "-o", "json").stdout)
    assert [a["check_error"] is None for a in listed] == [False, True]  # bad, good by name
    assert all("secret" not in key for a in listed for key in a)
