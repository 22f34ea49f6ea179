"""EIP-712 typed data for every signed (relayed) action of PocLedger, RoyaltyVault and
PocExchange.

A partner authorises a `...BySig` call by signing typed data that names the action's fields, a
nonce and a deadline; the domain `{name, version "1", chainId, verifyingContract}` pins the
chain and the deployment. The builders here return that typed data as a JSON-serialisable dict
(bytes as 0x-hex, addresses checksummed, integers as ints) in the shape of
`eth_signTypedData_v4`, so the API's non-custodial mode can hand it to the partner, who signs it
on its own machine; `sign_typed_data` does the same with a local key (custodial mode, tests).

The type strings are the contracts' `*_TYPEHASH` preimages (`ACTION_TYPES`), checked against the
Solidity sources by the tests. `SignedAuth` is what a relayer passes to the contract;
`NonceAllocator` hands out unordered nonces that share bitmap words, which keeps them cheap.

The builders of PocExchange's actions are in `ledger.chain.exchange_signing` (on the registry
here). Sending the calls lives in `ledger.chain.clients` and `ledger.chain.clients`;
identifiers and hashes in `ledger.domain.hashing`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

import coincurve
from eth_abi.abi import encode
from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_keys.exceptions import BadSignature
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from eth_utils.exceptions import ValidationError as EthUtilsValidationError
from hexbytes import HexBytes

from ledger.chain.typed_data_wire import JSON_NUMBER_BITS as JSON_NUMBER_BITS
from ledger.chain.typed_data_wire import TypedData as TypedData
from ledger.chain.typed_data_wire import typed_data_from_json as typed_data_from_json
from ledger.chain.typed_data_wire import typed_data_json as typed_data_json
from ledger.domain.codec import to_hex
from ledger.domain.hashing import policy_hash
from ledger.domain.values import (
    BatchLeaf,
    Policy,
    ProposalKind,
    Registration,
    SplitInput,
    checksum,
    require_bytes32,
    require_uint,
)
from ledger.errors import SigningError

PrivateKey = str | bytes

LEDGER_DOMAIN_NAME: Final = "PocLedger"
VAULT_DOMAIN_NAME: Final = "RoyaltyVault"
EXCHANGE_DOMAIN_NAME: Final = "PocExchange"
DOMAIN_VERSION: Final = "1"

EIP712_DOMAIN_FIELDS: Final = (
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
)
_DOMAIN_TYPE: Final = (
    f"EIP712Domain({','.join(f'{kind} {name}' for name, kind in EIP712_DOMAIN_FIELDS)})"
)
_AUTH_FIELDS: Final = (("signer", "address"), ("nonce", "uint256"), ("deadline", "uint256"))

_SETTINGS_FIELDS: Final = (
    ("projectId", "uint32"),
    ("answerPeriod", "uint32"),
    ("requestPeriodAfterEnd", "uint32"),
    ("projectEnd", "uint40"),
)

# Each signed action's fields before signer/nonce/deadline, as in the contracts' typehashes.
_ACTION_FIELDS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    # PocLedger
    "CreateProject": (
        ("agreementHash", "bytes32"),
        ("partners", "address[]"),
        ("policyHash", "bytes32"),
    ),
    "AcceptAgreement": (
        ("projectId", "uint32"),
        ("version", "uint32"),
        ("agreementHash", "bytes32"),
    ),
    "SetIdentity": (("name", "string"), ("companyNumber", "string")),
    "Propose": (("projectId", "uint32"), ("kind", "uint8"), ("data", "bytes")),
    "ApproveProposal": (("projectId", "uint32"), ("proposalId", "uint64")),
    "Register": (
        ("projectId", "uint32"),
        ("commitment", "bytes32"),
        ("cardHash", "bytes32"),
        ("origin", "uint8"),
        ("category", "uint8"),
        ("value", "uint64"),
        ("parents", "bytes32[]"),
        ("supersedes", "bytes32"),
        ("uri", "string"),
    ),
    "AnchorBatch": (
        ("projectId", "uint32"),
        ("root", "bytes32"),
        ("count", "uint32"),
        ("uri", "string"),
    ),
    "WithdrawContribution": (("projectId", "uint32"), ("contributionId", "bytes32")),
    "Endorse": (("projectId", "uint32"), ("contributionId", "bytes32"), ("rating", "uint8")),
    "OpenDispute": (
        ("projectId", "uint32"),
        ("contributionId", "bytes32"),
        ("reasonHash", "bytes32"),
    ),
    "VoteDispute": (("projectId", "uint32"), ("contributionId", "bytes32"), ("uphold", "bool")),
    "WithdrawDispute": (("projectId", "uint32"), ("contributionId", "bytes32")),
    # RoyaltyVault
    "ProposeSplit": (
        ("projectId", "uint32"),
        ("partners", "address[]"),
        ("bps", "uint16[]"),
        ("policyVersion", "uint32"),
        ("computedAtBlock", "uint64"),
        ("inputSetHash", "bytes32"),
    ),
    "ApproveSplit": (("projectId", "uint32"), ("proposalId", "uint64")),
    "ReleaseTo": (("projectId", "uint32"), ("token", "address"), ("recipient", "address")),
    # PocExchange
    "PublishEncryptionKey": (("publicKey", "bytes32"),),
    "Disclose": (
        ("projectId", "uint32"),
        ("contentCommitment", "bytes32"),
        ("recipients", "address[]"),
        ("contributionIds", "bytes32[]"),
    ),
    "Acknowledge": (
        ("projectId", "uint32"),
        ("disclosureId", "bytes32"),
        ("contentCommitment", "bytes32"),
        ("sharer", "address"),
    ),
    "Decline": (("projectId", "uint32"), ("disclosureId", "bytes32"), ("reasonHash", "bytes32")),
    "RequestAccess": (
        ("projectId", "uint32"),
        ("contributionId", "bytes32"),
        ("purpose", "uint8"),
        ("terms", "uint8"),
        ("termsHash", "bytes32"),
    ),
    "GrantAccess": (
        ("projectId", "uint32"),
        ("requestId", "uint64"),
        ("terms", "uint8"),
        ("termsHash", "bytes32"),
    ),
    "RefuseAccess": (("projectId", "uint32"), ("requestId", "uint64"), ("reasonHash", "bytes32")),
    "WithdrawAccessRequest": (("projectId", "uint32"), ("requestId", "uint64")),
    "SetExchangeSettings": _SETTINGS_FIELDS,
    "ProposeExchangeSettings": _SETTINGS_FIELDS,
    "ApproveExchangeSettings": (("projectId", "uint32"), ("proposalId", "uint64")),
}

#: Every signed action's EIP-712 fields, signer/nonce/deadline included.
ACTION_TYPES: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    name: fields + _AUTH_FIELDS for name, fields in _ACTION_FIELDS.items()
}
#: `Register` as releases 1.x signed it, before contribution cards (no `cardHash`): what the
#: proof verifier rebuilds for bundles of those releases (`register_data_v1`).
REGISTER_V1_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    tuple(field for field in _ACTION_FIELDS["Register"] if field[0] != "cardHash") + _AUTH_FIELDS
)
#: Which contract's domain each action is signed under.
_VAULT_ACTIONS: Final = frozenset({"ProposeSplit", "ApproveSplit", "ReleaseTo"})
_EXCHANGE_ACTIONS: Final = frozenset(
    {
        "PublishEncryptionKey",
        "Disclose",
        "Acknowledge",
        "Decline",
        "RequestAccess",
        "GrantAccess",
        "RefuseAccess",
        "WithdrawAccessRequest",
        "SetExchangeSettings",
        "ProposeExchangeSettings",
        "ApproveExchangeSettings",
    }
)
ACTION_CONTRACT: Final[dict[str, str]] = {
    name: VAULT_DOMAIN_NAME
    if name in _VAULT_ACTIONS
    else EXCHANGE_DOMAIN_NAME
    if name in _EXCHANGE_ACTIONS
    else LEDGER_DOMAIN_NAME
    for name in _ACTION_FIELDS
}


def encode_type(primary_type: str) -> str:
    """The EIP-712 type string of an action, e.g. "Endorse(uint32 projectId,...)"."""
    fields = ACTION_TYPES[primary_type]
    return f"{primary_type}({','.join(f'{kind} {name}' for name, kind in fields)})"


def type_hash(primary_type: str) -> bytes:
    """keccak256 of the type string: the contract's `_<ACTION>_TYPEHASH`."""
    return keccak(text=encode_type(primary_type))


