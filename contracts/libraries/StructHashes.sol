// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Policy, ProposalKind, Registration, SignedAuth, SplitInput} from "../PocTypes.sol";

/// @title StructHashes
/// @notice The EIP-712 struct hash of every partner-signed action of PocLedger, PocGovernance and
/// RoyaltyVault, in one place. Each `…BySig` function hashes its arguments here, checks the
/// signature over the hash (PartnerSignatureVerifier) and then runs the same body as the direct
/// call, with the signer in place of `msg.sender`.
/// @dev Encoding rules (EIP-712): dynamic `bytes` and `string` are hashed with keccak256; arrays
/// of a static type are hashed over their packed 32-byte elements; enums are `uint8`; the Policy
/// struct, which no signer reads field by field, is signed as `bytes32 policyHash` =
/// keccak256(abi.encode(policy)). Every action ends with `address signer,uint256 nonce,uint256
/// deadline`. ledger/signing.py builds the same types; tests/ledger/test_signing.py compares the
/// type strings below with it.
library StructHashes {
    // ---------------------------------------------------------------- PocLedger and PocGovernance

    bytes32 internal constant CREATE_PROJECT_TYPEHASH = keccak256(
        "CreateProject(bytes32 agreementHash,address[] partners,bytes32 policyHash,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant ACCEPT_AGREEMENT_TYPEHASH = keccak256(
        "AcceptAgreement(uint32 projectId,uint32 version,bytes32 agreementHash,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant SET_IDENTITY_TYPEHASH = keccak256(
        "SetIdentity(string name,string companyNumber,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant PROPOSE_TYPEHASH = keccak256(
        "Propose(uint32 projectId,uint8 kind,bytes data,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant APPROVE_PROPOSAL_TYPEHASH = keccak256(
        "ApproveProposal(uint32 projectId,uint64 proposalId,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant REGISTER_TYPEHASH = keccak256(
        "Register(uint32 projectId,bytes32 commitment,bytes32 cardHash,uint8 origin,uint8 category,uint64 value,bytes32[] parents,bytes32 supersedes,string uri,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant ANCHOR_BATCH_TYPEHASH = keccak256(
        "AnchorBatch(uint32 projectId,bytes32 root,uint32 count,string uri,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant WITHDRAW_CONTRIBUTION_TYPEHASH = keccak256(
        "WithdrawContribution(uint32 projectId,bytes32 contributionId,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant ENDORSE_TYPEHASH = keccak256(
        "Endorse(uint32 projectId,bytes32 contributionId,uint8 rating,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant OPEN_DISPUTE_TYPEHASH = keccak256(
        "OpenDispute(uint32 projectId,bytes32 contributionId,bytes32 reasonHash,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant VOTE_DISPUTE_TYPEHASH = keccak256(
        "VoteDispute(uint32 projectId,bytes32 contributionId,bool uphold,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant WITHDRAW_DISPUTE_TYPEHASH = keccak256(
        "WithdrawDispute(uint32 projectId,bytes32 contributionId,address signer,uint256 nonce,uint256 deadline)"
    );

    // ---------------------------------------------------------------- RoyaltyVault

    bytes32 internal constant PROPOSE_SPLIT_TYPEHASH = keccak256(
        "ProposeSplit(uint32 projectId,address[] partners,uint16[] bps,uint32 policyVersion,uint64 computedAtBlock,bytes32 inputSetHash,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant APPROVE_SPLIT_TYPEHASH = keccak256(
        "ApproveSplit(uint32 projectId,uint64 proposalId,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant RELEASE_TO_TYPEHASH = keccak256(
        "ReleaseTo(uint32 projectId,address token,address recipient,address signer,uint256 nonce,uint256 deadline)"
    );

    // ---------------------------------------------------------------- projects and membership

    /// @dev `CreateProject`: the partner list packed, the policy by its hash.
    function createProject(
        bytes32 agreementHash,
        address[] calldata partners,
        Policy calldata policy,
        SignedAuth calldata auth
    ) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                CREATE_PROJECT_TYPEHASH,
                agreementHash,
                keccak256(abi.encodePacked(partners)),
                keccak256(abi.encode(policy)),
                auth.signer,
                auth.nonce,
                auth.deadline
            )
        );
    }

    /// @dev `AcceptAgreement`.
    function acceptAgreement(uint32 projectId, uint32 version, bytes32 agreementHash, SignedAuth calldata auth)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(
                ACCEPT_AGREEMENT_TYPEHASH, projectId, version, agreementHash, auth.signer, auth.nonce, auth.deadline
            )
        );
    }

    /// @dev `SetIdentity`: both strings by their hash.
    function setIdentity(string calldata name, string calldata companyNumber, SignedAuth calldata auth)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(
                SET_IDENTITY_TYPEHASH,
                keccak256(bytes(name)),
                keccak256(bytes(companyNumber)),
                auth.signer,
                auth.nonce,
                auth.deadline
            )
        );
    }

    /// @dev `Propose`: the kind as uint8, the data by its hash.
    function propose(uint32 projectId, ProposalKind kind, bytes calldata data, SignedAuth calldata auth)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(PROPOSE_TYPEHASH, projectId, uint8(kind), keccak256(data), auth.signer, auth.nonce, auth.deadline)
        );
    }

    /// @dev `ApproveProposal`.
    function approveProposal(uint32 projectId, uint64 proposalId, SignedAuth calldata auth)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(APPROVE_PROPOSAL_TYPEHASH, projectId, proposalId, auth.signer, auth.nonce, auth.deadline)
        );
    }

    // ---------------------------------------------------------------- contributions

    /// @dev `Register`: the card by its hash, the origin as uint8, the parents packed, the URI by
    /// its hash.
    function register(Registration calldata r, SignedAuth calldata auth) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                REGISTER_TYPEHASH,
                r.projectId,
                r.commitment,
                r.cardHash,
                uint8(r.origin),
                r.category,
                r.value,
                keccak256(abi.encodePacked(r.parents)),
                r.supersedes,
                keccak256(bytes(r.uri)),
                auth.signer,
                auth.nonce,
                auth.deadline
            )
        );
    }

    /// @dev `AnchorBatch`: the URI by its hash.
    function anchorBatch(uint32 projectId, bytes32 root, uint32 count, string calldata uri, SignedAuth calldata auth)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(
                ANCHOR_BATCH_TYPEHASH,
                projectId,
                root,
                count,
                keccak256(bytes(uri)),
                auth.signer,
                auth.nonce,
                auth.deadline
            )
        );
    }

    /// @dev `WithdrawContribution`.
    function withdrawContribution(uint32 projectId, bytes32 contributionId, SignedAuth calldata auth)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(
                WITHDRAW_CONTRIBUTION_TYPEHASH, projectId, contributionId, auth.signer, auth.nonce, auth.deadline
            )
        );
    }

    // ---------------------------------------------------------------- endorsements and disputes

    /// @dev `Endorse`.
    function endorse(uint32 projectId, bytes32 contributionId, uint8 rating, SignedAuth calldata auth)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(ENDORSE_TYPEHASH, projectId, contributionId, rating, auth.signer, auth.nonce, auth.deadline)
        );
    }

    /// @dev `OpenDispute`.
    function openDispute(uint32 projectId, bytes32 contributionId, bytes32 reasonHash, SignedAuth calldata auth)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(
                OPEN_DISPUTE_TYPEHASH, projectId, contributionId, reasonHash, auth.signer, auth.nonce, auth.deadline
            )
        );
    }

    /// @dev `VoteDispute`.
    function voteDispute(uint32 projectId, bytes32 contributionId, bool uphold, SignedAuth calldata auth)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(VOTE_DISPUTE_TYPEHASH, projectId, contributionId, uphold, auth.signer, auth.nonce, auth.deadline)
        );
    }

    /// @dev `WithdrawDispute`.
    function withdrawDispute(uint32 projectId, bytes32 contributionId, SignedAuth calldata auth)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(WITHDRAW_DISPUTE_TYPEHASH, projectId, contributionId, auth.signer, auth.nonce, auth.deadline)
        );
    }

    // ---------------------------------------------------------------- RoyaltyVault

    /// @dev `ProposeSplit`: partners and bps packed (each element one 32-byte word).
    function proposeSplit(uint32 projectId, SplitInput calldata split, SignedAuth calldata auth)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(
                PROPOSE_SPLIT_TYPEHASH,
                projectId,
                keccak256(abi.encodePacked(split.partners)),
                keccak256(abi.encodePacked(split.bps)),
                split.policyVersion,
                split.computedAtBlock,
                split.inputSetHash,
                auth.signer,
                auth.nonce,
                auth.deadline
            )
        );
    }

    /// @dev `ApproveSplit`.
    function approveSplit(uint32 projectId, uint64 proposalId, SignedAuth calldata auth)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(APPROVE_SPLIT_TYPEHASH, projectId, proposalId, auth.signer, auth.nonce, auth.deadline)
        );
    }

    /// @dev `ReleaseTo`.
    function releaseTo(uint32 projectId, address token, address recipient, SignedAuth calldata auth)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(RELEASE_TO_TYPEHASH, projectId, token, recipient, auth.signer, auth.nonce, auth.deadline)
        );
    }
}
