"""The AWS emulator: a real moto server, our fault proxy in front of it, and a TLS edge.

Point boto3 at :attr:`AwsEmulator.endpoint` (``endpoint_url``) with the access key and secret
given to :meth:`AwsEmulator.add_account`. What the proxy adds to moto, and which moto gaps it
corrects, is described in ``proxy.py``, ``listeners.py``, ``cloudfront.py`` and
``certificates.py``. Set-up for tests and demos goes through plain methods, never over HTTP.

moto keeps its state per process, not per server: emulators in one process share it, which is
harmless because every emulator account gets an id no other emulator uses. moto is imported
only when an emulator starts, so importing this package needs no development dependency.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, Self

from providers.emulators.aws.accounts import Accounts
from providers.emulators.aws.backstage import Backstage
from providers.emulators.aws.certificates import CertificateCorrections
from providers.emulators.aws.cloudfront import CloudFrontCorrections
from providers.emulators.aws.edge_sync import EdgeSync
from providers.emulators.aws.listeners import ElbV2Corrections, ListenerCertificates
from providers.emulators.aws.proxy import FaultProxy
from providers.emulators.aws.scenery import LoadBalancerKind, Scenery
from providers.emulators.faults import Fault, FaultPlan
from providers.emulators.pki import IssuedCertificate
from providers.emulators.serving import StartStop
from providers.emulators.tls_edge import TlsEdge

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer


class AwsEmulator(StartStop):
    """ACM, IAM, STS, CloudFront, ELBv2 and Classic ELB of many accounts, served over TLS."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        edge: TlsEdge | None = None,
        deploy_seconds: float = 0.0,
        seed: int | None = None,
    ) -> None:
        self._host, self._port = host, port
        self._own_edge = edge is None
        self.edge = edge or TlsEdge(host)
        self._deploy_seconds = deploy_seconds
        self._faults = FaultPlan(random.Random(seed))
        self.accounts = Accounts()
        self._moto: ThreadedMotoServer | None = None
        self._proxy: FaultProxy | None = None
        self._scenery: Scenery | None = None
        self._listeners: ElbV2Corrections | None = None
        self._cloudfront: CloudFrontCorrections | None = None
        self._backstage: Backstage
        self._sync: EdgeSync
        self._certificates: CertificateCorrections

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        """Start moto, the TLS edge (if ours) and the proxy; returns self."""
        if self._proxy is not None:
            return self
        try:  # imported here: moto is a development dependency (the ``dev`` extra)
            from moto.server import ThreadedMotoServer  # noqa: PLC0415
        except ImportError as missing:
            raise RuntimeError("AwsEmulator needs moto[server] (the dev extra)") from missing
        # werkzeug logs every moto request line at INFO: noise in every test run.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._moto = ThreadedMotoServer(ip_address=self._host, port=0, verbose=False)
        self._moto.start()
        moto_host, moto_port = self._moto.get_host_and_port()
        if self._own_edge:
            self.edge.start()
        backstage = Backstage(f"http://{moto_host}:{moto_port}")
        sync = EdgeSync(self.edge)
        self._listeners = ElbV2Corrections(backstage, sync)
        self._cloudfront = CloudFrontCorrections(backstage, sync, self._deploy_seconds)
        certificates = CertificateCorrections(backstage, sync, self._resync_account)
        self._scenery = Scenery(backstage, sync, self._listeners, self._cloudfront, certificates)
        self._backstage = backstage
        self._sync = sync
        self._certificates = certificates
        proxy = FaultProxy(
            (moto_host, moto_port),
            self.accounts,
            [self.accounts, self._listeners, self._cloudfront, certificates],
            faults=self._faults,
        )
        proxy.start(self._host, self._port)
        self._proxy = proxy
        return self

    def stop(self) -> None:
        proxy, self._proxy = self._proxy, None
        if proxy is not None:
            proxy.stop()
        moto, self._moto = self._moto, None
        if moto is not None:
            moto.stop()
        if self._own_edge:
            self.edge.stop()

    @property
    def endpoint(self) -> str:
        """``http://127.0.0.1:PORT``: boto3's ``endpoint_url`` (an Account's api_endpoint)."""
        host, port = self._running.address
        return f"http://{host}:{port}"

    @property
    def moto_endpoint(self) -> str:
        """moto itself, without the proxy: only for tests that show what moto gets wrong."""
        return self.backstage.endpoint

    @property
    def backstage(self) -> Backstage:
        """Clients straight to moto (no checks, no counts) for set-up a helper does not cover."""
        if self._proxy is None:
            raise RuntimeError("AwsEmulator is not started")
        return self._backstage

    @property
    def tls_edge(self) -> str:
        """``host:port`` of the TLS edge serving every resource (an Account's tls_edge)."""
        return self.edge.address

    @property
    def failures(self) -> list[str]:
        """Unexpected errors inside the emulator (answered as AWS 500s), newest last."""
        return list(self._running.failures)

    # -- accounts and resources ---------------------------------------------------------------

    def add_account(self, access_key: str, secret: str) -> str:
        """A new, empty AWS account reachable with this key pair; returns its 12-digit id."""
        return self.accounts.add(access_key, secret)

    def add_access_key(self, account_id: str, access_key: str, secret: str) -> None:
        """A further key pair for an existing account (e.g. a rotated key)."""
        self.accounts.add(access_key, secret, account=account_id)

    def account_of(self, access_key: str) -> str:
        return self.accounts.account_of(access_key)

    def import_certificate(self, account_id: str, cert: IssuedCertificate, region: str) -> str:
        """ACM-import ``cert`` behind the API's back (not counted); its ARN."""
        return self._set_up.import_certificate(account_id, cert, region)

    def upload_server_certificate(self, account_id: str, cert: IssuedCertificate) -> str:
        """Upload ``cert`` to IAM behind the API's back (not counted); its ARN."""
        return self._set_up.upload_server_certificate(account_id, cert)

    def add_distribution(
        self, account_id: str, aliases: Sequence[str], serving: IssuedCertificate | None = None
    ) -> str:
        """A deployed CloudFront distribution with ``aliases`` serving ``serving`` (imported
        into ACM us-east-1), or CloudFront's default certificate; returns its id."""
        return self._set_up.add_distribution(account_id, aliases, serving)

    def add_load_balancer(
        self,
        account_id: str,
        *,
        kind: LoadBalancerKind,
        region: str,
        hostnames: Sequence[str],
        serving: IssuedCertificate,
        sni: Sequence[IssuedCertificate] = (),
        port: int = 443,
    ) -> str:
        """An ALB with an HTTPS listener or an NLB with a TLS listener whose default
        certificate is ``serving`` (plus ``sni`` certificates), reached at ``hostnames``;
        returns the listener ARN."""
        return self._set_up.add_load_balancer(
            account_id,
            kind=kind,
            region=region,
            hostnames=hostnames,
            serving=serving,
            sni=sni,
            port=port,
        )

    def add_classic_load_balancer(
        self,
        account_id: str,
        *,
        region: str,
        hostnames: Sequence[str],
        serving: IssuedCertificate,
        port: int = 443,
        store: Literal["iam", "acm"] = "iam",
    ) -> str:
        """A Classic ELB whose HTTPS listener serves ``serving`` from IAM (or ACM); returns
        ``region/name:port``, the target its calls are counted under."""
        return self._set_up.add_classic_load_balancer(
            account_id, region=region, hostnames=hostnames, serving=serving, port=port, store=store
        )

    def listener_certificates(self, account_id: str, listener_arn: str) -> ListenerCertificates:
        """What an ELBv2 listener holds as AWS would report it (default and SNI list)."""
        if self._listeners is None:
            raise RuntimeError("AwsEmulator is not started")
        known = self._listeners.certificates(account_id, listener_arn)
        if known is None:
            raise KeyError(f"listener {listener_arn} is unknown to the emulator")
        return known

    def touch_distribution(self, account_id: str, distribution_id: str) -> str:
        """Someone else changed the distribution: its ETag changes (a held one goes stale)."""
        if self._cloudfront is None:
            raise RuntimeError("AwsEmulator is not started")
        return self._cloudfront.touch(account_id, distribution_id)

    def set_deploy_seconds(self, seconds: float) -> None:
        """How long a changed distribution reads ``InProgress`` before ``Deployed``."""
        if self._cloudfront is None:
            raise RuntimeError("AwsEmulator is not started")
        self._cloudfront.deploy_seconds = seconds

    # -- faults and counts ------------------------------------------------------------------

    def set_rate_limit(self, action: str | None, per_second: float | None) -> None:
        """Per-account token bucket for ``action`` (None: every action without its own);
        calls beyond it answer the service's throttle error. None lifts the limit."""
        self._running.limits.set(action, per_second)

    def inject(
        self,
        action: str | None = None,
        *,
        account: str | None = None,
        target: str | None = None,
        error_code: str | None = None,
        message: str | None = None,
        http_status: int | None = None,
        latency: float = 0.0,
        throttle: bool = False,
        times: int | None = 1,
        probability: float | None = None,
    ) -> None:
        """Make the next ``times`` matching calls (None: all, until :meth:`clear_faults`)
        slow by ``latency`` seconds and/or fail: ``throttle`` with the service's throttle
        error, ``error_code`` with that AWS error (``http_status``, default 400), or
        ``http_status`` alone with a bare 5xx. Matching is by action, moto account id and
        target (see :attr:`calls`); ``probability`` applies the fault to that share."""
        self._faults.add(
            Fault(
                action,
                account,
                target,
                error_code,
                message,
                http_status,
                latency,
                throttle,
                times,
                probability,
            )
        )

    def clear_faults(self) -> None:
        self._faults.clear()

    @property
    def calls(self) -> Counter[tuple[str, ...]]:
        """Snapshot: admitted calls per ``(account_id, action)`` and per ``(account_id,
        action, target)``; targets are listener ARNs, distribution ids, ``region/name:port``
        of Classic listeners and leaf fingerprints of imports and uploads."""
        return self._running.calls

    @property
    def throttled(self) -> Counter[tuple[str, str]]:
        """Snapshot: calls refused by a rate limit per ``(account_id, action)``."""
        return self._running.throttled

    # -- internals --------------------------------------------------------------------------

    @property
    def _running(self) -> FaultProxy:
        if self._proxy is None:
            raise RuntimeError("AwsEmulator is not started")
        return self._proxy

    @property
    def _set_up(self) -> Scenery:
        if self._scenery is None:
            raise RuntimeError("AwsEmulator is not started")
        return self._scenery

    def _resync_account(self, account_id: str) -> None:
        """After an in-place re-import, every resource of the account may serve new bytes."""
        if self._listeners is None or self._cloudfront is None:
            return
        for key in self._sync.resources(f"listener|{account_id}|"):
            self._listeners.sync(account_id, key.split("|", 2)[2])
        for key in self._sync.resources(f"distribution|{account_id}|"):
            self._cloudfront.sync(account_id, key.split("|", 2)[2])
        for key in self._sync.resources(f"classic|{account_id}|"):
            region, _, rest = key.split("|", 2)[2].partition("/")
            name, _, port = rest.rpartition(":")
            self._certificates.sync_classic(account_id, region, name, int(port))
