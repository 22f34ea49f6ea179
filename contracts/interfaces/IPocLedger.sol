// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {
    BatchLeaf,
    ContributionStatus,
    DisputeOutcome,
    Origin,
    Policy,
    ProposalKind,
    Registration,
    SignedAuth
} from "../PocTypes.sol";
import {IPartnerSignatures} from "./IPartnerSignatures.sol";
import {IPocGovernance} from "./IPocGovernance.sol";
import {ISemver} from "./ISemver.sol";

/// @title IPocLedger
/// @notice The Proof-of-Contribution ledger: one deployment records, for many joint innovation
/// projects, who contributed what and when, as salted commitments signed by the partners.
///
/// Rules of membership (also in docs/governance.md):
/// - The creator of a project is its coordinator and one of its partners.
/// - Until the consortium agreement is in force (every partner accepted its current version) the
///   coordinator alone may add or remove partners: nobody has rights in the project yet.
/// - Once in force, adding or removing a partner, changing the policy or amending the agreement
///   needs a proposal approved by `governanceBps` of the partners. A partner being removed is not
///   counted and cannot block its removal; nobody can change the others' rights alone.
/// - Partners act (register, endorse, dispute, vote) only after accepting the current agreement.
///
/// The functions of {IPocGovernance} (creating projects and proposals) are part of this interface;
/// a PocLedger runs them, and the execution of approved proposals, in its PocGovernance module, in
/// its own storage and under its own address, so the events and errors below cover them too.
interface IPocLedger is IPocGovernance, IPartnerSignatures, ISemver {
    // ---------------------------------------------------------------- errors

    /// @notice No project has id `projectId`.
    error PocProjectNotFound(uint32 projectId);
    /// @notice `account` is not the coordinator of `projectId`.
    error PocNotCoordinator(uint32 projectId, address account);
    /// @notice `account` is not an active partner of `projectId`.
    error PocNotPartner(uint32 projectId, address account);
    /// @notice `account` has not accepted agreement version `currentVersion` of `projectId`.
    error PocAgreementNotAccepted(uint32 projectId, address account, uint32 currentVersion);
    /// @notice The accepted version and hash are not the project's current agreement.
    error PocAgreementMismatch(uint32 projectId, uint32 version, bytes32 agreementHash);
    /// @notice `account` already accepted agreement `version`.
    error PocAgreementAlreadyAccepted(uint32 projectId, address account, uint32 version);
    /// @notice The agreement is in force: the change needs a proposal approved by the partners.
    error PocAgreementInForce(uint32 projectId);
    /// @notice The agreement is not in force yet: the coordinator changes membership directly.
    error PocAgreementNotInForce(uint32 projectId);
    /// @notice An agreement hash must not be zero.
    error PocZeroAgreementHash();
    /// @notice The partner list has a zero or duplicate address at `index`.
    error PocInvalidPartnerList(uint256 index, address partner);
    /// @notice The coordinator must be one of the partners.
    error PocCoordinatorNotPartner(address coordinator);
    /// @notice `account` is already a partner of `projectId`.
    error PocAlreadyPartner(uint32 projectId, address account);
    /// @notice The coordinator cannot be removed before the agreement is in force.
    error PocCannotRemoveCoordinator(uint32 projectId, address coordinator);
    /// @notice The policy field named `field` is out of range.
    error PocInvalidPolicy(string field);
    /// @notice Category `category` does not exist in a policy with `categoryCount` categories.
    error PocUnknownCategory(uint8 category, uint8 categoryCount);
    /// @notice A commitment or Merkle root must not be zero.
    error PocZeroCommitment();
    /// @notice A contribution with id `contributionId` already exists.
    error PocContributionExists(bytes32 contributionId);
    /// @notice No contribution `contributionId` exists in `projectId`.
    error PocContributionNotFound(uint32 projectId, bytes32 contributionId);
    /// @notice The contribution is not active (withdrawn, superseded or invalidated).
    error PocContributionNotActive(bytes32 contributionId, ContributionStatus status);
    /// @notice Only the contributor may do this to its contribution.
    error PocNotContributor(bytes32 contributionId, address account);
    /// @notice At most `max` parent links per contribution.
    error PocTooManyParents(uint256 count, uint256 max);
    /// @notice A partner cannot endorse its own contribution.
    error PocSelfEndorsement(bytes32 contributionId, address account);
    /// @notice `endorser` already endorsed the contribution.
    error PocAlreadyEndorsed(bytes32 contributionId, address endorser);
    /// @notice Ratings go from 1 to 5.
    error PocInvalidRating(uint8 rating);
    /// @notice A partner cannot dispute its own contribution.
    error PocSelfDispute(bytes32 contributionId, address account);
    /// @notice The dispute window of the contribution closed at `closedAt`.
    error PocDisputeWindowClosed(bytes32 contributionId, uint256 closedAt);
    /// @notice The contribution already has an open dispute.
    error PocDisputeAlreadyOpen(bytes32 contributionId);
    /// @notice The contribution has no open dispute.
    error PocNoOpenDispute(bytes32 contributionId);
    /// @notice No partner besides the contributor and the disputer could vote on a dispute.
    error PocNoEligibleVoters(bytes32 contributionId);
    /// @notice `account` may not vote on the open dispute of the contribution.
    error PocNotEligibleVoter(bytes32 contributionId, address account);
    /// @notice `account` already voted on the open dispute of the contribution.
    error PocAlreadyVoted(bytes32 contributionId, address account);
    /// @notice Only the partner who opened the dispute may withdraw it.
    error PocNotDisputer(bytes32 contributionId, address account);
    /// @notice A batch must hold between 1 and 2^32-1 contributions.
    error PocEmptyBatch();
    /// @notice A batch with id `batchId` already exists.
    error PocBatchExists(bytes32 batchId);
    /// @notice No batch `batchId` exists in the project.
    error PocBatchNotFound(uint32 projectId, bytes32 batchId);
    /// @notice The Merkle proof does not lead to the root of batch `batchId`.
    error PocInvalidMerkleProof(bytes32 batchId);
    /// @notice No proposal `proposalId` exists in `projectId`.
    error PocProposalNotFound(uint32 projectId, uint64 proposalId);
    /// @notice The proposal was already executed.
    error PocProposalAlreadyExecuted(uint64 proposalId);
    /// @notice `account` already approved the proposal.
    error PocAlreadyApproved(uint64 proposalId, address account);
    /// @notice `account` may not approve the proposal (joined later, or is the partner removed).
    error PocNotEligibleApprover(uint64 proposalId, address account);
    /// @notice The proposal's data does not decode for its kind or names an invalid change.
    error PocInvalidProposal(ProposalKind kind);

