from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ledger.vault import KEY_ENV, Vault, VaultError, generate_key, load_vault


def test_round_trip_and_purpose_binding(vault: Vault) -> None:
    blob = vault.encrypt("s3cret", "account-secret")
    assert b"s3cret" not in blob
    assert vault.decrypt(blob, "account-secret") == "s3cret"
    with pytest.raises(VaultError, match="integrity"):
        vault.decrypt(blob, "certificate-key")


def test_wrong_key_is_named_not_garbage(vault: Vault) -> None:
    blob = vault.encrypt("s3cret", "account-secret")
    with pytest.raises(VaultError, match="another key"):
        Vault(os.urandom(32)).decrypt(blob, "account-secret")


def test_embedded_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    first = load_vault(tmp_path, embedded=True, env={})
    mode = stat.S_IMODE((tmp_path / "vault.key").stat().st_mode)
    assert mode == 0o600
    again = load_vault(tmp_path, embedded=True, env={})
    assert again.decrypt(first.encrypt("x", "account-secret"), "account-secret") == "x"


def test_distributed_mode_requires_env_key(tmp_path: Path) -> None:
    with pytest.raises(VaultError, match=KEY_ENV):
        load_vault(tmp_path, embedded=False, env={})
    vault = load_vault(tmp_path, embedded=False, env={KEY_ENV: generate_key()})
    assert not (tmp_path / "vault.key").exists()
    assert "Vault(" in repr(vault) and "key_id" in repr(vault)


def test_world_readable_key_file_is_refused(tmp_path: Path) -> None:
    load_vault(tmp_path, embedded=True, env={})
    (tmp_path / "vault.key").chmod(0o644)
    with pytest.raises(VaultError, match="chmod 600"):
        load_vault(tmp_path, embedded=True, env={})
