"""Encrypted key storage for custodial partner keys: one keystore file per account.

A `KeyStore` is a directory of Web3 Secret Storage (v3) files, the format geth, Besu's tooling
and MetaMask import, each named `<label>.json` and encrypted with one password. In custodial
mode the service holds the partners' keys here; in the sandbox the directory is
`<data-dir>/keystores/`. Files are written atomically and readable by the owner only.

Reading the key a deployer or relayer signs with from a single keystore file given on the
command line is `ledger.chain.connection.load_signer`'s job; nothing here talks to a chain.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

from ledger.domain.values import checksum
from ledger.errors import ConfigurationError, KeyLoadError

# The scrypt cost geth and eth-account use by default (~0.8 s per decryption).
STANDARD_SCRYPT_N = 1 << 18
# Labels become file names: keep them to one safe path component.
_LABEL_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_SUFFIX = ".json"


@dataclass(frozen=True)
class StoredKey:
    """A keystore file: its label, the account it holds and where it is."""

    label: str
    address: ChecksumAddress
    path: Path


class KeyStore:
    """The keystore files in `directory`, all encrypted with `password`.

    `scrypt_n` is the scrypt cost of files this store writes (reading accepts any cost).
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        password: str,
        *,
        scrypt_n: int = STANDARD_SCRYPT_N,
    ) -> None:
        if not password:
            raise ConfigurationError("a keystore password must not be empty")
        if scrypt_n < 2 or scrypt_n & (scrypt_n - 1):
            raise ConfigurationError(f"scrypt_n must be a power of two above 1, got {scrypt_n}")
        self.directory = Path(directory)
        self._password = password
        self._scrypt_n = scrypt_n

    def __repr__(self) -> str:
        return f"KeyStore({str(self.directory)!r})"

    def path_of(self, label: str) -> Path:
        """The file that holds (or would hold) the key labelled `label`."""
        if not _LABEL_RE.fullmatch(label):
            raise ConfigurationError(
                f"keystore label {label!r} must be 1-64 of a-z, 0-9, '-' or '_' "
                "and start with a letter or digit"
            )
        return self.directory / f"{label}{_SUFFIX}"

    def entries(self) -> tuple[StoredKey, ...]:
        """Every key in the store, by label, without decrypting anything."""
        if not self.directory.is_dir():
            return ()
        found = []
        for path in sorted(self.directory.glob(f"*{_SUFFIX}")):
            label = path.name.removesuffix(_SUFFIX)
            if _LABEL_RE.fullmatch(label):
                found.append(StoredKey(label, _address_of(_read_keyfile(path), path), path))
        return tuple(found)

    def __contains__(self, label: object) -> bool:
        return isinstance(label, str) and self.path_of(label).is_file()

    def add(self, label: str, account: LocalAccount) -> StoredKey:
        """Encrypt `account`'s key into a new file; refuse to overwrite an existing one."""
        path = self.path_of(label)
        if path.exists():
            raise ConfigurationError(f"keystore {path} already exists; not overwriting a key")
        keyfile = Account.encrypt(
            account.key, self._password, kdf="scrypt", iterations=self._scrypt_n
        )
        _write_private(path, json.dumps(keyfile, indent=2) + "\n")
        return StoredKey(label, account.address, path)

    def create(self, label: str) -> LocalAccount:
        """Make a fresh random key, store it under `label` and return it."""
        account: LocalAccount = Account.create()
        self.add(label, account)
        return account

    def load(self, label: str) -> LocalAccount:
        """Decrypt the key labelled `label`; raise `KeyLoadError` if it is missing or locked."""
        path = self.path_of(label)
        if not path.is_file():
            raise KeyLoadError(f"no keystore {path}")
        keyfile = _read_keyfile(path)
        try:
            key = Account.decrypt(keyfile, self._password)
        except ValueError as exc:
            raise KeyLoadError(f"cannot decrypt keystore {path}: wrong password?") from exc
        except (KeyError, TypeError) as exc:
            raise KeyLoadError(f"keystore {path} is malformed: {exc!r}") from exc
        account: LocalAccount = Account.from_key(key)
        return account

    def load_or_create(self, label: str) -> LocalAccount:
        """The key labelled `label`, made and stored first if there is none yet."""
        return self.load(label) if label in self else self.create(label)

    def load_address(self, address: str) -> LocalAccount:
        """Decrypt the key of `address`; raise `KeyLoadError` if the store has none."""
        wanted = checksum(address)
        for entry in self.entries():
            if entry.address == wanted:
                return self.load(entry.label)
        raise KeyLoadError(f"no keystore in {self.directory} holds {wanted}")


def _read_keyfile(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise KeyLoadError(f"cannot read keystore {path}: {exc}") from exc
    except ValueError as exc:
        raise KeyLoadError(f"keystore {path} is not JSON") from exc
    if not isinstance(data, dict):
        raise KeyLoadError(f"keystore {path} is not a JSON object")
    return data


def _address_of(keyfile: dict[str, Any], path: Path) -> ChecksumAddress:
    # The v3 format stores the address unencrypted, so listing needs no password.
    try:
        return checksum(str(keyfile["address"]))
    except (KeyError, ValueError) as exc:
        raise KeyLoadError(f"keystore {path} names no valid address") from exc


def _write_private(path: Path, text: str) -> None:
    # Owner-only from the first byte (mkstemp creates 0600), then an atomic rename: a crash
    # leaves no half-written key and no window in which others could read it.
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