    // ---------------------------------------------------------------- events

    /// @notice A project was created with its first agreement and policy (version 1).
    event ProjectCreated(
        uint32 indexed projectId, address indexed coordinator, bytes32 agreementHash, address[] partners
    );
    /// @notice Policy `version` of the project came into force; `policy` is given in full.
    event PolicySet(uint32 indexed projectId, uint32 indexed version, bytes32 policyHash, Policy policy);
    /// @notice Agreement `version` with hash `agreementHash` became the project's current text.
    event AgreementSet(uint32 indexed projectId, uint32 indexed version, bytes32 agreementHash);
    /// @notice `partner` accepted agreement `version`.
    event AgreementAccepted(uint32 indexed projectId, address indexed partner, uint32 version);
    /// @notice Every partner accepted agreement `version`: governance rules now apply.
    event AgreementInForce(uint32 indexed projectId, uint32 version);
    /// @notice `partner` joined the project.
    event PartnerAdded(uint32 indexed projectId, address indexed partner);
    /// @notice `partner` left the project. Its contributions stay recorded.
    event PartnerRemoved(uint32 indexed projectId, address indexed partner);
    /// @notice `account` declared its organisation identity.
    event IdentitySet(address indexed account, string name, string companyNumber);
    /// @notice A governance proposal was made; `data` is the ABI-encoded change.
    event ProposalCreated(
        uint32 indexed projectId, uint64 indexed proposalId, address indexed proposer, ProposalKind kind, bytes data
    );
    /// @notice `approver` approved the proposal.
    event ProposalApproved(uint32 indexed projectId, uint64 indexed proposalId, address indexed approver);
    /// @notice The proposal reached its threshold and its change was applied.
    event ProposalExecuted(uint32 indexed projectId, uint64 indexed proposalId);
    /// @notice A contribution was recorded. `cardHash` is the hash of its card as the contributor
    /// signed it (zero: registered without a card). `registeredAt` is the evidence time (for a
    /// batched contribution: when its batch was anchored). `batchId` is zero for a direct
    /// registration.
    event ContributionRegistered(
        uint32 indexed projectId,
        bytes32 indexed contributionId,
        address indexed contributor,
        bytes32 commitment,
        bytes32 cardHash,
        Origin origin,
        uint8 category,
        uint64 value,
        bytes32[] parents,
        bytes32 supersedes,
        bytes32 batchId,
        uint40 registeredAt,
        string uri
    );
    /// @notice The contributor withdrew its contribution; the record stays.
    event ContributionWithdrawn(uint32 indexed projectId, bytes32 indexed contributionId, address indexed contributor);
    /// @notice The contribution was replaced by a new version, `replacementId`.
    event ContributionSuperseded(
        uint32 indexed projectId, bytes32 indexed contributionId, bytes32 indexed replacementId
    );
    /// @notice `contributor` anchored the Merkle root of `count` contributions.
    event BatchAnchored(
        uint32 indexed projectId, bytes32 indexed batchId, address indexed contributor, bytes32 root, uint32 count, string uri
    );
    /// @notice `endorser` endorsed the contribution with an impact `rating` from 1 to 5.
    event Endorsed(uint32 indexed projectId, bytes32 indexed contributionId, address indexed endorser, uint8 rating);
    /// @notice `disputer` opened dispute number `disputeNumber` of the contribution.
    event DisputeOpened(
        uint32 indexed projectId,
        bytes32 indexed contributionId,
        address indexed disputer,
        uint32 disputeNumber,
        bytes32 reasonHash,
        uint16 eligibleVoters
    );
    /// @notice `voter` voted to uphold (`uphold`) or reject the dispute.
    event DisputeVoted(
        uint32 indexed projectId, bytes32 indexed contributionId, address indexed voter, uint32 disputeNumber, bool uphold
    );
    /// @notice The dispute ended with `outcome`; an upheld dispute invalidates the contribution.
    event DisputeResolved(
        uint32 indexed projectId, bytes32 indexed contributionId, uint32 disputeNumber, DisputeOutcome outcome
    );

