"""Every product certfleet can deploy to, by its registry name (``tencent.cdn``, …).

The CLI lists these (``certfleet providers``), workers build adapters from them by name, and a
test checks each entry carries its metadata. Adding a product = one line in ``_MODULES``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Final

from providers.base import (
    Account,
    CallHooks,
    NoHooks,
    ProductAdapter,
    ProductInfo,
    SupportsCredentialCheck,
)
from providers.errors import AuthFailed, ProviderError

# Registry name -> module defining its INFO. Modules are imported on first use: each pulls in
# a vendor SDK (hundreds of milliseconds for some), and most commands touch one or two products.
_MODULES: Final = {
    "tencent.cdn": "providers.tencent.cdn",
    "tencent.clb": "providers.tencent.clb",
    "tencent.waf": "providers.tencent.waf",
    "huawei.cdn": "providers.huawei.cdn",
    "huawei.elb": "providers.huawei.elb",
    "aws.cloudfront": "providers.aws.cloudfront",
    "aws.alb": "providers.aws.alb",
    "aws.nlb": "providers.aws.nlb",
    "aws.clb": "providers.aws.clb",
}


class _Products(Mapping[str, ProductInfo]):
    """A read-only mapping whose values are loaded when first asked for."""

    def __getitem__(self, name: str) -> ProductInfo:
        module = importlib.import_module(_MODULES[name])
        info = module.INFO
        assert isinstance(info, ProductInfo) and info.name == name
        return info

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


PRODUCTS: Final[Mapping[str, ProductInfo]] = _Products()


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


def check_credentials(account: Account, hooks: CallHooks | None = None) -> dict[str, str | None]:
    """Check an account's AccessKey with one harmless read per product of its provider.

    Returns ``{product: None}`` for products that answered and ``{product: reason}`` for those
    that cannot be used as configured (e.g. a regional product and no regions given). Raises
    :class:`AuthFailed` (naming the policy to grant) if the key itself is refused anywhere.
    """
    results: dict[str, str | None] = {}
    for name, info in PRODUCTS.items():
        if not name.startswith(account.provider + "."):
            continue
        product = info.factory(hooks or NoHooks())
        if not isinstance(product, SupportsCredentialCheck):
            continue
        try:
            product.check_credentials(account)
        except AuthFailed:
            raise
        except ProviderError as error:
            results[name] = str(error)
        else:
            results[name] = None
    return results
