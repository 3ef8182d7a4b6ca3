"""boto3 clients that talk to moto directly, behind the proxy's back.

The emulator needs moto for three things no test call should see or pay for: creating the
resources a test asks for, looking things up to correct moto (does this certificate exist?
what does this distribution use now?) and re-syncing the TLS edge. These calls skip signature
checks, rate limits, faults and call counts, and pick the account with moto's
``x-moto-account-id`` header.
"""

from __future__ import annotations

import threading
from typing import Any, Final

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

_CONFIG: Final = Config(
    retries={"total_max_attempts": 1, "mode": "standard"},
    connect_timeout=5,
    read_timeout=30,
    proxies={},  # moto is on loopback: never go through an environment proxy
)
_NOT_FOUND: Final = frozenset(
    {"ResourceNotFoundException", "NoSuchEntity", "NoSuchDistribution", "ListenerNotFound"}
)


class Backstage:
    """Per-(account, service, region) moto clients, created once and shared by threads."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self._lock = threading.Lock()
        self._session = boto3.session.Session(
            aws_access_key_id="backstage",
            aws_secret_access_key="backstage",  # noqa: S106
        )
        self._clients: dict[tuple[str, str, str], Any] = {}

    def client(self, account_id: str, service: str, region: str = "us-east-1") -> Any:
        """A client acting in moto account ``account_id``."""
        key = (account_id, service, region)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._session.client(
                    service, region_name=region, endpoint_url=self.endpoint, config=_CONFIG
                )
                client.meta.events.register("before-sign.*.*", _as_account(account_id))
                self._clients[key] = client
        return client

    # -- look-ups used by the corrections ----------------------------------------------------

    def acm_names(self, account_id: str, arn: str) -> tuple[str, ...] | None:
        """The names on an ACM certificate, or None when it does not exist in its region."""
        region = arn.split(":")[3] if arn.count(":") >= 5 else "us-east-1"
        try:
            described = self.client(account_id, "acm", region).describe_certificate(
                CertificateArn=arn
            )["Certificate"]
        except ClientError as error:
            if _code(error) in _NOT_FOUND or _code(error) == "ValidationException":
                return None
            raise
        names = [described.get("DomainName", ""), *described.get("SubjectAlternativeNames", [])]
        return tuple(dict.fromkeys(n.lower() for n in names if n))

    def iam_certificate_exists(self, account_id: str, arn: str) -> bool:
        """Whether an IAM server certificate with this ARN exists (IAM has no get-by-ARN)."""
        name = arn.rpartition("/")[2]
        try:
            found = self.client(account_id, "iam").get_server_certificate(
                ServerCertificateName=name
            )
        except ClientError as error:
            if _code(error) in _NOT_FOUND:
                return False
            raise
        return bool(found["ServerCertificate"]["ServerCertificateMetadata"]["Arn"] == arn)

    def iam_name_taken(self, account_id: str, name: str) -> bool:
        try:
            self.client(account_id, "iam").get_server_certificate(ServerCertificateName=name)
        except ClientError as error:
            if _code(error) in _NOT_FOUND:
                return False
            raise
        return True

    def certificate_exists(self, account_id: str, arn: str, region: str | None = None) -> bool:
        """An ACM certificate (in ``region`` when given) or an IAM server certificate."""
        if ":iam::" in arn:
            return self.iam_certificate_exists(account_id, arn)
        if region is not None and arn.split(":")[3:4] != [region]:
            return False
        return self.acm_names(account_id, arn) is not None

    def listener_certificates(
        self, account_id: str, region: str, listener_arn: str
    ) -> tuple[str, list[str]] | None:
        """moto's (default, SNI) certificates of a listener; right until the first change."""
        try:
            listed = self.client(account_id, "elbv2", region).describe_listener_certificates(
                ListenerArn=listener_arn
            )["Certificates"]
        except ClientError as error:
            if _code(error) in _NOT_FOUND or _code(error) == "LoadBalancerNotFound":
                return None
            raise
        default = next((c["CertificateArn"] for c in listed if c.get("IsDefault")), "")
        sni = [c["CertificateArn"] for c in listed if not c.get("IsDefault")]
        return default, sni

    def distribution_config(self, account_id: str, distribution_id: str) -> dict[str, Any] | None:
        try:
            answer = self.client(account_id, "cloudfront").get_distribution_config(
                Id=distribution_id
            )
        except ClientError as error:
            if _code(error) in _NOT_FOUND:
                return None
            raise
        config: dict[str, Any] = answer["DistributionConfig"]
        return config

    def classic_certificate(self, account_id: str, region: str, name: str, port: int) -> str:
        """The SSLCertificateId of a Classic ELB listener (``""`` when none)."""
        described = self.client(account_id, "elb", region).describe_load_balancers(
            LoadBalancerNames=[name]
        )["LoadBalancerDescriptions"]
        for balancer in described:
            for item in balancer.get("ListenerDescriptions", []):
                listener = item.get("Listener", {})
                if int(listener.get("LoadBalancerPort", 0)) == port:
                    return str(listener.get("SSLCertificateId") or "")
        return ""


def _as_account(account_id: str) -> Any:
    def add_header(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account_id

    return add_header


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