    // ---------------------------------------------------------------- views' return types

    /// @notice Summary of a project's state.
    struct ProjectInfo {
        address coordinator;
        uint32 agreementVersion;
        bytes32 agreementHash;
        uint32 policyVersion;
        bytes32 policyHash;
        bool inForce;
        uint16 partnerCount;
        uint16 acceptedCount;
        uint32 disputeWindow;
        uint16 splitApprovalBps;
        uint16 governanceBps;
        uint8 categoryCount;
    }

    /// @notice A partner's membership of a project.
    struct MemberInfo {
        bool active;
        uint32 acceptedVersion;
        uint40 joinedAt;
    }

    /// @notice What the contract keeps of a contribution (the rest is in its event).
    struct ContributionInfo {
        address contributor;
        uint32 projectId;
        uint40 registeredAt;
        ContributionStatus status;
    }

    /// @notice State of a contribution's latest dispute.
    struct DisputeInfo {
        address disputer;
        uint40 openedAt;
        uint32 number;
        DisputeOutcome outcome;
        uint16 eligibleVoters;
        uint16 upholdVotes;
        uint16 rejectVotes;
    }

    /// @notice An anchored Merkle batch.
    struct BatchInfo {
        address contributor;
        uint32 projectId;
        uint40 anchoredAt;
        uint32 count;
        bytes32 root;
    }

    /// @notice A governance proposal.
    struct ProposalInfo {
        uint32 projectId;
        ProposalKind kind;
        bool executed;
        uint40 createdAt;
        uint16 approvals;
        uint16 required;
        address proposer;
        bytes data;
    }

    // ---------------------------------------------------------------- membership, agreement, identity

    /// @notice Adds `partner` before the agreement is in force. Only the coordinator.
    /// @dev Emits {PartnerAdded}. Reverts with {PocAgreementInForce} once in force, with
    /// {PocAlreadyPartner} for a partner already in.
    /// @param projectId The project.
    /// @param partner The account to add; it must accept the agreement before it can act.
    function addPartner(uint32 projectId, address partner) external;

