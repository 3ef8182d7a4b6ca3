"""``certfleet emulate tencent`` serves a seeded emulator that other processes can use."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

CERTFLEET = str(Path(sys.executable).with_name("certfleet"))


def test_a_separate_emulator_process_serves_discovery(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps(
            {
                "accounts": [
                    {
                        "secret_id": "AKIDemulate0001",
                        "secret_key": "k",
                        "cdn_domains": ["a.e.test", "b.e.test"],
                    }
                ]
            }
        )
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CERTFLEET_") and "proxy" not in k.lower()
    }
    env.update({"CERTFLEET_DATA_DIR": str(tmp_path / "data"), "SECRET": "k", "COLUMNS": "200"})
    server = subprocess.Popen(
        [CERTFLEET, "emulate", "tencent", "--seed", str(seed)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        found = re.search(r"API (\S+)\s+TLS edge (\S+)", line)
        assert found, line
        api, edge = found.groups()

        def run(*a):
            return subprocess.run(
                [CERTFLEET, *a],
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=60,
            )

        added = run(
            "account",
            "add",
            "x",
            "--provider",
            "tencent",
            "--access-key-id",
            "AKIDemulate0001",
            "--secret-env",
            "SECRET",
            "--endpoint",
            api,
            "--tls-edge",
            edge,
        )
        assert added.returncode == 0, added.stderr
        discovered = run("discover", "--account", "x", "--product", "tencent.cdn", "-o", "json")
        assert json.loads(discovered.stdout) == {"tencent.cdn": 2}
    finally:
        server.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        while server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0


def test_huawei_and_aws_emulators_start_as_processes(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CERTFLEET_") and "proxy" not in k.lower()
    }
    env.update({"CERTFLEET_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"})
    for vendor in ("huawei", "aws"):
        server = subprocess.Popen(
            [CERTFLEET, "emulate", vendor], env=env, stdout=subprocess.PIPE, text=True
        )
        try:
            assert server.stdout is not None
            line = server.stdout.readline()
            assert re.search(rf"{vendor} emulator: API \S+\s+TLS edge 127\.0\.0\.1:\d+", line), line
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=15)
        assert server.returncode == 0
