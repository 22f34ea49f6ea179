"""The errors of RoyaltyVault, one class each."""

from __future__ import annotations

from dataclasses import dataclass

from eth_typing import ChecksumAddress

from ledger.chain.reverts.base import (
    ConflictRevertError,
    ExternalCallRevertError,
    ForbiddenRevertError,
    InvalidArgumentRevertError,
    NotFoundRevertError,
)

# ------------------------------------------------------------------------------ RoyaltyVault


@dataclass(eq=False)
class VaultNotParticipant(ForbiddenRevertError, code="not_participant"):
    """Raised when `account` is not a partner who accepted the project's current agreement."""

    project_id: int
    account: ChecksumAddress


@dataclass(eq=False)
class VaultInvalidSplit(InvalidArgumentRevertError, code="invalid_split"):
    """Raised when a split is malformed; `reason` names what is wrong."""

    reason: str


@dataclass(eq=False)
class VaultSplitNotFound(NotFoundRevertError, code="split_not_found"):
    """Raised when no split proposal with this id exists in the project."""

    project_id: int
    proposal_id: int


@dataclass(eq=False)
class VaultSplitAlreadyFinalized(ConflictRevertError, code="split_already_finalized"):
    """Raised when the split proposal was already finalized."""

    proposal_id: int


@dataclass(eq=False)
class VaultAlreadyApproved(ConflictRevertError, code="split_already_approved"):
    """Raised when `account` already approved the split proposal."""

    proposal_id: int
    account: ChecksumAddress


@dataclass(eq=False)
class VaultNotEligibleApprover(ForbiddenRevertError, code="not_eligible_split_approver"):
    """Raised when `account` joined the project after the split was proposed."""

    proposal_id: int
    account: ChecksumAddress


@dataclass(eq=False)
class VaultNoSplitInForce(ConflictRevertError, code="no_split_in_force"):
    """Raised when revenue arrives for a project without a finalized split."""

    project_id: int


@dataclass(eq=False)
class VaultZeroAmount(InvalidArgumentRevertError, code="zero_amount"):
    """Raised when a deposit amount is zero."""


@dataclass(eq=False)
class VaultAmountTooLarge(InvalidArgumentRevertError, code="amount_too_large"):
    """Raised when a deposit would take the project's total of a token past 2^128-1 units."""

    amount: int


@dataclass(eq=False)
class VaultNothingToRelease(ConflictRevertError, code="nothing_to_release"):
    """Raised when `partner` has no balance of `token` to release in the project."""

    project_id: int
    partner: ChecksumAddress
    token: ChecksumAddress


@dataclass(eq=False)
class VaultTransferFailed(ExternalCallRevertError, code="transfer_failed"):
    """Raised when sending ETH to `recipient` failed."""

    recipient: ChecksumAddress
    amount: int


@dataclass(eq=False)
class VaultUnattributedTransfer(InvalidArgumentRevertError, code="unattributed_transfer"):
    """Raised when ETH is sent to the vault without `deposit` naming a project."""
