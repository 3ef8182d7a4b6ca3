"""Collects every ``harness_*.py`` module's HARNESSES and parametrises the suite over them."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.contract.harness import ProductHarness

_HERE = Path(__file__).parent


def _harness_classes() -> list[type[ProductHarness]]:
    classes: list[type[ProductHarness]] = []
    for path in sorted(_HERE.glob("harness_*.py")):
        module = importlib.import_module(f"tests.contract.{path.stem}")
        classes.extend(module.HARNESSES)
    return classes


HARNESS_CLASSES = _harness_classes()


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="module", params=HARNESS_CLASSES, ids=lambda cls: cls.product)
def harness(request: pytest.FixtureRequest) -> Iterator[ProductHarness]:
    with request.param() as running:
        yield running
