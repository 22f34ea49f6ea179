"""Proof bundles: one JSON document that proves one contribution without trusting this service.

A bundle (format `BUNDLE_VERSION`, JSON Schema in `ledger.evidence.schema`, explained in
docs/proofs.md) carries:

- `contribution`: what was registered (commitment, the card's hash, origin, category with its
  name and unit, value, parents, ...), plus what only the partner holds and the chain never
  saw: the file's SHA-256 and the salt, so that anyone can recompute the commitment;
- `card` (format 2): the contribution card whose hash the contributor signed, or null when the
  exporter does not hold it;
- `identity`: the contributor's organisation as its latest `IdentitySet` before the
  registration declared it; `policy`: the `PolicySet` in force (category names and units);
- `authorisation`: how the contributor authorised it: an EIP-712 signature (`registerBySig`,
  `anchorBatchBySig`) with its typed data, or its own signed transaction;
- `chain` and `inclusion`: where the registration is (chain id, contract, transaction, block,
  log index) and the evidence for it: the RLP block header, the receipt and the transaction
  with their Merkle-Patricia proofs against the header's roots;
- `batch`: for a batched contribution, the Merkle path to the anchored root and the
  `BatchAnchored` log with its own proofs;
- `history`: endorsements, disputes and their outcomes, withdrawal, supersession and the
  contributions that build on this one, each a log with its own proofs;
- `timestamp` (optional): an RFC 3161 token from a timestamp authority over the registration
  and its block hash (`ledger.evidence.timestamps`, its JSON form there);
- `checkpoint` (optional): the public checkpoint covering the registration's block, with its
  proofs on the public chain (`ledger.evidence.checkpoints`, its JSON form there).

The two optional sections come from outside the consortium chain and are added when they
exist (`ledger.evidence.sources`): a bundle built before the TSA answered or before the next
checkpoint simply lacks them, and the key is then absent (not null).

Every log the bundle cites is a `LogProof`: decoded arguments plus the header, receipt and
transaction with their trie proofs, so every statement can be checked offline against the block
hashes alone, and the block hashes against any node of the chain.

`ProofBuilder` (`ledger.evidence.builder`) makes bundles from a node; it needs the contribution
id and, from the partner (or the custodial store), the content hash and the salt, never the
file. Verifying lives in `ledger.evidence.verifier`; PDF certificates in
`ledger.evidence.certificate`; packs in `ledger.evidence.packs`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any, Final, cast

from eth_abi.abi import decode as abi_decode
from eth_typing import ABIEvent, ABIFunction, ChecksumAddress
from eth_utils.abi import (
    function_abi_to_4byte_selector,
    get_abi_input_types,
)

from ledger.chain.abi_json import abi_json_value
from ledger.chain.artifacts import load_artifact, load_release_artifact, released_versions
from ledger.chain.signing import (
    Eip712Domain,
    TypedData,
    anchor_batch_data,
    register_data,
    register_data_v1,
)
from ledger.domain.codec import ZERO_BYTES32, from_hex, to_hex
from ledger.domain.values import (
    ContributionStatus,
    DisputeOutcome,
    Origin,
    Registration,
    checksum,
)
from ledger.errors import ArtifactNotFoundError, ProofError

#: The format bundles are written in. Format 2 (release 2.0.0 of the contracts on) adds the
#: contribution card: `contribution.cardHash` and `card`; format 3 is format 2 with every
#: integer that can exceed 2^53 - 1 written as a decimal string (`ledger.evidence.schema`).
#: Format 1 bundles, of deployments of releases 1.x, are still written for those and read;
#: format 2 bundles, written before format 3, are still read and verified (`BUNDLE_VERSIONS`).
BUNDLE_VERSION: Final = 3
BUNDLE_VERSIONS: Final = (1, 2, 3)
#: From this format on, every integer that can exceed 2^53 - 1 is a decimal string.
TEXT_INTEGERS_VERSION: Final = 3
BUNDLE_TYPE: Final = "poc-ledger/contribution-proof"
HASH_ALGORITHM: Final = "sha256"
COMMITMENT_FORMULA: Final = (
    "keccak256(abi.encode(address contributor, uint32 projectId, bytes32 contentHash, "
    "bytes32 salt))"
)
LEDGER_CONTRACT: Final = "PocLedger"

# Events that make up a contribution's history when their contributionId is this one.
HISTORY_EVENTS: Final = (
    "Endorsed",
    "DisputeOpened",
    "DisputeVoted",
    "DisputeResolved",
    "ContributionWithdrawn",
    "ContributionSuperseded",
)
# A later contribution naming this one as a parent appears in its history as this event.
CHILD_EVENT: Final = "ContributionRegistered"
EXCHANGE_CONTRACT: Final = "PocExchange"
# PocExchange's events in a contribution's history (logs of `chain.exchange`): disclosures
# naming it with each recipient's answer, and access-rights requests to it with theirs.
DISCLOSURE_EVENT: Final = "Disclosed"
RECEIPT_EVENTS: Final = ("DisclosureAcknowledged", "DisclosureDeclined")
ACCESS_EVENTS: Final = (
    "AccessRequested",
    "AccessGranted",
    "AccessRefused",
    "AccessRequestWithdrawn",
)
EXCHANGE_HISTORY_EVENTS: Final = (DISCLOSURE_EVENT, *RECEIPT_EVENTS, *ACCESS_EVENTS)


# ------------------------------------------------------------------------------ small helpers


def iso_utc(timestamp: int) -> str:
    """A Unix time as ISO-8601 UTC with a `Z`, e.g. 2025-03-01T09:30:00Z."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


