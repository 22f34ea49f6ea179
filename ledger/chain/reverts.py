"""Contract reverts as Python exceptions: one class per Solidity error, decoded from revert data.

    ContractRevertError                    (ledger.errors)
    └── DecodedRevertError                 every class here; `code`, `revert_data`, `tx_hash`
        ├── NotFoundRevertError            a project, contribution, batch, proposal, split,
        │                                  disclosure or access-rights request
        ├── ForbiddenRevertError           the account may not do this
        ├── ConflictRevertError            the state does not allow it (now, or any more)
        ├── InvalidArgumentRevertError     the arguments are malformed
        ├── SignatureRevertError           a relayed call's signature, deadline or nonce
        ├── ExternalCallRevertError        a token or ETH transfer failed
        ├── InternalRevertError            Error(string), Panic(uint256), OZ string errors
        └── UnknownRevertError             a selector no ABI here knows (raw data kept)

Each leaf is named after its Solidity error, has a one-line "Raised when" docstring, typed
attributes named after the error's arguments (snake_case), and a stable machine-readable
`code` (e.g. "not_partner") that the HTTP API puts in its error bodies.

`REVERT_TABLE` maps 4-byte selectors to classes. It is built at import time from the ABIs of
the deployable contracts (selectors computed from each error's canonical signature, classes
matched by name) plus the errors Solidity and standard tokens raise without declaring them in
our ABIs (`Error(string)`, `Panic(uint256)`, ERC-6093 token errors). An ABI error without a
class lands in `UNMAPPED_ABI_ERRORS`, and the tests fail on it.

Translation: `decode_revert(data)` -> exception; `from_transaction_error(exc)` turns the chain
layer's `TransactionRevertedError` into its decoded class, with the original as `__cause__`;
`decoding_reverts()` is the context manager that does both for a block of node calls. Raw
backend errors (eth-tester `TransactionFailed`, web3 `ContractCustomError`) become
`TransactionRevertedError` in `ledger.chain.translate` first, the one place foreign errors are
mapped.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType
from typing import Any, ClassVar

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError
from eth_typing import ABIError, ChecksumAddress
from eth_utils.abi import abi_to_signature, get_abi_input_types
from eth_utils.crypto import keccak

from ledger.chain.artifacts import load_artifact
from ledger.chain.translate import translating
from ledger.domain.codec import to_hex
from ledger.domain.exchange import ReceiptStatus, RequestStatus
from ledger.domain.values import ContributionStatus, ProposalKind, from_abi_value
from ledger.errors import ContractRevertError, TransactionRevertedError

#: The contracts whose ABIs feed the selector table.
DEPLOYABLE_CONTRACTS = ("PocLedger", "RoyaltyVault", "PocExchange", "ChainCheckpoints")

_PANIC_REASONS = {
    0x00: "generic compiler panic",
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "corrupt storage byte array",
    0x31: "pop on an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to an uninitialised function",
}


# ------------------------------------------------------------------------------ bases


class DecodedRevertError(ContractRevertError):
    """Raised when a contract reverted with data this module decoded (base of all below)."""

    #: Stable machine-readable name of the error, reused by the HTTP API.
    code: ClassVar[str] = "contract_revert"
    #: Name of the Solidity error this class stands for ("" for the families).
    solidity_name: ClassVar[str] = ""
    #: The raw revert data it was decoded from (empty when built by hand).
    revert_data: bytes = b""
    #: Hash of the reverted transaction, when it was one (not an eth_call).
    tx_hash: str | None = None

    def __init_subclass__(cls, *, code: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code
            cls.solidity_name = cls.__name__

    @property
    def arguments(self) -> dict[str, Any]:
        """The error's arguments by (snake_case) name, in declaration order."""
        if not dataclasses.is_dataclass(type(self)):
            return {}
        fields = dataclasses.fields(typing.cast(Any, self))
        return {f.name: getattr(self, f.name) for f in fields}

    def json_arguments(self) -> dict[str, Any]:
        """`arguments` with JSON-friendly values: bytes as 0x-hex, enums by name."""
        return {name: _jsonable(value) for name, value in self.arguments.items()}

    @property
    def description(self) -> str:
        """The class docstring's sentence, e.g. "Raised when the account is not a partner."."""
        return (type(self).__doc__ or "").strip().splitlines()[0]

    def __str__(self) -> str:
        args = ", ".join(f"{name}={_display(value)}" for name, value in self.arguments.items())
        return f"{self.solidity_name or type(self).__name__}({args}): {self.description}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuild positionally from the fields: BaseException's default pickles `args`, which
        # is empty when the instance was built with keywords.
        return (type(self), tuple(self.arguments.values()), self.__dict__)


class NotFoundRevertError(DecodedRevertError):
    """Raised when the contract has no record of the named object."""


class ForbiddenRevertError(DecodedRevertError):
    """Raised when the acting account is not allowed to do this."""


class ConflictRevertError(DecodedRevertError):
    """Raised when the current on-chain state does not allow the action."""


