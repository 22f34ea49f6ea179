"""The errors of PocExchange, one class each."""

from __future__ import annotations

from dataclasses import dataclass

from eth_typing import ChecksumAddress

from ledger.chain.reverts.base import (
    ConflictRevertError,
    ForbiddenRevertError,
    InvalidArgumentRevertError,
    NotFoundRevertError,
)
from ledger.domain.exchange import ReceiptStatus, RequestStatus

# ------------------------------------------------------------------------------ PocExchange


@dataclass(eq=False)
class ExchangeProjectNotFound(NotFoundRevertError, code="exchange_project_not_found"):
    """Raised when no project has id `project_id` on the ledger the exchange reads."""

    project_id: int


@dataclass(eq=False)
class ExchangeNotParticipant(ForbiddenRevertError, code="exchange_not_participant"):
    """Raised when `account` is not a partner who accepted the project's current agreement."""

    project_id: int
    account: ChecksumAddress


@dataclass(eq=False)
class ExchangeZeroPublicKey(InvalidArgumentRevertError, code="zero_public_key"):
    """Raised when an encryption public key is zero."""


@dataclass(eq=False)
class ExchangeZeroCommitment(InvalidArgumentRevertError, code="zero_content_commitment"):
    """Raised when a disclosure's content commitment is zero."""


@dataclass(eq=False)
class ExchangeInvalidRecipientCount(InvalidArgumentRevertError, code="invalid_recipient_count"):
    """Raised when a disclosure names no recipient or more than `max`."""

    count: int
    max: int


@dataclass(eq=False)
class ExchangeSelfDisclosure(InvalidArgumentRevertError, code="self_disclosure"):
    """Raised when the sharer names itself among the recipients."""

    sharer: ChecksumAddress


@dataclass(eq=False)
class ExchangeDuplicateRecipient(InvalidArgumentRevertError, code="duplicate_recipient"):
    """Raised when a recipient appears twice in a disclosure."""

    recipient: ChecksumAddress


@dataclass(eq=False)
class ExchangeRecipientNotPartner(InvalidArgumentRevertError, code="recipient_not_partner"):
    """Raised when a recipient is not a partner who accepted the current agreement."""

    project_id: int
    recipient: ChecksumAddress


@dataclass(eq=False)
class ExchangeTooManyReferences(InvalidArgumentRevertError, code="too_many_references"):
    """Raised when a disclosure references more than `max` contributions."""

    count: int
    max: int


@dataclass(eq=False)
class ExchangeContributionNotFound(NotFoundRevertError, code="exchange_contribution_not_found"):
    """Raised when a contribution named to the exchange is not one of the project."""

    project_id: int
    contribution_id: bytes


@dataclass(eq=False)
class ExchangeDisclosureExists(ConflictRevertError, code="disclosure_exists"):
    """Raised when the sharer already disclosed this commitment in the project."""

    disclosure_id: bytes


@dataclass(eq=False)
class ExchangeDisclosureNotFound(NotFoundRevertError, code="disclosure_not_found"):
    """Raised when no disclosure with this id exists in the project."""

    project_id: int
    disclosure_id: bytes


@dataclass(eq=False)
class ExchangeSharerMismatch(InvalidArgumentRevertError, code="sharer_mismatch"):
    """Raised when an acknowledgement names another sharer than the disclosure's."""

    disclosure_id: bytes
    sharer: ChecksumAddress


@dataclass(eq=False)
class ExchangeContentMismatch(InvalidArgumentRevertError, code="content_mismatch"):
    """Raised when an acknowledgement names another commitment than the one disclosed."""

    disclosure_id: bytes
    content_commitment: bytes


@dataclass(eq=False)
class ExchangeNotRecipient(ForbiddenRevertError, code="not_recipient"):
    """Raised when `account` is not a recipient of the disclosure it answers."""

    disclosure_id: bytes
    account: ChecksumAddress


@dataclass(eq=False)
class ExchangeAlreadyAnswered(ConflictRevertError, code="disclosure_already_answered"):
    """Raised when the recipient already acknowledged or declined the disclosure."""

    disclosure_id: bytes
    recipient: ChecksumAddress
    status: ReceiptStatus


@dataclass(eq=False)
class ExchangeSelfRequest(ForbiddenRevertError, code="self_access_request"):
    """Raised when a partner requests access rights to its own contribution."""

    contribution_id: bytes
    account: ChecksumAddress


@dataclass(eq=False)
class ExchangeRequestPeriodClosed(ConflictRevertError, code="request_period_closed"):
    """Raised when access rights are requested after the project's request period."""

    project_id: int
    closed_at: int


@dataclass(eq=False)
class ExchangeRequestNotFound(NotFoundRevertError, code="access_request_not_found"):
    """Raised when no access-rights request with this id exists in the project."""

    project_id: int
    request_id: int


@dataclass(eq=False)
class ExchangeNotOwner(ForbiddenRevertError, code="not_contribution_owner"):
    """Raised when `account` answers a request but did not contribute the contribution."""

    request_id: int
    account: ChecksumAddress


@dataclass(eq=False)
class ExchangeNotRequester(ForbiddenRevertError, code="not_requester"):
    """Raised when `account` withdraws a request it did not make."""

    request_id: int
    account: ChecksumAddress


@dataclass(eq=False)
class ExchangeRequestNotOpen(ConflictRevertError, code="access_request_not_open"):
    """Raised when an access-rights request was already answered or withdrawn."""

    request_id: int
    status: RequestStatus


@dataclass(eq=False)
class ExchangeZeroTermsHash(InvalidArgumentRevertError, code="zero_terms_hash"):
    """Raised when a grant names no terms document hash."""


@dataclass(eq=False)
class ExchangeZeroReasonHash(InvalidArgumentRevertError, code="zero_reason_hash"):
    """Raised when a refusal names no reason hash."""


@dataclass(eq=False)
class ExchangeInvalidSettings(InvalidArgumentRevertError, code="invalid_exchange_settings"):
    """Raised when an exchange settings field is out of range; `field` names it."""

    field: str


@dataclass(eq=False)
class ExchangeNotCoordinator(ForbiddenRevertError, code="exchange_not_coordinator"):
    """Raised when `account` sets exchange settings but is not the coordinator."""

    project_id: int
    account: ChecksumAddress


@dataclass(eq=False)
class ExchangeAgreementInForce(ConflictRevertError, code="exchange_agreement_in_force"):
    """Raised when the coordinator sets exchange settings alone once the agreement is in force."""

    project_id: int


@dataclass(eq=False)
class ExchangeAgreementNotInForce(ConflictRevertError, code="exchange_agreement_not_in_force"):
    """Raised when exchange settings are proposed before the agreement is in force."""

    project_id: int


@dataclass(eq=False)
class ExchangeProposalNotFound(NotFoundRevertError, code="settings_proposal_not_found"):
    """Raised when no exchange settings proposal with this id exists in the project."""

    project_id: int
    proposal_id: int


@dataclass(eq=False)
class ExchangeProposalExecuted(ConflictRevertError, code="settings_proposal_executed"):
    """Raised when an exchange settings proposal was already applied."""

    proposal_id: int


@dataclass(eq=False)
class ExchangeAlreadyApproved(ConflictRevertError, code="settings_proposal_already_approved"):
    """Raised when `account` already approved the exchange settings proposal."""

    proposal_id: int
    account: ChecksumAddress


@dataclass(eq=False)
class ExchangeNotEligibleApprover(ForbiddenRevertError, code="not_eligible_settings_approver"):
    """Raised when `account` joined after the exchange settings proposal was made."""

    proposal_id: int
    account: ChecksumAddress