# ------------------------------------------------------------------------------ ABI codec


@dataclass(frozen=True)
class FunctionCodec:
    """Decodes a contract's calldata into (function name, JSON arguments), by its ABI."""

    by_selector: Mapping[bytes, ABIFunction]

    @classmethod
    def of(cls, contract: str) -> FunctionCodec:
        """The functions of the current release and, for selectors it no longer has (a struct
        that changed, as Registration did with cards), of the earlier releases."""
        selectors: dict[bytes, ABIFunction] = {}
        for abi in (*_release_abis(contract), load_artifact(contract).abi):
            for f in abi:
                if f.get("type") == "function":
                    function = cast(ABIFunction, f)
                    selectors[function_abi_to_4byte_selector(function)] = function
        return cls(selectors)

    def decode(self, calldata: bytes) -> tuple[str, dict[str, Any]]:
        """(function name, arguments); raise ProofError if the selector or data is unknown."""
        function = self.by_selector.get(calldata[:4])
        if function is None:
            raise ProofError(f"calldata selector 0x{calldata[:4].hex()} is not a ledger function")
        inputs = list(function.get("inputs", ()))
        try:
            raw = abi_decode(get_abi_input_types(function), calldata[4:])
        except Exception as exc:  # eth_abi's own error family
            raise ProofError(f"calldata of {function['name']} does not decode: {exc}") from exc
        return str(function["name"]), {
            str(spec["name"]): abi_json_value(spec, value)
            for spec, value in zip(inputs, raw, strict=True)
        }


def _release_abis(contract: str) -> list[Any]:
    """The ABIs of `contract` in the earlier releases kept, oldest first."""
    abis = []
    for version in reversed(released_versions()):
        try:
            abis.append(load_release_artifact(version, contract).abi)
        except ArtifactNotFoundError:  # a release without this contract
            continue
    return abis


@cache
def ledger_event_abis() -> Mapping[str, ABIEvent]:
    """The events of the PocLedger ABI by name: those a bundle can cite are among them. Logs
    are decoded into typed events (`ledger.chain.events`) and stated in their ABI form."""
    events = [e for e in load_artifact(LEDGER_CONTRACT).abi if e["type"] == "event"]
    return {str(e["name"]): e for e in events}


@cache
def bundle_event_abis() -> Mapping[str, ABIEvent]:
    """The events a bundle can cite by name: PocLedger's and PocExchange's (no name is in
    both)."""
    exchange = [e for e in load_artifact(EXCHANGE_CONTRACT).abi if e["type"] == "event"]
    return {**ledger_event_abis(), **{str(e["name"]): e for e in exchange}}


@cache
def ledger_functions() -> FunctionCodec:
    """The PocLedger calldata codec."""
    return FunctionCodec.of(LEDGER_CONTRACT)


