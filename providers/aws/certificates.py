"""Where AWS products take certificates from: ACM (per region) and IAM server certificates.

Shared by the four AWS products so that "find our earlier upload, else upload once" is written
once. An ACM import carries the tag ``certfleet:fingerprint`` (and ``Name`` = the bundle's
alias); an IAM upload is *named* after the alias (``certfleet-<fingerprint[:16]>``), which IAM
keeps unique, and its body is checked against the full fingerprint. Both happen under
``hooks.exclusive`` so two workers racing on one certificate leave one copy: ACM has no
idempotency token for imports.

Served certificates are described from their own PEM (ACM GetCertificate, IAM
GetServerCertificate): names, not-after and fingerprint in one call per certificate.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from providers.aws import client, limits
from providers.aws.api import AwsApi
from providers.base import Account, CertificateBundle, ServedCert
from providers.errors import AuthFailed, Permanent

FINGERPRINT_TAG: Final = "certfleet:fingerprint"
# ListCertificates returns only RSA_1024/RSA_2048 certificates unless asked for more.
KEY_TYPES: Final = (
    "RSA_1024",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "EC_prime256v1",
    "EC_secp384r1",
    "EC_secp521r1",
)
_LIST_PAGE: Final = 1000  # ListCertificates' maximum MaxItems
ACM_PERMISSIONS: Final = (
    "acm:ImportCertificate",
    "acm:AddTagsToCertificate",
    "acm:ListCertificates",
    "acm:ListTagsForCertificate",
    "acm:GetCertificate",
)
IAM_PERMISSIONS: Final = ("iam:UploadServerCertificate", "iam:GetServerCertificate")


@dataclass(frozen=True)
class CertificateFacts:
    """What a served certificate is: its names, end of validity and leaf fingerprint."""

    names: tuple[str, ...]
    not_after: datetime
    fingerprint: str

    def served(self, remote_id: str) -> ServedCert:
        return ServedCert(remote_id, fingerprint=self.fingerprint, not_after=self.not_after)


def facts_of(pem: str) -> CertificateFacts:
    """Describe the first certificate in ``pem`` (SAN names, else the CN)."""
    leaf = x509.load_pem_x509_certificates(pem.encode())[0]
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names = [str(n) for n in san.value.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        names = [str(a.value) for a in leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    digest = hashlib.sha256(leaf.public_bytes(serialization.Encoding.DER)).hexdigest()
    unique = tuple(dict.fromkeys(n.strip().rstrip(".").lower() for n in names if n.strip()))
    return CertificateFacts(unique, leaf.not_valid_after_utc, digest)


def split_bundle(cert: CertificateBundle) -> tuple[str, str, str]:
    """(leaf PEM, chain PEM, key PEM), re-serialised so stray whitespace cannot break AWS's
    parser; Permanent when the leaf is not the certificate the bundle claims to be."""
    try:
        certificates = x509.load_pem_x509_certificates(cert.chain_pem.strip().encode())
    except ValueError:
        raise Permanent(f"certificate {cert.alias}: the chain is not valid PEM") from None
    pems = [c.public_bytes(serialization.Encoding.PEM).decode() for c in certificates]
    leaf_digest = hashlib.sha256(
        certificates[0].public_bytes(serialization.Encoding.DER)
    ).hexdigest()
    if leaf_digest != cert.fingerprint.replace(":", "").lower():
        raise Permanent(f"certificate {cert.alias}: the first PEM block is not its leaf")
    return pems[0], "".join(pems[1:]), cert.key_pem.reveal().strip() + "\n"


class CertificateStore:
    """ACM and IAM uploads and look-ups, made through one product's :class:`AwsApi`."""

    def __init__(self, api: AwsApi) -> None:
        self._api = api

    # -- ACM --------------------------------------------------------------------------------

    def ensure_acm(self, account: Account, cert: CertificateBundle, region: str) -> str:
        """Our earlier ACM import of ``cert`` in ``region`` (found by tag), or a new one."""
        leaf, chain, key = split_bundle(cert)
        with self._api.hooks.exclusive(account, f"acm:{region}:{cert.fingerprint}"):
            existing = self._find_acm(account, cert, region)
            if existing is not None:
                return existing
            request: dict[str, Any] = {
                "Certificate": leaf.encode(),
                "PrivateKey": key.encode(),
                "Tags": [
                    {"Key": FINGERPRINT_TAG, "Value": cert.fingerprint},
                    {"Key": "Name", "Value": cert.alias},
                ],
            }
            if chain:
                request["CertificateChain"] = chain.encode()
            answer = self._api(
                account, "acm", region, limits.ACM_IMPORT, "ImportCertificate", **request
            )
        return str(answer["CertificateArn"])

    def _find_acm(self, account: Account, cert: CertificateBundle, region: str) -> str | None:
        token: str | None = None
        while True:
            paging = {"NextToken": token} if token else {}
            page = self._api(
                account,
                "acm",
                region,
                limits.ACM_LIST,
                "ListCertificates",
                Includes={"keyTypes": list(KEY_TYPES)},
                MaxItems=_LIST_PAGE,
                **paging,
            )
            for summary in page.get("CertificateSummaryList") or []:
                if _could_be(summary, cert) and self._tagged(account, region, summary, cert):
                    return str(summary["CertificateArn"])
            token = page.get("NextToken")
            if not token:
                return None

    def _tagged(
        self, account: Account, region: str, summary: dict[str, Any], cert: CertificateBundle
    ) -> bool:
        tags = (
            self._api(
                account,
                "acm",
                region,
                limits.ACM_READ,
                "ListTagsForCertificate",
                CertificateArn=summary["CertificateArn"],
            ).get("Tags")
            or []
        )
        return any(
            tag.get("Key") == FINGERPRINT_TAG and tag.get("Value") == cert.fingerprint
            for tag in tags
        )

    # -- IAM --------------------------------------------------------------------------------

    def ensure_iam(self, account: Account, cert: CertificateBundle) -> str:
        """Our IAM server certificate named after ``cert.alias``, uploading it if absent."""
        leaf, chain, key = split_bundle(cert)
        with self._api.hooks.exclusive(account, f"iam:{cert.alias}"):
            existing = self._iam_arn(account, cert)
            if existing is not None:
                return existing
            request = {"ServerCertificateName": cert.alias, "CertificateBody": leaf}
            request["PrivateKey"] = key
            if chain:
                request["CertificateChain"] = chain
            try:
                answer = self._api(
                    account,
                    "iam",
                    client.GLOBAL_REGION,
                    limits.IAM_WRITE,
                    "UploadServerCertificate",
                    **request,
                )
            except Permanent as failure:
                if failure.vendor_code != "EntityAlreadyExists":
                    raise
                # Uploaded by someone outside our lock (or a retry after a lost answer):
                # the same certificate under the same name is as good as ours.
                raced = self._iam_arn(account, cert)
                if raced is None:
                    raise
                return raced
        return str(answer["ServerCertificateMetadata"]["Arn"])

    def _iam_arn(self, account: Account, cert: CertificateBundle) -> str | None:
        found = self._iam_certificate(account, cert.alias)
        if found is None:
            return None
        body = str(found.get("CertificateBody") or "")
        if facts_of(body).fingerprint != cert.fingerprint:
            raise Permanent(
                f"an IAM server certificate named {cert.alias} holds a different certificate; "
                "rename or delete it"
            )
        return str(found["ServerCertificateMetadata"]["Arn"])

    def _iam_certificate(self, account: Account, name: str) -> dict[str, Any] | None:
        try:
            answer = self._api(
                account,
                "iam",
                client.GLOBAL_REGION,
                limits.IAM_READ,
                "GetServerCertificate",
                ServerCertificateName=name,
            )
        except Permanent as failure:
            if failure.vendor_code == "NoSuchEntity":
                return None
            raise
        found: dict[str, Any] = answer["ServerCertificate"]
        return found

    # -- what a resource serves -------------------------------------------------------------

    def facts(self, account: Account, arn: str) -> CertificateFacts | None:
        """Names, not-after and fingerprint of an ACM or IAM certificate (None if unreadable).

        Unreadable is not fatal: the resource is still listed with its certificate id. A
        missing permission still raises AuthFailed, and throttles still raise Throttled.
        """
        try:
            if ":iam::" in arn:
                found = self._iam_certificate(account, arn.rpartition("/")[2])
                pem = str(found.get("CertificateBody") or "") if found else ""
            else:
                answer = self._api(
                    account,
                    "acm",
                    region_of_arn(arn),
                    limits.ACM_READ,
                    "GetCertificate",
                    CertificateArn=arn,
                )
                pem = str(answer.get("Certificate") or "")
            return facts_of(pem) if pem else None
        except AuthFailed:
            raise
        except (Permanent, ValueError):
            return None


def region_of_arn(arn: str) -> str:
    """The region field of an ARN (``us-east-1`` for global ones such as IAM's)."""
    parts = arn.split(":")
    return parts[3] if len(parts) >= 6 and parts[3] else client.GLOBAL_REGION


def _could_be(summary: dict[str, Any], cert: CertificateBundle) -> bool:
    """Cheap pre-filter before reading tags: an imported certificate ending when ours ends."""
    if summary.get("Type") not in (None, "IMPORTED"):
        return False
    not_after = summary.get("NotAfter")
    if isinstance(not_after, datetime):
        ours = cert.not_after if cert.not_after.tzinfo else cert.not_after.replace(tzinfo=UTC)
        return abs((not_after - ours).total_seconds()) <= 1
    return True
