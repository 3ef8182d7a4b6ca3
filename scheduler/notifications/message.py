"""What a notification says, rendered once for every channel."""

from __future__ import annotations

from typing import Any

MAX_LISTED_FAILURES = 50


def subject(payload: dict[str, Any]) -> str:
    counts = payload.get("counts", {})
    return (
        f"certfleet: task {payload.get('task')} {payload.get('name')!r} {payload.get('status')}: "
        f"{counts.get('succeeded', 0)} succeeded, {counts.get('failed', 0)} failed"
    )


def text_body(payload: dict[str, Any]) -> str:
    """A plain-text report a person can act on: counts, quota and each failure's reason."""
    counts = payload.get("counts", {})
    lines = [
        subject(payload),
        "",
        "Deployments: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
        f"Quota debited {payload.get('quota_debited', 0)}, "
        f"refunded {payload.get('quota_refunded', 0)}",
    ]
    failures = payload.get("failures") or []
    if failures:
        lines += ["", "Failures:"]
        lines += [f"- {f['resource']}: {f['reason']}" for f in failures[:MAX_LISTED_FAILURES]]
        if len(failures) > MAX_LISTED_FAILURES:
            lines.append(
                f"… and {len(failures) - MAX_LISTED_FAILURES} more (certfleet task status)"
            )
    return "\n".join(lines) + "\n"
