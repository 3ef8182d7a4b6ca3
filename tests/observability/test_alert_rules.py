"""The Prometheus configuration and alert rules, as promtool checks them, and the rule unit
tests (deploy/prometheus/alerts_test.yml) that make each alert fire on synthetic series."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from tests.observability.conftest import DEPLOY

PROMETHEUS = DEPLOY / "prometheus"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool is not installed (Debian package `prometheus`; .ci/run installs it)",
)


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60, check=False
    )


@needs_promtool
def test_promtool_accepts_the_rules() -> None:
    result = _promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_promtool_accepts_the_scrape_config() -> None:
    result = _promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_every_alert_fires_on_synthetic_series() -> None:
    result = _promtool("test", "rules", "alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_unit_test_that_expects_it_to_fire() -> None:
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    tests = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())
    firing = {
        case["alertname"]
        for test in tests["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert alerts == firing
    assert {
        "CertfleetCampaignFailureRateHigh",
        "CertfleetThrottlingSustained",
        "CertfleetQueueNotDraining",
        "CertfleetDeploymentsStuck",
        "CertfleetQuotaLow",
        "CertfleetCertificatesExpiringUnplanned",
    } <= alerts


def test_alerts_wait_before_firing_and_say_how_bad() -> None:
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert rule.get("for"), rule["alert"]
            assert rule["labels"]["severity"] in ("page", "warning"), rule["alert"]
            assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_the_scrape_config_targets_the_ports_the_processes_serve() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["certfleet-workers"]["dns_sd_configs"][0] == {
        "names": ["worker"],
        "type": "A",
        "port": 9464,
        "refresh_interval": "30s",
    }
    assert jobs["certfleet-scheduler"]["dns_sd_configs"][0]["names"] == ["scheduler"]
    assert jobs["certfleet-scheduler"]["dns_sd_configs"][0]["port"] == 9465
    assert config["rule_files"] == ["alerts.yml"]
