"""Fixtures for provider tests: a Tencent emulator the real SDK talks to, accounts, hooks."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

import pytest

from providers.base import Account, CertificateBundle
from providers.emulators.pki import IssuedCertificate
from providers.emulators.tencent import TencentEmulator
from providers.secrets import Secret
from providers.tencent.cdn import TencentCdn
from tests.contract.bundles import bundle_of

SECRET_KEY = "s3cr3t-Key-That-Must-Never-Leak-0123456789"
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")
_account_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK and requests honour proxy variables; local emulators must be reached directly."""
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def emulator() -> Iterator[TencentEmulator]:
    with TencentEmulator(seed=7) as running:
        yield running


@pytest.fixture
def make_account(emulator: TencentEmulator) -> Callable[..., Account]:
    """A new emulated account (its own SecretId) and the Account certfleet would hold for it."""

    def make(secret_key: str = SECRET_KEY, *, register: bool = True) -> Account:
        number = next(_account_numbers)
        secret_id = f"AKIDcertfleetTest{number:08d}"
        if register:
            emulator.add_account(secret_id, secret_key)
        return Account(
            key=f"tencent:{number}",
            provider="tencent",
            access_key_id=secret_id,
            secret=Secret(secret_key),
            api_endpoint=emulator.endpoint,
            tls_edge=emulator.tls_edge,
        )

    return make


@pytest.fixture
def account(make_account: Callable[..., Account]) -> Account:
    return make_account()


@dataclass
class RecordingHooks:
    """CallHooks that remember what the adapter told them."""

    acquired: list[tuple[str, str]] = field(default_factory=list)
    records: list[tuple[str, str]] = field(default_factory=list)  # (action, outcome)
    throttles: list[tuple[str, float]] = field(default_factory=list)  # (family, retry_after)
    exclusive_scopes: list[str] = field(default_factory=list)

    def acquire(self, account: Account, family: str, action: str) -> None:
        self.acquired.append((account.key, family))

    def record(self, account: Account, action: str, outcome: str, seconds: float) -> None:
        assert seconds >= 0
        self.records.append((action, outcome))

    def throttled(self, account: Account, family: str, action: str, retry_after: float) -> None:
        self.throttles.append((family, retry_after))

    def exclusive(self, account: Account, scope: str) -> AbstractContextManager[None]:
        self.exclusive_scopes.append(scope)
        return nullcontext()


@pytest.fixture
def hooks() -> RecordingHooks:
    return RecordingHooks()


@pytest.fixture
def cdn(hooks: RecordingHooks) -> TencentCdn:
    return TencentCdn(hooks)


@pytest.fixture
def to_bundle() -> Callable[[IssuedCertificate], CertificateBundle]:
    return bundle_of