    /// @notice Removes `partner` before the agreement is in force. Only the coordinator, who cannot
    /// remove itself.
    /// @dev Emits {PartnerRemoved} and, if the rest all accepted, {AgreementInForce}.
    /// @param projectId The project.
    /// @param partner The partner to remove.
    function removePartner(uint32 projectId, address partner) external;

    /// @notice Accepts the project's agreement `version` whose text hashes to `agreementHash`.
    /// @dev Naming the version and hash guards against accepting a text that changed meanwhile.
    /// Emits {AgreementAccepted}, and {AgreementInForce} when the last partner accepts.
    /// @param projectId The project.
    /// @param version The agreement version accepted: the project's current one.
    /// @param agreementHash The hash of that version's text, as the partner read it.
    function acceptAgreement(uint32 projectId, uint32 version, bytes32 agreementHash) external;

    /// @notice Relayed {acceptAgreement}. Signed type: `AcceptAgreement(uint32 projectId,uint32 version,
    /// bytes32 agreementHash,address signer,uint256 nonce,uint256 deadline)`.
    /// @param projectId The project.
    /// @param version The agreement version accepted.
    /// @param agreementHash The hash of that version's text.
    /// @param auth The partner's signature, nonce and deadline.
    function acceptAgreementBySig(uint32 projectId, uint32 version, bytes32 agreementHash, SignedAuth calldata auth)
        external;

    /// @notice Declares the caller's organisation: legal name and company number (e.g. KBO/VAT).
    /// @dev Emits {IdentitySet}. The latest declaration counts; earlier ones stay in the log.
    /// @param name The organisation's legal name.
    /// @param companyNumber Its company number in the register of its country.
    function setIdentity(string calldata name, string calldata companyNumber) external;

    /// @notice Relayed {setIdentity}. Signed type: `SetIdentity(string name,string companyNumber,
    /// address signer,uint256 nonce,uint256 deadline)`.
    /// @param name The organisation's legal name.
    /// @param companyNumber Its company number.
    /// @param auth The account's signature, nonce and deadline.
    function setIdentityBySig(string calldata name, string calldata companyNumber, SignedAuth calldata auth)
        external;

    // ---------------------------------------------------------------- proposals (made in IPocGovernance)

    /// @notice Approves a proposal; the approval that reaches the threshold executes it.
    /// @dev Eligible: partners who were members when it was made, except the partner it removes.
    /// Emits {ProposalApproved}, then possibly {ProposalExecuted}.
    /// @param projectId The project the proposal belongs to.
    /// @param proposalId The proposal.
    function approveProposal(uint32 projectId, uint64 proposalId) external;

    /// @notice Relayed {approveProposal}. Signed type: `ApproveProposal(uint32 projectId,uint64 proposalId,
    /// address signer,uint256 nonce,uint256 deadline)`.
    /// @param projectId The project the proposal belongs to.
    /// @param proposalId The proposal.
    /// @param auth The approver's signature, nonce and deadline.
    function approveProposalBySig(uint32 projectId, uint64 proposalId, SignedAuth calldata auth) external;

    // ---------------------------------------------------------------- contributions

    /// @notice Registers a contribution of the caller.
    /// @dev Requirements: caller is a partner who accepted the agreement; commitment non-zero; a
    /// known category; at most 16 parents, each an existing contribution of the project; if
    /// `supersedes` is set, it is an active contribution of the caller, which becomes Superseded.
    /// Emits {ContributionRegistered} and possibly {ContributionSuperseded}.
    /// @param registration The project, commitment, card hash (zero if none), origin, category,
    /// declared value, parents, superseded contribution (zero if none) and URI of the
    /// contribution.
    /// @return contributionId keccak256(abi.encode(projectId, caller, commitment)).
    function register(Registration calldata registration) external returns (bytes32 contributionId);

