"""The events of PocLedger, RoyaltyVault and PocExchange: one typed frozen dataclass per
Solidity event.

This is the one shape of an event everywhere: the chain layer decodes logs into these classes
(`ledger.chain.events`), the store's index projects them and keeps them as JSON (`to_json` and
`from_json` here), the scorer reads them (`ledger.scoring`), and proof bundles state their
arguments (`ledger.chain.events.EventDecoder.abi_arguments`, the bundle's JSON form of the
same objects).

Every class carries where its log was emitted (`address`, `block_number`, `block_hash`,
`tx_hash`, `log_index`) and then the event's arguments in declaration order, named in
snake_case (`from` becomes `from_`). Values are typed: addresses checksummed, bytes32 and other
byte strings as `bytes`, enums as the IntEnums of `ledger.domain.values` and
`ledger.domain.exchange`, the policy of `PolicySet` as a `Policy`, arrays as tuples. All fields
are keyword-only; the address and the hashes of the location default to empty so that a history
can be written down without a chain (tests, what-if scores), but a decoded event always has
them.

Nothing here decodes logs or talks to a node.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, ClassVar, Final, TypeVar

from eth_typing import ChecksumAddress, HexStr

from ledger.domain.codec import ZERO_ADDRESS, ZERO_BYTES32, from_hex, to_hex
from ledger.domain.exchange import AccessPurpose, AccessTerms
from ledger.domain.values import DisputeOutcome, Origin, Policy, ProposalKind, checksum

NO_HASH: Final = HexStr("")
"""The block and transaction hash of an event written down without a chain."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractEvent:
    """Base of every event: where and when its log was emitted."""

    #: Solidity name of the event (the class name).
    event_name: ClassVar[str] = ""

    address: ChecksumAddress = ZERO_ADDRESS
    block_number: int
    block_hash: HexStr = NO_HASH
    tx_hash: HexStr = NO_HASH
    log_index: int

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # No super(): `slots=True` rebuilds the class, and a zero-argument super() in it would
        # name the class it replaced. object.__init_subclass__ takes no arguments anyway.
        cls.event_name = cls.__name__

    @property
    def position(self) -> tuple[int, int]:
        """(block number, log index): the event's place in the chain's order."""
        return (self.block_number, self.log_index)

    @property
    def arguments(self) -> dict[str, Any]:
        """The event's own arguments by name (without the location fields)."""
        return {name: getattr(self, name) for name in argument_names(type(self))}


LOCATION_FIELDS: Final = frozenset(f.name for f in dataclasses.fields(ContractEvent))


