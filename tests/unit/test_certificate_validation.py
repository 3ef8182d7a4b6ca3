"""Certificate bundle import: every refusal names its field in one line; good bundles normalize."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import ExtensionOID, NameOID

from ledger import truststore
from ledger.certificates import ValidatedCertificate, load_trust_anchors, validate_bundle
from ledger.errors import InvalidCertificate
from providers.emulators.pki import Authority, IssuedCertificate, cert_to_pem, key_to_pem

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def authority() -> Authority:
    return Authority("test")


@pytest.fixture(scope="module")
def issued(authority: Authority) -> IssuedCertificate:
    return authority.issue(["www.example.com", "example.com"])


def _validate(
    issued: IssuedCertificate, authority: Authority, **options: object
) -> ValidatedCertificate:
    """Validate with the test root as the trust anchor, as a private-CA user would."""
    return validate_bundle(
        issued.chain_pem,
        issued.key_pem,
        trust_anchors=[authority.root],
        **options,  # type: ignore[arg-type]
    )


def _refusal(field: str, attempt: Callable[[], object]) -> str:
    """Run ``attempt``, expect a refusal on ``field``, return its message after common checks."""
    with pytest.raises(InvalidCertificate) as caught:
        attempt()
    error = caught.value
    text = str(error)
    assert error.field == field, text
    assert text.startswith(f"{field}: ")
    assert "\n" not in text and "\r" not in text
    assert not re.search(r"[A-Za-z0-9+/=]{24,}", text), "looks like base64 material"
    return text


def _leaf(
    authority: Authority,
    key: PrivateKeyTypes,
    *,
    common_name: str = "leaf.example",
    san: x509.ExtensionType | None = None,
    issuer: x509.Certificate | None = None,
    issuer_key: PrivateKeyTypes | None = None,
    days: int = 30,
) -> x509.Certificate:
    """A leaf with whatever key and SAN a test needs, signed by the intermediate by default."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name((issuer or authority.intermediate).subject)
        .public_key(key.public_key())  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(hours=1))
        .not_valid_after(NOW + timedelta(days=days))
    )
    if san is not None:
        builder = builder.add_extension(san, critical=False)
    return builder.sign(issuer_key or authority.intermediate_key, hashes.SHA256())  # type: ignore[arg-type]


def _pem(*certs: x509.Certificate) -> str:
    return "".join(cert_to_pem(c) for c in certs)


def _any_key_pem(key: PrivateKeyTypes) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


# --- happy paths --------------------------------------------------------------------------------


def test_ec_bundle_is_normalized(issued: IssuedCertificate, authority: Authority) -> None:
    result = _validate(issued, authority)

    assert result.fingerprint == issued.fingerprint
    assert result.names == ("example.com", "www.example.com")
    assert result.common_name == "www.example.com"
    assert result.key_type == "EC P-256"
    assert result.issuer == "CN=test intermediate"
    assert result.chain_pem == issued.chain_pem
    assert result.not_before == issued.certificate.not_valid_before_utc
    assert result.not_after == issued.certificate.not_valid_after_utc
    assert result.not_after.tzinfo is not None
    assert result.not_after.utcoffset() == timedelta(0)


def test_rsa_bundle_reports_key_size(authority: Authority) -> None:
    issued = authority.issue(["rsa.example.com"], key_type="rsa")

    assert _validate(issued, authority).key_type == "RSA 2048"


def test_ec_p384_key_is_accepted(authority: Authority) -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    leaf = _leaf(authority, key, san=x509.SubjectAlternativeName([x509.DNSName("p384.example")]))

    result = validate_bundle(
        _pem(leaf, authority.intermediate), _any_key_pem(key), trust_anchors=[authority.root]
    )

    assert result.key_type == "EC P-384"


def test_returned_key_is_unencrypted_pkcs8_of_the_leaf(
    issued: IssuedCertificate, authority: Authority
) -> None:
    result = _validate(issued, authority)

    assert result.key_pem.startswith("-----BEGIN PRIVATE KEY-----\n")
    key = serialization.load_pem_private_key(result.key_pem.encode(), None)
    assert key.public_key() == issued.certificate.public_key()


