"""The values the contracts speak in, as frozen dataclasses and IntEnums.

Inputs (what a caller hands the contracts): `Category`, `Policy`, `Registration`, `BatchLeaf`,
`SplitInput`. Outputs (what the views return): `ProjectInfo`, `MemberInfo`, `ContributionInfo`,
`DisputeInfo`, `BatchInfo`, `ProposalInfo`, `SplitInfo`. Enums mirror `contracts/PocTypes.sol`.
Each input validates its ranges on construction and gives its ABI tuple with `as_abi()`.

Nothing here talks to a chain or hashes: see `ledger.domain.hashing` (ids, commitments, policy
hash),
`ledger.chain.clients` (the clients that send and read these values) and `ledger.chain.events`.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils.address import is_address, to_checksum_address

from ledger.domain.codec import ZERO_ADDRESS, ZERO_BYTES32

BPS_DENOMINATOR = 10_000
MAX_PARENTS = 16
MAX_CATEGORIES = 32

# ABI types of the structs, in field order; shared by encoding, hashing and the event decoder.
CATEGORY_ABI = "(bytes32,bytes32,uint64,uint16)"
POLICY_ABI = f"(uint16,uint16,uint16,uint32,uint16,uint16,uint16,uint16,uint16,{CATEGORY_ABI}[])"
LEGACY_POLICY_ABI = f"(uint16,uint16,uint16,uint32,uint16,uint16,uint16,uint16,{CATEGORY_ABI}[])"
"""`Policy` of releases before 2.0.0, without `parentShareBps` (its hash and events differ)."""
# A leaf: (commitment, cardHash, origin, category, value, parents), since release 2.0.0.
BATCH_LEAF_TYPES = ("bytes32", "bytes32", "uint8", "uint8", "uint64", "bytes32[]")
# The leaf of releases before contribution cards (1.x): no card hash.
BATCH_LEAF_TYPES_V1 = ("bytes32", "uint8", "uint8", "uint64", "bytes32[]")


class Origin(IntEnum):
    """Where a contribution comes from: brought into the project, or created in it."""

    BACKGROUND = 0
    RESULT = 1


class ContributionStatus(IntEnum):
    """Lifecycle of a contribution; records are never deleted."""

    NONE = 0
    ACTIVE = 1
    WITHDRAWN = 2
    SUPERSEDED = 3
    INVALIDATED = 4


class DisputeOutcome(IntEnum):
    """How a dispute ended; OPEN while the vote runs."""

    OPEN = 0
    UPHELD = 1
    REJECTED = 2
    WITHDRAWN = 3


class ProposalKind(IntEnum):
    """What a governance proposal changes once approved."""

    ADD_PARTNER = 0
    REMOVE_PARTNER = 1
    CHANGE_POLICY = 2
    AMEND_AGREEMENT = 3


# ------------------------------------------------------------------------------ validation


def checksum(address: str) -> ChecksumAddress:
    """Return `address` in EIP-55 form; raise ValueError if it is not a 20-byte address."""
    if not isinstance(address, str):
        raise ValueError(f"not an address: {address!r}")
    return _checksum(address)


@functools.lru_cache(maxsize=8192)
def _checksum(address: str) -> ChecksumAddress:
    # A project's events name the same few partners again and again: decoding a history spent
    # a third of its time re-hashing the same addresses.
    if not is_address(address):
        raise ValueError(f"not an address: {address!r}")
    return ChecksumAddress(to_checksum_address(address))


def require_bytes32(value: bytes, what: str) -> bytes:
    """Return `value` as immutable bytes if it is 32 bytes long, else raise ValueError."""
    if not isinstance(value, bytes | bytearray) or len(value) != 32:
        raise ValueError(f"{what} must be 32 bytes, got {value!r}")
    return bytes(value)


def require_uint(value: int, bits: int, what: str) -> int:
    """Return `value` if it fits an unsigned integer of `bits` bits, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << bits:
        raise ValueError(f"{what} must be a uint{bits}, got {value!r}")
    return value


