// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IPocGovernance} from "./interfaces/IPocGovernance.sol";
import {IPocLedger} from "./interfaces/IPocLedger.sol";
import {StructHashes} from "./libraries/StructHashes.sol";
import {PocLedgerState} from "./PocLedgerState.sol";
import {BPS_DENOMINATOR, Category, Policy, ProposalKind, SignedAuth, approvalsRequired} from "./PocTypes.sol";

/// @title PocGovernance
/// @notice The governance half of a PocLedger's code: creating projects, making proposals and
/// executing the approved ones, i.e. everything that decodes, validates or applies a policy or a
/// change of membership or agreement. Not a contract to call: each PocLedger creates its own
/// module in its constructor and runs these functions in it by DELEGATECALL, so they read and
/// write the ledger's storage, emit from the ledger's address and revert with {IPocLedger}'s
/// errors. Called directly, every function reverts.
/// @dev Apart from PocLedger because the two together pass the 24,576-byte limit on a contract's
/// code (EIP-170). These paths run a few times in a project's life and carry the most code;
/// what partners do daily (accepting, approving, registering, endorsing, disputing) stays in
/// PocLedger, without the cost of the extra call. Signed variants are checked here, in the
/// ledger's EIP-712 domain: under DELEGATECALL `address(this)` is the ledger.
contract PocGovernance is IPocGovernance, PocLedgerState {
    // ---------------------------------------------------------------- errors

    /// @notice The module was called directly instead of through its ledger.
    /// @param ledger The PocLedger to call instead.
    error PocGovernanceDirectCall(address ledger);

    // ---------------------------------------------------------------- storage

    /// @dev The ledger that created this module: the only context it runs in.
    address private immutable _LEDGER;

    // ---------------------------------------------------------------- constructor

    constructor() {
        _LEDGER = msg.sender;
    }

    /// @dev Under DELEGATECALL from the ledger, `address(this)` is the ledger. A direct call would
    /// only touch the module's own, never-read storage; refusing it keeps anyone from mistaking
    /// that for a project.
    modifier onlyThroughLedger() {
        if (address(this) != _LEDGER) revert PocGovernanceDirectCall(_LEDGER);
        _;
    }

    // ---------------------------------------------------------------- projects

    /// @inheritdoc IPocGovernance
    function createProject(bytes32 agreementHash, address[] calldata partnerList, Policy calldata policy)
        external
        onlyThroughLedger
        returns (uint32)
    {
        return _createProject(msg.sender, agreementHash, partnerList, policy);
    }

    /// @inheritdoc IPocGovernance
    function createProjectBySig(
        bytes32 agreementHash,
        address[] calldata partnerList,
        Policy calldata policy,
        SignedAuth calldata auth
    ) external onlyThroughLedger returns (uint32) {
        address coordinator = _verifySigned(auth, StructHashes.createProject(agreementHash, partnerList, policy, auth));
        return _createProject(coordinator, agreementHash, partnerList, policy);
    }

    // ---------------------------------------------------------------- proposals

    /// @inheritdoc IPocGovernance
    function propose(uint32 projectId, ProposalKind kind, bytes calldata data)
        external
        onlyThroughLedger
        returns (uint64)
    {
        return _propose(msg.sender, projectId, kind, data);
    }

    /// @inheritdoc IPocGovernance
    function proposeBySig(uint32 projectId, ProposalKind kind, bytes calldata data, SignedAuth calldata auth)
        external
        onlyThroughLedger
        returns (uint64)
    {
        return _propose(_verifySigned(auth, StructHashes.propose(projectId, kind, data, auth)), projectId, kind, data);
    }

    /// @notice Applies the change of a proposal that reached its threshold. Only for the ledger:
    /// PocLedger runs it by DELEGATECALL when an approval reaches the threshold.
    /// @dev Not part of {IPocGovernance}: no stub of the ledger forwards this selector, so only
    /// the ledger's own approval path reaches it. Emits the change's events and {ProposalExecuted}.
    /// @param projectId The project the proposal belongs to.
    /// @param proposalId The proposal, approved by enough partners and not yet executed.
    function executeProposal(uint32 projectId, uint64 proposalId) external onlyThroughLedger {
        _executeProposal(projectId, proposalId);
    }

    // ---------------------------------------------------------------- internal: projects

    function _createProject(
        address coordinator,
        bytes32 agreementHash,
        address[] calldata partnerList,
        Policy calldata policy
    ) private returns (uint32 projectId) {
        if (agreementHash == bytes32(0)) revert IPocLedger.PocZeroAgreementHash();
        if (partnerList.length == 0) revert IPocLedger.PocCoordinatorNotPartner(coordinator);
        _validatePolicy(policy);
        projectId = ++_projectCount;
        Project storage p = _projects[projectId];
        p.coordinator = coordinator;
        p.agreementVersion = 1;
        _agreementHashes[projectId][1] = agreementHash;
        emit IPocLedger.ProjectCreated({
            projectId: projectId, coordinator: coordinator, agreementHash: agreementHash, partners: partnerList
        });
        emit IPocLedger.AgreementSet({projectId: projectId, version: 1, agreementHash: agreementHash});
        _setPolicy(projectId, p, policy);
        bool coordinatorListed;
        for (uint256 i = 0; i < partnerList.length; ++i) {
            address partner = partnerList[i];
            if (partner == address(0) || _members[projectId][partner].active) {
                revert IPocLedger.PocInvalidPartnerList(i, partner);
            }
            if (partner == coordinator) coordinatorListed = true;
            _addMember(projectId, partner);
        }
        if (!coordinatorListed) revert IPocLedger.PocCoordinatorNotPartner(coordinator);
    }

    function _validatePolicy(Policy memory policy) private pure {
        if (policy.categories.length == 0 || policy.categories.length > _MAX_CATEGORIES) {
            revert IPocLedger.PocInvalidPolicy("categories");
        }
        if (policy.splitApprovalBps == 0 || policy.splitApprovalBps > BPS_DENOMINATOR) {
            revert IPocLedger.PocInvalidPolicy("splitApprovalBps");
        }
        if (policy.governanceBps == 0 || policy.governanceBps > BPS_DENOMINATOR) {
            revert IPocLedger.PocInvalidPolicy("governanceBps");
        }
        if (policy.partnerCapBps > BPS_DENOMINATOR) revert IPocLedger.PocInvalidPolicy("partnerCapBps");
        if (policy.partnerFloorBps > BPS_DENOMINATOR) revert IPocLedger.PocInvalidPolicy("partnerFloorBps");
        if (policy.partnerCapBps != 0 && policy.partnerFloorBps > policy.partnerCapBps) {
            revert IPocLedger.PocInvalidPolicy("partnerFloorBps");
        }
        if (policy.backgroundWeightBps == 0 && policy.resultWeightBps == 0) {
            revert IPocLedger.PocInvalidPolicy("originWeights");
        }
        // A contribution always keeps part of its points.
        if (policy.parentShareBps >= BPS_DENOMINATOR) revert IPocLedger.PocInvalidPolicy("parentShareBps");
        for (uint256 i = 0; i < policy.categories.length; ++i) {
            Category memory c = policy.categories[i];
            if (c.unitScale == 0) revert IPocLedger.PocInvalidPolicy("unitScale");
            if (c.name == bytes32(0)) revert IPocLedger.PocInvalidPolicy("categoryName");
        }
    }

    function _setPolicy(uint32 projectId, Project storage p, Policy memory policy) private {
        uint32 policyVersion = ++p.policyVersion;
        bytes32 policyHash = keccak256(abi.encode(policy));
        _policyHashes[projectId][policyVersion] = policyHash;
        PolicyParams storage params = _policyParams[projectId];
        params.disputeWindow = policy.disputeWindow;
        params.splitApprovalBps = policy.splitApprovalBps;
        params.governanceBps = policy.governanceBps;
        p.categoryCount = uint8(policy.categories.length);
        emit IPocLedger.PolicySet({projectId: projectId, version: policyVersion, policyHash: policyHash, policy: policy});
    }

    // ---------------------------------------------------------------- internal: proposals

    function _propose(address proposer, uint32 projectId, ProposalKind kind, bytes calldata data)
        private
        returns (uint64 proposalId)
    {
        Project storage p = _requireParticipant(projectId, proposer);
        if (!p.inForce) revert IPocLedger.PocAgreementNotInForce(projectId);
        uint256 eligible = _partners[projectId].length;
        bytes32 target;
        if (kind == ProposalKind.AddPartner) {
            address partner = _decodeAddress(kind, data);
            if (partner == address(0) || _members[projectId][partner].active) revert IPocLedger.PocInvalidProposal(kind);
            target = bytes32(data);
        } else if (kind == ProposalKind.RemovePartner) {
            address partner = _decodeAddress(kind, data);
            if (!_members[projectId][partner].active || partner == proposer) revert IPocLedger.PocInvalidProposal(kind);
            // The partner being removed neither counts towards nor can block the threshold; if that
            // leaves a single voter, that voter would expel the other alone.
            eligible -= 1;
            if (eligible < 2) revert IPocLedger.PocInvalidProposal(kind);
            target = bytes32(data);
        } else if (kind == ProposalKind.ChangePolicy) {
            // abi.decode reverts without a reason on malformed input; decoding in an external
            // call (to the ledger itself: under DELEGATECALL `this` is the ledger) turns any such
            // failure into a clear error.
            try IPocLedger(address(this)).decodePolicy(data) returns (Policy memory policy) {
                _validatePolicy(policy);
            } catch {
                revert IPocLedger.PocInvalidProposal(kind);
            }
        } else {
            if (data.length != 32 || bytes32(data) == bytes32(0)) revert IPocLedger.PocInvalidProposal(kind);
            target = bytes32(data);
        }
        uint256 required = approvalsRequired(eligible, _policyParams[projectId].governanceBps);
        // Nobody changes the others' rights alone, whatever the policy's threshold says.
        if (required < 2 && eligible >= 2) required = 2;
        proposalId = ++_proposalCount;
        Proposal storage prop = _proposals[projectId][proposalId];
        prop.proposer = proposer;
        prop.createdAt = uint40(block.timestamp);
        prop.kind = kind;
        prop.required = uint16(required);
        if (kind == ProposalKind.ChangePolicy) _policyProposals[proposalId] = data;
        else prop.target = target;
        emit IPocLedger.ProposalCreated({
            projectId: projectId, proposalId: proposalId, proposer: proposer, kind: kind, data: data
        });
        _recordApproval(proposer, projectId, proposalId, prop);
    }

    function _executeProposal(uint32 projectId, uint64 proposalId) internal override {
        Proposal storage prop = _proposals[projectId][proposalId];
        prop.executed = true;
        ProposalKind kind = prop.kind;
        if (kind == ProposalKind.AddPartner) {
            address partner = _targetAddress(prop);
            // Membership may have changed since the proposal was made.
            if (_members[projectId][partner].active) revert IPocLedger.PocAlreadyPartner(projectId, partner);
            _addMember(projectId, partner);
        } else if (kind == ProposalKind.RemovePartner) {
            _removeMember(projectId, _targetAddress(prop));
        } else if (kind == ProposalKind.ChangePolicy) {
            _setPolicy(projectId, _projects[projectId], abi.decode(_policyProposals[proposalId], (Policy)));
        } else {
            Project storage p = _projects[projectId];
            uint32 agreementVersion = ++p.agreementVersion;
            bytes32 agreementHash = prop.target;
            _agreementHashes[projectId][agreementVersion] = agreementHash;
            p.acceptedCount = 0;
            emit IPocLedger.AgreementSet({projectId: projectId, version: agreementVersion, agreementHash: agreementHash});
        }
        emit IPocLedger.ProposalExecuted({projectId: projectId, proposalId: proposalId});
    }

    function _decodeAddress(ProposalKind kind, bytes calldata data) private pure returns (address) {
        if (data.length != 32 || uint256(bytes32(data)) >> 160 != 0) revert IPocLedger.PocInvalidProposal(kind);
        return address(uint160(uint256(bytes32(data))));
    }

    function _targetAddress(Proposal storage prop) private view returns (address) {
        return address(uint160(uint256(prop.target)));
    }
}
