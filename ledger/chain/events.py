"""Typed events of PocLedger and RoyaltyVault: one frozen dataclass per Solidity event.

Every event class carries where it was emitted (`address`, `block_number`, `block_hash`,
`tx_hash`, `log_index`) followed by the event's arguments in declaration order, named in
snake_case (`from` becomes `from_`). Values are typed: addresses checksummed, bytes32 as bytes,
enums as `ledger.domain.values` IntEnums, the policy of `PolicySet` as a `Policy`.

`EventDecoder` maps topic0 to a class and decodes with eth_abi; it is built from the contracts'
ABIs, and an ABI event without a class lands in `UNMAPPED_ABI_EVENTS` (the tests fail on it).
`decode_receipt` reads the events of a mined transaction; `get_events` scans block ranges with
eth_getLogs, in chunks, optionally for one project only.

The typed client that sends transactions is `ledger.chain.clients`; the follower that keeps a local
index of these events is `ledger.sync.follower`.
"""

from __future__ import annotations

import dataclasses
import keyword
import re
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError
from eth_typing import ABI, ABIEvent, ChecksumAddress, HexStr
from eth_utils.abi import abi_to_signature, collapse_if_tuple
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.types import FilterParams, LogReceipt

from ledger.chain.artifacts import load_artifact
from ledger.chain.transactions import LogEntry, TxReceipt, to_hex
from ledger.chain.translate import translating
from ledger.domain.values import (
    DisputeOutcome,
    Origin,
    Policy,
    ProposalKind,
    checksum,
    from_abi_value,
)

#: The contracts whose ABIs the default decoder knows.
EVENT_CONTRACTS = ("PocLedger", "RoyaltyVault")
# Many providers refuse eth_getLogs over more blocks than this; anvil and geth do not care.
DEFAULT_MAX_BLOCK_SPAN = 10_000


@dataclass(frozen=True)
class ContractEvent:
    """Base of every decoded event: where and when it was emitted."""

    #: Solidity name of the event (the class name).
    event_name: ClassVar[str] = ""

    address: ChecksumAddress
    block_number: int
    block_hash: HexStr
    tx_hash: HexStr
    log_index: int

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.event_name = cls.__name__

    @property
    def arguments(self) -> dict[str, Any]:
        """The event's own arguments by name (without the location fields)."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name not in _LOCATION_FIELDS
        }


_LOCATION_FIELDS = frozenset(f.name for f in dataclasses.fields(ContractEvent))

# ------------------------------------------------------------------------------ PocLedger


@dataclass(frozen=True)
class ProjectCreated(ContractEvent):
    """A project was created by `coordinator` with its first agreement and partner list."""

    project_id: int
    coordinator: ChecksumAddress
    agreement_hash: bytes
    partners: tuple[ChecksumAddress, ...]


@dataclass(frozen=True)
class PolicySet(ContractEvent):
    """Policy `version` came into force; the full policy is included."""

    project_id: int
    version: int
    policy_hash: bytes
    policy: Policy


@dataclass(frozen=True)
class AgreementSet(ContractEvent):
    """Agreement `version` became the project's current text."""

    project_id: int
    version: int
    agreement_hash: bytes


@dataclass(frozen=True)
class AgreementAccepted(ContractEvent):
    """`partner` accepted agreement `version`."""

    project_id: int
    partner: ChecksumAddress
    version: int


@dataclass(frozen=True)
class AgreementInForce(ContractEvent):
    """Every partner accepted agreement `version`: governance rules apply from now on."""

    project_id: int
    version: int


@dataclass(frozen=True)
class PartnerAdded(ContractEvent):
    """`partner` joined the project."""

    project_id: int
    partner: ChecksumAddress


@dataclass(frozen=True)
class PartnerRemoved(ContractEvent):
    """`partner` left the project; its contributions stay recorded."""

    project_id: int
    partner: ChecksumAddress


@dataclass(frozen=True)
class IdentitySet(ContractEvent):
    """`account` declared its organisation's legal name and company number."""

    account: ChecksumAddress
    name: str
    company_number: str


@dataclass(frozen=True)
class ProposalCreated(ContractEvent):
    """A governance proposal was made; `data` is the ABI-encoded change."""

    project_id: int
    proposal_id: int
    proposer: ChecksumAddress
    kind: ProposalKind
    data: bytes


@dataclass(frozen=True)
class ProposalApproved(ContractEvent):
    """`approver` approved a governance proposal."""

    project_id: int
    proposal_id: int
    approver: ChecksumAddress


