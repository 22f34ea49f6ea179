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
/// recompute scores from events alone.
struct Policy {
    uint16 backgroundWeightBps;
    uint16 resultWeightBps;
    uint16 endorsementQuorum;
    uint32 disputeWindow;
    uint16 splitApprovalBps;
    uint16 governanceBps;
    uint16 partnerCapBps;
    uint16 partnerFloorBps;
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
