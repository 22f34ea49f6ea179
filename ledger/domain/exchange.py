"""The values PocExchange speaks in, as frozen dataclasses and IntEnums (docs/exchange.md).

Enums mirror `IPocExchange`'s. Input: `ExchangeSettings` (validated on construction, ABI tuple
with `as_abi()`). Outputs, as the views return them: `EncryptionKeyInfo`, `DisclosureInfo`,
`ReceiptInfo`, `AccessRequestInfo`, `SettingsProposalInfo`.

Nothing here talks to a chain: the client is `ledger.chain.clients`, the signed typed
data `ledger.chain.exchange_signing`, the events `ledger.domain.events`, the commitment and
disclosure id `ledger.domain.hashing`, the encryption of shared documents `ledger.exchange`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from eth_typing import ChecksumAddress

from ledger.domain.codec import ZERO_ADDRESS
from ledger.domain.values import require_uint

DAY: Final = 86_400
#: Most recipients one disclosure names; most contributions it references.
MAX_RECIPIENTS: Final = 64
MAX_REFERENCES: Final = 16
#: Ranges of the settings, and what a project that never set its own gets.
MIN_ANSWER_PERIOD: Final = DAY
MAX_ANSWER_PERIOD: Final = 365 * DAY
MAX_REQUEST_PERIOD_AFTER_END: Final = 3650 * DAY
DEFAULT_ANSWER_PERIOD: Final = 30 * DAY
DEFAULT_REQUEST_PERIOD_AFTER_END: Final = 365 * DAY
#: `requestsCloseAt` while a project has no end: never.
NEVER: Final = 2**256 - 1


class ReceiptStatus(IntEnum):
    """What a recipient answered to a disclosure; NONE: not a recipient."""

    NONE = 0
    PENDING = 1
    ACKNOWLEDGED = 2
    DECLINED = 3


class AccessPurpose(IntEnum):
    """Why access rights are requested."""

    CARRYING_OUT_PROJECT = 0
    EXPLOITING_OWN_RESULTS = 1


class AccessTerms(IntEnum):
    """On which terms access rights are proposed or granted."""

    ROYALTY_FREE = 0
    FAIR_AND_REASONABLE = 1


class RequestStatus(IntEnum):
    """Where an access-rights request stands; NONE: no such request."""

    NONE = 0
    OPEN = 1
    GRANTED = 2
    REFUSED = 3
    WITHDRAWN = 4


# ------------------------------------------------------------------------------ input


@dataclass(frozen=True)
class ExchangeSettings:
    """A project's exchange settings, in seconds and a timestamp (`project_end` 0: no end)."""

    answer_period: int = DEFAULT_ANSWER_PERIOD
    request_period_after_end: int = DEFAULT_REQUEST_PERIOD_AFTER_END
    project_end: int = 0

    def __post_init__(self) -> None:
        require_uint(self.answer_period, 32, "answer_period")
        require_uint(self.request_period_after_end, 32, "request_period_after_end")
        require_uint(self.project_end, 40, "project_end")
        if not MIN_ANSWER_PERIOD <= self.answer_period <= MAX_ANSWER_PERIOD:
            raise ValueError("answer_period must be from 1 to 365 days")
        if self.request_period_after_end > MAX_REQUEST_PERIOD_AFTER_END:
            raise ValueError("request_period_after_end must be at most 3,650 days")

    def as_abi(self) -> tuple[int, int, int]:
        """The ABI tuple (uint32 answerPeriod, uint32 requestPeriodAfterEnd, uint40 projectEnd)."""
        return (self.answer_period, self.request_period_after_end, self.project_end)

    @property
    def requests_close_at(self) -> int:
        """The last timestamp at which a request is possible (`NEVER` while no end is set)."""
        if self.project_end == 0:
            return NEVER
        return self.project_end + self.request_period_after_end


# ------------------------------------------------------------------------------ outputs


@dataclass(frozen=True)
class EncryptionKeyInfo:
    """An account's current X25519 public key (all zero if it never published one)."""

    account: ChecksumAddress
    public_key: bytes
    key_version: int
    published_at: int

    @property
    def exists(self) -> bool:
        return self.key_version != 0


@dataclass(frozen=True)
class DisclosureInfo:
    """The stored part of a disclosure (sharer zero if unknown); the commitment, recipients and
    references are in its `Disclosed` event."""

    disclosure_id: bytes
    sharer: ChecksumAddress
    project_id: int
    agreement_version: int
    recipient_count: int

    @property
    def exists(self) -> bool:
        return self.sharer != ZERO_ADDRESS


@dataclass(frozen=True)
class ReceiptInfo:
    """A recipient's answer to a disclosure."""

    disclosure_id: bytes
    recipient: ChecksumAddress
    status: ReceiptStatus
    answered_at: int
    agreement_version: int


@dataclass(frozen=True)
class AccessRequestInfo:
    """An access-rights request, its answer, and whether it was overdue when read."""

    request_id: int
    requester: ChecksumAddress
    project_id: int
    requested_at: int
    purpose: AccessPurpose
    proposed_terms: AccessTerms
    status: RequestStatus
    owner: ChecksumAddress
    answer_deadline: int
    answered_at: int
    granted_terms: AccessTerms
    contribution_id: bytes
    overdue: bool


@dataclass(frozen=True)
class SettingsProposalInfo:
    """A proposal to change a project's exchange settings."""

    proposal_id: int
    project_id: int
    executed: bool
    approvals: int
    required: int
    created_at: int
    proposer: ChecksumAddress
    settings: ExchangeSettings