def test_repr_never_shows_the_key(issued: IssuedCertificate, authority: Authority) -> None:
    assert "PRIVATE KEY" not in repr(_validate(issued, authority))


def test_wildcard_and_exact_names_are_normalized_sorted_and_deduplicated(
    authority: Authority,
) -> None:
    issued = authority.issue(["*.Example.COM", "example.com", "EXAMPLE.com.", "api.example.com"])

    result = _validate(issued, authority)

    assert result.names == ("*.example.com", "api.example.com", "example.com")


def test_common_name_is_used_when_there_is_no_san(authority: Authority) -> None:
    issued = authority.issue([], common_name="Legacy.Example.com", with_san=False)

    result = _validate(issued, authority)

    assert result.names == ("legacy.example.com",)
    assert result.common_name == "Legacy.Example.com"


def test_common_name_is_ignored_when_sans_exist(authority: Authority) -> None:
    issued = authority.issue(["san.example.com"], common_name="cn.example.com")

    assert _validate(issued, authority).names == ("san.example.com",)


def test_unicode_san_is_stored_as_a_label(authority: Authority) -> None:
    # x509.DNSName refuses U-labels, but CAs in the wild have encoded them raw; build that DER.
    raw = "bücher.example".encode()
    general_names = b"\x82" + bytes([len(raw)]) + raw
    san = x509.UnrecognizedExtension(
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME, b"\x30" + bytes([len(general_names)]) + general_names
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _leaf(authority, key, san=san)

    result = validate_bundle(
        _pem(leaf, authority.intermediate), _any_key_pem(key), trust_anchors=[authority.root]
    )

    assert result.names == ("xn--bcher-kva.example",)


def test_crlf_indentation_and_blank_lines_are_tolerated(
    issued: IssuedCertificate, authority: Authority
) -> None:
    def mangle(pem: str) -> str:
        lines = ["", *("    " + line + "  " for line in pem.splitlines()), "", ""]
        return "\r\n".join(lines).replace("-----\r\n    -----BEGIN", "-----\r\n\r\n\t-----BEGIN")

    result = validate_bundle(
        mangle(issued.chain_pem), mangle(issued.key_pem), trust_anchors=[authority.root]
    )

    assert result.fingerprint == issued.fingerprint
    assert result.chain_pem == issued.chain_pem


def test_combined_bundle_with_key_inside_is_accepted(
    issued: IssuedCertificate, authority: Authority
) -> None:
    combined = issued.key_pem + "some notes\n" + issued.chain_pem

    result = validate_bundle(combined, combined, trust_anchors=[authority.root])

    assert result.chain_pem == issued.chain_pem


def test_encrypted_key_opens_with_passphrase(
    issued: IssuedCertificate, authority: Authority
) -> None:
    encrypted = key_to_pem(issued.key, b"s3cret")
    assert "ENCRYPTED" in encrypted

    result = validate_bundle(
        issued.chain_pem, encrypted, passphrase=b"s3cret", trust_anchors=[authority.root]
    )

    assert "ENCRYPTED" not in result.key_pem


def test_passphrase_file_trailing_newline_is_forgiven(
    issued: IssuedCertificate, authority: Authority
) -> None:
    encrypted = key_to_pem(issued.key, b"s3cret")

    result = validate_bundle(
        issued.chain_pem, encrypted, passphrase=b"s3cret\n", trust_anchors=[authority.root]
    )

    assert result.fingerprint == issued.fingerprint


def test_legacy_encrypted_pkcs1_key_with_headers_opens(authority: Authority) -> None:
    issued = authority.issue(["legacy.example.com"], key_type="rsa")
    legacy = issued.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.BestAvailableEncryption(b"pw"),
    ).decode()
    assert "Proc-Type: 4,ENCRYPTED" in legacy
    indented = "\n".join("  " + line for line in legacy.splitlines())

    result = validate_bundle(
        issued.chain_pem, indented, passphrase=b"pw", trust_anchors=[authority.root]
    )

    assert result.key_type == "RSA 2048"


