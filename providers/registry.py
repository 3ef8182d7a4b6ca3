"""Every product certfleet can deploy to, by its registry name (``tencent.cdn``, …).

The CLI lists these (``certfleet providers``), workers build adapters from them by name, and a
test checks each entry carries its metadata. Adding a product = one import and one entry here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from providers.base import (
    Account,
    CallHooks,
    NoHooks,
    ProductAdapter,
    ProductInfo,
    SupportsCredentialCheck,
)
from providers.huawei import cdn as huawei_cdn
from providers.huawei import elb as huawei_elb
from providers.tencent import cdn as tencent_cdn
from providers.tencent import clb as tencent_clb
from providers.tencent import waf as tencent_waf

PRODUCTS: Final[Mapping[str, ProductInfo]] = MappingProxyType(
    {
        info.name: info
        for info in (
            tencent_cdn.INFO,
            tencent_clb.INFO,
            tencent_waf.INFO,
            huawei_cdn.INFO,
            huawei_elb.INFO,
        )
    }
)


def get(name: str) -> ProductInfo:
    """The product called ``name``; KeyError naming the known products otherwise."""
    try:
        return PRODUCTS[name]
    except KeyError:
        known = ", ".join(sorted(PRODUCTS)) or "none"
        raise KeyError(f"unknown product {name!r}; known products: {known}") from None


def adapter(name: str, hooks: CallHooks | None = None) -> ProductAdapter:
    """A ready adapter for ``name`` using ``hooks`` (rate limits, metrics) around its calls."""
    return get(name).factory(hooks or NoHooks())


def check_credentials(account: Account, hooks: CallHooks | None = None) -> list[str]:
    """Check an account's AccessKey against every product of its provider that can check.

    Returns the products checked; raises the first provider error (AuthFailed names the
    policy to grant). Each check is a read, so running it against production is harmless.
    """
    checked: list[str] = []
    for name, info in PRODUCTS.items():
        if not name.startswith(account.provider + "."):
            continue
        product = info.factory(hooks or NoHooks())
        if isinstance(product, SupportsCredentialCheck):
            product.check_credentials(account)
            checked.append(name)
    return checked
