"""Structured logs: ``CERTFLEET_LOG_FORMAT=json`` writes one JSON object per line.

Every line carries ``ts``, ``level``, ``logger``, ``message``, ``pid`` and ``thread``, plus the
context of the work in hand (``deployment_id``, ``task_id``, ``message_id``, ``retries``) that the
worker middleware binds around each message, or that a caller passes with ``extra=``.

Secrets never reach the output, text or JSON: whatever a caller formats into a message or an
exception, :class:`Redactor` removes PEM private keys, passwords in URLs, ``name=value``
credentials (``SecretKey=…``, ``Signature=…``, ``password: …``) and the literal values of
secret-looking environment variables before the line is written.

This module must not import ``prometheus_client``: ``python -m workers`` configures logging
before it chooses the metrics directory, and prometheus-client fixes its storage at import.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Mapping
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TextIO

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"
# Fields a caller may pass with ``extra=`` (or bind) that JSON lines promote to top-level keys.
CONTEXT_FIELDS = ("task_id", "deployment_id", "message_id", "retries")
MASK = "***"

_EMPTY: Mapping[str, object] = MappingProxyType({})
_context: ContextVar[Mapping[str, object]] = ContextVar("certfleet_log_context", default=_EMPTY)

_SECRET_ENV_NAME = re.compile(
    r"SECRET|PASSWORD|PASSWD|TOKEN|VAULT_KEY|PRIVATE_KEY|API_KEY|ACCESS_KEY(?!_ID)", re.I
)
_PEM_PRIVATE_KEY = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(?:-----END \1PRIVATE KEY-----|\Z)", re.S
)
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.\-]*://[^\s:/@]*:)[^\s@/]+@", re.I)
_ASSIGNED_SECRET = re.compile(
    r"(?P<head>\b(?:secret[_-]?(?:access[_-]?)?key|secretkey|private[_-]?key|key[_-]?pem"
    r"|password|passwd|token|signature|authorization|vault[_-]?key)"
    r"[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&]+",
    re.I,
)


def bind(**fields: object) -> Token[Mapping[str, object]]:
    """Add ``fields`` to the log context of this thread (or task) until :func:`reset`."""
    merged = {**_context.get(), **{k: v for k, v in fields.items() if v is not None}}
    return _context.set(MappingProxyType(merged))


def reset(token: Token[Mapping[str, object]]) -> None:
    """Restore the context as it was before the :func:`bind` that returned ``token``."""
    _context.reset(token)


def current_context() -> Mapping[str, object]:
    """The fields bound now."""
    return _context.get()


class Redactor:
    """Removes secrets from text; the one place that knows what a secret looks like in a log."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        values = {v for k, v in environ.items() if _SECRET_ENV_NAME.search(k) and len(v) >= 8}
        # Longest first, so a secret that contains another is replaced whole.
        self._literals = sorted(values, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for literal in self._literals:
            if literal in text:
                text = text.replace(literal, MASK)
        text = _PEM_PRIVATE_KEY.sub("[private key removed]", text)
        text = _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}@", text)
        return _ASSIGNED_SECRET.sub(lambda m: f"{m['head']}{MASK}", text)


def _context_of(record: logging.LogRecord) -> dict[str, object]:
    fields = dict(current_context())
    for name in CONTEXT_FIELDS:
        value = record.__dict__.get(name)
        if value is not None:
            fields[name] = value
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per record, secrets removed from every free-text field."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redact = redactor

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self._redact(record.getMessage()),
            "pid": record.process,
            "thread": record.threadName,
        }
        payload.update(_context_of(record))
        if record.exc_info:
            payload["error"] = self._redact(self.formatException(record.exc_info))
        if record.stack_info:
            payload["stack"] = self._redact(self.formatStack(record.stack_info))
        return json.dumps(payload, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The classic one-line format, with the bound ids appended and secrets removed."""

    def __init__(self, redactor: Redactor, fmt: str = TEXT_FORMAT) -> None:
        super().__init__(fmt)
        self._redact = redactor

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = _context_of(record)
        if fields:
            line += " [" + " ".join(f"{k}={v}" for k, v in fields.items()) + "]"
        return self._redact(line)


class CertfleetHandler(logging.StreamHandler[TextIO]):
    """The handler :func:`configure_logging` installs (so a second call replaces it)."""


def configure_logging(
    log_format: str = "text",
    level: str | int = "WARNING",
    *,
    stream: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> logging.Handler:
    """Send every logger's records to ``stream`` (stderr) in ``log_format``; idempotent."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"CERTFLEET_LOG_FORMAT: expected one of {LOG_FORMATS}, got {log_format!r}")
    redactor = Redactor(environ)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, CertfleetHandler)]:
        root.removeHandler(old)
    handler = CertfleetHandler(stream or sys.stderr)
    formatter = JsonFormatter(redactor) if log_format == "json" else TextFormatter(redactor)
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
