"""Proof secrets the service keeps for partners who chose so (custodial, opt-in).

A partner may let the service keep its proof secret, so that any browser it signs in from can
derive its salts without a recovery sheet at hand. The price is said plainly to the partner
and in docs/security.md: whoever runs the service can then read the secret, and so confirm a
guess about the partner's documents. A partner that does not opt in is simply absent here.

Each secret is a sealed file (`ledger.openings.sealed`, content "proof-secret") under the
service's custody password, one per partner address:

    <folder>/<address, lower case>.json

so a copy of the data directory without that password reveals no secret. Files are written
atomically with owner-only permissions; decrypted secrets are cached in memory, as the
custodial signing keys are. One secret per partner: replacing a held secret by another is
refused (`OpeningConflictError`); the partner removes the copy first.
"""

from __future__ import annotations

import threading
from pathlib import Path

from eth_typing import ChecksumAddress

from ledger.domain.values import checksum
from ledger.errors import OpeningConflictError
from ledger.openings.keeper import write_atomically
from ledger.openings.sealed import ScryptParams, seal_secret, unseal_secret
from ledger.openings.secret import ProofSecret

# As the custodial keystores: the files are also protected by the host's permissions, and a
# page that derives a salt should not wait a second for it.
CUSTODY_SCRYPT = ScryptParams(n=1 << 14, r=8, p=1)


class SecretCustody:
    """Partners' proof secrets kept sealed in `folder`; thread-safe."""

    def __init__(
        self, folder: str | Path, password: str, *, params: ScryptParams = CUSTODY_SCRYPT
    ) -> None:
        self.folder = Path(folder)
        self._password = password
        self._params = params
        self._cache: dict[ChecksumAddress, ProofSecret] = {}
        self._lock = threading.Lock()

    def _path(self, address: ChecksumAddress) -> Path:
        return self.folder / f"{address.lower()}.json"

    def _load(self, who: ChecksumAddress) -> ProofSecret | None:
        # Called with the lock held.
        cached = self._cache.get(who)
        if cached is not None:
            return cached
        path = self._path(who)
        if not path.is_file():
            return None
        secret = unseal_secret(path.read_bytes(), self._password)
        self._cache[who] = secret
        return secret

    def get(self, address: str) -> ProofSecret | None:
        """The secret kept for `address`, or None when the partner did not opt in."""
        who = checksum(address)
        with self._lock:
            return self._load(who)

    def put(self, address: str, secret: ProofSecret) -> bool:
        """Keep `secret` for `address`; True if it is new, False if it was kept already.
        Raise OpeningConflictError if another secret is kept for the partner."""
        who = checksum(address)
        with self._lock:
            held = self._load(who)
            if held is not None:
                if held.secret_id != secret.secret_id:
                    raise OpeningConflictError(
                        f"the service keeps another proof secret ({held.secret_id}) for {who}"
                    )
                return False
            write_atomically(
                self._path(who), seal_secret(secret, self._password, params=self._params)
            )
            self._cache[who] = secret
            return True

    def delete(self, address: str) -> bool:
        """Forget the secret of `address` (the partner keeps it itself); True if one was kept."""
        who = checksum(address)
        with self._lock:
            self._cache.pop(who, None)
            path = self._path(who)
            if not path.is_file():
                return False
            path.unlink()
            return True
