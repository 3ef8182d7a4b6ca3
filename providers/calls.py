"""One vendor API call under the caller's hooks, run the same way for every vendor.

The call takes a token from its rate family, is timed, and has its outcome recorded (``ok``,
``throttled``, ``transient`` or ``permanent``); a throttle also tells the hooks to slow that
family down. What a vendor's exception means is decided by that vendor's one classifier
(``providers/<vendor>/errors.py``): this module only runs it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final, Protocol, TypeVar

from providers.base import Account, CallHooks
from providers.errors import Permanent, ProviderError, Throttled, Transient

T = TypeVar("T")

_OUTCOMES: Final = ((Throttled, "throttled"), (Transient, "transient"), (Permanent, "permanent"))


class Classifier(Protocol):
    """A vendor's mapping of one failed call to the error certfleet raises."""

    def __call__(self, error: Exception, *, account: Account, action: str) -> ProviderError:
        """The classified failure; vendor text in it is scrubbed of the account's secret."""
        ...


def run_call(
    hooks: CallHooks,
    account: Account,
    family: str,
    action: str,
    call: Callable[[], T],
    *,
    failures: tuple[type[Exception], ...],
    classify: Classifier,
) -> T:
    """Run ``call`` under ``hooks``: token, timing, classification of ``failures``, metrics.

    ``failures`` are the exceptions the vendor's SDK and the network raise; each becomes a
    :class:`ProviderError` through ``classify``. Anything else (a TypeError, a KeyError: a bug
    in our own code) propagates unchanged, so it is not blamed on the vendor. A ProviderError
    raised inside ``call`` (building a client refused the account's options or role) is
    recorded and re-raised as it is. The SDK's exception is not chained: its text may hold
    what the classifier scrubbed, and the classified error carries the code and message.
    """
    hooks.acquire(account, family, action)
    started = time.monotonic()
    try:
        result = call()
    except ProviderError as refused:
        hooks.record(account, action, _outcome(refused), time.monotonic() - started)
        raise
    except failures as error:
        failure = classify(error, account=account, action=action)
        hooks.record(account, action, _outcome(failure), time.monotonic() - started)
        if isinstance(failure, Throttled):
            hooks.throttled(account, family, action, failure.retry_after)
        raise failure from None
    hooks.record(account, action, "ok", time.monotonic() - started)
    return result


def _outcome(failure: ProviderError) -> str:
    return next((name for kind, name in _OUTCOMES if isinstance(failure, kind)), "permanent")