# ------------------------------------------------------------------------------ the model


@dataclass(frozen=True)
class LogProof:
    """One event log with everything needed to prove it from its block hash alone."""

    event: str
    args: Mapping[str, Any]
    tx_hash: bytes
    tx_index: int
    block_number: int
    block_hash: bytes
    block_timestamp: int
    log_index: int
    header: bytes
    receipt: bytes
    receipt_proof: tuple[bytes, ...]
    transaction: bytes
    transaction_proof: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "args": dict(self.args),
            "txHash": to_hex(self.tx_hash),
            "txIndex": self.tx_index,
            "blockNumber": self.block_number,
            "blockHash": to_hex(self.block_hash),
            "blockTimestamp": iso_utc(self.block_timestamp),
            "logIndex": self.log_index,
            "header": to_hex(self.header),
            "receipt": to_hex(self.receipt),
            "receiptProof": [to_hex(n) for n in self.receipt_proof],
            "transaction": to_hex(self.transaction),
            "transactionProof": [to_hex(n) for n in self.transaction_proof],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LogProof:
        return cls(
            event=str(data["event"]),
            args=dict(data["args"]),
            tx_hash=from_hex(data["txHash"]),
            tx_index=int(data["txIndex"]),
            block_number=int(data["blockNumber"]),
            block_hash=from_hex(data["blockHash"]),
            block_timestamp=parse_iso_utc(str(data["blockTimestamp"])),
            log_index=int(data["logIndex"]),
            header=from_hex(data["header"]),
            receipt=from_hex(data["receipt"]),
            receipt_proof=tuple(from_hex(n) for n in data["receiptProof"]),
            transaction=from_hex(data["transaction"]),
            transaction_proof=tuple(from_hex(n) for n in data["transactionProof"]),
        )

    @property
    def position(self) -> tuple[int, int]:
        """(block number, log index): the order of events on the chain."""
        return (self.block_number, self.log_index)


