"""Non-custodial signing on the partner's machine: the key, and the check before signing.

The partner's key comes from an Ethereum JSON keystore (Web3 Secret Storage v3, what geth,
MetaMask and `cast wallet` write), decrypted by eth-account; the typed data is signed by
eth-account too (`LocalAccount.sign_typed_data`): nothing here encodes EIP-712 by hand.

A `/prepare` route hands out the typed data to sign, but a client that signed whatever it is
handed would sign for whoever runs the server. So `checked_typed_data` rebuilds, with the
library's own builders (`ledger.chain.signing`), the typed data the client asked for: the
domain of the deployment the client trusts (chain id and contract address, from a deployment
record the partner holds or from `GET /v1/chain`), the message from the request's own fields,
the signer from the key, and only the nonce and deadline from the server. Anything else that
differs (a type, a domain field, a message field, the signer, the digest) is refused with
`PreparedDataMismatchError` naming it, before the key is used. What is signed is the rebuilt
data, which is then known to equal the prepared one.

Integers are compared by value whatever their JSON form (a number, or a decimal string as the
API's convention for integers above 2^53 has it), addresses and hex by value whatever their
case: the comparison follows the EIP-712 type of each field.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

from ledger.chain.signing import Eip712Domain, TypedData, typed_data_digest
from ledger.domain.codec import to_hex
from ledger.domain.values import checksum
from ledger.errors import KeyLoadError, PreparedDataMismatchError, SigningError


# Builds the typed data of one action from the domain, the signer, the nonce and the deadline,
# as the API's `SignedAction.typed_data` does.
class TypedDataBuilder(Protocol):
    """Builds an action's typed data for a domain and a signer's nonce and deadline: the
    action's own `ledger.chain.signing` function with its request's fields bound."""

    def __call__(
        self, domain: Eip712Domain, *, signer: str, nonce: int, deadline: int
    ) -> TypedData: ...


class Signer(Protocol):
    """A partner key that signs EIP-712 typed data."""

    @property
    def address(self) -> ChecksumAddress: ...

    def sign_typed_data(self, data: Mapping[str, Any]) -> bytes: ...


class LocalKeySigner:
    """A key held in memory, from a keystore file (`from_keystore`) or an eth-account account."""

    def __init__(self, account: LocalAccount) -> None:
        self._account = account

    @classmethod
    def from_keystore(cls, path: str | Path, password: str) -> LocalKeySigner:
        """Decrypt the keystore at `path`; KeyLoadError names what went wrong (never the
        password)."""
        keystore = Path(path)
        try:
            keyfile = json.loads(keystore.read_text(encoding="utf-8"))
        except OSError as exc:
            raise KeyLoadError(f"cannot read the keystore {keystore}: {exc.strerror}") from exc
        except ValueError as exc:
            raise KeyLoadError(f"{keystore} is not a JSON keystore") from exc
        if not isinstance(keyfile, dict) or "crypto" not in {k.lower() for k in keyfile}:
            raise KeyLoadError(f"{keystore} is not an Ethereum JSON keystore (no 'crypto')")
        try:
            key = Account.decrypt(keyfile, password)
        except ValueError as exc:
            raise KeyLoadError(
                f"cannot decrypt {keystore}: wrong password (or a damaged keystore)"
            ) from exc
        except (KeyError, TypeError) as exc:
            raise KeyLoadError(f"{keystore} is a malformed keystore ({exc})") from exc
        account: LocalAccount = Account.from_key(key)
        return cls(account)

    @property
    def address(self) -> ChecksumAddress:
        return checksum(self._account.address)

    def sign_typed_data(self, data: Mapping[str, Any]) -> bytes:
        """The 65-byte signature (r ‖ s ‖ v) of `data` (eth_signTypedData_v4 shape)."""
        try:
            signed = self._account.sign_typed_data(full_message=dict(data))
        except (ValueError, TypeError, KeyError) as exc:
            raise SigningError(f"cannot sign the typed data: {exc}") from exc
        return bytes(signed.signature)


@dataclass(frozen=True)
class TrustedDeployment:
    """The chain and contracts the partner means to sign for."""

    chain_id: int
    contracts: Mapping[str, str]

    def domain(self, contract: str) -> Eip712Domain:
        """The EIP-712 domain of `contract` ("PocLedger", "RoyaltyVault") here."""
        address = self.contracts.get(contract)
        if address is None:
            raise PreparedDataMismatchError(
                f"the deployment names no {contract} contract: nothing to sign for"
            )
        return Eip712Domain(contract, "1", self.chain_id, checksum(address))


def checked_typed_data(
    prepared: Mapping[str, Any],
    *,
    nonce: int,
    deadline: int,
    digest: str,
    signer: str,
    prepared_signer: str,
    domain: Eip712Domain,
    build: TypedDataBuilder,
    now: float | None = None,
) -> TypedData:
    """The typed data to sign: rebuilt from the request and compared with what `/prepare`
    returned (`prepared`, with its top-level `nonce`, `deadline`, `digest`, `signer`). Raise
    PreparedDataMismatchError naming the first field that differs."""
    if checksum(prepared_signer) != checksum(signer):
        raise PreparedDataMismatchError(
            f"the service prepared a signature by {prepared_signer}; your key is {signer}"
        )
    if deadline <= (time.time() if now is None else now):
        raise PreparedDataMismatchError("the prepared deadline has already passed")
    expected = build(domain, signer=signer, nonce=nonce, deadline=deadline)
    _compare(prepared, expected)
    if to_hex(typed_data_digest(expected)).lower() != str(digest).lower():
        raise PreparedDataMismatchError(
            "digest: the service's digest is not the digest of the typed data"
        )
    return expected


def _compare(prepared: Mapping[str, Any], expected: TypedData) -> None:
    if not isinstance(prepared, Mapping):
        raise PreparedDataMismatchError("the prepared typed data is not a JSON object")
    if prepared.get("primaryType") != expected["primaryType"]:
        raise PreparedDataMismatchError(
            f"primaryType: the service asks to sign {prepared.get('primaryType')!r}, "
            f"the request is a {expected['primaryType']}"
        )
    if prepared.get("types") != expected["types"]:
        raise PreparedDataMismatchError(
            f"types: the service's {expected['primaryType']} types are not this client's"
        )
    types = expected["types"]
    _compare_struct("domain", prepared.get("domain"), expected["domain"], types["EIP712Domain"])
    _compare_struct(
        "message", prepared.get("message"), expected["message"], types[expected["primaryType"]]
    )


def _compare_struct(
    where: str, given: object, wanted: Mapping[str, Any], fields: list[dict[str, str]]
) -> None:
    if not isinstance(given, Mapping) or set(given) != set(wanted):
        raise PreparedDataMismatchError(f"{where}: its fields are not those of the request")
    for field in fields:
        name, kind = field["name"], field["type"]
        if _normal(given[name], kind) != _normal(wanted[name], kind):
            raise PreparedDataMismatchError(
                f"{where}.{name}: the service's typed data has {given[name]!r}, "
                f"the request means {wanted[name]!r}"
            )


def _normal(value: object, kind: str) -> object:
    """`value` of EIP-712 type `kind` in one comparable form; a value that is not of the type
    becomes a marker that equals nothing the request holds."""
    if kind.endswith("[]"):
        if not isinstance(value, list):
            return ("not a list", repr(value))
        return [_normal(v, kind[:-2]) for v in value]
    if kind.startswith(("uint", "int")):
        if isinstance(value, bool):
            return ("not an integer", repr(value))
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.isascii() and value.isdigit():
            return int(value)
        return ("not an integer", repr(value))
    if kind == "address" or kind.startswith("bytes"):
        return value.lower() if isinstance(value, str) else ("not hex", repr(value))
    return value
