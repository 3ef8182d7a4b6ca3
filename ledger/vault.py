"""Encryption at rest for AK secrets and private keys (AES-256-GCM).

The key never lives in the database: it comes from ``CERTFLEET_VAULT_KEY`` (URL-safe base64 of 32
bytes) or, in embedded mode only, from a key file created with mode 0600 in the data directory.
Each ciphertext carries a key id so a rotated or wrong key fails with a clear message instead of
garbage, and a *purpose* as associated data so an encrypted private key can never be decrypted
as an AK secret (or the reverse) if rows are swapped.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from pathlib import Path
from typing import Final, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.errors import LedgerError

Purpose = Literal["account-secret", "certificate-key"]

_VERSION: Final = b"\x01"
_KEY_ID_LEN: Final = 4
_NONCE_LEN: Final = 12
KEY_ENV: Final = "CERTFLEET_VAULT_KEY"
KEY_FILE: Final = "vault.key"


class VaultError(LedgerError):
    """The vault key is missing, malformed, or not the key the data was written with."""


class Vault:
    """Encrypts and decrypts small secrets with one AES-256-GCM key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise VaultError(f"{KEY_ENV}: the key must be 32 bytes, got {len(key)}")
        self._aead = AESGCM(key)
        self._key_id = hashlib.sha256(b"certfleet-vault" + key).digest()[:_KEY_ID_LEN]

    def __repr__(self) -> str:
        return f"Vault(key_id={self._key_id.hex()})"

    def encrypt(self, plaintext: str, purpose: Purpose) -> bytes:
        """Ciphertext = version ‖ key id ‖ nonce ‖ AES-GCM(plaintext, aad=purpose)."""
        nonce = os.urandom(_NONCE_LEN)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), purpose.encode())
        return _VERSION + self._key_id + nonce + sealed

    def decrypt(self, blob: bytes, purpose: Purpose) -> str:
        """The plaintext, or :class:`VaultError` naming why it cannot be read."""
        header = len(_VERSION) + _KEY_ID_LEN
        if len(blob) < header + _NONCE_LEN or blob[:1] != _VERSION:
            raise VaultError("vault: stored secret is not in a format this version can read")
        if blob[1:header] != self._key_id:
            raise VaultError(
                f"vault: this secret was encrypted with another key; set {KEY_ENV} to the key "
                "used when it was stored"
            )
        nonce = blob[header : header + _NONCE_LEN]
        try:
            return self._aead.decrypt(nonce, blob[header + _NONCE_LEN :], purpose.encode()).decode()
        except InvalidTag:
            raise VaultError("vault: stored secret failed its integrity check") from None


def generate_key() -> str:
    """A new key, encoded as ``CERTFLEET_VAULT_KEY`` expects."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _decode(text: str, source: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError):
        raise VaultError(
            f"{source}: not URL-safe base64; create one with `certfleet vault generate-key`"
        ) from None


def load_vault(data_dir: Path, *, embedded: bool, env: dict[str, str] | None = None) -> Vault:
    """The vault for this process: env key first, else (embedded only) the 0600 key file."""
    environ = dict(os.environ) if env is None else env
    if environ.get(KEY_ENV):
        return Vault(_decode(environ[KEY_ENV], KEY_ENV))
    if not embedded:
        raise VaultError(
            f"{KEY_ENV}: required in distributed mode (every worker must share it); "
            "create one with `certfleet vault generate-key`"
        )
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting at once must not each write a different key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(generate_key() + "\n")
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise VaultError(f"{path}: key file is readable by others (mode {mode:o}); chmod 600 it")
    return Vault(_decode(path.read_text(), str(path)))