def parse_iso_utc(text: str) -> int:
    """Unix time of an ISO-8601 UTC string written by `iso_utc`."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time without a zone: {text!r}")
    return int(moment.timestamp())


@dataclass(frozen=True)
class CategoryPart:
    """A contribution category as the policy in force named it."""

    id: int
    name: str
    unit: str


@dataclass(frozen=True)
class ContributionPart:
    """What was registered, and the opening of its commitment."""

    contribution_id: bytes
    project_id: int
    contributor: ChecksumAddress
    content_hash: bytes
    salt: bytes
    commitment: bytes
    # The card hash the contributor signed (zero: no card); None in format 1 bundles, whose
    # releases had no cards.
    card_hash: bytes | None
    origin: Origin
    category: CategoryPart
    value: int
    parents: tuple[bytes, ...]
    supersedes: bytes
    uri: str
    batch_id: bytes
    registered_at: int
    status: ContributionStatus
    hash_algorithm: str = HASH_ALGORITHM
    commitment_formula: str = COMMITMENT_FORMULA

    def to_json(self) -> dict[str, Any]:
        card = {} if self.card_hash is None else {"cardHash": to_hex(self.card_hash)}
        return {
            "contributionId": to_hex(self.contribution_id),
            "projectId": self.project_id,
            "contributor": self.contributor,
            "contentHash": to_hex(self.content_hash),
            "hashAlgorithm": self.hash_algorithm,
            "salt": to_hex(self.salt),
            "commitmentFormula": self.commitment_formula,
            "commitment": to_hex(self.commitment),
            **card,
            "origin": self.origin.name.title(),
            "category": {
                "id": self.category.id,
                "name": self.category.name,
                "unit": self.category.unit,
            },
            "value": self.value,
            "parents": [to_hex(p) for p in self.parents],
            "supersedes": to_hex(self.supersedes),
            "uri": self.uri,
            "batchId": to_hex(self.batch_id),
            "registeredAt": iso_utc(self.registered_at),
            "status": self.status.name.title(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ContributionPart:
        category = data["category"]
        return cls(
            contribution_id=from_hex(data["contributionId"]),
            project_id=int(data["projectId"]),
            contributor=checksum(data["contributor"]),
            content_hash=from_hex(data["contentHash"]),
            salt=from_hex(data["salt"]),
            commitment=from_hex(data["commitment"]),
            card_hash=from_hex(data["cardHash"]) if "cardHash" in data else None,
            origin=Origin[str(data["origin"]).upper()],
            category=CategoryPart(
                int(category["id"]), str(category["name"]), str(category["unit"])
            ),
            value=int(data["value"]),
            parents=tuple(from_hex(p) for p in data["parents"]),
            supersedes=from_hex(data["supersedes"]),
            uri=str(data["uri"]),
            batch_id=from_hex(data["batchId"]),
            registered_at=parse_iso_utc(str(data["registeredAt"])),
            status=ContributionStatus[str(data["status"]).upper()],
            hash_algorithm=str(data["hashAlgorithm"]),
            commitment_formula=str(data["commitmentFormula"]),
        )

    @property
    def is_batched(self) -> bool:
        return self.batch_id != ZERO_BYTES32


@dataclass(frozen=True)
class Authorisation:
    """How the contributor authorised the record.

    `method` "transaction": the contributor's own signed transaction (for a batched
    contribution, the anchoring one); its sender recovery proves the contributor.
    `method` "eip712": a signature over `typed_data` (`primary_type` Register or AnchorBatch)
    relayed by someone else; the verifier rebuilds the typed data from the bundle's fields.
    """

    method: str
    signer: ChecksumAddress
    primary_type: str | None = None
    nonce: int | None = None
    deadline: int | None = None
    signature: bytes | None = None
    typed_data: TypedData | None = None

    def to_json(self) -> dict[str, Any]:
        if self.method == "transaction":
            return {"method": self.method, "signer": self.signer}
        return {
            "method": self.method,
            "signer": self.signer,
            "primaryType": self.primary_type,
            "nonce": self.nonce,
            "deadline": self.deadline,
            "signature": to_hex(self.signature or b""),
            "typedData": self.typed_data,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Authorisation:
        if data["method"] == "transaction":
            return cls(method="transaction", signer=checksum(data["signer"]))
        return cls(
            method=str(data["method"]),
            signer=checksum(data["signer"]),
            primary_type=str(data["primaryType"]),
            nonce=int(data["nonce"]),
            deadline=int(data["deadline"]),
            signature=from_hex(data["signature"]),
            typed_data=dict(data["typedData"]),
        )


@dataclass(frozen=True)
class ChainPart:
    """Where the registration log is."""

    chain_id: int
    contract: ChecksumAddress
    tx_hash: bytes
    tx_index: int
    block_number: int
    block_hash: bytes
    block_timestamp: int
    log_index: int
    #: The PocExchange bound to this ledger whose events the history cites, if any.
    exchange: ChecksumAddress | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "chainId": self.chain_id,
            "contract": self.contract,
            "txHash": to_hex(self.tx_hash),
            "txIndex": self.tx_index,
            "blockNumber": self.block_number,
            "blockHash": to_hex(self.block_hash),
            "blockTimestamp": iso_utc(self.block_timestamp),
            "logIndex": self.log_index,
        }
        if self.exchange is not None:
            data["exchange"] = self.exchange
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChainPart:
        return cls(
            chain_id=int(data["chainId"]),
            contract=checksum(data["contract"]),
            tx_hash=from_hex(data["txHash"]),
            tx_index=int(data["txIndex"]),
            block_number=int(data["blockNumber"]),
            block_hash=from_hex(data["blockHash"]),
            block_timestamp=parse_iso_utc(str(data["blockTimestamp"])),
            log_index=int(data["logIndex"]),
            exchange=None if data.get("exchange") is None else checksum(data["exchange"]),
        )


@dataclass(frozen=True)
class Inclusion:
    """The registration's block header, receipt and transaction with their trie proofs."""

    header: bytes
    receipt: bytes
    receipt_proof: tuple[bytes, ...]
    transaction: bytes
    transaction_proof: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "header": to_hex(self.header),
            "receipt": to_hex(self.receipt),
            "receiptProof": [to_hex(n) for n in self.receipt_proof],
            "transaction": to_hex(self.transaction),
            "transactionProof": [to_hex(n) for n in self.transaction_proof],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Inclusion:
        return cls(
            header=from_hex(data["header"]),
            receipt=from_hex(data["receipt"]),
            receipt_proof=tuple(from_hex(n) for n in data["receiptProof"]),
            transaction=from_hex(data["transaction"]),
            transaction_proof=tuple(from_hex(n) for n in data["transactionProof"]),
        )