@dataclass(frozen=True)
class ProposalExecuted(ContractEvent):
    """A governance proposal reached its threshold and its change was applied."""

    project_id: int
    proposal_id: int


@dataclass(frozen=True)
class ContributionRegistered(ContractEvent):
    """A contribution was recorded (directly, or revealed from batch `batch_id`)."""

    project_id: int
    contribution_id: bytes
    contributor: ChecksumAddress
    commitment: bytes
    origin: Origin
    category: int
    value: int
    parents: tuple[bytes, ...]
    supersedes: bytes
    batch_id: bytes
    registered_at: int
    uri: str


@dataclass(frozen=True)
class ContributionWithdrawn(ContractEvent):
    """The contributor withdrew its contribution; the record stays."""

    project_id: int
    contribution_id: bytes
    contributor: ChecksumAddress


@dataclass(frozen=True)
class ContributionSuperseded(ContractEvent):
    """A contribution was replaced by a new version, `replacement_id`."""

    project_id: int
    contribution_id: bytes
    replacement_id: bytes


@dataclass(frozen=True)
class BatchAnchored(ContractEvent):
    """`contributor` anchored the Merkle root of `count` contributions."""

    project_id: int
    batch_id: bytes
    contributor: ChecksumAddress
    root: bytes
    count: int
    uri: str


@dataclass(frozen=True)
class Endorsed(ContractEvent):
    """`endorser` endorsed a contribution with an impact rating from 1 to 5."""

    project_id: int
    contribution_id: bytes
    endorser: ChecksumAddress
    rating: int


@dataclass(frozen=True)
class DisputeOpened(ContractEvent):
    """`disputer` opened dispute number `dispute_number` of a contribution."""

    project_id: int
    contribution_id: bytes
    disputer: ChecksumAddress
    dispute_number: int
    reason_hash: bytes
    eligible_voters: int


@dataclass(frozen=True)
class DisputeVoted(ContractEvent):
    """`voter` voted to uphold or to reject a dispute."""

    project_id: int
    contribution_id: bytes
    voter: ChecksumAddress
    dispute_number: int
    uphold: bool


@dataclass(frozen=True)
class DisputeResolved(ContractEvent):
    """A dispute ended with `outcome`; an upheld one invalidates the contribution."""

    project_id: int
    contribution_id: bytes
    dispute_number: int
    outcome: DisputeOutcome


# ------------------------------------------------------------------------------ both contracts


@dataclass(frozen=True)
class NonceCancelled(ContractEvent):
    """`signer` cancelled a nonce so that an action signed with it can never be relayed."""

    signer: ChecksumAddress
    nonce: int


@dataclass(frozen=True)
class EIP712DomainChanged(ContractEvent):
    """The EIP-712 domain changed (ERC-5267; never emitted by these contracts)."""


# ------------------------------------------------------------------------------ RoyaltyVault


@dataclass(frozen=True)
class SplitProposed(ContractEvent):
    """A royalty split was proposed, with everything scoring put into it."""

    project_id: int
    proposal_id: int
    proposer: ChecksumAddress
    partners: tuple[ChecksumAddress, ...]
    bps: tuple[int, ...]
    policy_version: int
    computed_at_block: int
    input_set_hash: bytes


@dataclass(frozen=True)
class SplitApproved(ContractEvent):
    """`approver` approved a split proposal."""

    project_id: int
    proposal_id: int
    approver: ChecksumAddress


@dataclass(frozen=True)
class SplitFinalized(ContractEvent):
    """A split proposal became split version `split_version`, in force from now on."""

    project_id: int
    split_version: int
    proposal_id: int


@dataclass(frozen=True)
class RevenueReceived(ContractEvent):
    """`amount` of `token` (zero address: ETH) arrived from `from_`, allocated by a split."""

    project_id: int
    token: ChecksumAddress
    from_: ChecksumAddress
    amount: int
    split_version: int


@dataclass(frozen=True)
class Released(ContractEvent):
    """`amount` of `token` owed to `partner` was paid to `recipient`."""

    project_id: int
    partner: ChecksumAddress
    token: ChecksumAddress
    recipient: ChecksumAddress
    amount: int


E = TypeVar("E", bound=ContractEvent)


def event_classes() -> tuple[type[ContractEvent], ...]:
    """Every event class of this module, by name."""
    return tuple(sorted(ContractEvent.__subclasses__(), key=lambda cls: cls.__name__))


