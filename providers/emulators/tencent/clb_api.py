"""Cloud Load Balancer (``clb``, 2018-03-17): listings, certificate changes, async tasks.

Vendor rules kept on purpose, because adapters must cope with them:

* CLB is regional: every call names a region (``X-TC-Region``) and sees only its load
  balancers; DescribeLoadBalancers pages with Offset/Limit (default 20, at most 100).
* Changes are asynchronous: ModifyListener / ModifyDomainAttributes answer at once with a
  RequestId; DescribeTaskStatus(TaskId=RequestId) reports 2 (running) for a while, then 0
  (succeeded) or 1 (failed, with a Message). The change shows in DescribeListeners and on the
  TLS edge only when the task has succeeded.
* One change at a time per load balancer: a change while another task runs on the same
  instance answers FailedOperation.ResourceInOperating.
* With SNI off a listener has one certificate for all its rule domains (ModifyListener);
  ModifyDomainAttributes *accepts* a domain certificate there, its task succeeds, and nothing
  changes — what peers reported as "success while nothing was bound" (certd/certd issue 115).
  With SNI on, certificates are per domain and a listener-level change is refused.
* CLB takes any certificate of the account: it does not check that its names cover the rule
  domains (a mismatch shows only in browsers, and in certfleet's TLS verification).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from providers.emulators.tencent import errors
from providers.emulators.tencent.context import Action, ActionContext, paging, text
from providers.emulators.tencent.errors import ApiError
from providers.emulators.tencent.state import (
    ClbListener,
    ClbTask,
    LoadBalancer,
    StoredCertificate,
    vendor_time,
)

SERVICE: Final = "clb"
VERSION: Final = "2018-03-17"
REGIONS: Final = frozenset(
    {
        "ap-guangzhou",
        "ap-shanghai",
        "ap-nanjing",
        "ap-beijing",
        "ap-chengdu",
        "ap-chongqing",
        "ap-hongkong",
        "ap-singapore",
        "ap-jakarta",
        "ap-bangkok",
        "ap-seoul",
        "ap-tokyo",
        "na-ashburn",
        "na-siliconvalley",
        "sa-saopaulo",
        "eu-frankfurt",
    }
)
_SSL_MODES: Final = ("UNIDIRECTIONAL", "MUTUAL")


def describe_load_balancers(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    region = _region(ctx)
    offset, limit = paging(params, default=20, maximum=100, clamp=False, code=errors.CLB_RANGE)
    wanted = params.get("LoadBalancerIds") or None
    forward = params.get("Forward")
    found = [
        lb
        for lb in ctx.account.load_balancers.values()
        if lb.region == region
        and (wanted is None or lb.load_balancer_id in wanted)
        and forward in (None, -1, 1)  # every emulated instance is a (non-classic) CLB
    ]
    page = found[offset : offset + limit]
    return {"TotalCount": len(found), "LoadBalancerSet": [_lb_view(lb) for lb in page]}


def describe_listeners(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    lb = _load_balancer(ctx, params)
    settle(ctx, lb)
    protocol, port = text(params, "Protocol"), params.get("Port")
    wanted = params.get("ListenerIds") or None
    found = [
        listener
        for listener in lb.listeners.values()
        if (not protocol or listener.protocol == protocol)
        and (port is None or listener.port == port)
        and (wanted is None or listener.listener_id in wanted)
    ]
    return {"Listeners": [_listener_view(x) for x in found], "TotalCount": len(found)}


def modify_listener(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    lb = _load_balancer(ctx, params)
    listener = _listener(lb, params)
    ctx.count_target(f"{lb.load_balancer_id}/{listener.listener_id}")
    _check_changeable(ctx, lb)
    name = text(params, "ListenerName") or listener.name
    block, cert = None, None
    if params.get("Certificate") is not None:
        if listener.protocol != "HTTPS":
            raise ApiError(
                errors.CLB_PROTOCOL_CHECK_FAILED, "Certificate applies to HTTPS listeners only."
            )
        if listener.sni:
            raise ApiError(
                errors.INVALID_PARAMETER,
                f"Listener {listener.listener_id} has SNI enabled: certificates are set per "
                "domain with ModifyDomainAttributes.",
            )
        block, cert = _certificate(ctx, params["Certificate"])

    def apply() -> None:
        listener.name = name
        if block is not None and cert is not None:
            listener.certificate = block
            for domain in listener.domains():
                ctx.bind_edge(domain, cert.chain_pem, cert.key_pem)

    _start_task(ctx, lb, apply)
    return {}


def modify_domain_attributes(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    lb = _load_balancer(ctx, params)
    listener = _listener(lb, params)
    domain = text(params, "Domain", required=True).lower()
    ctx.count_target(f"{lb.load_balancer_id}/{listener.listener_id}/{domain}")
    if domain not in listener.domains():
        raise ApiError(
            errors.CLB_LOCATION_NOT_FOUND,
            f"No forwarding rule with domain {domain} on listener {listener.listener_id}.",
        )
    _check_changeable(ctx, lb)
    block, cert = None, None
    if params.get("Certificate") is not None:
        block, cert = _certificate(ctx, params["Certificate"])

    def apply() -> None:
        # Without SNI the vendor keeps the listener's certificate and ignores this one.
        if listener.sni and block is not None and cert is not None:
            listener.domain_certificates[domain] = block
            ctx.bind_edge(domain, cert.chain_pem, cert.key_pem)

    _start_task(ctx, lb, apply)
    return {}


def describe_task_status(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    task_id = text(params, "TaskId")
    if not task_id and not text(params, "DealName"):
        raise ApiError(errors.MISSING_PARAMETER, "One of TaskId and DealName is required.")
    task = ctx.account.clb_tasks.get(task_id)
    if task is None:
        raise ApiError(errors.INVALID_PARAMETER, f"The task {task_id or '(none)'} is not found.")
    _settle_task(task)
    if not task.settled:
        status, message = 2, ""
    elif task.failure is not None:
        status, message = 1, task.failure
    else:
        status, message = 0, ""
    return {"Status": status, "LoadBalancerIds": [task.load_balancer_id], "Message": message}


def settle(ctx: ActionContext, lb: LoadBalancer) -> None:
    """Finish every task of ``lb`` whose time has come (timers do it too; this is exact)."""
    for task in ctx.account.clb_tasks.values():
        if task.load_balancer_id == lb.load_balancer_id:
            _settle_task(task)


def busy(ctx: ActionContext, lb: LoadBalancer) -> bool:
    """Whether a change is still running on ``lb``."""
    settle(ctx, lb)
    return any(
        not task.settled
        for task in ctx.account.clb_tasks.values()
        if task.load_balancer_id == lb.load_balancer_id
    )


def _settle_task(task: ClbTask, *, force: bool = False) -> None:
    if task.settled or (not force and time.monotonic() < task.ends_at):
        return
    task.settled = True
    if task.failure is None:
        task.apply()


def _start_task(ctx: ActionContext, lb: LoadBalancer, apply: Callable[[], None]) -> None:
    seconds = max(0.0, ctx.settings.clb_task_seconds)
    failure = lb.planned_failures.pop(0) if lb.planned_failures else None
    task = ClbTask(ctx.request_id, lb.load_balancer_id, time.monotonic() + seconds, apply, failure)
    ctx.account.clb_tasks[task.task_id] = task
    ctx.schedule(seconds, lambda: _settle_task(task, force=True))


def _check_changeable(ctx: ActionContext, lb: LoadBalancer) -> None:
    if lb.isolated:
        raise ApiError(
            errors.CLB_INVALID_LB_STATUS,
            f"LoadBalancer({lb.load_balancer_id}) status is abnormal: it is isolated "
            "(overdue payment) and cannot be changed.",
        )
    if busy(ctx, lb):
        raise ApiError(
            errors.CLB_RESOURCE_IN_OPERATING,
            f"Loadbalancer({lb.load_balancer_id}) is not in normal desState, maybe some tasks "
            "are being processed, please try later.",
        )


def _certificate(ctx: ActionContext, value: object) -> tuple[dict[str, str], StoredCertificate]:
    """A CertificateInput as the listener will store it, and the certificate it names."""
    if not isinstance(value, dict):
        raise ApiError(errors.CLB_FORMAT_ERROR, "Certificate must be an object.")
    mode = value.get("SSLMode") or "UNIDIRECTIONAL"
    if mode not in _SSL_MODES:
        raise ApiError(errors.INVALID_PARAMETER_VALUE, "SSLMode must be UNIDIRECTIONAL or MUTUAL.")
    cert_id = value.get("CertId")
    if not isinstance(cert_id, str) or not cert_id:
        raise ApiError(
            errors.MISSING_PARAMETER,
            "Certificate.CertId is required (the emulator does not take certificate content).",
        )
    cert = ctx.account.certificates.get(cert_id)
    if cert is None:
        raise ApiError(errors.INVALID_PARAMETER, f"The certificate {cert_id} does not exist.")
    block = {"SSLMode": mode, "CertId": cert_id}
    if mode == "MUTUAL":
        ca_id = value.get("CertCaId")
        if not isinstance(ca_id, str) or not ca_id:
            raise ApiError(errors.MISSING_PARAMETER, "CertCaId is required when SSLMode=MUTUAL.")
        block["CertCaId"] = ca_id
    return block, cert


def _region(ctx: ActionContext) -> str:
    if not ctx.region:
        raise ApiError(errors.MISSING_PARAMETER, "The request is missing the Region parameter.")
    if ctx.region not in REGIONS:
        raise ApiError(errors.CLB_REGION_NOT_FOUND, f"The region {ctx.region} does not exist.")
    return ctx.region


def _load_balancer(ctx: ActionContext, params: Mapping[str, Any]) -> LoadBalancer:
    region = _region(ctx)
    lb_id = text(params, "LoadBalancerId", required=True)
    lb = ctx.account.load_balancers.get(lb_id)
    if lb is None or lb.region != region:
        raise ApiError(errors.CLB_LB_NOT_FOUND, f"LoadBalancer {lb_id} is not found in {region}.")
    return lb


def _listener(lb: LoadBalancer, params: Mapping[str, Any]) -> ClbListener:
    listener_id = text(params, "ListenerId", required=True)
    listener = lb.listeners.get(listener_id)
    if listener is None:
        raise ApiError(
            errors.CLB_LISTENER_NOT_FOUND,
            f"Listener {listener_id} is not found on {lb.load_balancer_id}.",
        )
    return listener


def _lb_view(lb: LoadBalancer) -> dict[str, Any]:
    return {
        "LoadBalancerId": lb.load_balancer_id,
        "LoadBalancerName": lb.name,
        "LoadBalancerType": "OPEN",
        "Forward": 1,
        "Status": 1,
        "Isolation": 1 if lb.isolated else 0,
        "LoadBalancerVips": [lb.vip],
        "CreateTime": vendor_time(lb.created),
        "ProjectId": 0,
    }


def _listener_view(listener: ClbListener) -> dict[str, Any]:
    first_domain = next(iter(listener.domains()), None)
    rules = [
        {
            "LocationId": rule.location_id,
            "ListenerId": listener.listener_id,
            "Domain": rule.domain,
            "Domains": [rule.domain],
            "Url": rule.url,
            "Certificate": copy.deepcopy(listener.domain_certificates.get(rule.domain))
            if listener.sni
            else None,
            "DefaultServer": rule.domain == first_domain,
            "Http2": False,
            "TargetType": "NODE",
            "CreateTime": vendor_time(rule.created),
        }
        for rule in listener.rules
    ]
    return {
        "ListenerId": listener.listener_id,
        "ListenerName": listener.name,
        "Protocol": listener.protocol,
        "Port": listener.port,
        "Certificate": copy.deepcopy(listener.certificate),
        "SniSwitch": 1 if listener.sni else 0,
        "Rules": rules if listener.protocol in ("HTTP", "HTTPS") else None,
        "TargetType": "NODE",
        "SessionType": "NORMAL",
        "KeepaliveEnable": 0,
        "CreateTime": vendor_time(listener.created),
        "AttrFlags": [],
    }


ACTIONS: Final[dict[str, Action]] = {
    "DescribeLoadBalancers": describe_load_balancers,
    "DescribeListeners": describe_listeners,
    "ModifyListener": modify_listener,
    "ModifyDomainAttributes": modify_domain_attributes,
    "DescribeTaskStatus": describe_task_status,
}
