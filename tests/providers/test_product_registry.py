"""The product registry: every product has its metadata and builds an adapter by name."""

from __future__ import annotations

import pytest

from providers import registry
from providers.base import NoHooks, ProductAdapter


@pytest.mark.parametrize("name", sorted(registry.PRODUCTS))
def test_every_product_carries_what_operators_need(name: str) -> None:
    info = registry.get(name)

    assert info.name == name
    assert info.display_name and info.api_docs.startswith("https://")
    assert info.permissions and all(rate > 0 for rate in info.rate_limits.values())
    assert isinstance(registry.adapter(name, NoHooks()), ProductAdapter)


def test_tencent_cdn_is_registered_with_its_policies() -> None:
    info = registry.get("tencent.cdn")

    assert info.permissions == ("QcloudSSLFullAccess", "QcloudCDNFullAccess")
    assert set(info.rate_limits) == {"cdn", "ssl"}
    assert registry.adapter("tencent.cdn").name == "tencent.cdn"


def test_unknown_product_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match=r"unknown product 'tencent\.cnd'.*tencent\.cdn"):
        registry.get("tencent.cnd")
