"""Structured logs (one JSON object per line, ids attached, secrets removed), the endpoint's
health answers, the metrics directory of a worker host, and the new settings."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter

from ledger.settings import load_settings
from tests.observability.conftest import get, health
from workers.observability import exposition, heartbeat, logs, multiprocess
from workers.observability.exposition import Endpoint

PEM = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n"
    "-----END PRIVATE KEY-----"
)


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = logs.configure_logging(
        "json", "DEBUG", stream=stream, environ={"TENCENT_SECRET": "s3cr3t-from-env-1234"}
    )
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_the_bound_ids_and_extras(captured: io.StringIO) -> None:
    log = logging.getLogger("certfleet.worker")
    token = logs.bind(deployment_id=7, task_id=3, message_id="m-1")
    try:
        log.info("deployment %s: %s", 7, "succeeded")
    finally:
        logs.reset(token)
    log.warning("multi\nline", extra={"task_id": 9})
    first, second = _lines(captured)
    assert first["message"] == "deployment 7: succeeded"
    assert (first["deployment_id"], first["task_id"], first["message_id"]) == (7, 3, "m-1")
    assert first["level"] == "INFO" and first["logger"] == "certfleet.worker"
    assert str(first["ts"]).endswith("+00:00")
    assert second["task_id"] == 9 and "deployment_id" not in second
    assert second["message"] == "multi\nline"  # still one physical line


def test_no_secret_reaches_a_log_line(captured: io.StringIO) -> None:
    log = logging.getLogger("certfleet.test")
    log.error("db postgresql+psycopg://certfleet:hunter2pass@db:5432/x is down")
    log.error("vendor said SecretKey=abcDEF123456, Signature=deadbeef00 and token: tok-987")
    log.error("uploading %s", PEM)
    log.error("env value s3cr3t-from-env-1234 leaked")
    try:
        raise ValueError("password='pa55word!' rejected")
    except ValueError:
        log.exception("failed")
    text = captured.getvalue()
    for secret in (
        "hunter2pass",
        "abcDEF123456",
        "deadbeef00",
        "tok-987",
        "MIGHAgEA",
        "s3cr3t-from-env-1234",
        "pa55word!",
    ):
        assert secret not in text, secret
    lines = _lines(captured)
    assert "postgresql+psycopg://certfleet:***@db:5432/x" in str(lines[0]["message"])
    assert "[private key removed]" in str(lines[2]["message"])
    assert "Traceback" in str(lines[4]["error"])


def test_text_format_appends_ids_and_redacts() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = logs.configure_logging("text", "INFO", stream=stream, environ={})
    try:
        token = logs.bind(deployment_id=5)
        logging.getLogger("certfleet.worker").info("redis://:pw123456@r:6379/0 ok")
        logs.reset(token)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert (
        stream.getvalue() == "INFO certfleet.worker: redis://:***@r:6379/0 ok [deployment_id=5]\n"
    )


def test_configuring_twice_replaces_the_handler() -> None:
    root = logging.getLogger()
    level = root.level
    first = logs.configure_logging("text", "INFO", stream=io.StringIO())
    second = logs.configure_logging("json", "INFO", stream=io.StringIO())
    try:
        assert first not in root.handlers and second in root.handlers
    finally:
        root.removeHandler(second)
        root.setLevel(level)


def test_log_settings_are_validated() -> None:
    settings = load_settings({"CERTFLEET_LOG_FORMAT": "JSON", "CERTFLEET_LOG_LEVEL": "debug"})
    assert (settings.log_format, settings.log_level) == ("json", "DEBUG")
    defaults = load_settings({})
    assert (defaults.log_format, defaults.log_level, defaults.metrics_host) == (
        "text",
        None,
        "0.0.0.0",
    )
    with pytest.raises(ValueError, match="CERTFLEET_LOG_FORMAT"):
        load_settings({"CERTFLEET_LOG_FORMAT": "xml"})
    with pytest.raises(ValueError, match="CERTFLEET_LOG_LEVEL"):
        load_settings({"CERTFLEET_LOG_LEVEL": "loud"})


def test_endpoint_reports_each_check_and_hides_secrets_in_failures() -> None:
    registry = CollectorRegistry()
    Counter("certfleet_test_things", "Things.", registry=registry).inc(3)

    def broken() -> str | None:
        raise ConnectionError("redis://:topsecretpw@r:6379 refused")

    endpoint = Endpoint(
        registry, liveness={"loop": lambda: None}, readiness={"broker": broken, "db": lambda: None}
    )
    server = exposition.start(endpoint, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        status, body = get(base + "/metrics")
        assert status == 200 and "certfleet_test_things_total 3.0" in body
        assert health(base + "/healthz") == (200, {"status": "ok", "checks": {"loop": "ok"}})
        status, ready = health(base + "/readyz")
        assert status == 503 and ready["status"] == "failing"
        checks = ready["checks"]
        assert isinstance(checks, dict)
        assert checks["db"] == "ok" and checks["broker"].startswith("ConnectionError")
        assert "topsecretpw" not in json.dumps(ready)
        assert get(base + "/nope")[0] == 404
    finally:
        server.shutdown()
        server.server_close()


def test_cached_checks_run_at_most_once_per_period() -> None:
    calls, now = [], [0.0]
    check = exposition.cached(lambda: calls.append(1) or None, 2.0, clock=lambda: now[0])
    check(), check()
    now[0] = 2.5
    check()
    assert len(calls) == 2


def test_a_worker_host_directory_is_emptied_at_start_and_private_ones_removed(
    tmp_path: Path,
) -> None:
    configured = tmp_path / "metrics"
    configured.mkdir()
    (configured / "counter_123.db").write_bytes(b"old run")
    (configured / "heartbeat-123").touch()
    (configured / "keep.txt").write_text("not ours")
    env: dict[str, str] = {}
    with multiprocess.host_directory(configured, env) as path:
        assert path == configured and env[multiprocess.ENV] == str(configured)
        assert sorted(p.name for p in path.iterdir()) == ["keep.txt"]
    assert configured.is_dir()
    inherited = {multiprocess.ENV: str(configured)}
    with multiprocess.host_directory(None, inherited) as path:
        assert path == configured
    env = {}
    with multiprocess.host_directory(None, env) as private:
        assert env[multiprocess.ENV] == str(private) and private.is_dir()
    assert not private.exists()


def test_heartbeats_count_live_processes_only(tmp_path: Path) -> None:
    beat = heartbeat.Heartbeat(tmp_path, interval=0.05).start()
    stale = tmp_path / "heartbeat-99999"
    stale.touch()
    os.utime(stale, (time.time() - 60, time.time() - 60))
    try:
        deadline = time.monotonic() + 2
        while not heartbeat.alive(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert heartbeat.alive(tmp_path) == [os.getpid()]
    finally:
        beat.stop()
    assert heartbeat.alive(tmp_path) == [] and not beat.path.exists()


def test_the_worker_entry_point_imports_no_metrics_before_choosing_the_directory() -> None:
    code = "import sys, workers.__main__; print('prometheus_client' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "False"
