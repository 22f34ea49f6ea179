"""Custodial signing: the partner keys the service holds, in `ledger.chain.keystore` files;
and who may reach the proof secret the service keeps for a partner (`proof_secret_owner`).

In custodial mode (the sandbox default) the API signs a partner's EIP-712 actions with the
partner's own key, decrypted from `<data_dir>/keystores/` with the configured password and kept
in memory once loaded. The contract still checks every signature: the service can only act for
partners whose keys it was given. Non-custodial partners are simply absent from this store.
"""

from __future__ import annotations

import threading
from pathlib import Path

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

from api.auth import Principal
from api.errors import PermissionDeniedError, WrongActorError
from ledger.chain.keystore import KeyStore
from ledger.domain.values import checksum
from ledger.errors import KeyLoadError

# Cheaper than geth's default scrypt cost: the keystore is protected by the host's file
# permissions too, and onboarding through the API should not take seconds.
CUSTODY_SCRYPT_N = 1 << 14


class Custody:
    """Partner keys held by the service; thread-safe, decrypted keys cached in memory."""

    def __init__(self, directory: Path, password: str, *, scrypt_n: int = CUSTODY_SCRYPT_N) -> None:
        self.keystore = KeyStore(directory, password, scrypt_n=scrypt_n)
        self._accounts: dict[ChecksumAddress, LocalAccount] = {}
        self._lock = threading.Lock()

    def add(self, label: str, account: LocalAccount) -> ChecksumAddress:
        """Hold `account`'s key under `label` (a new keystore file)."""
        with self._lock:
            self.keystore.add(label, account)
            self._accounts[account.address] = account
        return account.address

    def create(self, label: str) -> LocalAccount:
        """Make and hold a fresh partner key."""
        with self._lock:
            account = self.keystore.create(label)
            self._accounts[account.address] = account
        return account

    def account(self, address: str) -> LocalAccount | None:
        """The held key of `address`, or None if the partner is not custodial."""
        wanted = checksum(address)
        with self._lock:
            cached = self._accounts.get(wanted)
            if cached is not None:
                return cached
            try:
                account = self.keystore.load_address(wanted)
            except KeyLoadError:
                return None
            self._accounts[wanted] = account
            return account

    def holds(self, address: str) -> bool:
        """Whether the service holds the key of `address`."""
        return self.account(address) is not None


def proof_secret_owner(principal: Principal, address: str) -> ChecksumAddress:
    """The partner whose proof secret the key may read, keep or forget: `address`, if the
    key acts for it (partner or coordinator role); 403 otherwise, before anything is looked
    up, so that the answer says nothing about whether that partner opted in: another
    partner's key `wrong_actor`, auditor and admin keys `forbidden_role`."""
    if not principal.role.acts_for_partner or principal.partner is None:
        raise PermissionDeniedError(
            f"a {principal.role.value} key has no proof secret: only a partner's own keys reach it"
        )
    wanted, own = checksum(address), checksum(principal.partner)
    if wanted != own:
        raise WrongActorError(f"this API key acts for {own}, not for {wanted}")
    return wanted