# ------------------------------------------------------------------------------ PocLedger


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectCreated(ContractEvent):
    """A project was created by `coordinator` with its first agreement and partner list."""

    project_id: int
    coordinator: ChecksumAddress
    agreement_hash: bytes
    partners: tuple[ChecksumAddress, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicySet(ContractEvent):
    """Policy `version` came into force; the full policy is included."""

    project_id: int
    version: int
    policy_hash: bytes
    policy: Policy


@dataclass(frozen=True, slots=True, kw_only=True)
class AgreementSet(ContractEvent):
    """Agreement `version` became the project's current text."""

    project_id: int
    version: int
    agreement_hash: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class AgreementAccepted(ContractEvent):
    """`partner` accepted agreement `version`."""

    project_id: int
    partner: ChecksumAddress
    version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AgreementInForce(ContractEvent):
    """Every partner accepted agreement `version`: governance rules apply from now on."""

    project_id: int
    version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerAdded(ContractEvent):
    """`partner` joined the project."""

    project_id: int
    partner: ChecksumAddress


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerRemoved(ContractEvent):
    """`partner` left the project; its contributions stay recorded."""

    project_id: int
    partner: ChecksumAddress


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentitySet(ContractEvent):
    """`account` declared its organisation's legal name and company number."""

    account: ChecksumAddress
    name: str
    company_number: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposalCreated(ContractEvent):
    """A governance proposal was made; `data` is the ABI-encoded change."""

    project_id: int
    proposal_id: int
    proposer: ChecksumAddress
    kind: ProposalKind
    data: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposalApproved(ContractEvent):
    """`approver` approved a governance proposal."""

    project_id: int
    proposal_id: int
    approver: ChecksumAddress


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposalExecuted(ContractEvent):
    """A governance proposal reached its threshold and its change was applied."""

    project_id: int
    proposal_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ContributionRegistered(ContractEvent):
    """A contribution was recorded (directly, or revealed from batch `batch_id`)."""

    project_id: int
    contribution_id: bytes
    contributor: ChecksumAddress
    commitment: bytes
    # The card's hash as the contributor signed it; zero without a card (and in releases 1.x,
    # whose event had no such field).
    card_hash: bytes = ZERO_BYTES32
    origin: Origin
    category: int
    value: int
    parents: tuple[bytes, ...] = ()
    supersedes: bytes = ZERO_BYTES32
    batch_id: bytes = ZERO_BYTES32
    registered_at: int
    uri: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ContributionWithdrawn(ContractEvent):
    """The contributor withdrew its contribution; the record stays."""

    project_id: int
    contribution_id: bytes
    contributor: ChecksumAddress


@dataclass(frozen=True, slots=True, kw_only=True)
class ContributionSuperseded(ContractEvent):
    """A contribution was replaced by a new version, `replacement_id`."""

    project_id: int
    contribution_id: bytes
    replacement_id: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchAnchored(ContractEvent):
    """`contributor` anchored the Merkle root of `count` contributions."""

    project_id: int
    batch_id: bytes
    contributor: ChecksumAddress
    root: bytes
    count: int
    uri: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Endorsed(ContractEvent):
    """`endorser` endorsed a contribution with an impact rating from 1 to 5."""

    project_id: int
    contribution_id: bytes
    endorser: ChecksumAddress
    rating: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DisputeOpened(ContractEvent):
    """`disputer` opened dispute number `dispute_number` of a contribution."""

    project_id: int
    contribution_id: bytes
    disputer: ChecksumAddress
    dispute_number: int
    reason_hash: bytes
    eligible_voters: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DisputeVoted(ContractEvent):
    """`voter` voted to uphold or to reject a dispute."""

    project_id: int
    contribution_id: bytes
    voter: ChecksumAddress
    dispute_number: int
    uphold: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class DisputeResolved(ContractEvent):
    """A dispute ended with `outcome`; an upheld one invalidates the contribution."""

    project_id: int
    contribution_id: bytes
    dispute_number: int
    outcome: DisputeOutcome


# ------------------------------------------------------------------------------ both contracts


@dataclass(frozen=True, slots=True, kw_only=True)
class NonceCancelled(ContractEvent):
    """`signer` cancelled a nonce so that an action signed with it can never be relayed."""

    signer: ChecksumAddress
    nonce: int


@dataclass(frozen=True, slots=True, kw_only=True)
class EIP712DomainChanged(ContractEvent):
    """The EIP-712 domain changed (ERC-5267; never emitted by these contracts)."""


# ------------------------------------------------------------------------------ RoyaltyVault


@dataclass(frozen=True, slots=True, kw_only=True)
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


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitApproved(ContractEvent):
    """`approver` approved a split proposal."""

    project_id: int
    proposal_id: int
    approver: ChecksumAddress


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitFinalized(ContractEvent):
    """A split proposal became split version `split_version`, in force from now on."""

    project_id: int
    split_version: int
    proposal_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RevenueReceived(ContractEvent):
    """`amount` of `token` (zero address: ETH) arrived from `from_`, allocated by a split."""

    project_id: int
    token: ChecksumAddress
    from_: ChecksumAddress
    amount: int
    split_version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Released(ContractEvent):
    """`amount` of `token` owed to `partner` was paid to `recipient`."""

    project_id: int
    partner: ChecksumAddress
    token: ChecksumAddress
    recipient: ChecksumAddress
    amount: int


# ------------------------------------------------------------------------------ PocExchange


@dataclass(frozen=True, slots=True, kw_only=True)
class EncryptionKeyPublished(ContractEvent):
    """`account` published X25519 public key number `key_version` (a rotation if above 1)."""

    account: ChecksumAddress
    key_version: int
    public_key: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Disclosed(ContractEvent):
    """`sharer` disclosed the document committed as `content_commitment` to `recipients`,
    under the project's agreement `agreement_version`, concerning `contribution_ids`."""

    project_id: int
    disclosure_id: bytes
    sharer: ChecksumAddress
    content_commitment: bytes
    recipients: tuple[ChecksumAddress, ...]
    contribution_ids: tuple[bytes, ...]
    agreement_version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DisclosureAcknowledged(ContractEvent):
    """`recipient` received the document committed as `content_commitment` from `sharer` at
    this block's time, having accepted agreement `agreement_version`."""

    project_id: int
    disclosure_id: bytes
    recipient: ChecksumAddress
    sharer: ChecksumAddress
    content_commitment: bytes
    agreement_version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DisclosureDeclined(ContractEvent):
    """`recipient` declined a disclosure; `reason_hash` is zero when no reason was given."""

    project_id: int
    disclosure_id: bytes
    recipient: ChecksumAddress
    reason_hash: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessRequested(ContractEvent):
    """`requester` asked `owner` for access rights to a contribution, to be answered by
    `answer_deadline`."""

    project_id: int
    request_id: int
    contribution_id: bytes
    requester: ChecksumAddress
    owner: ChecksumAddress
    purpose: AccessPurpose
    terms: AccessTerms
    terms_hash: bytes
    answer_deadline: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessGranted(ContractEvent):
    """`owner` granted the access rights requested, on `terms` described by `terms_hash`."""

    project_id: int
    request_id: int
    contribution_id: bytes
    owner: ChecksumAddress
    requester: ChecksumAddress
    terms: AccessTerms
    terms_hash: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessRefused(ContractEvent):
    """`owner` refused the access rights requested, for the reason hashed as `reason_hash`."""

    project_id: int
    request_id: int
    contribution_id: bytes
    owner: ChecksumAddress
    requester: ChecksumAddress
    reason_hash: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessRequestWithdrawn(ContractEvent):
    """`requester` withdrew its open request."""

    project_id: int
    request_id: int
    contribution_id: bytes
    requester: ChecksumAddress


@dataclass(frozen=True, slots=True, kw_only=True)
class ExchangeSettingsSet(ContractEvent):
    """Exchange settings `version` of the project came into force."""

    project_id: int
    version: int
    answer_period: int
    request_period_after_end: int
    project_end: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ExchangeSettingsProposed(ContractEvent):
    """`proposer` proposed new exchange settings; `required` approvals apply them."""

    project_id: int
    proposal_id: int
    proposer: ChecksumAddress
    answer_period: int
    request_period_after_end: int
    project_end: int
    required: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ExchangeSettingsApproved(ContractEvent):
    """`approver` approved an exchange settings proposal."""

    project_id: int
    proposal_id: int
    approver: ChecksumAddress


EVENT_CLASSES: Final[tuple[type[ContractEvent], ...]] = (
    ProjectCreated,
    PolicySet,
    AgreementSet,
    AgreementAccepted,
    AgreementInForce,
    PartnerAdded,
    PartnerRemoved,
    IdentitySet,
    ProposalCreated,
    ProposalApproved,
    ProposalExecuted,
    ContributionRegistered,
    ContributionWithdrawn,
    ContributionSuperseded,
    BatchAnchored,
    Endorsed,
    DisputeOpened,
    DisputeVoted,
    DisputeResolved,
    NonceCancelled,
    EIP712DomainChanged,
    SplitProposed,
    SplitApproved,
    SplitFinalized,
    RevenueReceived,
    Released,
    EncryptionKeyPublished,
    Disclosed,
    DisclosureAcknowledged,
    DisclosureDeclined,
    AccessRequested,
    AccessGranted,
    AccessRefused,
    AccessRequestWithdrawn,
    ExchangeSettingsSet,
    ExchangeSettingsProposed,
    ExchangeSettingsApproved,
)
"""Every event class, in the order above."""
EVENTS_BY_NAME: Final[Mapping[str, type[ContractEvent]]] = {c.event_name: c for c in EVENT_CLASSES}

E = TypeVar("E", bound=ContractEvent)


_ARGUMENT_NAMES: Final[dict[type[ContractEvent], tuple[str, ...]]] = {}
_HINTS: Final[dict[type[ContractEvent], Mapping[str, Any]]] = {}


def argument_names(cls: type[ContractEvent]) -> tuple[str, ...]:
    """The names of an event class's arguments, in declaration order."""
    names = _ARGUMENT_NAMES.get(cls)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cls) if f.name not in LOCATION_FIELDS)
        _ARGUMENT_NAMES[cls] = names
    return names