def test_passphrase_for_an_unencrypted_key_is_ignored(
    issued: IssuedCertificate, authority: Authority
) -> None:
    assert _validate(issued, authority, passphrase=b"unused").fingerprint == issued.fingerprint


def test_self_signed_root_in_bundle_is_verified_then_dropped(
    issued: IssuedCertificate, authority: Authority
) -> None:
    with_root = issued.chain_pem + cert_to_pem(authority.root)

    result = validate_bundle(with_root, issued.key_pem)

    assert result.chain_pem == issued.chain_pem


def test_trust_anchor_from_pem_completes_the_chain(
    issued: IssuedCertificate, authority: Authority
) -> None:
    anchors = load_trust_anchors("\r\n  " + cert_to_pem(authority.root).replace("\n", "\r\n  "))

    result = validate_bundle(issued.chain_pem, issued.key_pem, trust_anchors=anchors)

    assert result.chain_pem == issued.chain_pem


def test_root_in_system_trust_store_completes_the_chain(
    issued: IssuedCertificate, authority: Authority, monkeypatch: pytest.MonkeyPatch
) -> None:
    store: Mapping[x509.Name, tuple[x509.Certificate, ...]] = {
        authority.root.subject: (authority.root,)
    }
    monkeypatch.setattr(truststore, "system_trust_store", lambda: store)

    assert validate_bundle(issued.chain_pem, issued.key_pem).fingerprint == issued.fingerprint


def test_system_trust_store_loads_public_roots() -> None:
    store = truststore.system_trust_store()

    assert store, "expected the OS or certifi to provide CA roots"
    assert truststore.system_trust_store() is store  # read once, then cached


def test_self_signed_leaf_is_its_own_root() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "self.example")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - timedelta(hours=1))
        .not_valid_after(NOW + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )

    result = validate_bundle(cert_to_pem(cert), _any_key_pem(key))

    assert result.names == ("self.example",)
    assert result.chain_pem == cert_to_pem(cert)


def test_verbatim_repeat_in_chain_is_dropped(
    issued: IssuedCertificate, authority: Authority
) -> None:
    repeated = issued.chain_pem + cert_to_pem(authority.intermediate)

    result = validate_bundle(repeated, issued.key_pem, trust_anchors=[authority.root])

    assert result.chain_pem == issued.chain_pem


def test_naive_now_is_taken_as_utc(issued: IssuedCertificate, authority: Authority) -> None:
    naive_now = datetime.now(UTC).replace(tzinfo=None)

    assert _validate(issued, authority, now=naive_now).fingerprint == issued.fingerprint


# --- refusals: certificate ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\n", "not a certificate"])
def test_missing_certificate_is_refused(text: str, issued: IssuedCertificate) -> None:
    message = _refusal("certificate", lambda: validate_bundle(text, issued.key_pem))

    assert "BEGIN CERTIFICATE" in message


def test_key_passed_as_certificate_is_named(issued: IssuedCertificate) -> None:
    message = _refusal("certificate", lambda: validate_bundle(issued.key_pem, issued.key_pem))

    assert "private key but no certificate" in message


def test_garbage_certificate_body_is_refused(issued: IssuedCertificate) -> None:
    garbage = "-----BEGIN CERTIFICATE-----\nAAAA!!not base64\n-----END CERTIFICATE-----\n"

    _refusal("certificate", lambda: validate_bundle(garbage, issued.key_pem))


def test_truncated_certificate_is_refused(issued: IssuedCertificate) -> None:
    lines = issued.cert_pem.splitlines()
    truncated = "\n".join([*lines[:3], lines[-1]])

    _refusal("certificate", lambda: validate_bundle(truncated, issued.key_pem))


