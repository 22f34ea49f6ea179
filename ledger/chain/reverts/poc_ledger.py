"""The errors of PocLedger (and its governance module), one class each."""

from __future__ import annotations

from dataclasses import dataclass

from eth_typing import ChecksumAddress

from ledger.chain.reverts.base import (
    ConflictRevertError,
    ForbiddenRevertError,
    InvalidArgumentRevertError,
    NotFoundRevertError,
)
from ledger.domain.values import ContributionStatus, ProposalKind

# ------------------------------------------------------------------------------ PocLedger


@dataclass(eq=False)
class PocProjectNotFound(NotFoundRevertError, code="project_not_found"):
    """Raised when no project has id `project_id`."""

    project_id: int


@dataclass(eq=False)
class PocNotCoordinator(ForbiddenRevertError, code="not_coordinator"):
    """Raised when `account` is not the coordinator of the project."""

    project_id: int
    account: ChecksumAddress


@dataclass(eq=False)
class PocNotPartner(ForbiddenRevertError, code="not_partner"):
    """Raised when `account` is not an active partner of the project."""

    project_id: int
    account: ChecksumAddress


@dataclass(eq=False)
class PocAgreementNotAccepted(ForbiddenRevertError, code="agreement_not_accepted"):
    """Raised when `account` has not accepted the project's current agreement version."""

    project_id: int
    account: ChecksumAddress
    current_version: int


@dataclass(eq=False)
class PocAgreementMismatch(ConflictRevertError, code="agreement_mismatch"):
    """Raised when the accepted agreement version and hash are not the project's current ones."""

    project_id: int
    version: int
    agreement_hash: bytes


@dataclass(eq=False)
class PocAgreementAlreadyAccepted(ConflictRevertError, code="agreement_already_accepted"):
    """Raised when `account` already accepted this agreement version."""

    project_id: int
    account: ChecksumAddress
    version: int


@dataclass(eq=False)
class PocAgreementInForce(ConflictRevertError, code="agreement_in_force"):
    """Raised when a change needs a governance proposal because the agreement is in force."""

    project_id: int


@dataclass(eq=False)
class PocAgreementNotInForce(ConflictRevertError, code="agreement_not_in_force"):
    """Raised when proposing before the agreement is in force (the coordinator acts directly)."""

    project_id: int


@dataclass(eq=False)
class PocZeroAgreementHash(InvalidArgumentRevertError, code="zero_agreement_hash"):
    """Raised when an agreement hash is zero."""


@dataclass(eq=False)
class PocInvalidPartnerList(InvalidArgumentRevertError, code="invalid_partner_list"):
    """Raised when the partner list has a zero or duplicate address at `index`."""

    index: int
    partner: ChecksumAddress


@dataclass(eq=False)
class PocCoordinatorNotPartner(InvalidArgumentRevertError, code="coordinator_not_partner"):
    """Raised when the project's creator is not in its partner list."""

    coordinator: ChecksumAddress


@dataclass(eq=False)
class PocAlreadyPartner(ConflictRevertError, code="already_partner"):
    """Raised when `account` is already a partner of the project."""

    project_id: int
    account: ChecksumAddress


@dataclass(eq=False)
class PocCannotRemoveCoordinator(ForbiddenRevertError, code="cannot_remove_coordinator"):
    """Raised when the coordinator tries to remove itself before the agreement is in force."""

    project_id: int
    coordinator: ChecksumAddress


@dataclass(eq=False)
class PocInvalidPolicy(InvalidArgumentRevertError, code="invalid_policy"):
    """Raised when the policy field named `field` is out of range."""

    field: str


@dataclass(eq=False)
class PocUnknownCategory(InvalidArgumentRevertError, code="unknown_category"):
    """Raised when a contribution names a category the policy does not have."""

    category: int
    category_count: int


@dataclass(eq=False)
class PocZeroCommitment(InvalidArgumentRevertError, code="zero_commitment"):
    """Raised when a commitment or Merkle root is zero."""


@dataclass(eq=False)
class PocContributionExists(ConflictRevertError, code="contribution_exists"):
    """Raised when a contribution with this id (same contributor and commitment) exists."""

    contribution_id: bytes


@dataclass(eq=False)
class PocContributionNotFound(NotFoundRevertError, code="contribution_not_found"):
    """Raised when no contribution with this id exists in the project."""

    project_id: int
    contribution_id: bytes


@dataclass(eq=False)
class PocContributionNotActive(ConflictRevertError, code="contribution_not_active"):
    """Raised when the contribution is withdrawn, superseded or invalidated."""

    contribution_id: bytes
    status: ContributionStatus