def _hints(cls: type[ContractEvent]) -> Mapping[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def events_of(events: typing.Iterable[ContractEvent], cls: type[E]) -> tuple[E, ...]:
    """The events of type `cls` among `events`."""
    return tuple(e for e in events if isinstance(e, cls))


def first_event(events: typing.Iterable[ContractEvent], cls: type[E]) -> E:
    """The first event of type `cls`; LookupError if there is none."""
    for event in events:
        if isinstance(event, cls):
            return event
    raise LookupError(f"no {cls.__name__} event")


# ------------------------------------------------------------------------------ JSON


def to_json(event: ContractEvent) -> dict[str, Any]:
    """The event's arguments as JSON values: bytes as 0x-hex, enums as ints, tuples as lists,
    a policy as an object with its category labels as text (`Policy.to_json`).

    This is the form the index keeps (`index_events.args_json`) and an operation's result
    lists; `from_json` reads it back into the same event.
    """
    return {name: json_value(getattr(event, name)) for name in argument_names(type(event))}


def json_value(value: Any) -> Any:
    """One typed value as JSON (see `to_json`)."""
    if isinstance(value, bytes | bytearray):
        return to_hex(value)
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, IntEnum):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, Policy):
        return value.to_json()
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    raise TypeError(f"no JSON form for {type(value).__name__}")