@dataclass(frozen=True)
class IdentityPart:
    """The contributor's declared organisation and the `IdentitySet` log declaring it."""

    name: str
    company_number: str
    evidence: LogProof

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "companyNumber": self.company_number,
            "evidence": self.evidence.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IdentityPart:
        return cls(
            name=str(data["name"]),
            company_number=str(data["companyNumber"]),
            evidence=LogProof.from_json(data["evidence"]),
        )


@dataclass(frozen=True)
class PolicyPart:
    """The policy version in force at registration and its `PolicySet` log."""

    version: int
    policy_hash: bytes
    evidence: LogProof

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "policyHash": to_hex(self.policy_hash),
            "evidence": self.evidence.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PolicyPart:
        return cls(
            version=int(data["version"]),
            policy_hash=from_hex(data["policyHash"]),
            evidence=LogProof.from_json(data["evidence"]),
        )


@dataclass(frozen=True)
class BatchPart:
    """A batched contribution's Merkle path to the anchored root, and the anchoring log."""

    root: bytes
    count: int
    leaf_hash: bytes
    merkle_proof: tuple[bytes, ...]
    anchor: LogProof

    def to_json(self) -> dict[str, Any]:
        return {
            "root": to_hex(self.root),
            "count": self.count,
            "leafHash": to_hex(self.leaf_hash),
            "merkleProof": [to_hex(n) for n in self.merkle_proof],
            "anchor": self.anchor.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BatchPart:
        return cls(
            root=from_hex(data["root"]),
            count=int(data["count"]),
            leaf_hash=from_hex(data["leafHash"]),
            merkle_proof=tuple(from_hex(n) for n in data["merkleProof"]),
            anchor=LogProof.from_json(data["anchor"]),
        )


@dataclass(frozen=True)
class ProofBundle:
    """A proof of one contribution (see the module docstring)."""

    contribution: ContributionPart
    identity: IdentityPart | None
    policy: PolicyPart
    authorisation: Authorisation
    chain: ChainPart
    inclusion: Inclusion
    batch: BatchPart | None
    history: tuple[LogProof, ...] = field(default=())
    # The contribution card as stored (docs/proofs.md), when the exporter holds it (format 2).
    card: Mapping[str, Any] | None = None
    version: int = BUNDLE_VERSION
    type: str = BUNDLE_TYPE
    # Kept in their JSON form: their models (`TimestampToken`, `CheckpointProof`) live in
    # modules that import this one, and the verifier reads them from the document anyway.
    timestamp: Mapping[str, Any] | None = None
    checkpoint: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """The bundle as a JSON document (key order fixed, for stable bytes)."""
        card = {"card": dict(self.card) if self.card is not None else None}
        document = {
            "version": self.version,
            "type": self.type,
            "contribution": self.contribution.to_json(),
            **(card if self.version >= 2 else {}),
            "identity": self.identity.to_json() if self.identity else None,
            "policy": self.policy.to_json(),
            "authorisation": self.authorisation.to_json(),
            "chain": self.chain.to_json(),
            "inclusion": self.inclusion.to_json(),
            "batch": self.batch.to_json() if self.batch else None,
            "history": [entry.to_json() for entry in self.history],
            **({"timestamp": dict(self.timestamp)} if self.timestamp is not None else {}),
            **({"checkpoint": dict(self.checkpoint)} if self.checkpoint is not None else {}),
        }
        if self.version < TEXT_INTEGERS_VERSION:
            return document
        # Imported here: the schema is built from this module's event lists.
        from ledger.evidence.schema import integers_to_text

        return integers_to_text(document)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProofBundle:
        """Parse a document (validate it with `ledger.evidence.verifier` first; this only
        converts and raises KeyError/ValueError on malformed input)."""
        if int(data["version"]) >= TEXT_INTEGERS_VERSION:
            from ledger.evidence.schema import integers_from_text

            data = integers_from_text(data)
        return cls(
            version=int(data["version"]),
            type=str(data["type"]),
            contribution=ContributionPart.from_json(data["contribution"]),
            identity=IdentityPart.from_json(data["identity"]) if data["identity"] else None,
            policy=PolicyPart.from_json(data["policy"]),
            authorisation=Authorisation.from_json(data["authorisation"]),
            chain=ChainPart.from_json(data["chain"]),
            inclusion=Inclusion.from_json(data["inclusion"]),
            batch=BatchPart.from_json(data["batch"]) if data["batch"] else None,
            history=tuple(LogProof.from_json(entry) for entry in data["history"]),
            card=data.get("card"),
            timestamp=dict(data["timestamp"]) if data.get("timestamp") is not None else None,
            checkpoint=dict(data["checkpoint"]) if data.get("checkpoint") is not None else None,
        )

    def to_bytes(self) -> bytes:
        """The bundle file's bytes (`bundle_bytes`)."""
        return bundle_bytes(self.to_json())

    @property
    def sha256(self) -> str:
        """SHA-256 (hex) of the bundle file's bytes, as printed on its certificate."""
        return hashlib.sha256(self.to_bytes()).hexdigest()

    @property
    def chain_position(self) -> tuple[int, int]:
        """(block number, log index) of the registration."""
        return (self.chain.block_number, self.chain.log_index)

    def endorsements(self) -> list[LogProof]:
        return [e for e in self.history if e.event == "Endorsed"]

    def disputes(self) -> list[LogProof]:
        return [e for e in self.history if e.event.startswith("Dispute")]

    def children(self) -> list[LogProof]:
        return [e for e in self.history if e.event == CHILD_EVENT]

    def superseded_by(self) -> bytes | None:
        for entry in self.history:
            if entry.event == "ContributionSuperseded":
                return from_hex(entry.args["replacementId"])
        return None


def bundle_bytes(document: Mapping[str, Any]) -> bytes:
    """The canonical file bytes of a bundle document: UTF-8 JSON, 2-space indent, final
    newline. The certificate's SHA-256 is over exactly these bytes."""
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def derived_status(history: Iterable[LogProof], contribution_id: bytes) -> ContributionStatus:
    """The status a contribution's history implies: each of these events ends its Active life
    (the contract allows them only while Active), so at most one is ever present."""
    own = to_hex(contribution_id)
    for entry in history:
        if entry.args.get("contributionId") != own:
            continue
        if entry.event == "ContributionWithdrawn":
            return ContributionStatus.WITHDRAWN
        if entry.event == "ContributionSuperseded":
            return ContributionStatus.SUPERSEDED
        if entry.event == "DisputeResolved" and entry.args.get("outcome") == DisputeOutcome.UPHELD:
            return ContributionStatus.INVALIDATED
    return ContributionStatus.ACTIVE


def typed_data_for(
    part: ContributionPart,
    batch: BatchPart | None,
    *,
    chain_id: int,
    contract: str,
    signer: str,
    nonce: int,
    deadline: int,
    anchor_uri: str,
) -> TypedData:
    """The EIP-712 typed data the contributor signed, rebuilt from the stated fields: Register
    for a direct registration (with the card hash; a format 1 bundle's Register, of releases
    before cards, without), AnchorBatch for the batch a batched contribution belongs to."""
    domain = Eip712Domain.ledger(chain_id, contract)
    if batch is None:
        registration = Registration(
            project_id=part.project_id,
            commitment=part.commitment,
            origin=part.origin,
            category=part.category.id,
            value=part.value,
            parents=part.parents,
            supersedes=part.supersedes,
            uri=part.uri,
            card_hash=part.card_hash if part.card_hash is not None else ZERO_BYTES32,
        )
        build = register_data if part.card_hash is not None else register_data_v1
        return build(
            domain, registration=registration, signer=signer, nonce=nonce, deadline=deadline
        )
    return anchor_batch_data(
        domain,
        project_id=part.project_id,
        root=batch.root,
        count=batch.count,
        uri=anchor_uri,
        signer=signer,
        nonce=nonce,
        deadline=deadline,
    )