def text_to_bytes32(text: str) -> bytes:
    """UTF-8 `text` right-padded with zeros to 32 bytes, as Solidity's bytes32 labels are."""
    raw = text.encode("utf-8")
    if len(raw) > 32:
        raise ValueError(f"label longer than 32 bytes in UTF-8: {text!r}")
    return raw.ljust(32, b"\x00")


def bytes32_to_text(value: bytes) -> str:
    """The text of a zero-padded bytes32 label (inverse of `text_to_bytes32`)."""
    return value.rstrip(b"\x00").decode("utf-8", errors="replace")


def from_abi_value(hint: Any, value: Any) -> Any:
    """Convert a value decoded by eth_abi to the Python type `hint` of a dataclass field:
    enums from their uint8, checksummed addresses, bytes, tuples of those, and `Policy`."""
    if isinstance(hint, type) and issubclass(hint, IntEnum):
        return hint(value)
    if hint is ChecksumAddress:
        return checksum(value)
    if hint is bytes:
        return bytes(value)
    if hint is Policy:
        return Policy.from_abi(value)
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        return tuple(from_abi_value(item, v) for v in value)
    return value


def _bytes32_tuple(values: Sequence[bytes], what: str) -> tuple[bytes, ...]:
    return tuple(require_bytes32(v, what) for v in values)


# ------------------------------------------------------------------------------ inputs


@dataclass(frozen=True)
class Category:
    """One contribution category of a policy; `name` and `unit` are bytes32 labels."""

    name: bytes
    unit: bytes
    unit_scale: int
    weight_bps: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", require_bytes32(self.name, "category name"))
        object.__setattr__(self, "unit", require_bytes32(self.unit, "category unit"))
        require_uint(self.unit_scale, 64, "unit_scale")
        require_uint(self.weight_bps, 16, "weight_bps")

    @classmethod
    def of(cls, name: str, unit: str, unit_scale: int, weight_bps: int) -> Category:
        """Build from text labels, e.g. `Category.of("person-hours", "hour", 1, 10_000)`."""
        return cls(text_to_bytes32(name), text_to_bytes32(unit), unit_scale, weight_bps)

    @property
    def name_text(self) -> str:
        return bytes32_to_text(self.name)

    @property
    def unit_text(self) -> str:
        return bytes32_to_text(self.unit)

    def as_abi(self) -> tuple[bytes, bytes, int, int]:
        return (self.name, self.unit, self.unit_scale, self.weight_bps)

    @classmethod
    def from_abi(cls, raw: Sequence[Any]) -> Category:
        return cls(bytes(raw[0]), bytes(raw[1]), int(raw[2]), int(raw[3]))