def from_json(
    name: str,
    arguments: Mapping[str, Any],
    *,
    block_number: int,
    log_index: int,
    address: str = ZERO_ADDRESS,
    block_hash: str = "",
    tx_hash: str = "",
) -> ContractEvent:
    """The event `name` from its `to_json` arguments and its location.

    Raises KeyError for an unknown event or a missing argument, ValueError or TypeError for a
    value of the wrong form.
    """
    cls = EVENTS_BY_NAME[name]
    hints = _hints(cls)
    values = {field: _typed(hints[field], arguments[field]) for field in argument_names(cls)}
    return cls(
        address=checksum(address) if address != ZERO_ADDRESS else ZERO_ADDRESS,
        block_number=block_number,
        block_hash=HexStr(block_hash),
        tx_hash=HexStr(tx_hash),
        log_index=log_index,
        **values,
    )


def _typed(hint: Any, value: Any) -> Any:
    if hint is bytes:
        return from_hex(value)
    if hint is ChecksumAddress:
        return checksum(value)
    if isinstance(hint, type) and issubclass(hint, IntEnum):
        return hint(int(value))
    if hint is Policy:
        return Policy.from_json(value)
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        return tuple(_typed(item, v) for v in value)
    if hint is bool:
        return bool(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected an integer, got {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise TypeError(f"expected text, got {value!r}")
        return value
    raise TypeError(f"no JSON reading for {hint!r}")