@dataclass(eq=False)
class PocNotContributor(ForbiddenRevertError, code="not_contributor"):
    """Raised when someone other than the contributor acts on a contribution."""

    contribution_id: bytes
    account: ChecksumAddress


@dataclass(eq=False)
class PocTooManyParents(InvalidArgumentRevertError, code="too_many_parents"):
    """Raised when a contribution links more parents than the contract allows."""

    count: int
    max: int


@dataclass(eq=False)
class PocSelfEndorsement(ForbiddenRevertError, code="self_endorsement"):
    """Raised when a partner tries to endorse its own contribution."""

    contribution_id: bytes
    account: ChecksumAddress


@dataclass(eq=False)
class PocAlreadyEndorsed(ConflictRevertError, code="already_endorsed"):
    """Raised when `endorser` already endorsed the contribution."""

    contribution_id: bytes
    endorser: ChecksumAddress


@dataclass(eq=False)
class PocInvalidRating(InvalidArgumentRevertError, code="invalid_rating"):
    """Raised when a rating is not between 1 and 5."""

    rating: int


@dataclass(eq=False)
class PocSelfDispute(ForbiddenRevertError, code="self_dispute"):
    """Raised when a partner tries to dispute its own contribution."""

    contribution_id: bytes
    account: ChecksumAddress


@dataclass(eq=False)
class PocDisputeWindowClosed(ConflictRevertError, code="dispute_window_closed"):
    """Raised when the contribution's dispute window closed (at `closed_at`)."""

    contribution_id: bytes
    closed_at: int


@dataclass(eq=False)
class PocDisputeAlreadyOpen(ConflictRevertError, code="dispute_already_open"):
    """Raised when the contribution already has an open dispute."""

    contribution_id: bytes


@dataclass(eq=False)
class PocNoOpenDispute(ConflictRevertError, code="no_open_dispute"):
    """Raised when the contribution has no open dispute to vote on or withdraw."""

    contribution_id: bytes


@dataclass(eq=False)
class PocNoEligibleVoters(ConflictRevertError, code="no_eligible_voters"):
    """Raised when nobody but the contributor and the disputer could vote on a dispute."""

    contribution_id: bytes


@dataclass(eq=False)
class PocNotEligibleVoter(ForbiddenRevertError, code="not_eligible_voter"):
    """Raised when `account` may not vote on the contribution's open dispute."""

    contribution_id: bytes
    account: ChecksumAddress


@dataclass(eq=False)
class PocAlreadyVoted(ConflictRevertError, code="already_voted"):
    """Raised when `account` already voted on the contribution's open dispute."""

    contribution_id: bytes
    account: ChecksumAddress


@dataclass(eq=False)
class PocNotDisputer(ForbiddenRevertError, code="not_disputer"):
    """Raised when someone other than the disputer tries to withdraw a dispute."""

    contribution_id: bytes
    account: ChecksumAddress


@dataclass(eq=False)
class PocEmptyBatch(InvalidArgumentRevertError, code="empty_batch"):
    """Raised when a batch declares zero contributions."""


@dataclass(eq=False)
class PocBatchExists(ConflictRevertError, code="batch_exists"):
    """Raised when a batch with this id (same contributor and root) exists."""

    batch_id: bytes


@dataclass(eq=False)
class PocBatchNotFound(NotFoundRevertError, code="batch_not_found"):
    """Raised when no batch with this id exists in the project."""

    project_id: int
    batch_id: bytes


@dataclass(eq=False)
class PocInvalidMerkleProof(InvalidArgumentRevertError, code="invalid_merkle_proof"):
    """Raised when a Merkle proof does not lead to the batch's root."""

    batch_id: bytes


@dataclass(eq=False)
class PocProposalNotFound(NotFoundRevertError, code="proposal_not_found"):
    """Raised when no governance proposal with this id exists in the project."""

    project_id: int
    proposal_id: int


@dataclass(eq=False)
class PocProposalAlreadyExecuted(ConflictRevertError, code="proposal_already_executed"):
    """Raised when the governance proposal was already executed."""

    proposal_id: int


@dataclass(eq=False)
class PocAlreadyApproved(ConflictRevertError, code="proposal_already_approved"):
    """Raised when `account` already approved the governance proposal."""

    proposal_id: int
    account: ChecksumAddress


@dataclass(eq=False)
class PocNotEligibleApprover(ForbiddenRevertError, code="not_eligible_approver"):
    """Raised when `account` may not approve the proposal (joined later, or is being removed)."""

    proposal_id: int
    account: ChecksumAddress


@dataclass(eq=False)
class PocInvalidProposal(InvalidArgumentRevertError, code="invalid_proposal"):
    """Raised when a proposal's data does not decode for its kind or names an invalid change."""

    kind: ProposalKind