def test_unreadable_intermediate_is_a_chain_problem(issued: IssuedCertificate) -> None:
    bad = issued.cert_pem + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"

    message = _refusal("chain", lambda: validate_bundle(bad, issued.key_pem))

    assert "certificate 2" in message


def test_expired_certificate_says_when(authority: Authority) -> None:
    issued = authority.issue(
        ["old.example.com"], not_before=datetime(2024, 12, 3, tzinfo=UTC), days=30
    )

    message = _refusal("certificate", lambda: _validate(issued, authority))

    assert message == "certificate: expired on 2025-01-02; import a renewed certificate"


def test_not_yet_valid_certificate_is_refused(
    issued: IssuedCertificate, authority: Authority
) -> None:
    message = _refusal(
        "certificate", lambda: _validate(issued, authority, now=NOW - timedelta(days=1))
    )

    assert "not valid until" in message


def test_expired_intermediate_is_a_chain_problem(authority: Authority) -> None:
    short_key = ec.generate_private_key(ec.SECP256R1())
    short_lived = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "short intermediate")]))
        .issuer_name(authority.root.subject)
        .public_key(short_key.public_key())
        .serial_number(2)
        .not_valid_before(NOW - timedelta(days=10))
        .not_valid_after(NOW - timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(authority.root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _leaf(
        authority,
        key,
        san=x509.SubjectAlternativeName([x509.DNSName("a.example")]),
        issuer=short_lived,
        issuer_key=short_key,
    )

    message = _refusal(
        "chain",
        lambda: validate_bundle(
            _pem(leaf, short_lived), _any_key_pem(key), trust_anchors=[authority.root]
        ),
    )

    assert "'short intermediate' expired on" in message


def test_certificate_without_any_host_name_is_refused(authority: Authority) -> None:
    issued = authority.issue([], common_name="Test Web Server", with_san=False)

    message = _refusal("certificate", lambda: _validate(issued, authority))

    assert "no DNS names" in message


def test_ip_only_san_without_host_cn_is_refused(authority: Authority) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("192.0.2.1"))])
    leaf = _leaf(authority, key, common_name="Appliance", san=san)

    _refusal(
        "certificate",
        lambda: validate_bundle(
            _pem(leaf, authority.intermediate), _any_key_pem(key), trust_anchors=[authority.root]
        ),
    )


def test_partial_wildcard_san_is_refused_not_dropped(authority: Authority) -> None:
    issued = authority.issue(["f*.example.com", "ok.example.com"])

    message = _refusal("certificate", lambda: _validate(issued, authority))

    assert "'f*.example.com'" in message


# --- refusals: key and passphrase ---------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"])
def test_missing_key_is_refused(text: str, issued: IssuedCertificate) -> None:
    message = _refusal("key", lambda: validate_bundle(issued.chain_pem, text))

    assert "BEGIN PRIVATE KEY" in message


def test_garbage_key_is_refused_without_echoing_it(issued: IssuedCertificate) -> None:
    garbage = "-----BEGIN PRIVATE KEY-----\nMIIsecretsecret\n-----END PRIVATE KEY-----\n"

    message = _refusal("key", lambda: validate_bundle(issued.chain_pem, garbage))

    assert "secret" not in message


def test_two_keys_are_refused(issued: IssuedCertificate) -> None:
    other = key_to_pem(ec.generate_private_key(ec.SECP256R1()))

    _refusal("key", lambda: validate_bundle(issued.chain_pem, issued.key_pem + other))


def test_key_of_another_certificate_is_refused(
    issued: IssuedCertificate, authority: Authority
) -> None:
    other = key_to_pem(ec.generate_private_key(ec.SECP256R1()))

    message = _refusal(
        "key", lambda: validate_bundle(issued.chain_pem, other, trust_anchors=[authority.root])
    )

    assert "does not match" in message and "'www.example.com'" in message


def test_encrypted_key_without_passphrase_asks_for_it(issued: IssuedCertificate) -> None:
    encrypted = key_to_pem(issued.key, b"s3cret")

    message = _refusal("key", lambda: validate_bundle(issued.chain_pem, encrypted))

    assert message == "key: encrypted; pass --passphrase-file"