def python_name(abi_name: str) -> str:
    """snake_case of a Solidity identifier; a Python keyword gets a trailing underscore."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", abi_name).lower()
    return snake + "_" if keyword.iskeyword(snake) else snake


# ------------------------------------------------------------------------------ decoding


@dataclass(frozen=True)
class _EventLayout:
    cls: type[ContractEvent]
    signature: str
    topic: bytes
    indexed_types: tuple[str, ...]
    data_types: tuple[str, ...]
    # For each field of `cls` after the location fields: (is indexed, position in its group).
    positions: tuple[tuple[bool, int], ...]
    hints: Mapping[str, Any]


class EventDecoder:
    """Decodes raw logs into event dataclasses, for the events of the ABIs it was given."""

    def __init__(self, abis: Iterable[ABI]) -> None:
        by_name = {cls.event_name: cls for cls in event_classes()}
        layouts: dict[bytes, _EventLayout] = {}
        unmapped: set[str] = set()
        for abi in abis:
            for entry in abi:
                if entry["type"] != "event":
                    continue
                event_abi = entry
                signature = abi_to_signature(event_abi)
                cls = by_name.get(event_abi["name"])
                if cls is None:
                    unmapped.add(signature)
                    continue
                layouts[keccak(text=signature)] = _layout(cls, signature, event_abi)
        self._layouts = layouts
        self.unmapped: tuple[str, ...] = tuple(sorted(unmapped))

    @property
    def topics(self) -> Mapping[bytes, type[ContractEvent]]:
        """topic0 -> event class, for every event this decoder knows."""
        return MappingProxyType({topic: lay.cls for topic, lay in self._layouts.items()})

    def indexed_project(self, cls: type[ContractEvent]) -> bool:
        """Whether the event's first argument is an indexed `project_id` (filterable by topic)."""
        layout = self._layouts[self.topic_of(cls)]
        return _first_argument(cls) == "project_id" and bool(layout.positions[0][0])

    def topic_of(self, cls: type[ContractEvent]) -> bytes:
        """The topic0 of an event class."""
        for topic, layout in self._layouts.items():
            if layout.cls is cls:
                return topic
        raise KeyError(f"{cls.__name__} is not in this decoder's ABIs")

    def decode(self, log: LogEntry) -> ContractEvent | None:
        """The event of `log`, or None if its topic0 is not one of ours (e.g. a token's
        Transfer in the same receipt). Raises ValueError if a known event does not decode."""
        if not log.topics:
            return None
        layout = self._layouts.get(bytes(log.topics[0]))
        if layout is None:
            return None
        topics = log.topics[1:]
        if len(topics) != len(layout.indexed_types):
            raise ValueError(f"{layout.signature}: expected {len(layout.indexed_types)} topics")
        try:
            indexed = [
                decode([kind], bytes(topic))[0]
                for kind, topic in zip(layout.indexed_types, topics, strict=True)
            ]
            data = decode(list(layout.data_types), log.data)
        except DecodingError as exc:
            raise ValueError(f"{layout.signature} in {log.tx_hash} does not decode: {exc}") from exc
        values = [indexed[pos] if is_indexed else data[pos] for is_indexed, pos in layout.positions]
        names = [f.name for f in dataclasses.fields(layout.cls) if f.name not in _LOCATION_FIELDS]
        return layout.cls(
            checksum(log.address),
            log.block_number,
            log.block_hash,
            log.tx_hash,
            log.log_index,
            *(from_abi_value(layout.hints[n], v) for n, v in zip(names, values, strict=True)),
        )


def _layout(cls: type[ContractEvent], signature: str, abi: ABIEvent) -> _EventLayout:
    inputs = abi.get("inputs", [])
    names = [f.name for f in dataclasses.fields(cls) if f.name not in _LOCATION_FIELDS]
    if names != [python_name(i["name"]) for i in inputs]:
        raise TypeError(f"{cls.__name__} fields {names} do not match the ABI of {signature}")
    indexed_types: list[str] = []
    data_types: list[str] = []
    positions: list[tuple[bool, int]] = []
    for item in inputs:
        group = indexed_types if item.get("indexed") else data_types
        positions.append((bool(item.get("indexed")), len(group)))
        group.append(collapse_if_tuple(dict(item)))
    return _EventLayout(
        cls=cls,
        signature=signature,
        topic=keccak(text=signature),
        indexed_types=tuple(indexed_types),
        data_types=tuple(data_types),
        positions=tuple(positions),
        hints=typing.get_type_hints(cls),
    )