    /// @notice Relayed {register}. Signed type: `Register(uint32 projectId,bytes32 commitment,
    /// bytes32 cardHash,uint8 origin,uint8 category,uint64 value,bytes32[] parents,bytes32 supersedes,
    /// string uri,address signer,uint256 nonce,uint256 deadline)`.
    /// @param registration The contribution, as in {register}.
    /// @param auth The contributor's signature, nonce and deadline.
    /// @return contributionId keccak256(abi.encode(projectId, signer, commitment)).
    function registerBySig(Registration calldata registration, SignedAuth calldata auth)
        external
        returns (bytes32 contributionId);

    /// @notice Anchors the Merkle root of `count` contributions of the caller in one transaction.
    /// @dev Leaves are OpenZeppelin StandardMerkleTree leaves of
    /// `(bytes32 commitment, bytes32 cardHash, uint8 origin, uint8 category, uint64 value,
    /// bytes32[] parents)`: the card is committed with the contribution when the root is signed.
    /// `count` is the contributor's own statement of the tree's size, recorded for readers; the
    /// contract cannot check it, and reveals are bounded by the leaves the tree really holds.
    /// Emits {BatchAnchored}.
    /// @param projectId The project.
    /// @param root The Merkle root of the batch (non-zero).
    /// @param count How many leaves the tree holds, by the contributor's statement (non-zero).
    /// @param uri Where the batch's off-chain data can be found (may be empty).
    /// @return batchId keccak256(abi.encode(projectId, caller, root)).
    function anchorBatch(uint32 projectId, bytes32 root, uint32 count, string calldata uri)
        external
        returns (bytes32 batchId);

    /// @notice Relayed {anchorBatch}. Signed type: `AnchorBatch(uint32 projectId,bytes32 root,uint32 count,
    /// string uri,address signer,uint256 nonce,uint256 deadline)`.
    /// @param projectId The project.
    /// @param root The Merkle root of the batch.
    /// @param count How many leaves the tree holds.
    /// @param uri Where the batch's off-chain data can be found.
    /// @param auth The contributor's signature, nonce and deadline.
    /// @return batchId keccak256(abi.encode(projectId, signer, root)).
    function anchorBatchBySig(uint32 projectId, bytes32 root, uint32 count, string calldata uri, SignedAuth calldata auth)
        external
        returns (bytes32 batchId);

    /// @notice Brings a batched contribution into the lifecycle by its Merkle proof. Anyone may
    /// call: the batch's anchoring already proves who contributed it and when.
    /// @dev Emits {ContributionRegistered} with the batch id and the anchoring time.
    /// @param projectId The project of the batch.
    /// @param batchId The anchored batch.
    /// @param leaf The contribution as committed in the tree.
    /// @param proof The sibling hashes from the leaf up to the root.
    /// @return contributionId keccak256(abi.encode(projectId, batch contributor, commitment)).
    function revealBatched(uint32 projectId, bytes32 batchId, BatchLeaf calldata leaf, bytes32[] calldata proof)
        external
        returns (bytes32 contributionId);

    /// @notice Withdraws the caller's active contribution. The record stays, marked Withdrawn.
    /// @dev Emits {ContributionWithdrawn}.
    /// @param projectId The project.
    /// @param contributionId The caller's contribution.
    function withdrawContribution(uint32 projectId, bytes32 contributionId) external;

    /// @notice Relayed {withdrawContribution}. Signed type: `WithdrawContribution(uint32 projectId,
    /// bytes32 contributionId,address signer,uint256 nonce,uint256 deadline)`.
    /// @param projectId The project.
    /// @param contributionId The signer's contribution.
    /// @param auth The contributor's signature, nonce and deadline.
    function withdrawContributionBySig(uint32 projectId, bytes32 contributionId, SignedAuth calldata auth) external;

    // ---------------------------------------------------------------- endorsements and disputes

    /// @notice Endorses another partner's active contribution with an impact rating from 1 to 5,
    /// at most once. Emits {Endorsed}.
    /// @param projectId The project.
    /// @param contributionId Another partner's active contribution.
    /// @param rating The impact rating, 1 to 5.
    function endorse(uint32 projectId, bytes32 contributionId, uint8 rating) external;

