"""ELBv2 listener certificates, kept by the proxy because moto gets them wrong.

moto 5.2.5 (VENDOR-NOTES.md): ModifyListener on an NLB TLS listener answers 200 and keeps the
old certificate; ModifyListener on an HTTPS listener replaces the SNI list along with the
default; DescribeListeners lists SNI certificates next to the default; Add/Remove accept
certificates that do not exist; DescribeListeners and DescribeListenerCertificates ignore
PageSize and Marker. AWS keeps one default (changed only by ModifyListener) and a
separate SNI list (changed only by Add/RemoveListenerCertificates).

So the proxy holds the authoritative (default, SNI) pair of every listener it has seen change:
it adopts moto's view on first touch (moto is right until then), applies each successful change
itself, answers DescribeListenerCertificates from it and rewrites the ``Certificates`` of every
listener in moto's answers. Other listener fields still come from moto. Both listings are
paged here, with an opaque NextMarker as AWS sends.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Final
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from providers.emulators.aws.backstage import Backstage
from providers.emulators.aws.calls import Call
from providers.emulators.aws.edge_sync import EdgeSync
from providers.emulators.aws.wire import (
    ApiRequest,
    Reply,
    error_reply,
    namespace_of,
    parse_xml,
    serialise,
    text_of,
    xml_reply,
)

_SERVICE: Final = "elbv2"
_SHOWING: Final = frozenset({"DescribeListeners", "CreateListener", "ModifyListener"})
_PAGED: Final = {"DescribeListeners": "Listeners", "DescribeListenerCertificates": "Certificates"}
_MARK: Final = "certfleet-emulator-offset:"


@dataclass
class ListenerCertificates:
    default: str
    sni: list[str] = field(default_factory=list)

    def ordered(self) -> list[str]:
        return [self.default, *[arn for arn in self.sni if arn != self.default]]


def listener_key(account: str, listener_arn: str) -> str:
    """The edge-sync key of a listener."""
    return f"listener|{account}|{listener_arn}"


class ElbV2Corrections:
    """Authoritative listener certificates; see the module docstring."""

    actions = frozenset(
        (_SERVICE, action)
        for action in (
            *_SHOWING,
            "AddListenerCertificates",
            "RemoveListenerCertificates",
            "DescribeListenerCertificates",
            "DeleteListener",
        )
    )

    def __init__(self, backstage: Backstage, edge: EdgeSync) -> None:
        self._backstage = backstage
        self._edge = edge
        self._lock = threading.Lock()
        self._listeners: dict[tuple[str, str], ListenerCertificates] = {}

    # -- state used by the emulator's helpers ----------------------------------------------

    def adopt(self, account: str, listener_arn: str, default: str, sni: list[str]) -> None:
        with self._lock:
            self._listeners[(account, listener_arn)] = ListenerCertificates(default, list(sni))

    def certificates(self, account: str, listener_arn: str) -> ListenerCertificates | None:
        with self._lock:
            known = self._listeners.get((account, listener_arn))
            return ListenerCertificates(known.default, list(known.sni)) if known else None

    def sync(self, account: str, listener_arn: str) -> None:
        known = self.certificates(account, listener_arn)
        if known is not None:
            self._edge.sync(listener_key(account, listener_arn), known.ordered())

    # -- the correction ---------------------------------------------------------------------

    def before(self, call: Call) -> Reply | None:
        request, action = call.request, call.request.action
        arn = request.param("ListenerArn")
        certificates = request.members("Certificates", "CertificateArn")
        if action in ("ModifyListener", "AddListenerCertificates"):
            for certificate in certificates:
                if not self._backstage.certificate_exists(
                    call.account, certificate, request.region
                ):
                    return error_reply(
                        _SERVICE, "CertificateNotFound", f"Certificate '{certificate}' not found"
                    )
        if action in ("ModifyListener", "AddListenerCertificates", "RemoveListenerCertificates"):
            self._adopt_from_moto(call.account, request.region, arn)
        known = self.certificates(call.account, arn) if arn else None
        if action == "RemoveListenerCertificates" and known and known.default in certificates:
            return error_reply(
                _SERVICE,
                "OperationNotPermitted",
                "The default certificate of a listener cannot be removed; use ModifyListener",
            )
        if action == "DescribeListenerCertificates" and known is not None:
            return _page(request, _describe(known))
        return None

    def after(self, call: Call, reply: Reply) -> Reply:
        if reply.status != 200:
            return reply
        request, action = call.request, call.request.action
        arn = request.param("ListenerArn")
        certificates = request.members("Certificates", "CertificateArn")
        changed = self._apply(call.account, action, arn, certificates)
        if changed:
            self.sync(call.account, arn)
        if action in _SHOWING:
            reply = self._rewrite(call.account, reply)
        return _page(request, reply) if action in _PAGED else reply

    def _apply(self, account: str, action: str, arn: str, certificates: list[str]) -> bool:
        """Record a successful change; True when the listener's certificates changed."""
        with self._lock:
            known = self._listeners.get((account, arn))
            if action == "DeleteListener":
                self._listeners.pop((account, arn), None)
                return False
            if known is None:
                return False
            if action == "ModifyListener" and certificates:
                known.default = certificates[0]
            elif action == "AddListenerCertificates":
                known.sni.extend(c for c in certificates if c not in known.sni)
            elif action == "RemoveListenerCertificates":
                known.sni = [c for c in known.sni if c not in certificates]
            else:
                return False
            return True

    def _adopt_from_moto(self, account: str, region: str, arn: str) -> None:
        with self._lock:
            if not arn or (account, arn) in self._listeners:
                return
        found = self._backstage.listener_certificates(account, region, arn)
        if found is not None:
            with self._lock:
                self._listeners.setdefault((account, arn), ListenerCertificates(*found))

    def _rewrite(self, account: str, reply: Reply) -> Reply:
        """Show only each listener's default certificate, as DescribeListeners does on AWS."""
        root = parse_xml(reply.body)
        ns = namespace_of(root)
        for listeners in root.iter(f"{ns}Listeners"):
            for member in listeners.findall(f"{ns}member"):
                shown = member.find(f"{ns}Certificates")
                if shown is None:
                    continue
                known = self.certificates(account, text_of(member, ns, "ListenerArn"))
                default = known.default if known else _first_certificate(shown, ns)
                for child in list(shown):
                    shown.remove(child)
                if default:
                    entry = ElementTree.SubElement(shown, f"{ns}member")
                    ElementTree.SubElement(entry, f"{ns}CertificateArn").text = default
        return Reply(reply.status, dict(reply.headers), serialise(root))