class InvalidArgumentRevertError(DecodedRevertError):
    """Raised when the contract rejects an argument as malformed or out of range."""


class SignatureRevertError(DecodedRevertError):
    """Raised when a relayed call's signature, deadline or nonce is rejected."""


class ExternalCallRevertError(DecodedRevertError):
    """Raised when a token or ETH transfer made by the contract failed."""


class InternalRevertError(DecodedRevertError):
    """Raised when the contract failed in a way no custom error describes."""


@dataclass(eq=False)
class UnknownRevertError(DecodedRevertError):
    """Raised when the revert data matches no known error (raw data kept)."""

    code: ClassVar[str] = "unknown_revert"
    data: bytes
    #: The Solidity error name if an ABI knows the selector but its arguments did not decode.
    name: str | None = None

    @property
    def selector(self) -> bytes:
        return self.data[:4]

    def __str__(self) -> str:
        if not self.data:
            return "UnknownRevert(data=0x): the contract reverted without data"
        known = f" {self.name}" if self.name else ""
        return f"UnknownRevert(data=0x{self.data.hex()}): unknown or malformed{known} revert data"


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


# ------------------------------------------------------------------------------ ChainCheckpoints


@dataclass(eq=False)
class CheckpointEmptyRange(InvalidArgumentRevertError, code="checkpoint_empty_range"):
    """Raised when a checkpoint's last block is before its first."""

    from_block: int
    to_block: int


@dataclass(eq=False)
class CheckpointNotContiguous(ConflictRevertError, code="checkpoint_not_contiguous"):
    """Raised when a checkpoint does not start right after the anchorer's previous one."""

    source_chain_id: int
    expected_from_block: int
    from_block: int


@dataclass(eq=False)
class CheckpointZeroHash(InvalidArgumentRevertError, code="checkpoint_zero_hash"):
    """Raised when a checkpoint's Merkle root or last block hash is zero."""


# ------------------------------------------------------------------------------ signatures


@dataclass(eq=False)
class SignatureExpired(SignatureRevertError, code="signature_expired"):
    """Raised when a relayed call arrives after its signature's deadline."""

    deadline: int
    timestamp: int


@dataclass(eq=False)
class SignatureInvalid(SignatureRevertError, code="signature_invalid"):
    """Raised when the signature is not `signer`'s (neither ECDSA nor ERC-1271)."""

    signer: ChecksumAddress


@dataclass(eq=False)
class SignatureNonceUsed(SignatureRevertError, code="nonce_used"):
    """Raised when `signer` already used or cancelled the nonce."""

    signer: ChecksumAddress
    nonce: int


# ------------------------------------------------------------------------------ OpenZeppelin


@dataclass(eq=False)
class ReentrancyGuardReentrantCall(ExternalCallRevertError, code="reentrant_call"):
    """Raised when a token or receiver calls back into the vault during a payout."""


@dataclass(eq=False)
class SafeERC20FailedOperation(ExternalCallRevertError, code="token_operation_failed"):
    """Raised when an ERC-20 transfer returned false or nothing where a value was due."""

    token: ChecksumAddress


@dataclass(eq=False)
class InvalidShortString(InternalRevertError, code="invalid_short_string"):
    """Raised when OpenZeppelin's ShortStrings meets a malformed short string."""


@dataclass(eq=False)
class StringTooLong(InternalRevertError, code="string_too_long"):
    """Raised when OpenZeppelin's ShortStrings is given more than 31 bytes."""

    # The ABI calls the argument `str`; the trailing underscore keeps the builtin visible.
    str_: str


# ERC-6093 token errors: not in our ABIs, but `depositToken` bubbles them up from an
# OpenZeppelin ERC-20 when the depositor's balance or allowance is short.


@dataclass(eq=False)
class ERC20InsufficientBalance(ExternalCallRevertError, code="insufficient_token_balance"):
    """Raised when the token says `sender` holds `balance`, less than the `needed` amount."""

    sender: ChecksumAddress
    balance: int
    needed: int


@dataclass(eq=False)
class ERC20InsufficientAllowance(ExternalCallRevertError, code="insufficient_token_allowance"):
    """Raised when the token says `spender` may move `allowance`, less than `needed`."""

    spender: ChecksumAddress
    allowance: int
    needed: int


# ------------------------------------------------------------------------------ Solidity


@dataclass(eq=False)
class RevertReason(InternalRevertError, code="revert_reason"):
    """Raised when the contract reverted with a reason string (`Error(string)`)."""

    reason: str


@dataclass(eq=False)
class PanicError(InternalRevertError, code="panic"):
    """Raised when the EVM code panicked (`Panic(uint256)`): a bug, not a user error."""

    panic_code: int

    @property
    def meaning(self) -> str:
        """What the panic code stands for."""
        return _PANIC_REASONS.get(self.panic_code, f"panic code {self.panic_code:#x}")


RevertReason.solidity_name = "Error"
PanicError.solidity_name = "Panic"

