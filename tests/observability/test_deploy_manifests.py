"""deploy/: Compose, Kubernetes, Grafana provisioning and the Dockerfile hang together.

No Docker engine or cluster here, so the files are read as data: the services and workloads are
all there with images, every CERTFLEET_ variable they set is one certfleet reads, the probes
and healthchecks hit the ports and paths the processes serve, Prometheus scrapes those ports,
and every file a mount or a generator names exists. ``kubectl kustomize`` (offline) builds the
Kubernetes set when kubectl is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from dramatiq import cli as dramatiq_cli

from ledger.settings import load_settings
from ledger.vault import KEY_ENV
from tests.observability.conftest import DEPLOY
from workers.observability.exposition import PATHS
from workers.observability.multiprocess import ENV as MULTIPROC_ENV

ROOT = DEPLOY.parent
WORKER_PORT, SCHEDULER_PORT = 9464, 9465
HEALTH = {"/healthz", "/readyz"}


class _Recorder(dict[str, str]):
    """An empty environment that remembers every variable asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.asked.add(key)
        return default


def _settings_variables() -> set[str]:
    recorder = _Recorder()
    load_settings(recorder)
    return {k for k in recorder.asked if k.startswith("CERTFLEET_")} | {KEY_ENV}


KNOWN = _settings_variables()


def _documents(path: Path) -> Iterator[dict[str, Any]]:
    yield from (d for d in yaml.safe_load_all(path.read_text()) if d)


def _seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+)(ms|s|m)", duration)
    assert match, duration
    return int(match[1]) * {"ms": 0.001, "s": 1, "m": 60}[match[2]]


def _option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def test_the_settings_recorder_sees_the_variables_certfleet_reads() -> None:
    assert {"CERTFLEET_DATABASE_URL", "CERTFLEET_METRICS_PORT", "CERTFLEET_LOG_FORMAT"} <= KNOWN
    assert "CERTFLEET_VAULT_KEY" in KNOWN and "CERTFLEET_NO_SUCH" not in KNOWN


# --- Compose -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _port_and_path(healthcheck: dict[str, Any]) -> tuple[int, str]:
    match = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", " ".join(healthcheck["test"]))
    assert match, healthcheck
    return int(match[1]), match[2]


