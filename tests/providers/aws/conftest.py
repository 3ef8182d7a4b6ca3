"""Fixtures for the AWS adapters: one emulator per module, a fresh account per test."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from providers.base import Account
from providers.emulators.aws import AwsEmulator
from providers.secrets import Secret

SECRET = "aws-Secret-That-Must-Never-Leak/0123456789abcdef"
REGION = "eu-west-1"
_numbers = itertools.count(1)


@dataclass(frozen=True)
class AwsAccount:
    """The Account certfleet holds, and the emulated account id behind it."""

    account: Account
    account_id: str


@pytest.fixture(scope="module")
def aws() -> Iterator[AwsEmulator]:
    with AwsEmulator(seed=5) as running:
        yield running


@pytest.fixture(autouse=True)
def _no_emulator_errors(aws: AwsEmulator) -> Iterator[None]:
    """An emulator bug answers AWS's 500 and could pass for a tested failure: fail instead."""
    before = len(aws.failures)
    yield
    aws.clear_faults()
    assert aws.failures[before:] == []


@pytest.fixture
def make_account(aws: AwsEmulator) -> Callable[..., AwsAccount]:
    def make(
        *, regions: tuple[str, ...] = (REGION,), options: dict[str, str] | None = None
    ) -> AwsAccount:
        number = next(_numbers)
        access_key = f"AKIAPROVIDERS{number:07d}"
        account_id = aws.add_account(access_key, SECRET)
        account = Account(
            key=f"aws:{number}",
            provider="aws",
            access_key_id=access_key,
            secret=Secret(SECRET),
            regions=regions,
            api_endpoint=aws.endpoint,
            tls_edge=aws.tls_edge,
            options=options or {},
        )
        return AwsAccount(account, account_id)

    return make


@pytest.fixture
def acct(make_account: Callable[..., AwsAccount]) -> AwsAccount:
    return make_account()
