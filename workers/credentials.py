"""Turning a stored account into the credentials an adapter uses, in one place."""

from __future__ import annotations

from ledger.accounts import AccountView, reveal_secret
from ledger.vault import Vault
from providers.base import Account
from providers.secrets import Secret


def provider_account(view: AccountView, vault: Vault) -> Account:
    """The adapter's :class:`Account`, the secret decrypted straight into a :class:`Secret`."""
    return Account(
        key=view.name,
        provider=view.provider,
        access_key_id=view.access_key_id,
        secret=Secret(reveal_secret(vault, view)),
        regions=view.regions,
        api_endpoint=view.api_endpoint,
        tls_edge=view.tls_edge,
        options=view.options,
    )
