"""What an emulated API action receives, and small helpers to read its parameters."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from providers.emulators.tencent import errors
from providers.emulators.tencent.errors import ApiError
from providers.emulators.tencent.state import AccountState


@dataclass
class EmulatorSettings:
    """Behaviour a test may tune while the emulator runs (read by actions under the lock)."""

    clb_task_seconds: float = 0.2  # how long a CLB change stays "running" (status 2)


@dataclass(frozen=True)
class ActionContext:
    """One call's view of the emulator: the caller's account and the emulator's services.

    Actions run under the emulator's lock, so they may read and change ``account`` freely.
    Callbacks given to ``schedule`` run later, in another thread, under the same lock.
    """

    account: AccountState
    now: datetime
    new_id: Callable[[int], str]  # random vendor-style id of the given length
    count_target: Callable[[str], None]  # note what this call acted on (cert, domain)
    bind_edge: Callable[[str, str, str], None]  # hostname, chain PEM, key PEM
    unbind_edge: Callable[[str], None]
    request_id: str = ""  # this call's RequestId (CLB uses it as the id of its async task)
    region: str = ""  # the X-TC-Region header
    settings: EmulatorSettings = field(default_factory=EmulatorSettings)
    schedule: Callable[[float, Callable[[], None]], None] = lambda _delay, _callback: None


Action = Callable[[ActionContext, Mapping[str, Any]], dict[str, Any]]


def text(params: Mapping[str, Any], name: str, *, required: bool = False) -> str:
    """A string parameter; MissingParameter / InvalidParameter the vendor's way."""
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise ApiError(errors.MISSING_PARAMETER, f"The parameter {name} is missing.")
        return ""
    if not isinstance(value, str):
        raise ApiError(errors.INVALID_PARAMETER, f"The parameter {name} must be a string.")
    return value


def paging(
    params: Mapping[str, Any], *, default: int, maximum: int, clamp: bool, code: str
) -> tuple[int, int]:
    """``(offset, limit)``; a limit above ``maximum`` is clamped or rejected like the vendor."""
    offset, limit = params.get("Offset", 0), params.get("Limit", default)
    offset = 0 if offset is None else offset
    limit = default if limit is None else limit
    if not isinstance(offset, int) or not isinstance(limit, int) or offset < 0 or limit < 0:
        raise ApiError(code, "Offset and Limit must be non-negative integers.")
    if limit > maximum:
        if not clamp:
            raise ApiError(code, f"Limit must not exceed {maximum}.")
        limit = maximum
    return offset, limit


class ControlHost(Protocol):
    """What a product's set-up control (``emulator.clb``, ``emulator.waf``) needs from the
    emulator: its lock, and an action context for an account outside any request."""

    @property
    def lock(self) -> AbstractContextManager[Any]: ...

    def setup_context(self, secret_id: str) -> ActionContext:
        """A context for ``secret_id`` (KeyError naming add_account if it does not exist)."""
        ...
