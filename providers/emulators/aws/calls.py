"""The shape every service correction shares: one admitted call, and the hooks around it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from providers.emulators.aws.wire import ApiRequest, Reply


@dataclass
class Call:
    """An authenticated call on its way to moto: who makes it and what it is about."""

    request: ApiRequest
    account: str  # moto account id
    target: str  # the resource or certificate the call is about ("" when none)


class Correction(Protocol):
    """Where moto differs from AWS for some actions, make the answer what AWS would send.

    ``before`` may answer instead of moto (an AWS error moto would not raise, or state the
    proxy keeps itself) or adjust the request; ``after`` may rewrite moto's answer and update
    the proxy's own state. Both run only for ``(service, action)`` pairs in ``actions``.
    """

    actions: frozenset[tuple[str, str]]

    def before(self, call: Call) -> Reply | None: ...

    def after(self, call: Call, reply: Reply) -> Reply: ...
