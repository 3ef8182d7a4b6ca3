"""What an emulated operation receives, how operations are routed, and parameter helpers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from providers.emulators.huawei.errors import ApiError, Shape
from providers.emulators.huawei.state import AccountState, Listener, Project

T = TypeVar("T")


@dataclass(frozen=True)
class CallContext:
    """One call's view of the emulator. Operations run under the emulator's lock."""

    account: AccountState
    project: Project | None  # the ELB project named in the path; None for CDN
    now: datetime
    path: Mapping[str, str]  # path parameters, already unquoted
    query: Sequence[tuple[str, str]]
    body: Mapping[str, Any]
    new_id: Callable[[], str]  # a vendor-style id: 32 lower-case hex characters
    count_upload: Callable[[str], None]  # a certificate body was accepted (leaf fingerprint)
    bind_edge: Callable[[str, str, str], None]  # hostname, chain PEM, key PEM
    unbind_edge: Callable[[str], None]
    sync_listener: Callable[[Project, Listener], None]  # serve what the listener holds now
    domain_owner: Callable[[str], str | None]  # AK of the account holding a CDN domain

    def elb_project(self) -> Project:
        if self.project is None:
            raise RuntimeError("an ELB operation was routed without a project")
        return self.project


Operation = Callable[[CallContext], tuple[int, dict[str, Any]]]


@dataclass(frozen=True)
class Route:
    """``method`` + ``pattern`` (named groups = path parameters) -> one vendor operation."""

    method: str
    pattern: re.Pattern[str]
    service: str  # "cdn" (global, X-Domain-Id) or "elb" (regional, project id in the path)
    operation: str  # the vendor's operation name, e.g. "UpdateListener"
    handler: Operation
    shape: Shape
    target: str | None = None  # path parameter naming what the call acts on (for counters)


def route(
    method: str,
    template: str,
    *,
    service: str,
    operation: str,
    handler: Operation,
    shape: Shape,
    target: str | None = None,
) -> Route:
    """A route from a template like ``/v3/{project_id}/elb/listeners/{listener_id}``."""
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return Route(method, re.compile(f"^{regex}$"), service, operation, handler, shape, target)


def values(query: Sequence[tuple[str, str]], name: str) -> list[str]:
    """Every value of a multi-valued query parameter (``id=a&id=b``)."""
    return [value for key, value in query if key == name]


def filtered(
    items: Iterable[T], query: Sequence[tuple[str, str]], fields: Mapping[str, Callable[[T], str]]
) -> list[T]:
    """``items`` that match every listed filter the query sends (``id=a&id=b``: either id)."""
    found = list(items)
    for parameter, field in fields.items():
        wanted = values(query, parameter)
        if wanted:
            found = [item for item in found if field(item) in wanted]
    return found


def value(query: Sequence[tuple[str, str]], name: str) -> str | None:
    found = values(query, name)
    return found[0] if found else None


def integer(
    query: Sequence[tuple[str, str]],
    name: str,
    *,
    default: int,
    low: int,
    high: int,
    error: Callable[[str], ApiError],
) -> int:
    """An integer query parameter within ``[low, high]``; ``error(message)`` otherwise."""
    text = value(query, name)
    if text is None or text == "":
        return default
    if not text.lstrip("-").isdigit() or not low <= int(text) <= high:
        raise error(f"{name} must be an integer from {low} to {high}.")
    return int(text)


def boolean(query: Sequence[tuple[str, str]], name: str) -> bool | None:
    text = value(query, name)
    return None if text is None else text.lower() == "true"


def text_field(body: Mapping[str, Any], name: str) -> str | None:
    """A string field of a JSON object; None when absent or null."""
    found = body.get(name)
    return found if isinstance(found, str) else None


def marker_page(
    ids: Sequence[str], query: Sequence[tuple[str, str]], *, invalid: Callable[[str], ApiError]
) -> tuple[slice, dict[str, Any]]:
    """ELB v3 paging over ``ids``: the slice to return and the ``page_info`` to answer.

    ``limit`` (0-2000, default 2000) turns paging on; ``marker`` (the last id of the previous
    page; it must be a listed id) and ``page_reverse`` only count together with ``limit``, as
    the API reference says. ``next_marker`` is the last id of every non-empty page, the last
    page included, so clients learn they are done from a short or empty page.
    """
    limit = integer(query, "limit", default=2000, low=0, high=2000, error=invalid)
    marker = value(query, "marker") if value(query, "limit") is not None else None
    reverse = boolean(query, "page_reverse") is True and value(query, "limit") is not None
    if marker is None:
        start = 0
    elif marker in ids:
        position = ids.index(marker)
        start = max(0, position - limit) if reverse else position + 1
    else:
        raise invalid(f"marker {marker} is not a valid id.")
    end = min(len(ids), start + limit) if not (reverse and marker) else ids.index(marker)
    page_info: dict[str, Any] = {"current_count": max(0, end - start)}
    if end > start:
        page_info["previous_marker"] = ids[start]
        page_info["next_marker"] = ids[end - 1]
    return slice(start, end), page_info
