"""Decoding the logs of PocLedger, RoyaltyVault and PocExchange into the typed events of
`ledger.domain.events`, from receipts and from eth_getLogs.

`EventDecoder` maps topic0 to an event class and decodes with eth_abi; it is built from the
contracts' ABIs, and an ABI event without a class lands in `UNMAPPED_ABI_EVENTS` (the tests
fail on it). `decode_receipt` reads the events of a mined transaction; `get_events` scans
block ranges with eth_getLogs, in chunks, optionally for one project only.

`abi_arguments` is the other JSON form of a typed event: its arguments under their ABI names
with ABI values (bytes as hex, structs as objects), as proof bundles state them.

The default decoder also knows the events of earlier releases whose signature has changed
since (`EventDecoder`'s `earlier` ABIs, kept in ledger/artifacts/releases/): the PolicySet of a
`Policy` without `parentShareBps`, the ContributionRegistered of releases 1.x without the card
hash. An argument the old event lacks takes its class default, and `abi_arguments` states such
an event in its old ABI form when told the log's topic0; `topics_of` lists every topic0 a class
has had, so that logs of contracts deployed from an earlier release are read too.

The typed client that sends transactions is `ledger.chain.clients`; the follower that keeps a
local index of these events is `ledger.sync.follower`.
"""

from __future__ import annotations

import dataclasses
import keyword
import re
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType
from typing import Any

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError
from eth_typing import ABI, ABIEvent, ChecksumAddress, HexStr
from eth_utils.abi import abi_to_signature, collapse_if_tuple
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.types import FilterParams, LogReceipt

from ledger.chain.abi_json import abi_json_value
from ledger.chain.artifacts import load_artifact, load_release_artifact, released_versions
from ledger.chain.receipts import LogEntry, TxReceipt
from ledger.chain.translate import translating
from ledger.domain.codec import to_hex
from ledger.domain.events import EVENT_CLASSES, ContractEvent, argument_names
from ledger.domain.values import Category, Policy, checksum, from_abi_value

#: The contracts whose ABIs the default decoder knows.
EVENT_CONTRACTS = ("PocLedger", "RoyaltyVault", "PocExchange")
# Many providers refuse eth_getLogs over more blocks than this; anvil and geth do not care.
DEFAULT_MAX_BLOCK_SPAN = 10_000


