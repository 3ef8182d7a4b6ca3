"""One AWS API call, the way every AWS adapter makes it.

Each call names its API action as AWS does (``ImportCertificate``), the service and region it
goes to, and the rate family it spends a token from; the client is built inside the call, so
a failure to assume the account's role is classified and recorded like any other failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from botocore import xform_name

from providers.aws import client
from providers.aws.errors import SDK_FAILURES, classify
from providers.base import Account, CallHooks
from providers.calls import run_call


class AwsApi:
    """Calls AWS for one product: its hooks, and the IAM actions its errors should name."""

    def __init__(self, hooks: CallHooks, permissions: Sequence[str]) -> None:
        self.hooks = hooks
        self.permissions = tuple(permissions)

    def __call__(
        self,
        account: Account,
        service: str,
        region: str,
        family: str,
        action: str,
        **params: Any,
    ) -> dict[str, Any]:
        """``action`` on ``service`` in ``region``; the parsed answer (a dict)."""
        method = xform_name(action)

        def send() -> dict[str, Any]:
            answer: dict[str, Any] = getattr(client.client(account, service, region), method)(
                **params
            )
            return answer

        return run_call(
            self.hooks,
            account,
            family,
            action,
            send,
            failures=SDK_FAILURES,
            classify=partial(classify, permissions=self.permissions),
        )