    /// @notice Relayed {endorse}. Signed type: `Endorse(uint32 projectId,bytes32 contributionId,uint8 rating,
    /// address signer,uint256 nonce,uint256 deadline)`.
    /// @param projectId The project.
    /// @param contributionId Another partner's active contribution.
    /// @param rating The impact rating, 1 to 5.
    /// @param auth The endorser's signature, nonce and deadline.
    function endorseBySig(uint32 projectId, bytes32 contributionId, uint8 rating, SignedAuth calldata auth)
        external;

    /// @notice Disputes another partner's active contribution within the dispute window.
    /// @dev One open dispute per contribution; needs at least one partner other than the
    /// contributor and the disputer to vote. Emits {DisputeOpened}.
    /// @param projectId The project.
    /// @param contributionId Another partner's active contribution.
    /// @param reasonHash Hash of the written reason (kept off chain, shared with the partners).
    function openDispute(uint32 projectId, bytes32 contributionId, bytes32 reasonHash) external;

    /// @notice Relayed {openDispute}. Signed type: `OpenDispute(uint32 projectId,bytes32 contributionId,
    /// bytes32 reasonHash,address signer,uint256 nonce,uint256 deadline)`.
    /// @param projectId The project.
    /// @param contributionId Another partner's active contribution.
    /// @param reasonHash Hash of the written reason.
    /// @param auth The disputer's signature, nonce and deadline.
    function openDisputeBySig(uint32 projectId, bytes32 contributionId, bytes32 reasonHash, SignedAuth calldata auth)
        external;

    /// @notice Votes on the open dispute of a contribution. Only partners who were members when it
    /// opened, other than the contributor and the disputer. A strict majority of eligible voters
    /// on either side resolves it. Emits {DisputeVoted} and possibly {DisputeResolved}.
    /// @param projectId The project.
    /// @param contributionId The disputed contribution.
    /// @param uphold True to uphold the dispute (invalidate the contribution), false to reject it.
    function voteDispute(uint32 projectId, bytes32 contributionId, bool uphold) external;

    /// @notice Relayed {voteDispute}. Signed type: `VoteDispute(uint32 projectId,bytes32 contributionId,
    /// bool uphold,address signer,uint256 nonce,uint256 deadline)`.
    /// @param projectId The project.
    /// @param contributionId The disputed contribution.
    /// @param uphold True to uphold the dispute, false to reject it.
    /// @param auth The voter's signature, nonce and deadline.
    function voteDisputeBySig(uint32 projectId, bytes32 contributionId, bool uphold, SignedAuth calldata auth)
        external;

    /// @notice The disputer withdraws its open dispute. Emits {DisputeResolved} (Withdrawn).
    /// @param projectId The project.
    /// @param contributionId The contribution whose open dispute the caller opened.
    function withdrawDispute(uint32 projectId, bytes32 contributionId) external;

    /// @notice Relayed {withdrawDispute}. Signed type: `WithdrawDispute(uint32 projectId,bytes32 contributionId,
    /// address signer,uint256 nonce,uint256 deadline)`.
    /// @param projectId The project.
    /// @param contributionId The contribution whose open dispute the signer opened.
    /// @param auth The disputer's signature, nonce and deadline.
    function withdrawDisputeBySig(uint32 projectId, bytes32 contributionId, SignedAuth calldata auth) external;

    // ---------------------------------------------------------------- views

    /// @notice The most parent links a contribution may have.
    /// @return 16.
    function MAX_PARENTS() external view returns (uint256);

    /// @notice The most categories a policy may have.
    /// @return 32.
    function MAX_CATEGORIES() external view returns (uint256);

    /// @notice The highest endorsement rating.
    /// @return 5.
    function MAX_RATING() external view returns (uint8);

    /// @notice The PocGovernance module that runs the {IPocGovernance} functions of this ledger.
    /// @dev Created by this ledger's constructor and reached by DELEGATECALL only; its code is
    /// part of this ledger's code (a verifier checks both, see docs/proofs.md).
    /// @return The module's address.
    function governance() external view returns (address);

    /// @notice Decodes ABI-encoded policy data as a proposal carries it; reverts on malformed data.
    /// @param data `abi.encode(Policy)`.
    /// @return The decoded policy.
    function decodePolicy(bytes calldata data) external pure returns (Policy memory);

    /// @notice Number of projects created so far (ids run from 1 to this).
    /// @return The number of projects.
    function projectCount() external view returns (uint32);