def python_name(abi_name: str) -> str:
    """snake_case of a Solidity identifier; a Python keyword gets a trailing underscore."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", abi_name).lower()
    return snake + "_" if keyword.iskeyword(snake) else snake


@dataclass(frozen=True)
class _EventLayout:
    cls: type[ContractEvent]
    signature: str
    topic: bytes
    inputs: tuple[Mapping[str, Any], ...]
    indexed_types: tuple[str, ...]
    data_types: tuple[str, ...]
    # For each argument of `cls`: (is indexed, position in its group).
    positions: tuple[tuple[bool, int], ...]
    names: tuple[str, ...]
    hints: Mapping[str, Any]


class EventDecoder:
    """Decodes raw logs into typed events, for the events of the ABIs it was given."""

    def __init__(self, abis: Iterable[ABI], earlier: Iterable[ABI] = ()) -> None:
        """Know the events of `abis`, and also those of `earlier` releases' ABIs whose
        signature has changed since (logs of contracts deployed from an earlier release decode
        into the same classes; `topic_of` and `abi_arguments` prefer the current shape). An
        earlier event may lack arguments its class has gained since, if they have defaults."""
        by_name = {cls.event_name: cls for cls in EVENT_CLASSES}
        layouts: dict[bytes, _EventLayout] = {}
        unmapped: set[str] = set()
        current = list(abis)
        for abi_index, abi in enumerate([*current, *earlier]):
            for entry in abi:
                if entry["type"] != "event":
                    continue
                event_abi = entry
                signature = abi_to_signature(event_abi)
                cls = by_name.get(event_abi["name"])
                if cls is None:
                    unmapped.add(signature)
                    continue
                layout = _layout(cls, signature, event_abi, earlier=abi_index >= len(current))
                layouts.setdefault(layout.topic, layout)
        self._layouts = layouts
        self._by_class: dict[type[ContractEvent], _EventLayout] = {}
        self._all_by_class: dict[type[ContractEvent], list[_EventLayout]] = {}
        for layout in layouts.values():  # the current ABIs' first
            self._by_class.setdefault(layout.cls, layout)
            self._all_by_class.setdefault(layout.cls, []).append(layout)
        self.unmapped: tuple[str, ...] = tuple(sorted(unmapped))

    @property
    def topics(self) -> Mapping[bytes, type[ContractEvent]]:
        """topic0 -> event class, for every event this decoder knows."""
        return MappingProxyType({topic: lay.cls for topic, lay in self._layouts.items()})

    def indexed_project(self, cls: type[ContractEvent]) -> bool:
        """Whether the event's first argument is an indexed `project_id` (filterable by topic)."""
        layout = self._layout_of(cls)
        return layout.names[:1] == ("project_id",) and bool(layout.positions[0][0])

    def topic_of(self, cls: type[ContractEvent]) -> bytes:
        """The topic0 of an event class (in the current ABIs)."""
        return self._layout_of(cls).topic

    def topics_of(self, cls: type[ContractEvent]) -> tuple[bytes, ...]:
        """Every topic0 an event class has had, the current one first: what to filter logs
        by, so that contracts of earlier releases are read too."""
        self._layout_of(cls)
        return tuple(layout.topic for layout in self._all_by_class[cls])

    def _layout_of(self, cls: type[ContractEvent]) -> _EventLayout:
        layout = self._by_class.get(cls)
        if layout is None:
            raise KeyError(f"{cls.__name__} is not in this decoder's ABIs")
        return layout

    def decode(self, log: LogEntry) -> ContractEvent | None:
        """The event of `log`, or None if its topic0 is not one of ours (e.g. a token's
        Transfer in the same receipt). Raises ValueError if a known event does not decode."""
        return self.decode_parts(
            log.topics,
            log.data,
            address=log.address,
            block_number=log.block_number,
            block_hash=log.block_hash,
            tx_hash=log.tx_hash,
            log_index=log.log_index,
        )

    def decode_parts(
        self,
        topics: Sequence[bytes],
        data: bytes,
        *,
        address: str,
        block_number: int,
        block_hash: str,
        tx_hash: str,
        log_index: int,
    ) -> ContractEvent | None:
        """`decode` of a log given by its parts (a receipt inside a proof, for instance)."""
        if not topics:
            return None
        layout = self._layouts.get(bytes(topics[0]))
        if layout is None:
            return None
        rest = topics[1:]
        if len(rest) != len(layout.indexed_types):
            raise ValueError(f"{layout.signature}: expected {len(layout.indexed_types)} topics")
        try:
            indexed = [
                decode([kind], bytes(topic))[0]
                for kind, topic in zip(layout.indexed_types, rest, strict=True)
            ]
            values = decode(list(layout.data_types), data)
            arguments = {
                name: from_abi_value(
                    layout.hints[name], indexed[pos] if is_indexed else values[pos]
                )
                for name, (is_indexed, pos) in zip(layout.names, layout.positions, strict=True)
            }
        except (DecodingError, ValueError, TypeError, OverflowError) as exc:
            raise ValueError(f"{layout.signature} in {tx_hash} does not decode: {exc}") from exc
        return layout.cls(
            address=checksum(address),
            block_number=block_number,
            block_hash=HexStr(block_hash),
            tx_hash=HexStr(tx_hash),
            log_index=log_index,
            **arguments,
        )

    def abi_arguments(self, event: ContractEvent, *, topic: bytes | None = None) -> dict[str, Any]:
        """The event's arguments under their ABI names, as JSON values of their ABI types:
        addresses checksummed, bytes as 0x-hex, integers as ints, structs as objects keyed by
        their components' names (the form proof bundles state events in).

        `topic`, the topic0 of the log the event was decoded from, names the release's shape
        to state it in (a ContributionRegistered of release 1.x has no `cardHash`, and its
        class default could as well be a card hash of zero); without it, the first shape the
        values fit, the current one first."""
        self._layout_of(type(event))
        shapes = self._all_by_class[type(event)]
        if topic is not None:
            shapes = [layout for layout in shapes if layout.topic == bytes(topic)]
            if not shapes:
                raise ValueError(f"{type(event).__name__} has no event of topic {to_hex(topic)}")
        failure: ValueError | TypeError | None = None
        # The shape the event's values fit: the current one, or an earlier release's (a
        # legacy `Policy` has one field fewer).
        for layout in shapes:
            try:
                return {
                    str(spec["name"]): abi_json_value(spec, _abi_value(getattr(event, name)))
                    for spec, name in zip(layout.inputs, layout.names, strict=True)
                }
            except (ValueError, TypeError) as exc:  # another shape: a field more or fewer
                failure = exc
        raise ValueError(f"{type(event).__name__} fits none of its ABI shapes") from failure


def _abi_value(value: Any) -> Any:
    """A typed event value as eth_abi would have decoded it."""
    if isinstance(value, Policy | Category):
        return value.as_abi()
    if isinstance(value, IntEnum):
        return int(value)
    if isinstance(value, tuple):
        return [_abi_value(v) for v in value]
    return value


def _layout(
    cls: type[ContractEvent], signature: str, abi: ABIEvent, *, earlier: bool = False
) -> _EventLayout:
    inputs = abi.get("inputs", [])
    names = argument_names(cls)
    abi_names = tuple(python_name(i["name"]) for i in inputs)
    if earlier and abi_names != names:
        # An older shape of the event: its arguments are some of the class's, in order, and
        # every one it lacks has a default the decoded event takes.
        lacking = [n for n in names if n not in abi_names]
        kept = [n for n in names if n in abi_names]
        defaults = {
            f.name
            for f in dataclasses.fields(cls)
            if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        }
        if tuple(kept) != abi_names or any(n not in defaults for n in lacking):
            raise TypeError(f"{cls.__name__} fields {names} cannot hold the ABI of {signature}")
        names = abi_names
    elif list(names) != list(abi_names):
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
        inputs=tuple(dict(i) for i in inputs),
        indexed_types=tuple(indexed_types),
        data_types=tuple(data_types),
        positions=tuple(positions),
        names=names,
        hints=typing.get_type_hints(cls),
    )


DEFAULT_DECODER = EventDecoder(
    (load_artifact(name).abi for name in EVENT_CONTRACTS),
    # PocLedger's events as earlier releases emit them (PolicySet before Policy.parentShareBps,
    # ContributionRegistered before the card hash)
    (load_release_artifact(version, "PocLedger").abi for version in released_versions()),
)
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
    topic0 = [HexBytes(topic).to_0x_hex() for t in types for topic in decoder.topics_of(t)]
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


def _address_set(address: str | Iterable[str] | None) -> frozenset[ChecksumAddress] | None:
    if address is None:
        return None
    if isinstance(address, str):
        return frozenset({checksum(address)})
    return frozenset(checksum(a) for a in address)
