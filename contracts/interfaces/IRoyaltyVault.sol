// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SignedAuth, SplitInput} from "../PocTypes.sol";
import {IPartnerSignatures} from "./IPartnerSignatures.sol";
import {ISemver} from "./ISemver.sol";

/// @title IRoyaltyVault
/// @notice Royalty splits and payouts for the projects of one {IPocLedger}. A partner proposes a
/// split computed by the Proof-of-Contribution scoring; once `splitApprovalBps` of the partners
/// approved it, it becomes the project's next split version. Revenue (ETH or ERC-20) is allocated
/// to the partners' balances by the split in force when it arrives, and each partner pulls its own.
///
/// Rounding rule: each deposit of `amount` gives partner i floor(amount * bps_i / 10000); the few
/// base units left over go one each to the partners with the largest remainders
/// (amount * bps_i mod 10000), ties to the lower address. Every unit is allocated: nothing is lost.
interface IRoyaltyVault is IPartnerSignatures, ISemver {
    // ---------------------------------------------------------------- errors

    /// @notice `account` is not a partner of `projectId` who accepted its current agreement.
    error VaultNotParticipant(uint32 projectId, address account);
    /// @notice The split is malformed; `reason` names what is wrong.
    error VaultInvalidSplit(string reason);
    /// @notice No split proposal `proposalId` exists in `projectId`.
    error VaultSplitNotFound(uint32 projectId, uint64 proposalId);
    /// @notice The split proposal was already finalized.
    error VaultSplitAlreadyFinalized(uint64 proposalId);
    /// @notice `account` already approved the split proposal.
    error VaultAlreadyApproved(uint64 proposalId, address account);
    /// @notice `account` joined the project after the split was proposed.
    error VaultNotEligibleApprover(uint64 proposalId, address account);
    /// @notice The project has no finalized split yet, so revenue cannot be allocated.
    error VaultNoSplitInForce(uint32 projectId);
    /// @notice Amounts must be positive.
    error VaultZeroAmount();
    /// @notice `partner` has nothing to release in `token` for the project.
    error VaultNothingToRelease(uint32 projectId, address partner, address token);
    /// @notice Sending `amount` of ETH to `recipient` failed.
    error VaultTransferFailed(address recipient, uint256 amount);
    /// @notice The project's total received in this token would pass 2^128-1 base units.
    error VaultAmountTooLarge(uint256 amount);
    /// @notice ETH must arrive through {deposit}, which names the project.
    error VaultUnattributedTransfer();

    // ---------------------------------------------------------------- events

    /// @notice A split was proposed; everything scoring put into it is in the event.
    event SplitProposed(
        uint32 indexed projectId,
        uint64 indexed proposalId,
        address indexed proposer,
        address[] partners,
        uint16[] bps,
        uint32 policyVersion,
        uint64 computedAtBlock,
        bytes32 inputSetHash
    );
    /// @notice `approver` approved the split proposal.
    event SplitApproved(uint32 indexed projectId, uint64 indexed proposalId, address indexed approver);
    /// @notice The proposal became split `splitVersion` of the project, in force from now on.
    event SplitFinalized(uint32 indexed projectId, uint32 indexed splitVersion, uint64 indexed proposalId);
    /// @notice `amount` of `token` (zero address: ETH) arrived and was allocated by `splitVersion`.
    event RevenueReceived(
        uint32 indexed projectId, address indexed token, address indexed from, uint256 amount, uint32 splitVersion
    );
    /// @notice `amount` of `token` owed to `partner` was paid to `recipient`.
    event Released(
        uint32 indexed projectId, address indexed partner, address indexed token, address recipient, uint256 amount
    );

    // ---------------------------------------------------------------- views' return types

    /// @notice A split proposal and, once finalized, a split version.
    struct SplitInfo {
        uint32 projectId;
        bool finalized;
        uint16 approvals;
        uint16 required;
        uint40 createdAt;
        uint32 policyVersion;
        uint64 computedAtBlock;
        bytes32 inputSetHash;
        address proposer;
        address[] partners;
        uint16[] bps;
    }

    // ---------------------------------------------------------------- splits

    /// @notice Proposes a split; the proposer's approval counts.
    /// @dev Requirements: caller is a participant; partners strictly ascending, non-zero, at most
    /// 64; bps sum to 10000; policyVersion exists; computedAtBlock not in the future.
    /// Emits {SplitProposed}, {SplitApproved} and, if one approval suffices, {SplitFinalized}.
    /// @param projectId The project.
    /// @param split Partners (ascending), their basis points, and the scoring run it came from.
    /// @return proposalId The new split proposal's id (sequential from 1 across all projects).
    function proposeSplit(uint32 projectId, SplitInput calldata split) external returns (uint64 proposalId);