def _first_certificate(shown: ElementTree.Element, ns: str) -> str:
    first = shown.find(f"{ns}member")
    return text_of(first, ns, "CertificateArn") if first is not None else ""


def _describe(known: ListenerCertificates) -> Reply:
    members = "".join(
        f"<member><CertificateArn>{escape(arn)}</CertificateArn>"
        f"<IsDefault>{'true' if arn == known.default else 'false'}</IsDefault></member>"
        for arn in known.ordered()
    )
    return xml_reply(
        _SERVICE, "DescribeListenerCertificates", f"<Certificates>{members}</Certificates>"
    )


def _page(request: ApiRequest, reply: Reply) -> Reply:
    """Keep the page ``PageSize``/``Marker`` ask for, and say where the next one starts."""
    size = int(request.param("PageSize") or 0)
    marker = request.param("Marker")
    start = int(marker[len(_MARK) :]) if marker.startswith(_MARK) else 0
    if reply.status != 200 or (not size and not start):
        return reply
    root = parse_xml(reply.body)
    ns = namespace_of(root)
    result = root.find(f"{ns}{request.action}Result")
    listing = result.find(f"{ns}{_PAGED[request.action]}") if result is not None else None
    if result is None or listing is None:
        return reply
    members = listing.findall(f"{ns}member")
    end = start + size if size else len(members)
    for member in members[:start] + members[end:]:
        listing.remove(member)
    if end < len(members):
        ElementTree.SubElement(result, f"{ns}NextMarker").text = f"{_MARK}{end}"
    return Reply(reply.status, dict(reply.headers), serialise(root))
