"""Fixtures for the Huawei tests: an emulator the real SDK talks to, and accounts on it.

The parent conftest supplies ``hooks`` (RecordingHooks), ``to_bundle`` and clears proxy
variables; the top-level one supplies ``authority``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest

from providers.base import Account
from providers.emulators.huawei import HuaweiEmulator
from providers.secrets import Secret

SECRET_KEY = "hw-s3cr3t-Key-That-Must-Never-Leak-0123456789"
REGION = "cn-north-4"
_numbers = itertools.count(1)


@pytest.fixture
def hw() -> Iterator[HuaweiEmulator]:
    with HuaweiEmulator(seed=5) as running:
        yield running


@pytest.fixture
def make_hw_account(hw: HuaweiEmulator) -> Callable[..., Account]:
    """A new emulated account and the Account certfleet would hold for it."""

    def make(
        secret_key: str = SECRET_KEY,
        *,
        regions: tuple[str, ...] = (REGION,),
        register: bool = True,
        request_timeout: int | None = None,
    ) -> Account:
        number = next(_numbers)
        access_key = f"HWTEST{number:014d}"
        options: dict[str, str] = {"domain_id": "0" * 32, f"project_id.{regions[0]}": "1" * 32}
        if register:
            options = hw.add_account(access_key, secret_key, regions=regions).options()
        if request_timeout is not None:
            options["request_timeout"] = str(request_timeout)
        return Account(
            key=f"huawei:{number}",
            provider="huawei",
            access_key_id=access_key,
            secret=Secret(secret_key),
            regions=regions,
            api_endpoint=hw.endpoint,
            tls_edge=hw.tls_edge,
            options=options,
        )

    return make


@pytest.fixture
def hw_account(make_hw_account: Callable[..., Account]) -> Account:
    return make_hw_account()