    /// @notice Relayed {proposeSplit}. Signed type: `ProposeSplit(uint32 projectId,address[] partners,
    /// uint16[] bps,uint32 policyVersion,uint64 computedAtBlock,bytes32 inputSetHash,address signer,
    /// uint256 nonce,uint256 deadline)`.
    /// @param projectId The project.
    /// @param split The proposed split, as in {proposeSplit}.
    /// @param auth The proposer's signature, nonce and deadline.
    /// @return proposalId The new split proposal's id.
    function proposeSplitBySig(uint32 projectId, SplitInput calldata split, SignedAuth calldata auth)
        external
        returns (uint64 proposalId);

    /// @notice Approves a split proposal; the approval reaching the threshold finalizes it as the
    /// next split version. Emits {SplitApproved} and possibly {SplitFinalized}.
    /// @param projectId The project the proposal belongs to.
    /// @param proposalId The split proposal.
    function approveSplit(uint32 projectId, uint64 proposalId) external;

    /// @notice Relayed {approveSplit}. Signed type: `ApproveSplit(uint32 projectId,uint64 proposalId,
    /// address signer,uint256 nonce,uint256 deadline)`.
    /// @param projectId The project the proposal belongs to.
    /// @param proposalId The split proposal.
    /// @param auth The approver's signature, nonce and deadline.
    function approveSplitBySig(uint32 projectId, uint64 proposalId, SignedAuth calldata auth) external;

    // ---------------------------------------------------------------- revenue and payouts

    /// @notice Pays ETH revenue into the project; it is allocated by the split in force.
    /// @dev Emits {RevenueReceived}.
    /// @param projectId The project whose revenue this is.
    function deposit(uint32 projectId) external payable;

    /// @notice Pulls `amount` of `token` from the caller (who approved this vault) as revenue of the
    /// project. What actually arrives is allocated, so fee-on-transfer tokens stay exact.
    /// @dev Emits {RevenueReceived}.
    /// @param projectId The project whose revenue this is.
    /// @param token The ERC-20 token.
    /// @param amount How much to pull from the caller, in the token's base units.
    function depositToken(uint32 projectId, address token, uint256 amount) external;

    /// @notice Pays `partner` its whole balance of `token` (zero address: ETH). Anyone may call;
    /// the money only ever goes to the partner. Emits {Released}.
    /// @param projectId The project.
    /// @param token The token, or the zero address for ETH.
    /// @param partner The partner paid.
    function release(uint32 projectId, address token, address partner) external;

    /// @notice Pays the caller's whole balance of `token` to `recipient`, for a partner that cannot
    /// receive funds itself. Emits {Released}.
    /// @param projectId The project.
    /// @param token The token, or the zero address for ETH.
    /// @param recipient Who receives the caller's balance.
    function releaseTo(uint32 projectId, address token, address recipient) external;

    /// @notice Relayed {releaseTo}. Signed type: `ReleaseTo(uint32 projectId,address token,address recipient,
    /// address signer,uint256 nonce,uint256 deadline)`.
    /// @param projectId The project.
    /// @param token The token, or the zero address for ETH.
    /// @param recipient Who receives the signer's balance.
    /// @param auth The partner's signature, nonce and deadline.
    function releaseToBySig(uint32 projectId, address token, address recipient, SignedAuth calldata auth) external;

    // ---------------------------------------------------------------- views

    /// @notice The most partners a split may have: bounds the allocation loop of a deposit.
    /// @return 64.
    function MAX_SPLIT_PARTNERS() external view returns (uint256);

    /// @notice The ledger whose projects this vault serves.
    /// @return The PocLedger's address.
    function ledger() external view returns (address);

    /// @notice The project's split version in force (0 if none).
    /// @param projectId The project.
    /// @return The split version, from 1.
    function currentSplitVersion(uint32 projectId) external view returns (uint32);

    /// @notice The proposal id of split `version` of the project (0 if none).
    /// @param projectId The project.
    /// @param version The split version.
    /// @return The proposal that became that version.
    function splitProposalOf(uint32 projectId, uint32 version) external view returns (uint64);

    /// @notice A split proposal. Reverts with {VaultSplitNotFound}.
    /// @param projectId The project the proposal belongs to.
    /// @param proposalId The split proposal.
    /// @return Its state, approvals, threshold, proposer, partners and basis points.
    function splitProposal(uint32 projectId, uint64 proposalId) external view returns (SplitInfo memory);

    /// @notice Whether `account` approved the split proposal.
    /// @param proposalId The split proposal.
    /// @param account The partner asked about.
    /// @return True if `account` approved it.
    function hasApprovedSplit(uint64 proposalId, address account) external view returns (bool);

    /// @notice What `partner` can release of `token` in the project.
    /// @param projectId The project.
    /// @param token The token, or the zero address for ETH.
    /// @param partner The partner asked about.
    /// @return The releasable amount in the token's base units.
    function balanceOf(uint32 projectId, address token, address partner) external view returns (uint256);

    /// @notice Totals of `token` in the project: received and released (the rest is claimable).
    /// @param projectId The project.
    /// @param token The token, or the zero address for ETH.
    /// @return received Everything allocated to the project's partners so far.
    /// @return released Everything paid out so far.
    function totals(uint32 projectId, address token) external view returns (uint256 received, uint256 released);
}
