"""Scrapes of real endpoints, and what a scrape exports (names, label names, values)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "gauge": ("",),
}
# Series Prometheus itself adds to every scrape; queries may use them.
PROMETHEUS_SERIES = {"up": {"job", "instance"}}
# Labels Prometheus attaches to every series it scrapes.
TARGET_LABELS = {"job", "instance"}


@dataclass
class Exported:
    """What one or more /metrics scrapes expose."""

    labels: dict[str, set[str]] = field(default_factory=dict)  # series name -> label names
    values: dict[tuple[str, frozenset[tuple[str, str]]], float] = field(default_factory=dict)

    def add(self, text: str) -> Exported:
        for family in text_string_to_metric_families(text):
            # A family declared without samples yet still exports its series names.
            for suffix in SUFFIXES.get(family.type, ("",)):
                self.labels.setdefault(family.name + suffix, set())
            for sample in family.samples:
                self.labels.setdefault(sample.name, set()).update(sample.labels)
                self.values[(sample.name, frozenset(sample.labels.items()))] = sample.value
        return self

    def value(self, name: str, **labels: str) -> float:
        return self.values.get((name, frozenset(labels.items())), 0.0)

    def total(self, name: str, **labels: str) -> float:
        """Sum over every series of ``name`` whose labels include ``labels``."""
        wanted = set(labels.items())
        return sum(v for (n, ls), v in self.values.items() if n == name and wanted <= ls)


def get(url: str, timeout: float = 5) -> tuple[int, str]:
    """Status and body of a GET (error statuses included)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def health(url: str) -> tuple[int, dict[str, object]]:
    status, body = get(url)
    return status, json.loads(body)
