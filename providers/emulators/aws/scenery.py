"""Resources for tests and demos: distributions and load balancers already serving a certificate.

Built straight in moto (backstage: no signature, no rate limit, no call count, so a test's
"one upload, one bind" counts only what the adapter did) and then registered with the proxy's
corrections and the TLS edge, so they answer a TLS handshake from the first moment.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from typing import Any, Final, Literal

from providers.emulators.aws.backstage import Backstage
from providers.emulators.aws.certificates import CertificateCorrections, classic_key
from providers.emulators.aws.cloudfront import CloudFrontCorrections
from providers.emulators.aws.edge_sync import EdgeSync
from providers.emulators.aws.listeners import ElbV2Corrections, listener_key
from providers.emulators.pki import IssuedCertificate

LoadBalancerKind = Literal["application", "network"]
_LISTENER_PROTOCOL: Final = {"application": "HTTPS", "network": "TLS"}
_TARGET_PROTOCOL: Final = {"application": ("HTTP", 80), "network": ("TCP", 443)}
_names = itertools.count(1)


class Scenery:
    """Creates resources in moto and tells the proxy and the edge about them."""

    def __init__(
        self,
        backstage: Backstage,
        edge: EdgeSync,
        listeners: ElbV2Corrections,
        cloudfront: CloudFrontCorrections,
        certificates: CertificateCorrections,
    ) -> None:
        self._backstage = backstage
        self._edge = edge
        self._listeners = listeners
        self._cloudfront = cloudfront
        self._certificates = certificates
        self._lock = threading.Lock()
        self._imports: dict[tuple[str, str, str], str] = {}
        self._subnets: dict[tuple[str, str], list[str]] = {}

    def import_certificate(self, account: str, cert: IssuedCertificate, region: str) -> str:
        """ACM-import ``cert`` (once per account, region and certificate); its ARN."""
        key = (account, region, cert.fingerprint)
        with self._lock:
            if key in self._imports:
                return self._imports[key]
        chain = "".join(p for p in cert.chain_pem.split(cert.cert_pem, 1) if p)
        arn = str(
            self._backstage.client(account, "acm", region).import_certificate(
                Certificate=cert.cert_pem.encode(),
                PrivateKey=cert.key_pem.encode(),
                CertificateChain=chain.encode(),
            )["CertificateArn"]
        )
        self._edge.remember(arn, cert.chain_pem, cert.key_pem)
        with self._lock:
            self._imports[key] = arn
        return arn

    def upload_server_certificate(self, account: str, cert: IssuedCertificate) -> str:
        """Upload ``cert`` to IAM under a fresh name; its ARN."""
        chain = "".join(p for p in cert.chain_pem.split(cert.cert_pem, 1) if p)
        metadata = self._backstage.client(account, "iam").upload_server_certificate(
            ServerCertificateName=f"existing-{next(_names)}",
            CertificateBody=cert.cert_pem,
            PrivateKey=cert.key_pem,
            CertificateChain=chain,
        )["ServerCertificateMetadata"]
        arn = str(metadata["Arn"])
        self._edge.remember(arn, cert.chain_pem, cert.key_pem)
        return arn

    def add_distribution(
        self, account: str, aliases: Sequence[str], serving: IssuedCertificate | None
    ) -> str:
        """A deployed distribution with these aliases; returns its id."""
        viewer: dict[str, Any] = {"CloudFrontDefaultCertificate": True}
        if serving is not None:
            viewer = {
                "CloudFrontDefaultCertificate": False,
                "ACMCertificateArn": self.import_certificate(account, serving, "us-east-1"),
                "SSLSupportMethod": "sni-only",
                "MinimumProtocolVersion": "TLSv1.2_2021",
            }
        config = _distribution_config(f"certfleet-{next(_names)}", list(aliases), viewer)
        created = self._backstage.client(account, "cloudfront").create_distribution(
            DistributionConfig=config
        )
        distribution_id = str(created["Distribution"]["Id"])
        self._cloudfront.sync(account, distribution_id)
        return distribution_id

    def add_load_balancer(
        self,
        account: str,
        *,
        kind: LoadBalancerKind,
        region: str,
        hostnames: Sequence[str],
        serving: IssuedCertificate,
        sni: Sequence[IssuedCertificate] = (),
        port: int = 443,
    ) -> str:
        """An ALB (HTTPS) or NLB (TLS) listener serving ``serving``; returns the listener ARN."""
        client = self._backstage.client(account, "elbv2", region)
        name = f"lb-{next(_names)}"
        balancer = client.create_load_balancer(
            Name=name, Subnets=self._network(account, region), Type=kind
        )["LoadBalancers"][0]
        protocol, target_port = _TARGET_PROTOCOL[kind]
        group = client.create_target_group(
            Name=f"tg-{name}",
            Protocol=protocol,
            Port=target_port,
            VpcId=balancer["VpcId"],
        )["TargetGroups"][0]
        default = self.import_certificate(account, serving, region)
        listener = client.create_listener(
            LoadBalancerArn=balancer["LoadBalancerArn"],
            Protocol=_LISTENER_PROTOCOL[kind],
            Port=port,
            Certificates=[{"CertificateArn": default}],
            DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}],
        )["Listeners"][0]
        arn = str(listener["ListenerArn"])
        extra = [self.import_certificate(account, cert, region) for cert in sni]
        if extra:
            client.add_listener_certificates(
                ListenerArn=arn, Certificates=[{"CertificateArn": a} for a in extra]
            )
        self._listeners.adopt(account, arn, default, extra)
        self._edge.point_dns(listener_key(account, arn), hostnames)
        self._listeners.sync(account, arn)
        return arn

    def add_classic_load_balancer(
        self,
        account: str,
        *,
        region: str,
        hostnames: Sequence[str],
        serving: IssuedCertificate,
        port: int = 443,
        store: Literal["iam", "acm"] = "iam",
    ) -> str:
        """A Classic ELB with an HTTPS listener; returns ``region/name:port``."""
        name = f"clb-{next(_names)}"
        certificate = (
            self.upload_server_certificate(account, serving)
            if store == "iam"
            else self.import_certificate(account, serving, region)
        )
        listener = {
            "Protocol": "HTTPS",
            "LoadBalancerPort": port,
            "InstanceProtocol": "HTTP",
            "InstancePort": 80,
            "SSLCertificateId": certificate,
        }
        self._backstage.client(account, "elb", region).create_load_balancer(
            LoadBalancerName=name, Listeners=[listener], AvailabilityZones=[f"{region}a"]
        )
        self._edge.point_dns(classic_key(account, region, name, port), hostnames)
        self._certificates.sync_classic(account, region, name, port)
        return f"{region}/{name}:{port}"

    def _network(self, account: str, region: str) -> list[str]:
        """Two subnets in two zones (an ALB needs them), made once per account and region."""
        with self._lock:
            known = self._subnets.get((account, region))
        if known is not None:
            return known
        ec2 = self._backstage.client(account, "ec2", region)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(
                VpcId=vpc, CidrBlock=f"10.0.{index}.0/24", AvailabilityZone=f"{region}{zone}"
            )["Subnet"]["SubnetId"]
            for index, zone in ((1, "a"), (2, "b"))
        ]
        with self._lock:
            return self._subnets.setdefault((account, region), subnets)


def _distribution_config(
    reference: str, aliases: list[str], viewer: dict[str, Any]
) -> dict[str, Any]:
    origin = {
        "Id": "origin",
        "DomainName": "origin.certfleet.test",
        "CustomOriginConfig": {
            "HTTPPort": 80,
            "HTTPSPort": 443,
            "OriginProtocolPolicy": "https-only",
        },
    }
    return {
        "CallerReference": reference,
        "Aliases": {"Quantity": len(aliases), "Items": aliases},
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "origin",
            "ViewerProtocolPolicy": "redirect-to-https",
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            "MinTTL": 0,
        },
        "Comment": "created by the certfleet AWS emulator",
        "Enabled": True,
        "HttpVersion": "http2",
        "ViewerCertificate": viewer,
    }