# Errors that reach us without being declared in a deployable contract's ABI.
_BUILTIN_SIGNATURES: Mapping[str, str] = {
    "Error": "Error(string)",
    "Panic": "Panic(uint256)",
    "ERC20InsufficientBalance": "ERC20InsufficientBalance(address,uint256,uint256)",
    "ERC20InsufficientAllowance": "ERC20InsufficientAllowance(address,uint256,uint256)",
}


# ------------------------------------------------------------------------------ the table


@dataclass(frozen=True)
class RevertEntry:
    """One row of the selector table: the class and how to decode its arguments."""

    selector: bytes
    signature: str
    error_class: type[DecodedRevertError]
    input_types: tuple[str, ...]


def revert_classes() -> tuple[type[DecodedRevertError], ...]:
    """Every concrete (leaf) class this module defines for a Solidity error."""
    found: list[type[DecodedRevertError]] = []
    stack: list[type[DecodedRevertError]] = [DecodedRevertError]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.solidity_name:
            found.append(cls)
    return tuple(sorted(set(found), key=lambda c: c.__name__))


def selector_of(signature: str) -> bytes:
    """The 4-byte selector of a canonical error signature, e.g. "Panic(uint256)"."""
    return keccak(text=signature)[:4]


def abi_errors(*contract_names: str) -> tuple[ABIError, ...]:
    """The error entries of the named artifacts' ABIs (default: the deployable contracts)."""
    entries: list[ABIError] = []
    for name in contract_names or DEPLOYABLE_CONTRACTS:
        entries.extend(e for e in load_artifact(name).abi if e["type"] == "error")
    return tuple(entries)


def _build_table() -> tuple[dict[bytes, RevertEntry], tuple[str, ...]]:
    by_name = {cls.solidity_name: cls for cls in revert_classes()}
    table: dict[bytes, RevertEntry] = {}
    unmapped: list[str] = []
    for entry in abi_errors():
        signature = abi_to_signature(entry)
        cls = by_name.get(entry["name"])
        if cls is None:
            unmapped.append(signature)
            continue
        selector = selector_of(signature)
        table[selector] = RevertEntry(selector, signature, cls, tuple(get_abi_input_types(entry)))
    for name, signature in _BUILTIN_SIGNATURES.items():
        types = tuple(t for t in signature[signature.index("(") + 1 : -1].split(",") if t)
        selector = selector_of(signature)
        table.setdefault(selector, RevertEntry(selector, signature, by_name[name], types))
    return table, tuple(sorted(set(unmapped)))


_TABLE, UNMAPPED_ABI_ERRORS = _build_table()
#: Selector -> how to decode it and into which class.
REVERT_TABLE: Mapping[bytes, RevertEntry] = MappingProxyType(_TABLE)


# ------------------------------------------------------------------------------ decoding


def decode_revert(data: bytes) -> DecodedRevertError:
    """The exception that revert `data` stands for (not raised; `UnknownRevertError` when the
    selector is unknown, the arguments do not decode, or there is no data at all)."""
    data = bytes(data)
    entry = REVERT_TABLE.get(data[:4]) if len(data) >= 4 else None
    if entry is None:
        error: DecodedRevertError = UnknownRevertError(data)
    else:
        try:
            values = decode(list(entry.input_types), data[4:], strict=False)
            error = entry.error_class(*_convert(entry.error_class, values))
        except (DecodingError, ValueError, TypeError, OverflowError):
            error = UnknownRevertError(data, entry.error_class.solidity_name)
    error.revert_data = data
    return error


def from_transaction_error(exc: TransactionRevertedError) -> DecodedRevertError:
    """The decoded exception for the chain layer's `TransactionRevertedError`, with `exc` as
    its cause and the transaction hash carried over. Raise the result `from exc`."""
    error = decode_revert(exc.revert_data)
    error.tx_hash = exc.tx_hash
    error.__cause__ = exc
    return error


@contextmanager
def decoding_reverts() -> Iterator[None]:
    """Run node calls; a revert carrying data is raised as its decoded class `from` the
    chain error, other foreign errors as their `ledger.errors` class.

    A revert without data (out of gas, a node that hides it) stays a `TransactionRevertedError`:
    nothing says the contract refused, so it is reported as a chain failure.
    """
    try:
        with translating():
            yield
    except TransactionRevertedError as exc:
        if not exc.revert_data:
            raise
        raise from_transaction_error(exc) from exc


def _convert(cls: type[DecodedRevertError], values: tuple[Any, ...]) -> list[Any]:
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(typing.cast(Any, cls))
    if len(fields) != len(values):
        raise TypeError(f"{cls.__name__} has {len(fields)} fields, the ABI {len(values)}")
    return [from_abi_value(hints[f.name], v) for f, v in zip(fields, values, strict=True)]


def _display(value: Any) -> str:
    if isinstance(value, bytes):
        return to_hex(value)
    if isinstance(value, IntEnum):
        return value.name
    return repr(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return to_hex(value)
    if isinstance(value, IntEnum):
        return value.name.lower()
    return value