def approvals_required(partners: int, threshold_bps: int) -> int:
    """How many of `partners` must approve to reach a threshold of `threshold_bps`, as the
    contracts count (docs/governance.md, "Thresholds"): the fewest k whose share k / partners,
    rounded to whole basis points (half up), is at least the threshold, and at least one.

    So a threshold written as the rounded basis points of a fraction means that fraction:
    6667 (two thirds) is 2 of 3, 3 of 4 and 5 of 7; 5000 is half; 5001 a strict majority.
    In integers: ceil(partners x (2 x threshold - 1) / 20000).
    """
    require_uint(threshold_bps, 16, "threshold_bps")
    if partners < 1:
        raise ValueError(f"a threshold needs at least one partner, got {partners}")
    return max(1, -(-partners * (2 * threshold_bps - 1) // (2 * BPS_DENOMINATOR)))


@dataclass(frozen=True)
class Policy:
    """A project's scoring and governance policy (see `Policy` in PocTypes.sol)."""

    background_weight_bps: int
    result_weight_bps: int
    endorsement_quorum: int
    dispute_window: int
    split_approval_bps: int
    governance_bps: int
    partner_cap_bps: int
    partner_floor_bps: int
    categories: tuple[Category, ...]
    parent_share_bps: int | None = 0
    """Share of each counted contribution's points passed to the work it builds on
    (docs/scoring.md section 4); 0 passes nothing. None for a policy set by a contract of a
    release before 2.0.0, whose `Policy` had no such field: it passes nothing either, and it
    hashes and encodes in that release's shape (`LEGACY_POLICY_ABI`)."""

    def __post_init__(self) -> None:
        for name in (
            "background_weight_bps",
            "result_weight_bps",
            "endorsement_quorum",
            "split_approval_bps",
            "governance_bps",
            "partner_cap_bps",
            "partner_floor_bps",
        ):
            require_uint(getattr(self, name), 16, name)
        if self.parent_share_bps is not None:
            require_uint(self.parent_share_bps, 16, "parent_share_bps")
        require_uint(self.dispute_window, 32, "dispute_window")
        object.__setattr__(self, "categories", tuple(self.categories))

    @property
    def parent_share(self) -> int:
        """The parent share in basis points, 0 for a policy of an earlier release."""
        return self.parent_share_bps or 0

    @property
    def abi_type(self) -> str:
        """The ABI type this policy encodes as: `POLICY_ABI`, or `LEGACY_POLICY_ABI`."""
        return LEGACY_POLICY_ABI if self.parent_share_bps is None else POLICY_ABI

    def split_approvals_required(self, partners: int) -> int:
        """Approvals that finalize a split in a project of `partners` (`approvals_required`)."""
        return approvals_required(partners, self.split_approval_bps)

    def governance_approvals_required(self, eligible: int) -> int:
        """Approvals that execute a proposal with `eligible` partners entitled to approve: the
        threshold's count, and never fewer than two when two or more are eligible (nobody
        changes the others' rights alone)."""
        required = approvals_required(eligible, self.governance_bps)
        return max(required, 2) if eligible >= 2 else required

    def as_abi(self) -> tuple[Any, ...]:
        """The policy as a tuple of `abi_type` (without the parent share for a legacy one)."""
        head = (
            self.background_weight_bps,
            self.result_weight_bps,
            self.endorsement_quorum,
            self.dispute_window,
            self.split_approval_bps,
            self.governance_bps,
            self.partner_cap_bps,
            self.partner_floor_bps,
        )
        share = () if self.parent_share_bps is None else (self.parent_share_bps,)
        return (*head, *share, [c.as_abi() for c in self.categories])

    def to_json(self) -> dict[str, Any]:
        """The policy as JSON: its fields by name, the category labels as text (the form the
        index keeps and the API shows)."""
        return {
            "background_weight_bps": self.background_weight_bps,
            "result_weight_bps": self.result_weight_bps,
            "endorsement_quorum": self.endorsement_quorum,
            "dispute_window": self.dispute_window,
            "split_approval_bps": self.split_approval_bps,
            "governance_bps": self.governance_bps,
            "partner_cap_bps": self.partner_cap_bps,
            "partner_floor_bps": self.partner_floor_bps,
            # A policy of a release before 2.0.0 has no parent share: none is stated.
            **({} if self.parent_share_bps is None else {"parent_share_bps": self.parent_share}),
            "categories": [
                {
                    "name": category.name_text,
                    "unit": category.unit_text,
                    "unit_scale": category.unit_scale,
                    "weight_bps": category.weight_bps,
                }
                for category in self.categories
            ],
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Policy:
        """The policy of `to_json`; KeyError, TypeError or ValueError if `raw` is not one."""
        return cls(
            background_weight_bps=int(raw["background_weight_bps"]),
            result_weight_bps=int(raw["result_weight_bps"]),
            endorsement_quorum=int(raw["endorsement_quorum"]),
            dispute_window=int(raw["dispute_window"]),
            split_approval_bps=int(raw["split_approval_bps"]),
            governance_bps=int(raw["governance_bps"]),
            partner_cap_bps=int(raw["partner_cap_bps"]),
            partner_floor_bps=int(raw["partner_floor_bps"]),
            categories=tuple(
                Category.of(c["name"], c["unit"], int(c["unit_scale"]), int(c["weight_bps"]))
                for c in raw["categories"]
            ),
            # Absent from a policy of a release before the parameter existed.
            parent_share_bps=None
            if raw.get("parent_share_bps") is None
            else int(raw["parent_share_bps"]),
        )

    @classmethod
    def from_abi(cls, raw: Sequence[Any]) -> Policy:
        """The policy of a decoded `POLICY_ABI` tuple, or of a `LEGACY_POLICY_ABI` one (one
        field fewer: parent share None)."""
        legacy = len(raw) == 9
        return cls(
            background_weight_bps=int(raw[0]),
            result_weight_bps=int(raw[1]),
            endorsement_quorum=int(raw[2]),
            dispute_window=int(raw[3]),
            split_approval_bps=int(raw[4]),
            governance_bps=int(raw[5]),
            partner_cap_bps=int(raw[6]),
            partner_floor_bps=int(raw[7]),
            parent_share_bps=None if legacy else int(raw[8]),
            categories=tuple(Category.from_abi(c) for c in raw[-1]),
        )


@dataclass(frozen=True)
class Registration:
    """A contribution as its contributor registers it; `commitment` comes from
    `ledger.domain.hashing.commitment` and binds contributor, project, content hash and salt;
    `card_hash` is its card's hash (`ledger.domain.cards.ContributionCard.hash`), zero when it
    has no card. The ABI order (`as_abi`) puts the card hash after the commitment."""

    project_id: int
    commitment: bytes
    origin: Origin
    category: int
    value: int
    parents: tuple[bytes, ...] = ()
    supersedes: bytes = ZERO_BYTES32
    uri: str = ""
    card_hash: bytes = ZERO_BYTES32

    def __post_init__(self) -> None:
        require_uint(self.project_id, 32, "project_id")
        object.__setattr__(self, "commitment", require_bytes32(self.commitment, "commitment"))
        object.__setattr__(self, "card_hash", require_bytes32(self.card_hash, "card_hash"))
        object.__setattr__(self, "origin", Origin(self.origin))
        require_uint(self.category, 8, "category")
        require_uint(self.value, 64, "value")
        object.__setattr__(self, "parents", _bytes32_tuple(self.parents, "parent id"))
        object.__setattr__(self, "supersedes", require_bytes32(self.supersedes, "supersedes"))

    def as_abi(self) -> tuple[Any, ...]:
        return (
            self.project_id,
            self.commitment,
            self.card_hash,
            int(self.origin),
            self.category,
            self.value,
            list(self.parents),
            self.supersedes,
            self.uri,
        )

    def as_batch_leaf(self) -> BatchLeaf:
        """The same contribution as a Merkle batch leaf (batches carry no supersedes or uri)."""
        return BatchLeaf(
            self.commitment,
            self.origin,
            self.category,
            self.value,
            self.parents,
            card_hash=self.card_hash,
        )


@dataclass(frozen=True)
class BatchLeaf:
    """One contribution inside a Merkle batch (the StandardMerkleTree leaf value); its card
    hash is in the leaf, so the contributor's signature over the root covers the card."""

    commitment: bytes
    origin: Origin
    category: int
    value: int
    parents: tuple[bytes, ...] = ()
    card_hash: bytes = ZERO_BYTES32

    def __post_init__(self) -> None:
        object.__setattr__(self, "commitment", require_bytes32(self.commitment, "commitment"))
        object.__setattr__(self, "card_hash", require_bytes32(self.card_hash, "card_hash"))
        object.__setattr__(self, "origin", Origin(self.origin))
        require_uint(self.category, 8, "category")
        require_uint(self.value, 64, "value")
        object.__setattr__(self, "parents", _bytes32_tuple(self.parents, "parent id"))

    def as_abi(self) -> tuple[Any, ...]:
        return (
            self.commitment,
            self.card_hash,
            int(self.origin),
            self.category,
            self.value,
            list(self.parents),
        )

    def as_abi_v1(self) -> tuple[Any, ...]:
        """The leaf as releases before cards encoded it (no card hash; it must be zero)."""
        return (self.commitment, int(self.origin), self.category, self.value, list(self.parents))


@dataclass(frozen=True)
class SplitInput:
    """A royalty split to propose: partners strictly ascending, bps summing to 10000."""

    partners: tuple[ChecksumAddress, ...]
    bps: tuple[int, ...]
    policy_version: int
    computed_at_block: int
    input_set_hash: bytes

    def __post_init__(self) -> None:
        object.__setattr__(self, "partners", tuple(checksum(p) for p in self.partners))
        object.__setattr__(self, "bps", tuple(require_uint(b, 16, "bps") for b in self.bps))
        require_uint(self.policy_version, 32, "policy_version")
        require_uint(self.computed_at_block, 64, "computed_at_block")
        object.__setattr__(
            self, "input_set_hash", require_bytes32(self.input_set_hash, "input_set_hash")
        )

    @classmethod
    def sorted_from(
        cls,
        shares: Mapping[str, int] | Mapping[ChecksumAddress, int],
        *,
        policy_version: int,
        computed_at_block: int,
        input_set_hash: bytes,
    ) -> SplitInput:
        """Build from {partner: bps}, putting partners in the ascending order the vault wants."""
        ordered = sorted(((checksum(p), b) for p, b in shares.items()), key=lambda i: int(i[0], 16))
        return cls(
            partners=tuple(p for p, _ in ordered),
            bps=tuple(b for _, b in ordered),
            policy_version=policy_version,
            computed_at_block=computed_at_block,
            input_set_hash=input_set_hash,
        )

    def as_abi(self) -> tuple[Any, ...]:
        return (
            list(self.partners),
            list(self.bps),
            self.policy_version,
            self.computed_at_block,
            self.input_set_hash,
        )


# ------------------------------------------------------------------------------ outputs


@dataclass(frozen=True)
class ProjectInfo:
    """Summary of a project as `PocLedger.project` returns it."""

    project_id: int
    coordinator: ChecksumAddress
    agreement_version: int
    agreement_hash: bytes
    policy_version: int
    policy_hash: bytes
    in_force: bool
    partner_count: int
    accepted_count: int
    dispute_window: int
    split_approval_bps: int
    governance_bps: int
    category_count: int


@dataclass(frozen=True)
class MemberInfo:
    """A partner's membership of a project (all zero if it never joined)."""

    active: bool
    accepted_version: int
    joined_at: int


@dataclass(frozen=True)
class ContributionInfo:
    """The stored part of a contribution; the rest is in its `ContributionRegistered` event."""

    contribution_id: bytes
    contributor: ChecksumAddress
    project_id: int
    registered_at: int
    status: ContributionStatus

    @property
    def exists(self) -> bool:
        return self.status != ContributionStatus.NONE


@dataclass(frozen=True)
class DisputeInfo:
    """The latest dispute of a contribution (number 0 if it was never disputed)."""

    contribution_id: bytes
    disputer: ChecksumAddress
    opened_at: int
    number: int
    outcome: DisputeOutcome
    eligible_voters: int
    uphold_votes: int
    reject_votes: int


@dataclass(frozen=True)
class BatchInfo:
    """An anchored Merkle batch (contributor is the zero address if unknown)."""

    batch_id: bytes
    contributor: ChecksumAddress
    project_id: int
    anchored_at: int
    count: int
    root: bytes

    @property
    def exists(self) -> bool:
        return self.contributor != ZERO_ADDRESS


@dataclass(frozen=True)
class ProposalInfo:
    """A governance proposal; `data` is the ABI-encoded change for its kind."""

    proposal_id: int
    project_id: int
    kind: ProposalKind
    executed: bool
    created_at: int
    approvals: int
    required: int
    proposer: ChecksumAddress
    data: bytes


@dataclass(frozen=True)
class SplitInfo:
    """A split proposal of the vault and, once finalized, a split version."""

    proposal_id: int
    project_id: int
    finalized: bool
    approvals: int
    required: int
    created_at: int
    policy_version: int
    computed_at_block: int
    input_set_hash: bytes
    proposer: ChecksumAddress
    partners: tuple[ChecksumAddress, ...] = field(default=())
    bps: tuple[int, ...] = field(default=())