# ------------------------------------------------------------------------------ values


@dataclass(frozen=True)
class Eip712Domain:
    """The EIP-712 domain of one deployment of one contract on one chain."""

    name: str
    version: str
    chain_id: int
    verifying_contract: ChecksumAddress

    def __post_init__(self) -> None:
        object.__setattr__(self, "verifying_contract", checksum(self.verifying_contract))

    @classmethod
    def ledger(cls, chain_id: int, address: str) -> Eip712Domain:
        """The domain of a PocLedger deployment."""
        return cls(LEDGER_DOMAIN_NAME, DOMAIN_VERSION, chain_id, checksum(address))

    @classmethod
    def vault(cls, chain_id: int, address: str) -> Eip712Domain:
        """The domain of a RoyaltyVault deployment."""
        return cls(VAULT_DOMAIN_NAME, DOMAIN_VERSION, chain_id, checksum(address))

    @classmethod
    def exchange(cls, chain_id: int, address: str) -> Eip712Domain:
        """The domain of a PocExchange deployment."""
        return cls(EXCHANGE_DOMAIN_NAME, DOMAIN_VERSION, chain_id, checksum(address))

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "chainId": self.chain_id,
            "verifyingContract": self.verifying_contract,
        }

    def separator(self) -> bytes:
        """The domain separator hashStruct(EIP712Domain), equal to `domainSeparator()`."""
        return keccak(
            encode(
                ["bytes32", "bytes32", "bytes32", "uint256", "address"],
                [
                    keccak(text=_DOMAIN_TYPE),
                    keccak(text=self.name),
                    keccak(text=self.version),
                    self.chain_id,
                    self.verifying_contract,
                ],
            )
        )