    /// @notice Summary of project `projectId`. Reverts with {PocProjectNotFound}.
    /// @param projectId The project.
    /// @return The project's coordinator, current agreement and policy, partners and parameters.
    function project(uint32 projectId) external view returns (ProjectInfo memory);

    /// @notice Active partners of the project, in no particular order.
    /// @param projectId The project.
    /// @return The partners' addresses.
    function partners(uint32 projectId) external view returns (address[] memory);

    /// @notice Membership of `account` in the project (all zero if it never joined).
    /// @param projectId The project.
    /// @param account The account asked about.
    /// @return Whether it is active, the agreement version it accepted last, when it joined.
    function member(uint32 projectId, address account) external view returns (MemberInfo memory);

    /// @notice Whether `account` is an active partner who accepted the current agreement.
    /// @param projectId The project.
    /// @param account The account asked about.
    /// @return True if `account` may act in the project now.
    function isParticipant(uint32 projectId, address account) external view returns (bool);

    /// @notice Hash of policy `version` of the project (zero if none).
    /// @param projectId The project.
    /// @param version The policy version, from 1.
    /// @return keccak256(abi.encode(policy)) of that version.
    function policyHashAt(uint32 projectId, uint32 version) external view returns (bytes32);

    /// @notice Hash of agreement `version` of the project (zero if none).
    /// @param projectId The project.
    /// @param version The agreement version, from 1.
    /// @return The hash of that version's text.
    function agreementHashAt(uint32 projectId, uint32 version) external view returns (bytes32);

    /// @notice The stored part of a contribution (status None if unknown).
    /// @param contributionId The contribution.
    /// @return Its contributor, project, registration time and status.
    function contribution(bytes32 contributionId) external view returns (ContributionInfo memory);

    /// @notice The id a contribution of `contributor` with `commitment` has in `projectId`.
    /// @param projectId The project.
    /// @param contributor The contributing partner.
    /// @param commitment The salted commitment.
    /// @return keccak256(abi.encode(projectId, contributor, commitment)).
    function contributionIdOf(uint32 projectId, address contributor, bytes32 commitment)
        external
        pure
        returns (bytes32);

    /// @notice Whether `endorser` endorsed the contribution.
    /// @param contributionId The contribution.
    /// @param endorser The partner asked about.
    /// @return True if `endorser` endorsed it.
    function hasEndorsed(bytes32 contributionId, address endorser) external view returns (bool);

    /// @notice The contribution's latest dispute (number 0 if never disputed).
    /// @param contributionId The contribution.
    /// @return The disputer, opening time, number, outcome and votes of its latest dispute.
    function dispute(bytes32 contributionId) external view returns (DisputeInfo memory);

    /// @notice An anchored batch (contributor zero if unknown).
    /// @param batchId The batch.
    /// @return Its contributor, project, anchoring time, stated count and root.
    function batch(bytes32 batchId) external view returns (BatchInfo memory);

    /// @notice The StandardMerkleTree leaf hash of a batched contribution.
    /// @param leaf The contribution as committed in the tree.
    /// @return keccak256(bytes.concat(keccak256(abi.encode(leaf fields)))).
    function batchLeafHash(BatchLeaf calldata leaf) external pure returns (bytes32);

    /// @notice Whether `leaf` is in batch `batchId` by `proof`.
    /// @param batchId The batch.
    /// @param leaf The contribution as committed in the tree.
    /// @param proof The sibling hashes from the leaf up to the root.
    /// @return True if the batch exists and the proof leads to its root.
    function verifyBatchLeaf(bytes32 batchId, BatchLeaf calldata leaf, bytes32[] calldata proof)
        external
        view
        returns (bool);

    /// @notice A governance proposal. Reverts with {PocProposalNotFound}.
    /// @param projectId The project the proposal belongs to.
    /// @param proposalId The proposal.
    /// @return Its kind, state, approvals, threshold, proposer and data.
    function proposal(uint32 projectId, uint64 proposalId) external view returns (ProposalInfo memory);

    /// @notice Whether `account` approved the proposal.
    /// @param proposalId The proposal.
    /// @param account The partner asked about.
    /// @return True if `account` approved it.
    function hasApproved(uint64 proposalId, address account) external view returns (bool);
}