def test_compose_has_every_piece_with_an_image(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "worker", "scheduler", "prometheus", "grafana"} <= set(
        services
    )
    assert all(s.get("image") for s in services.values())
    assert services["worker"]["deploy"]["replicas"] >= 2
    assert services["worker"]["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}


def test_compose_sets_only_variables_certfleet_reads(compose: dict[str, Any]) -> None:
    ours = {n: s for n, s in compose["services"].items() if s["image"].startswith("certfleet")}
    assert set(ours) == {"migrate", "worker", "scheduler"}
    for name, service in ours.items():
        env = service["environment"]
        unknown = {k for k in env if k.startswith("CERTFLEET_")} - KNOWN
        assert not unknown, f"{name}: {unknown}"
        assert {"CERTFLEET_DATABASE_URL", "CERTFLEET_BROKER_URL", "CERTFLEET_VAULT_KEY"} <= set(env)
        assert env["CERTFLEET_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["CERTFLEET_BROKER_URL"].startswith("redis://redis:")


@pytest.mark.parametrize(
    ("service", "port"), [("worker", WORKER_PORT), ("scheduler", SCHEDULER_PORT)]
)
def test_compose_fleet_processes_serve_where_probes_and_prometheus_look(
    compose: dict[str, Any], service: str, port: int
) -> None:
    spec = compose["services"][service]
    assert spec["command"][0] == service
    assert spec["environment"]["CERTFLEET_METRICS_PORT"] == str(port)
    assert _port_and_path(spec["healthcheck"]) == (port, "/healthz")
    assert str(port) in spec["expose"]
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    targets = {
        (sd["names"][0], sd["port"])
        for job in config["scrape_configs"]
        for sd in job.get("dns_sd_configs", [])
    }
    assert (service, port) in targets


def test_compose_workers_get_time_to_finish_in_flight_deployments(
    compose: dict[str, Any],
) -> None:
    worker = compose["services"]["worker"]
    shutdown_ms = int(_option(worker["command"], "--worker-shutdown-timeout"))
    assert _seconds(worker["stop_grace_period"]) > shutdown_ms / 1000
    # The extra options reach dramatiq's own parser through `certfleet worker`.
    parser = dramatiq_cli.make_argument_parser()  # type: ignore[no-untyped-call]
    args = parser.parse_args(["workers.actors", *worker["command"][1:]])
    assert args.processes == 2 and args.worker_shutdown_timeout == shutdown_ms


def test_compose_mounts_existing_files_where_the_configs_expect_them(
    compose: dict[str, Any],
) -> None:
    mounts: dict[str, str] = {}
    for name in ("prometheus", "grafana"):
        for volume in compose["services"][name]["volumes"]:
            source, target = volume.split(":")[:2]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), source
                mounts[target] = source
    assert mounts["/etc/prometheus/prometheus.yml"] == "./prometheus/prometheus.yml"
    assert mounts["/etc/prometheus/alerts.yml"] == "./prometheus/alerts.yml"
    assert (
        "--config.file=/etc/prometheus/prometheus.yml"
        in compose["services"]["prometheus"]["command"]
    )
    providers = yaml.safe_load(
        (DEPLOY / "grafana/provisioning/dashboards/certfleet.yaml").read_text()
    )
    dashboards_dir = providers["providers"][0]["options"]["path"]
    assert mounts[f"{dashboards_dir}/certfleet.json"] == "./grafana/certfleet.json"
    assert mounts["/etc/grafana/provisioning"] == "./grafana/provisioning"
    datasources = yaml.safe_load(
        (DEPLOY / "grafana/provisioning/datasources/prometheus.yaml").read_text()
    )
    assert datasources["datasources"][0]["url"] == "http://prometheus:9090"


# --- Kubernetes ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kustomization() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())


@pytest.fixture(scope="module")
def manifests(kustomization: dict[str, Any]) -> list[dict[str, Any]]:
    docs = []
    for resource in kustomization["resources"]:
        docs += list(_documents(DEPLOY / resource))
    return docs


def _find(manifests: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(found) == 1, (kind, name)
    return found[0]


def _workloads(manifests: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield from (m for m in manifests if m["kind"] in ("Deployment", "StatefulSet", "Job"))


def _containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = workload["spec"]["template"]["spec"]["containers"]
    return containers


def test_kustomization_names_only_existing_files(kustomization: dict[str, Any]) -> None:
    files = list(kustomization["resources"])
    files += [f for g in kustomization["configMapGenerator"] for f in g["files"]]
    assert files and all((DEPLOY / f).is_file() for f in files)
    assert set(kustomization["resources"]) == {
        f"k8s/{p.name}" for p in (DEPLOY / "k8s").glob("*.yaml")
    }


def test_kubernetes_has_the_same_pieces_as_compose(manifests: list[dict[str, Any]]) -> None:
    for kind, name in [
        ("Namespace", "certfleet"),
        ("ConfigMap", "certfleet-config"),
        ("Deployment", "redis"),
        ("StatefulSet", "postgres"),
        ("Job", "certfleet-migrate"),
        ("Deployment", "certfleet-worker"),
        ("Deployment", "certfleet-scheduler"),
        ("Deployment", "prometheus"),
        ("Deployment", "grafana"),
    ]:
        _find(manifests, kind, name)
    for service in ("redis", "postgres", "worker", "scheduler", "prometheus", "grafana"):
        _find(manifests, "Service", service)
    assert _find(manifests, "Deployment", "certfleet-worker")["spec"]["replicas"] >= 2


def test_every_workload_has_images_and_selects_its_own_pods(
    manifests: list[dict[str, Any]],
) -> None:
    for workload in _workloads(manifests):
        assert all(c.get("image") for c in _containers(workload)), workload["metadata"]["name"]
        if workload["kind"] != "Job":
            labels = workload["spec"]["template"]["metadata"]["labels"]
            assert workload["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_every_service_selects_pods_and_names_their_ports(
    manifests: list[dict[str, Any]],
) -> None:
    for service in (m for m in manifests if m["kind"] == "Service"):
        selector = service["spec"]["selector"].items()
        pods = [
            w
            for w in _workloads(manifests)
            if selector <= w["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(pods) == 1, service["metadata"]["name"]
        port_names = {p["name"] for c in _containers(pods[0]) for p in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in port_names, service["metadata"]["name"]


def test_certfleet_pods_set_only_variables_certfleet_reads(
    manifests: list[dict[str, Any]],
) -> None:
    shared = _find(manifests, "ConfigMap", "certfleet-config")["data"]
    assert set(shared) <= KNOWN
    ours = [w for w in _workloads(manifests) if _containers(w)[0]["image"] == "certfleet"]
    assert {w["metadata"]["name"] for w in ours} == {
        "certfleet-migrate",
        "certfleet-worker",
        "certfleet-scheduler",
    }
    for workload in ours:
        container = _containers(workload)[0]
        assert container["envFrom"] == [{"configMapRef": {"name": "certfleet-config"}}]
        names = {e["name"] for e in container.get("env", [])}
        assert names <= KNOWN, workload["metadata"]["name"]
        assert "CERTFLEET_DATABASE_URL" in names
        for env in container["env"]:
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref == {"name": "certfleet-secrets", "key": env["name"]}
        assert container["securityContext"]["readOnlyRootFilesystem"] is True


@pytest.mark.parametrize(
    ("workload", "service", "port"),
    [
        ("certfleet-worker", "worker", WORKER_PORT),
        ("certfleet-scheduler", "scheduler", SCHEDULER_PORT),
    ],
)
def test_probes_and_scrapes_reach_the_fleet_endpoints(
    manifests: list[dict[str, Any]], workload: str, service: str, port: int
) -> None:
    deployment = _find(manifests, "Deployment", workload)
    container = _containers(deployment)[0]
    assert container["args"][0] == service
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["CERTFLEET_METRICS_PORT"] == str(port)
    assert container["ports"] == [{"name": "metrics", "containerPort": port}]
    probes = {
        k: container[k]["httpGet"] for k in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    assert all(p["port"] == "metrics" and p["path"] in HEALTH for p in probes.values())
    assert probes["livenessProbe"]["path"] == "/healthz"
    assert probes["readinessProbe"]["path"] == "/readyz"
    assert set(PATHS) >= HEALTH
    svc = _find(manifests, "Service", service)["spec"]
    assert svc["clusterIP"] == "None" and svc["publishNotReadyAddresses"] is True
    assert svc["ports"] == [{"name": "metrics", "port": port, "targetPort": "metrics"}]


def test_worker_pods_share_a_metrics_directory_and_drain_before_being_killed(
    manifests: list[dict[str, Any]],
) -> None:
    deployment = _find(manifests, "Deployment", "certfleet-worker")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert MULTIPROC_ENV not in env  # certfleet sets it for the worker processes only
    directory = Path(env["CERTFLEET_METRICS_DIR"])
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volume = next(v for v in pod["volumes"] if v["name"] == mounts[str(directory.parent)])
    assert volume["emptyDir"]["medium"] == "Memory"
    shutdown_ms = int(_option(container["args"], "--worker-shutdown-timeout"))
    assert pod["terminationGracePeriodSeconds"] > shutdown_ms / 1000


def test_prometheus_and_grafana_mount_the_generated_configs(
    manifests: list[dict[str, Any]], kustomization: dict[str, Any]
) -> None:
    generated = {
        g["name"]: [Path(f).name for f in g["files"]] for g in kustomization["configMapGenerator"]
    }
    prometheus = _find(manifests, "Deployment", "prometheus")["spec"]["template"]["spec"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["containers"][0]["args"]
    assert generated["prometheus-config"] == ["prometheus.yml", "alerts.yml"]
    config_volume = next(v for v in prometheus["volumes"] if v["name"] == "config")
    assert config_volume["configMap"]["name"] == "prometheus-config"
    grafana = _find(manifests, "Deployment", "grafana")["spec"]["template"]["spec"]
    mounts = {m["name"]: m["mountPath"] for m in grafana["containers"][0]["volumeMounts"]}
    volumes = {v["name"]: v.get("configMap", {}).get("name") for v in grafana["volumes"]}
    providers = yaml.safe_load(
        (DEPLOY / "grafana/provisioning/dashboards/certfleet.yaml").read_text()
    )
    dashboards_mount = next(n for n, cm in volumes.items() if cm == "grafana-dashboards")
    assert mounts[dashboards_mount] == providers["providers"][0]["options"]["path"]
    assert generated["grafana-dashboards"] == ["certfleet.json"]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kustomize_builds_the_kubernetes_set_offline() -> None:
    result = subprocess.run(
        ["kubectl", "kustomize", str(DEPLOY)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    built = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert all(
        d["metadata"].get("namespace") == "certfleet" for d in built if d["kind"] != "Namespace"
    )
    assert {d["metadata"]["name"].rsplit("-", 1)[0] for d in built if d["kind"] == "ConfigMap"} >= {
        "prometheus-config",
        "grafana-dashboards",
        "grafana-datasources",
    }


# --- Image ---------------------------------------------------------------------------------


def test_the_image_installs_every_package_with_the_constraints() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [
        p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    ]
    for package in packages:
        assert f"COPY {package} ./{package}" in dockerfile, package
    assert "COPY pyproject.toml constraints.txt README.md ./" in dockerfile
    assert "pip install --constraint constraints.txt ." in dockerfile
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.M)
    assert re.search(r"^USER 10001", dockerfile, re.M)
    assert 'ENTRYPOINT ["certfleet"]' in dockerfile
    assert f"EXPOSE {WORKER_PORT} {SCHEDULER_PORT}" in dockerfile
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert [f"!{p}/" for p in packages] == [
        line for line in ignore if line.startswith("!") and line.endswith("/")
    ]