@dataclass(frozen=True)
class SignedAuth:
    """A partner's authorisation of one relayed call (`SignedAuth` in PocTypes.sol)."""

    signer: ChecksumAddress
    nonce: int
    deadline: int
    signature: bytes

    def __post_init__(self) -> None:
        object.__setattr__(self, "signer", checksum(self.signer))
        require_uint(self.nonce, 256, "nonce")
        require_uint(self.deadline, 256, "deadline")
        object.__setattr__(self, "signature", bytes(self.signature))

    def as_tuple(self) -> tuple[ChecksumAddress, int, int, bytes]:
        """The ABI tuple `(address signer, uint256 nonce, uint256 deadline, bytes signature)`."""
        return (self.signer, self.nonce, self.deadline, self.signature)

    @classmethod
    def from_typed_data(cls, data: Mapping[str, Any], signature: bytes | str) -> SignedAuth:
        """Pair a signature (bytes or 0x-hex) with the signer, nonce and deadline it covers."""
        message = data["message"]
        raw = (
            bytes.fromhex(signature.removeprefix("0x"))
            if isinstance(signature, str)
            else (signature)
        )
        return cls(
            signer=checksum(message["signer"]),
            nonce=int(message["nonce"]),
            deadline=int(message["deadline"]),
            signature=raw,
        )


# ------------------------------------------------------------------------------ builders


def _b32(value: bytes, what: str) -> str:
    """A bytes32 field of a message: checked, then 0x-hex."""
    return to_hex(require_bytes32(value, what))


