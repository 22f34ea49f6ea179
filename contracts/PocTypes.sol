// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice Where a contribution comes from, as the consortium agreement distinguishes them.
/// Background is knowledge a partner brought into the project; a Result was created in it.
enum Origin {
    Background,
    Result
}

/// @notice Lifecycle of a contribution. Records are never deleted: every change is a new status.
enum ContributionStatus {
    None,
    Active,
    Withdrawn,
    Superseded,
    Invalidated
}

/// @notice How a dispute ended. `Open` while the vote runs.
enum DisputeOutcome {
    Open,
    Upheld,
    Rejected,
    Withdrawn
}

/// @notice What a governance proposal changes once enough partners approved it.
enum ProposalKind {
    AddPartner,
    RemovePartner,
    ChangePolicy,
    AmendAgreement
}

/// @notice One category of contribution in a project's scoring policy.
/// @param name Short label, e.g. "person-hours", as bytes32 text.
/// @param unit Unit of the declared value, e.g. "hour" or "EUR-cent", as bytes32 text.
/// @param unitScale How many declared units make one normalised unit (never zero).
/// @param weightBps Weight of the category in basis points (10000 = x1).
struct Category {
    bytes32 name;
    bytes32 unit;
    uint64 unitScale;
    uint16 weightBps;
}

/// @notice The scoring and governance policy of a project. Only its hash and the parameters the
/// contracts enforce are stored; the full policy is emitted in `PolicySet` so that anyone can
/// recompute scores from events alone (docs/scoring.md says how).
/// @param backgroundWeightBps Weight of contributions brought into the project (10000 = x1).
/// @param resultWeightBps Weight of contributions created in the project (10000 = x1).
/// @param endorsementQuorum Endorsements by other partners a contribution needs to count.
/// @param disputeWindow Seconds after registration during which a contribution can be disputed.
/// @param splitApprovalBps Approvals that finalize a split, as a share of the partners
/// (`approvalsRequired`); 1 to 10000.
/// @param governanceBps Approvals that execute a proposal, as a share of the eligible partners
/// (`approvalsRequired`, and never fewer than two of two or more); 1 to 10000.
/// @param partnerCapBps Largest share of any partner; 0 = no cap.
/// @param partnerFloorBps Smallest share of every partner; 0 = no floor.
/// @param parentShareBps Share of a counted contribution's points passed to the counted
/// contributions of other partners it builds on; 0 = none, below 10000.
/// @param categories The categories of contribution and their weights (1 to 32).
struct Policy {
    uint16 backgroundWeightBps;
    uint16 resultWeightBps;
    uint16 endorsementQuorum;
    uint32 disputeWindow;
    uint16 splitApprovalBps;
    uint16 governanceBps;
    uint16 partnerCapBps;
    uint16 partnerFloorBps;
    uint16 parentShareBps;
    Category[] categories;
}

/// @notice A contribution as a partner registers it. `commitment` is
/// keccak256(abi.encode(contributor, projectId, contentHash, salt)), computed off chain;
/// `cardHash` is the SHA-256 of the contribution card's canonical JSON (docs/proofs.md), zero
/// for a contribution registered without a card.
struct Registration {
    uint32 projectId;
    bytes32 commitment;
    bytes32 cardHash;
    Origin origin;
    uint8 category;
    uint64 value;
    bytes32[] parents;
    bytes32 supersedes;
    string uri;
}

/// @notice The leaf of a Merkle batch: a contribution anchored in bulk and revealed later. Its
/// card hash is in the leaf, so the partner's signature over the root covers the card too.
struct BatchLeaf {
    bytes32 commitment;
    bytes32 cardHash;
    Origin origin;
    uint8 category;
    uint64 value;
    bytes32[] parents;
}

/// @notice Authorisation of a relayed call by a partner's EIP-712 signature.
/// @param signer The partner on whose behalf the call acts (an EOA or an ERC-1271 wallet).
/// @param nonce Unordered nonce: any unused value; word = nonce >> 8, bit = nonce & 0xff.
/// @param deadline Last timestamp at which the signature is accepted.
struct SignedAuth {
    address signer;
    uint256 nonce;
    uint256 deadline;
    bytes signature;
}

/// @notice A royalty split as proposed by a partner from a scoring run.
/// @param partners Recipients, strictly ascending by address.
/// @param bps Basis points per recipient, summing to 10000.
/// @param policyVersion Policy version the split was computed under.
/// @param computedAtBlock Block whose state the score was computed at.
/// @param inputSetHash Hash of the scoring input set (see docs/scoring.md).
struct SplitInput {
    address[] partners;
    uint16[] bps;
    uint32 policyVersion;
    uint64 computedAtBlock;
    bytes32 inputSetHash;
}

/// @dev Basis points in a whole.
uint16 constant BPS_DENOMINATOR = 10_000;

/// @notice How many of `partners` must approve to reach a threshold of `thresholdBps`: the
/// fewest k whose share k / partners, rounded to whole basis points (half up), is at least the
/// threshold, and at least one. A threshold written as the rounded basis points of a fraction
/// so means that fraction: 6667 (two thirds) is 2 of 3, 3 of 4 and 5 of 7 partners; 5000 is
/// half; 5001 a strict majority. Computed as ceil(partners * (2 * thresholdBps - 1) / 20000).
/// @param partners The partners entitled to approve (at least one).
/// @param thresholdBps The policy's threshold, 1 to 10000.
/// @return required The number of approvals that reaches the threshold.
function approvalsRequired(uint256 partners, uint256 thresholdBps) pure returns (uint256 required) {
    // ceil(n * (2b - 1) / 20000) = floor((2nb + 19999 - n) / 20000). Callers pass a partner
    // count and a validated policy threshold (1 to 10000), both held in uint16: the product
    // cannot overflow, and 2nb - n >= n >= 0 when b >= 1.
    unchecked {
        required = (2 * partners * thresholdBps + (2 * uint256(BPS_DENOMINATOR) - 1) - partners)
            / (2 * uint256(BPS_DENOMINATOR));
    }
    if (required == 0) required = 1;
}
