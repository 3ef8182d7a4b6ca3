"""tencent.waf over the real SDK against the emulator: SaaS domains, hosted certificates, TLS."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from providers.base import Account, NoHooks, ProductAdapter, Resource
from providers.emulators.pki import Authority
from providers.emulators.tencent import TencentEmulator
from providers.emulators.tencent.waf_control import WafDomainRef
from providers.errors import AuthFailed, Permanent
from providers.tencent import client
from providers.tencent.waf import TencentWaf
from providers.verify import verify_served_certificate
from tests.contract.bundles import bundle_of


def resource_of(ref: WafDomainRef, hostname: str) -> Resource:
    native_id = f"{ref.instance_id}/{ref.domain_id}/{hostname}"
    return Resource("tencent", "tencent.waf", native_id, (hostname,))


def test_the_adapter_fulfils_the_contract(waf: TencentWaf) -> None:
    assert isinstance(waf, ProductAdapter)
    assert waf.name == "tencent.waf"


def test_discover_pages_through_saas_domains_and_leaves_clb_waf_to_tencent_clb(
    account: Account, emulator: TencentEmulator, authority: Authority
) -> None:
    sid = account.access_key_id
    cert = authority.issue(["*.saas.test"], days=45)
    instance = emulator.waf.add_instance(sid)
    saas = [
        emulator.waf.add_domain(sid, f"d{i}.saas.test", cert=cert, instance_id=instance)
        for i in range(5)
    ]
    plain = emulator.waf.add_domain(sid, "http.saas.test", https=False, instance_id=instance)
    emulator.waf.add_domain(sid, "lb.saas.test", edition="clb-waf")

    found = {r.native_id: r for r in TencentWaf(NoHooks(), page_size=2).discover(account)}

    assert set(found) == {
        f"{ref.instance_id}/{ref.domain_id}/{ref.domain}" for ref in [*saas, plain]
    }
    assert emulator.calls[(sid, "DescribeDomains")] == 3  # 6 SaaS domains, pages of 2
    served = found[f"{instance}/{saas[0].domain_id}/d0.saas.test"].served
    assert served and served.remote_id and served.not_after
    assert served.not_after == cert.certificate.not_valid_after_utc.replace(microsecond=0)
    no_tls = found[f"{instance}/{plain.domain_id}/http.saas.test"]
    assert no_tls.https_endpoint is False and no_tls.served is None


def test_bind_is_verified_over_tls_and_keeps_the_domains_other_settings(
    waf: TencentWaf, account: Account, emulator: TencentEmulator, authority: Authority
) -> None:
    sid = account.access_key_id
    old, new = authority.issue(["www.shield.test"]), authority.issue(["www.shield.test"], days=90)
    ref = emulator.waf.add_domain(sid, "www.shield.test", cert=old)
    before = emulator.waf.domain_config(sid, ref.domain_id)
    resource = resource_of(ref, "www.shield.test")
    cert_id = waf.ensure_certificate(account, bundle_of(new), None)

    assert waf.bind(account, resource, cert_id) is True
    assert waf.bind(account, resource, cert_id) is False

    verify_served_certificate(account, resource, new.fingerprint)
    assert waf.current(account, resource).remote_id == cert_id
    after = emulator.waf.domain_config(sid, ref.domain_id)
    assert after == {**before, "CertType": 2, "SSLId": cert_id}
    assert emulator.calls[(sid, "ModifySpartaProtection", "www.shield.test")] == 1


@pytest.mark.parametrize(
    ("setup", "vendor_code"),
    [
        ("not covering", "InvalidParameter.CertificationParameterErr"),
        ("no https port", "InvalidParameter.PortParameterErr"),
        ("expired instance", "OperationDenied"),
        ("other account", "InvalidParameter.QueryCertBySSLIDFailed"),
    ],
)
def test_refusals_are_permanent_with_the_vendor_code(
    setup: str,
    vendor_code: str,
    waf: TencentWaf,
    account: Account,
    make_account: Callable[..., Account],
    emulator: TencentEmulator,
    authority: Authority,
) -> None:
    sid = account.access_key_id
    ref = emulator.waf.add_domain(sid, "r.refuse.test", https=setup != "no https port")
    if setup == "expired instance":
        emulator.waf.expire_instance(sid, ref.instance_id)
    owner = make_account() if setup == "other account" else account
    names = ["other.refuse.test"] if setup == "not covering" else ["r.refuse.test"]
    cert_id = waf.ensure_certificate(owner, bundle_of(authority.issue(names)), None)

    with pytest.raises(Permanent) as caught:
        waf.bind(account, resource_of(ref, "r.refuse.test"), cert_id)

    assert caught.value.vendor_code == vendor_code
    assert not isinstance(caught.value, AuthFailed)


def test_an_own_certificate_is_read_back_by_fingerprint(
    waf: TencentWaf, account: Account, emulator: TencentEmulator, authority: Authority
) -> None:
    """Domains configured by hand (CertType 1) have no SSL id, but the PEM identifies them."""
    own = authority.issue(["own.shield.test"])
    ref = emulator.waf.add_domain(account.access_key_id, "own.shield.test")
    client.waf_api(account).call_json(
        "ModifySpartaProtection",
        {
            "Domain": ref.domain,
            "DomainId": ref.domain_id,
            "InstanceID": ref.instance_id,
            "CertType": 1,
            "Cert": own.chain_pem,
            "PrivateKey": own.key_pem,
        },
    )

    [found] = list(waf.discover(account))

    assert found.served is not None and found.served.remote_id is None
    assert found.served.fingerprint == own.fingerprint
    verify_served_certificate(account, found, own.fingerprint)


def test_missing_permission_names_the_waf_policy(
    waf: TencentWaf, account: Account, emulator: TencentEmulator
) -> None:
    emulator.inject("DescribeDomains", error_code="AuthFailure", secret_id=account.access_key_id)

    with pytest.raises(AuthFailed, match=r"QcloudSSLFullAccess \+ QcloudWAFFullAccess"):
        list(waf.discover(account))


def test_a_native_id_that_is_not_ours_is_permanent(waf: TencentWaf, account: Account) -> None:
    with pytest.raises(Permanent, match=r"not a tencent\.waf id"):
        waf.current(account, Resource("tencent", "tencent.waf", "www.a.test", ("www.a.test",)))
