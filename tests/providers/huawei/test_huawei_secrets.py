"""Secrets (the SK, private keys) never reach errors, reprs or logs — the SDK's included.

Huawei makes this harder than most: ELB echoes private keys in certificate listings by
default, and the SDK's model objects print every field; only certfleet's code stands between
those and a log line.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from providers.base import Account, CertificateBundle
from providers.emulators.huawei import HuaweiEmulator
from providers.emulators.pki import Authority, IssuedCertificate
from providers.errors import ProviderError
from providers.huawei.cdn import HuaweiCdn
from providers.huawei.elb import HuaweiElb
from providers.secrets import Secret
from tests.providers.huawei.conftest import SECRET_KEY

REGION = "cn-north-4"
SDK_LOGGERS = ("HuaweiCloud-SDK-CdnClient", "HuaweiCloud-SDK-ElbClient", "urllib3", "requests")
ToBundle = Callable[[IssuedCertificate], CertificateBundle]


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Everything logged at DEBUG, by certfleet and by the SDK's own (non-propagating) loggers."""
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setLevel(logging.DEBUG)
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in SDK_LOGGERS)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    yield sink
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def key_body(issued: IssuedCertificate) -> str:
    """The base64 body of the private key: what must never show up, in any wrapping."""
    return "".join(issued.key_pem.strip().splitlines()[1:-1])[:60]


def test_keys_and_secrets_stay_out_of_logs_errors_and_reprs(
    hw: HuaweiEmulator,
    hw_account: Account,
    authority: Authority,
    to_bundle: ToBundle,
    debug_log: io.StringIO,
) -> None:
    ak = hw_account.access_key_id
    existing = authority.issue(["www.leak.test"])
    cert_id = hw.add_certificate(ak, REGION, existing, domain="www.leak.test")
    hw.add_listener(ak, REGION, hw.add_load_balancer(ak, REGION), default_certificate=cert_id)
    hw.add_cdn_domain(ak, "cdn.leak.test", cert=existing)
    new = authority.issue(["www.leak.test", "cdn.leak.test"])
    bundle = to_bundle(new)
    failures: list[ProviderError] = []

    elb, cdn = HuaweiElb(), HuaweiCdn()
    resources = [*elb.discover(hw_account), *cdn.discover(hw_account)]  # ELB echoes keys here
    for adapter, resource in zip((elb, cdn), resources, strict=True):
        adapter.bind(hw_account, resource, adapter.ensure_certificate(hw_account, bundle, REGION))
    hw.inject(None, error_code="ELB.8902", message=f"echo: {new.key_pem}", access_key=ak)
    for call in (
        lambda: list(elb.discover(hw_account)),
        lambda: list(cdn.discover(replace(hw_account, secret=Secret("wrong-secret")))),
    ):
        with pytest.raises(ProviderError) as caught:
            call()
        failures.append(caught.value)

    shown = "\n".join(
        [debug_log.getvalue(), *map(repr, resources), *map(str, failures), *map(repr, failures)]
    )
    assert debug_log.getvalue(), "the SDK and urllib3 should have logged something"
    for secret in (SECRET_KEY, "wrong-secret", key_body(new), key_body(existing)):
        assert secret not in shown
    assert "PRIVATE KEY" not in shown