DEFAULT_DECODER = EventDecoder(load_artifact(name).abi for name in EVENT_CONTRACTS)
#: ABI events of the contracts that have no class here (should be empty).
UNMAPPED_ABI_EVENTS = DEFAULT_DECODER.unmapped


def decode_receipt(
    receipt: TxReceipt,
    *,
    address: str | Iterable[str] | None = None,
    decoder: EventDecoder = DEFAULT_DECODER,
) -> tuple[ContractEvent, ...]:
    """The events of our contracts in a mined transaction, in log order.

    With `address`, only logs emitted by that contract (or those contracts) count: another
    contract could emit an event with the same signature.
    """
    allowed = _address_set(address)
    events = []
    for log in receipt.logs:
        if allowed is not None and log.address not in allowed:
            continue
        event = decoder.decode(log)
        if event is not None:
            events.append(event)
    return tuple(events)


def events_of(events: Iterable[ContractEvent], cls: type[E]) -> tuple[E, ...]:
    """The events of type `cls` among `events`."""
    return tuple(e for e in events if isinstance(e, cls))


def first_event(events: Iterable[ContractEvent], cls: type[E]) -> E:
    """The first event of type `cls`; LookupError if there is none."""
    for event in events:
        if isinstance(event, cls):
            return event
    raise LookupError(f"no {cls.__name__} event")


def get_events(
    w3: Web3,
    address: str | Sequence[str],
    from_block: int,
    to_block: int | None = None,
    *,
    event_types: Iterable[type[ContractEvent]] | None = None,
    project_id: int | None = None,
    max_block_span: int = DEFAULT_MAX_BLOCK_SPAN,
    decoder: EventDecoder = DEFAULT_DECODER,
) -> list[ContractEvent]:
    """Events emitted by `address` in blocks `from_block`..`to_block` (inclusive; default: the
    latest block), ordered by block and log index, fetched `max_block_span` blocks at a time.

    `event_types` restricts to those classes. `project_id` keeps only the project's events
    (filtered by the node on the first indexed topic), and so only event types whose first
    argument is the project id.
    """
    if from_block < 0 or max_block_span < 1:
        raise ValueError("from_block must be >= 0 and max_block_span >= 1")
    if to_block is None:
        with translating():
            to_block = int(w3.eth.block_number)
    types = tuple(event_types) if event_types is not None else tuple(decoder.topics.values())
    if project_id is not None:
        types = tuple(t for t in types if decoder.indexed_project(t))
    if not types:
        return []
    topic0 = [HexBytes(decoder.topic_of(t)).to_0x_hex() for t in types]
    topics: list[Any] = [topic0]
    if project_id is not None:
        topics.append(HexBytes(project_id.to_bytes(32, "big")).to_0x_hex())
    addresses = [checksum(a) for a in ([address] if isinstance(address, str) else address)]
    events: list[ContractEvent] = []
    start = from_block
    while start <= to_block:
        end = min(start + max_block_span - 1, to_block)
        params: FilterParams = {
            "address": addresses,
            "fromBlock": start,
            "toBlock": end,
            "topics": topics,
        }
        with translating():
            logs = w3.eth.get_logs(params)
        for raw in logs:
            event = decoder.decode(log_entry_from_web3(raw))
            if event is not None:
                events.append(event)
        start = end + 1
    events.sort(key=lambda e: (e.block_number, e.log_index))
    return events


def log_entry_from_web3(raw: LogReceipt) -> LogEntry:
    """A web3 log (eth_getLogs or a receipt) as the chain layer's `LogEntry`."""
    return LogEntry(
        address=checksum(raw["address"]),
        topics=tuple(bytes(t) for t in raw["topics"]),
        data=bytes(HexBytes(raw["data"])),
        log_index=int(raw["logIndex"]),
        tx_index=int(raw["transactionIndex"]),
        tx_hash=to_hex(raw["transactionHash"]),
        block_number=int(raw["blockNumber"]),
        block_hash=to_hex(raw["blockHash"]),
    )


def _first_argument(cls: type[ContractEvent]) -> str | None:
    names = [f.name for f in dataclasses.fields(cls) if f.name not in _LOCATION_FIELDS]
    return names[0] if names else None


def _address_set(address: str | Iterable[str] | None) -> frozenset[str] | None:
    if address is None:
        return None
    if isinstance(address, str):
        return frozenset({checksum(address)})
    return frozenset(checksum(a) for a in address)