def _auth(signer: str, nonce: int, deadline: int) -> dict[str, Any]:
    return {
        "signer": checksum(signer),
        "nonce": require_uint(nonce, 256, "nonce"),
        "deadline": require_uint(deadline, 256, "deadline"),
    }


def typed_data(domain: Eip712Domain, primary_type: str, message: Mapping[str, Any]) -> TypedData:
    """Assemble the full typed-data dict of `primary_type` with an already-encoded `message`."""
    if primary_type not in ACTION_TYPES:
        raise SigningError(f"unknown signed action {primary_type!r}")
    if ACTION_CONTRACT[primary_type] != domain.name:
        raise SigningError(
            f"{primary_type} is signed for {ACTION_CONTRACT[primary_type]}, not {domain.name}"
        )
    names = [name for name, _ in ACTION_TYPES[primary_type]]
    if sorted(message) != sorted(names):
        raise SigningError(f"{primary_type} message has fields {sorted(message)}, want {names}")
    return {
        "types": {
            "EIP712Domain": [{"name": n, "type": t} for n, t in EIP712_DOMAIN_FIELDS],
            primary_type: [{"name": n, "type": t} for n, t in ACTION_TYPES[primary_type]],
        },
        "primaryType": primary_type,
        "domain": domain.as_dict(),
        "message": {name: message[name] for name in names},
    }