def test_wrong_passphrase_is_refused(issued: IssuedCertificate) -> None:
    encrypted = key_to_pem(issued.key, b"s3cret")

    _refusal(
        "passphrase",
        lambda: validate_bundle(issued.chain_pem, encrypted, passphrase=b"wrong"),
    )


_UNSUPPORTED_KEYS: list[tuple[str, Callable[[], PrivateKeyTypes]]] = [
    ("DSA", lambda: dsa.generate_private_key(1024)),
    ("Ed25519", ed25519.Ed25519PrivateKey.generate),
    ("Ed448", ed448.Ed448PrivateKey.generate),
    ("RSA 1024", lambda: rsa.generate_private_key(65537, 1024)),
    ("secp521r1", lambda: ec.generate_private_key(ec.SECP521R1())),
    ("secp256k1", lambda: ec.generate_private_key(ec.SECP256K1())),
]


@pytest.mark.parametrize(
    ("kind", "make_key"), [pytest.param(*case, id=case[0]) for case in _UNSUPPORTED_KEYS]
)
def test_unsupported_key_types_are_refused(
    kind: str, make_key: Callable[[], PrivateKeyTypes], issued: IssuedCertificate
) -> None:
    try:
        key = make_key()
    except UnsupportedAlgorithm as exc:  # the local OpenSSL may lack the algorithm
        pytest.skip(f"{kind} unavailable: {exc}")

    message = _refusal("key", lambda: validate_bundle(issued.chain_pem, _any_key_pem(key)))

    assert kind in message and "RSA 2048" in message


# --- refusals: chain ----------------------------------------------------------------------------


def test_leaf_after_its_issuer_is_out_of_order(
    issued: IssuedCertificate, authority: Authority
) -> None:
    reversed_chain = _pem(authority.intermediate, issued.certificate)

    message = _refusal(
        "chain",
        lambda: validate_bundle(reversed_chain, issued.key_pem, trust_anchors=[authority.root]),
    )

    assert "out of order" in message and "leaf first" in message


def test_swapped_intermediate_and_root_are_out_of_order(
    issued: IssuedCertificate, authority: Authority
) -> None:
    swapped = _pem(issued.certificate, authority.root, authority.intermediate)

    message = _refusal("chain", lambda: validate_bundle(swapped, issued.key_pem))

    assert "out of order" in message and "certificate 3" in message


def test_unrelated_certificate_in_chain_names_the_expected_issuer(
    issued: IssuedCertificate,
) -> None:
    stranger = Authority("stranger")
    bundle = _pem(issued.certificate, stranger.intermediate)

    message = _refusal(
        "chain", lambda: validate_bundle(bundle, issued.key_pem, trust_anchors=[stranger.root])
    )

    assert "'stranger intermediate'" in message and "'test intermediate'" in message


def test_leaf_alone_is_incomplete(issued: IssuedCertificate) -> None:
    message = _refusal("chain", lambda: validate_bundle(issued.cert_pem, issued.key_pem))

    assert "'test intermediate'" in message
    assert message.endswith(
        "append the intermediate certificate after the leaf, or add the root with --trust-anchor"
    )


def test_chain_without_known_root_is_incomplete(issued: IssuedCertificate) -> None:
    message = _refusal("chain", lambda: validate_bundle(issued.chain_pem, issued.key_pem))

    assert "'test root'" in message


def test_trust_anchor_of_another_ca_does_not_complete_the_chain(
    issued: IssuedCertificate,
) -> None:
    other_root = Authority("other").root

    _refusal(
        "chain",
        lambda: validate_bundle(issued.chain_pem, issued.key_pem, trust_anchors=[other_root]),
    )


def test_trust_anchor_file_without_certificates_is_refused(issued: IssuedCertificate) -> None:
    _refusal("chain", lambda: load_trust_anchors(issued.key_pem))
