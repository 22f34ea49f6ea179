// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Policy, ProposalKind, SignedAuth} from "../PocTypes.sol";

/// @title IPocGovernance
/// @notice Creating a project and proposing a change to it: the calls that carry a full policy
/// or a change to be validated. Part of {IPocLedger}: call these on the PocLedger address, which
/// runs them in its PocGovernance module by DELEGATECALL, so every event comes from PocLedger and
/// every error is one of {IPocLedger}'s. The rules are written out in docs/governance.md.
interface IPocGovernance {
    // ---------------------------------------------------------------- projects

    /// @notice Creates a project whose coordinator is the caller.
    /// @dev Requirements: `agreementHash` non-zero; `partnerList` non-empty, no zero or duplicate
    /// address, includes the caller; `policy` valid (see {PocInvalidPolicy}). Emits
    /// {ProjectCreated}, {AgreementSet}, {PolicySet} and one {PartnerAdded} per partner.
    /// @param agreementHash Hash of the consortium agreement's text: version 1 of the agreement.
    /// @param partnerList Every partner of the project, the caller included.
    /// @param policy The scoring and governance policy: version 1 of the policy.
    /// @return projectId The new project's id (sequential from 1).
    function createProject(bytes32 agreementHash, address[] calldata partnerList, Policy calldata policy)
        external
        returns (uint32 projectId);

    /// @notice Same as {createProject}, relayed: the coordinator is `auth.signer`.
    /// @dev The signer signs `CreateProject(bytes32 agreementHash,address[] partners,bytes32 policyHash,
    /// address signer,uint256 nonce,uint256 deadline)` with policyHash = keccak256(abi.encode(policy)).
    /// @param agreementHash Hash of the consortium agreement's text.
    /// @param partnerList Every partner of the project, the signer included.
    /// @param policy The scoring and governance policy.
    /// @param auth The coordinator's signature, nonce and deadline.
    /// @return projectId The new project's id.
    function createProjectBySig(
        bytes32 agreementHash,
        address[] calldata partnerList,
        Policy calldata policy,
        SignedAuth calldata auth
    ) external returns (uint32 projectId);

    // ---------------------------------------------------------------- proposals

    /// @notice Proposes a change of membership, policy or agreement; the proposer's approval counts.
    /// @dev Only a partner who accepted the agreement, once the agreement is in force. `data` is
    /// `abi.encode(address)` for Add/RemovePartner, `abi.encode(Policy)` for ChangePolicy and
    /// `abi.encode(bytes32)` for AmendAgreement. Emits {ProposalCreated}, {ProposalApproved} and,
    /// if one approval suffices, {ProposalExecuted} with the change's own events.
    /// @param projectId The project.
    /// @param kind What the proposal changes.
    /// @param data The ABI-encoded change, as above.
    /// @return proposalId The new proposal's id (sequential from 1 across all projects).
    function propose(uint32 projectId, ProposalKind kind, bytes calldata data) external returns (uint64 proposalId);

    /// @notice Relayed {propose}. Signed type: `Propose(uint32 projectId,uint8 kind,bytes data,
    /// address signer,uint256 nonce,uint256 deadline)`.
    /// @param projectId The project.
    /// @param kind What the proposal changes.
    /// @param data The ABI-encoded change.
    /// @param auth The proposer's signature, nonce and deadline.
    /// @return proposalId The new proposal's id.
    function proposeBySig(uint32 projectId, ProposalKind kind, bytes calldata data, SignedAuth calldata auth)
        external
        returns (uint64 proposalId);
}