def create_project_data(
    domain: Eip712Domain,
    *,
    agreement_hash: bytes,
    partners: Sequence[str],
    policy: Policy,
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `createProjectBySig` (the policy is signed by its hash)."""
    return typed_data(
        domain,
        "CreateProject",
        {
            "agreementHash": _b32(agreement_hash, "agreement_hash"),
            "partners": [checksum(p) for p in partners],
            "policyHash": to_hex(policy_hash(policy)),
            **_auth(signer, nonce, deadline),
        },
    )


def accept_agreement_data(
    domain: Eip712Domain,
    *,
    project_id: int,
    version: int,
    agreement_hash: bytes,
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `acceptAgreementBySig`."""
    return typed_data(
        domain,
        "AcceptAgreement",
        {
            "projectId": require_uint(project_id, 32, "project_id"),
            "version": require_uint(version, 32, "version"),
            "agreementHash": _b32(agreement_hash, "agreement_hash"),
            **_auth(signer, nonce, deadline),
        },
    )


def set_identity_data(
    domain: Eip712Domain,
    *,
    name: str,
    company_number: str,
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `setIdentityBySig`."""
    return typed_data(
        domain,
        "SetIdentity",
        {"name": name, "companyNumber": company_number, **_auth(signer, nonce, deadline)},
    )


def propose_data(
    domain: Eip712Domain,
    *,
    project_id: int,
    kind: ProposalKind,
    data: bytes,
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `proposeBySig`; `data` is the ABI-encoded change."""
    return typed_data(
        domain,
        "Propose",
        {
            "projectId": require_uint(project_id, 32, "project_id"),
            "kind": int(ProposalKind(kind)),
            "data": to_hex(data),
            **_auth(signer, nonce, deadline),
        },
    )


def approve_proposal_data(
    domain: Eip712Domain,
    *,
    project_id: int,
    proposal_id: int,
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `approveProposalBySig`."""
    return typed_data(
        domain,
        "ApproveProposal",
        {
            "projectId": require_uint(project_id, 32, "project_id"),
            "proposalId": require_uint(proposal_id, 64, "proposal_id"),
            **_auth(signer, nonce, deadline),
        },
    )


def register_data(
    domain: Eip712Domain,
    *,
    registration: Registration,
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `registerBySig` (the card by its hash)."""
    r = registration
    return typed_data(
        domain,
        "Register",
        {
            "projectId": r.project_id,
            "commitment": to_hex(r.commitment),
            "cardHash": to_hex(r.card_hash),
            "origin": int(r.origin),
            "category": r.category,
            "value": r.value,
            "parents": [to_hex(p) for p in r.parents],
            "supersedes": to_hex(r.supersedes),
            "uri": r.uri,
            **_auth(signer, nonce, deadline),
        },
    )


def register_data_v1(
    domain: Eip712Domain,
    *,
    registration: Registration,
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `registerBySig` as releases 1.x defined it (no `cardHash`): only to
    verify the signatures of their registrations."""
    if registration.card_hash != bytes(32):
        raise SigningError("a registration of release 1.x has no card hash")
    message = dict(
        register_data(
            domain, registration=registration, signer=signer, nonce=nonce, deadline=deadline
        )["message"]
    )
    del message["cardHash"]
    return {
        "types": {
            "EIP712Domain": [{"name": n, "type": t} for n, t in EIP712_DOMAIN_FIELDS],
            "Register": [{"name": n, "type": t} for n, t in REGISTER_V1_FIELDS],
        },
        "primaryType": "Register",
        "domain": domain.as_dict(),
        "message": {name: message[name] for name, _ in REGISTER_V1_FIELDS},
    }


def anchor_batch_data(
    domain: Eip712Domain,
    *,
    project_id: int,
    root: bytes,
    count: int,
    uri: str,
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `anchorBatchBySig`."""
    return typed_data(
        domain,
        "AnchorBatch",
        {
            "projectId": require_uint(project_id, 32, "project_id"),
            "root": _b32(root, "root"),
            "count": require_uint(count, 32, "count"),
            "uri": uri,
            **_auth(signer, nonce, deadline),
        },
    )


def _contribution_action(
    primary_type: str,
    domain: Eip712Domain,
    project_id: int,
    contribution_id: bytes,
    extra: Mapping[str, Any],
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    return typed_data(
        domain,
        primary_type,
        {
            "projectId": require_uint(project_id, 32, "project_id"),
            "contributionId": _b32(contribution_id, "contribution_id"),
            **extra,
            **_auth(signer, nonce, deadline),
        },
    )


def withdraw_contribution_data(
    domain: Eip712Domain,
    *,
    project_id: int,
    contribution_id: bytes,
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `withdrawContributionBySig`."""
    return _contribution_action(
        "WithdrawContribution", domain, project_id, contribution_id, {}, signer, nonce, deadline
    )


def endorse_data(
    domain: Eip712Domain,
    *,
    project_id: int,
    contribution_id: bytes,
    rating: int,
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `endorseBySig`."""
    extra = {"rating": require_uint(rating, 8, "rating")}
    return _contribution_action(
        "Endorse", domain, project_id, contribution_id, extra, signer, nonce, deadline
    )


def open_dispute_data(
    domain: Eip712Domain,
    *,
    project_id: int,
    contribution_id: bytes,
    reason_hash: bytes,
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `openDisputeBySig`."""
    extra = {"reasonHash": _b32(reason_hash, "reason_hash")}
    return _contribution_action(
        "OpenDispute", domain, project_id, contribution_id, extra, signer, nonce, deadline
    )


def vote_dispute_data(
    domain: Eip712Domain,
    *,
    project_id: int,
    contribution_id: bytes,
    uphold: bool,
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `voteDisputeBySig`."""
    extra = {"uphold": bool(uphold)}
    return _contribution_action(
        "VoteDispute", domain, project_id, contribution_id, extra, signer, nonce, deadline
    )


def withdraw_dispute_data(
    domain: Eip712Domain,
    *,
    project_id: int,
    contribution_id: bytes,
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `withdrawDisputeBySig`."""
    return _contribution_action(
        "WithdrawDispute", domain, project_id, contribution_id, {}, signer, nonce, deadline
    )


def propose_split_data(
    domain: Eip712Domain,
    *,
    project_id: int,
    split: SplitInput,
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `RoyaltyVault.proposeSplitBySig`."""
    return typed_data(
        domain,
        "ProposeSplit",
        {
            "projectId": require_uint(project_id, 32, "project_id"),
            "partners": list(split.partners),
            "bps": list(split.bps),
            "policyVersion": split.policy_version,
            "computedAtBlock": split.computed_at_block,
            "inputSetHash": to_hex(split.input_set_hash),
            **_auth(signer, nonce, deadline),
        },
    )


def approve_split_data(
    domain: Eip712Domain,
    *,
    project_id: int,
    proposal_id: int,
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `RoyaltyVault.approveSplitBySig`."""
    return typed_data(
        domain,
        "ApproveSplit",
        {
            "projectId": require_uint(project_id, 32, "project_id"),
            "proposalId": require_uint(proposal_id, 64, "proposal_id"),
            **_auth(signer, nonce, deadline),
        },
    )


def release_to_data(
    domain: Eip712Domain,
    *,
    project_id: int,
    token: str,
    recipient: str,
    signer: str,
    nonce: int,
    deadline: int,
) -> TypedData:
    """Typed data of `RoyaltyVault.releaseToBySig` (token: zero address for ETH)."""
    return typed_data(
        domain,
        "ReleaseTo",
        {
            "projectId": require_uint(project_id, 32, "project_id"),
            "token": checksum(token),
            "recipient": checksum(recipient),
            **_auth(signer, nonce, deadline),
        },
    )


def batch_leaf_message(leaf: BatchLeaf) -> dict[str, Any]:
    """A batch leaf in the JSON shape of the typed-data messages (for display next to one)."""
    return {
        "commitment": to_hex(leaf.commitment),
        "origin": int(leaf.origin),
        "category": leaf.category,
        "value": leaf.value,
        "parents": [to_hex(p) for p in leaf.parents],
    }


# ------------------------------------------------------------------------------ signing


def _signable(data: Mapping[str, Any]) -> SignableMessage:
    try:
        return encode_typed_data(full_message=dict(data))
    except (ValueError, TypeError, KeyError, EthUtilsValidationError) as exc:
        raise SigningError(f"invalid EIP-712 typed data: {exc}") from exc


def typed_data_digest(data: Mapping[str, Any]) -> bytes:
    """The 32-byte EIP-712 digest keccak256(0x1901 ‖ domainSeparator ‖ structHash), i.e. the
    contract's `_hashTypedDataV4(structHash)`."""
    signable = _signable(data)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def struct_hash(data: Mapping[str, Any]) -> bytes:
    """The EIP-712 hashStruct of the message, the `structHash` the contract computes."""
    return bytes(_signable(data).body)


@dataclass(frozen=True)
class _SigningKey:
    key: coincurve.PrivateKey
    address: ChecksumAddress


@lru_cache(maxsize=256)
def _parsed_key(private_key: bytes) -> _SigningKey:
    # Parsing derives the public key (an elliptic-curve multiplication), and eth-account
    # through eth-keys does it again inside every signature (three times per `sign_auth`).
    # The custodial API signs with the same few keys all day, which it holds in memory
    # anyway (`api.services.custody`).
    key = coincurve.PrivateKey(private_key)
    public = key.public_key.format(compressed=False)[1:]
    return _SigningKey(key, checksum(to_hex(keccak(public)[-20:])))


def _signing_key(private_key: PrivateKey) -> _SigningKey:
    try:
        raw = bytes(HexBytes(private_key))
        if len(raw) != 32:
            raise ValueError(f"a private key is 32 bytes, got {len(raw)}")
        return _parsed_key(raw)
    except (ValueError, TypeError) as exc:
        raise SigningError(f"cannot sign with this key: {exc}") from exc


def sign_typed_data(private_key: PrivateKey, data: Mapping[str, Any]) -> bytes:
    """Sign typed data with a local key; returns the 65-byte r‖s‖v signature (v = 27/28)."""
    digest = typed_data_digest(data)
    # libsecp256k1 signs deterministically (RFC 6979) with a low s: eth-account's signature.
    signature = _signing_key(private_key).key.sign_recoverable(digest, hasher=None)
    return signature[:64] + bytes([signature[64] + 27])


def recover_signer(data: Mapping[str, Any], signature: bytes) -> ChecksumAddress:
    """The address whose key made `signature` over the typed data (ECDSA only: an ERC-1271
    wallet's signature can only be checked on chain)."""
    signable = _signable(data)
    try:
        return checksum(Account.recover_message(signable, signature=signature))
    except (ValueError, TypeError, BadSignature, EthUtilsValidationError) as exc:
        raise SigningError(f"signature does not verify: {exc}") from exc


def sign_auth(private_key: PrivateKey, data: Mapping[str, Any]) -> SignedAuth:
    """Sign typed data and return the `SignedAuth` a relayer passes along.

    Raises SigningError if the key is not the message's signer: the contract would reject it.
    """
    signature = sign_typed_data(private_key, data)
    auth = SignedAuth.from_typed_data(data, signature)
    actual = _signing_key(private_key).address
    if actual != auth.signer:
        raise SigningError(f"the key belongs to {actual}, the message names {auth.signer}")
    return auth


def verify_auth(data: Mapping[str, Any], auth: SignedAuth) -> None:
    """Check off chain that `auth` signs exactly `data` (before paying gas to relay it).

    Raises SigningError when signer, nonce or deadline differ from the message, or when the
    ECDSA signature is not the signer's. Contract wallets (ERC-1271) cannot be checked here.
    """
    message = data["message"]
    expected = (checksum(message["signer"]), int(message["nonce"]), int(message["deadline"]))
    if (auth.signer, auth.nonce, auth.deadline) != expected:
        raise SigningError("signer, nonce or deadline differ from the signed message")
    recovered = recover_signer(data, auth.signature)
    if recovered != auth.signer:
        raise SigningError(f"signed by {recovered}, not by {auth.signer}")


# ------------------------------------------------------------------------------ nonces & time


def nonce_word(nonce: int) -> int:
    """The bitmap word of an unordered nonce (`nonce >> 8`)."""
    return nonce >> 8


def nonce_bit(nonce: int) -> int:
    """The bit of an unordered nonce inside its word (`nonce & 0xff`)."""
    return nonce & 0xFF


class NonceAllocator:
    """Hands out unordered nonces per signer for one contract, sequentially from `start`.

    Consecutive nonces share a bitmap word (256 per word), so all but the first of each word
    cost a warm storage write. With `is_used` (e.g. `PocLedgerClient.is_nonce_used`) every
    candidate is checked on chain and skipped if used or cancelled, so a fresh process does not
    hand out nonces that already landed. Nonces signed but not yet relayed by another process
    cannot be seen on chain: give each process its own `start` range, or persist `peek`.
    Thread-safe.
    """

    def __init__(
        self, is_used: Callable[[str, int], bool] | None = None, *, start: int = 0
    ) -> None:
        self._is_used = is_used
        self._start = require_uint(start, 256, "start")
        self._next: dict[ChecksumAddress, int] = {}
        self._lock = threading.Lock()

    def allocate(self, signer: str) -> int:
        """The next free nonce of `signer`; it is never handed out again by this allocator."""
        address = checksum(signer)
        with self._lock:
            candidate = self._next.get(address, self._start)
            while self._is_used is not None and self._is_used(address, candidate):
                candidate += 1
            self._next[address] = candidate + 1
            return candidate

    def peek(self, signer: str) -> int:
        """The nonce `allocate` would try next for `signer` (without checking the chain)."""
        with self._lock:
            return self._next.get(checksum(signer), self._start)

    def reset(self, signer: str | None = None) -> None:
        """Forget the position of `signer` (or of everyone), e.g. after a chain reset."""
        with self._lock:
            if signer is None:
                self._next.clear()
            else:
                self._next.pop(checksum(signer), None)


def deadline_in(seconds: int, *, now: float | None = None) -> int:
    """A deadline `seconds` from now (or from `now`), as a unix timestamp."""
    return int(time.time() if now is None else now) + seconds
