// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IPocLedger} from "./interfaces/IPocLedger.sol";
import {PartnerSignatureVerifier} from "./PartnerSignatures.sol";
import {Semver} from "./Semver.sol";
import {ContributionStatus, DisputeOutcome, ProposalKind} from "./PocTypes.sol";

/// @title PocLedgerState
/// @notice The storage of a PocLedger and the rules both of its code halves apply to it:
/// PocLedger (partners' daily actions, set-up, views) and PocGovernance (creating projects and
/// proposals, executing approved ones), which runs in PocLedger's storage by DELEGATECALL.
/// @dev All storage is declared here or in the bases (EIP712, PartnerSignatureVerifier); the two
/// halves declare none of their own (immutables and constants live in code), so their layouts
/// are the same slot for slot: tests/contracts/test_layout.py compares the compiler's layouts.
/// Errors and events are {IPocLedger}'s, named through it: this contract does not implement that
/// interface, the module could not.
abstract contract PocLedgerState is Semver, PartnerSignatureVerifier {
    // ---------------------------------------------------------------- constants

    /// @dev The EIP-712 domain of the ledger's signed actions; PocGovernance verifies in it too.
    string internal constant _DOMAIN_NAME = "PocLedger";
    string internal constant _DOMAIN_VERSION = "1";

    uint256 internal constant _MAX_PARENTS = 16;
    uint256 internal constant _MAX_CATEGORIES = 32;
    uint8 internal constant _MAX_RATING = 5;

    // ---------------------------------------------------------------- storage

    /// @dev Packed in one slot: read on every partner action.
    struct Project {
        address coordinator;
        uint32 agreementVersion;
        uint32 policyVersion;
        uint16 acceptedCount;
        bool inForce;
        uint8 categoryCount;
    }

    /// @dev The policy parameters the contracts enforce; the rest only matters to scoring.
    struct PolicyParams {
        uint32 disputeWindow;
        uint16 splitApprovalBps;
        uint16 governanceBps;
    }

    /// @dev `position` is the member's index in `_partners` while active: the partner set keeps
    /// it here rather than in a mapping of its own, which saves a storage slot per partner.
    struct Member {
        bool active;
        uint32 acceptedVersion;
        uint40 joinedAt;
        uint32 position;
    }

    /// @dev One slot per contribution: the floor of the registration's gas cost.
    struct Contribution {
        address contributor;
        uint32 projectId;
        uint40 registeredAt;
        ContributionStatus status;
    }

    struct Dispute {
        address disputer;
        uint40 openedAt;
        uint32 number;
        DisputeOutcome outcome;
        uint16 eligibleVoters;
        uint16 upholdVotes;
        uint16 rejectVotes;
    }

    struct Batch {
        address contributor;
        uint32 projectId;
        uint40 anchoredAt;
        uint32 count;
        bytes32 root;
    }

    /// @dev The first five fields share one slot. `target` holds the data of the three kinds
    /// whose data is one word (the address of Add/RemovePartner, the hash of AmendAgreement);
    /// a ChangePolicy proposal keeps its data in `_policyProposals`.
    struct Proposal {
        address proposer;
        uint40 createdAt;
        ProposalKind kind;
        bool executed;
        uint16 approvals;
        uint16 required;
        bytes32 target;
    }

    uint32 internal _projectCount;
    uint64 internal _proposalCount;
    mapping(uint32 projectId => Project) internal _projects;
    mapping(uint32 projectId => PolicyParams) internal _policyParams;
    mapping(uint32 projectId => mapping(uint32 version => bytes32)) internal _policyHashes;
    mapping(uint32 projectId => mapping(uint32 version => bytes32)) internal _agreementHashes;
    mapping(uint32 projectId => address[]) internal _partners;
    mapping(uint32 projectId => mapping(address account => Member)) internal _members;
    mapping(bytes32 contributionId => Contribution) internal _contributions;
    mapping(bytes32 contributionId => mapping(address endorser => bool)) internal _endorsed;
    mapping(bytes32 contributionId => Dispute) internal _disputes;
    mapping(bytes32 contributionId => mapping(uint32 disputeNumber => mapping(address voter => bool))) internal
        _voted;
    mapping(bytes32 batchId => Batch) internal _batches;
    mapping(uint32 projectId => mapping(uint64 proposalId => Proposal)) internal _proposals;
    mapping(uint64 proposalId => bytes policy) internal _policyProposals;
    mapping(uint64 proposalId => mapping(address account => bool)) internal _approved;

    // ---------------------------------------------------------------- constructor

    constructor() PartnerSignatureVerifier(_DOMAIN_NAME, _DOMAIN_VERSION) {}

    // ---------------------------------------------------------------- version

    /// @dev Both halves report the same version: they are released together.
    function _codeVersion() internal pure override returns (string memory) {
        return "2.0.0";
    }

    // ---------------------------------------------------------------- lookups

    function _requireProject(uint32 projectId) internal view returns (Project storage p) {
        p = _projects[projectId];
        if (p.coordinator == address(0)) revert IPocLedger.PocProjectNotFound(projectId);
    }

    /// @dev An active partner who accepted the current agreement: who may act in the project.
    function _requireParticipant(uint32 projectId, address account) internal view returns (Project storage p) {
        p = _projects[projectId];
        (address coordinator, uint32 agreementVersion) = (p.coordinator, p.agreementVersion);
        if (coordinator == address(0)) revert IPocLedger.PocProjectNotFound(projectId);
        Member storage m = _members[projectId][account];
        (bool active, uint32 acceptedVersion) = (m.active, m.acceptedVersion);
        if (!active) revert IPocLedger.PocNotPartner(projectId, account);
        if (acceptedVersion != agreementVersion) {
            revert IPocLedger.PocAgreementNotAccepted(projectId, account, agreementVersion);
        }
    }

    function _requireProposal(uint32 projectId, uint64 proposalId) internal view returns (Proposal storage prop) {
        prop = _proposals[projectId][proposalId];
        if (prop.proposer == address(0)) revert IPocLedger.PocProposalNotFound(projectId, proposalId);
    }

    // ---------------------------------------------------------------- membership

    function _addMember(uint32 projectId, address partner) internal {
        address[] storage list = _partners[projectId];
        Member storage m = _members[projectId][partner];
        // A partner removed before joins again with nothing accepted.
        m.active = true;
        m.acceptedVersion = 0;
        m.joinedAt = uint40(block.timestamp);
        m.position = uint32(list.length);
        list.push(partner);
        emit IPocLedger.PartnerAdded({projectId: projectId, partner: partner});
    }

    /// @dev Swap and pop, as OpenZeppelin's EnumerableSet removes: the last partner takes the
    /// removed one's place, so `partners()` lists them in the order that set would.
    function _removeMember(uint32 projectId, address partner) internal {
        Member storage m = _members[projectId][partner];
        if (!m.active) revert IPocLedger.PocNotPartner(projectId, partner);
        Project storage p = _projects[projectId];
        if (m.acceptedVersion == p.agreementVersion) --p.acceptedCount;
        address[] storage list = _partners[projectId];
        uint256 last = list.length - 1;
        uint32 position = m.position;
        if (position != last) {
            address moved = list[last];
            list[position] = moved;
            _members[projectId][moved].position = position;
        }
        list.pop();
        m.active = false;
        m.position = 0;
        emit IPocLedger.PartnerRemoved({projectId: projectId, partner: partner});
    }

    /// @dev Once in force a project stays in force: from then on governance rules apply, even while
    /// partners re-accept an amended agreement.
    function _checkInForce(uint32 projectId, Project storage p) internal {
        if (!p.inForce && p.acceptedCount == _partners[projectId].length) {
            p.inForce = true;
            emit IPocLedger.AgreementInForce({projectId: projectId, version: p.agreementVersion});
        }
    }

    // ---------------------------------------------------------------- proposals

    /// @dev Records `approver`'s approval; the approval that reaches the threshold executes the
    /// proposal in the same transaction.
    function _recordApproval(address approver, uint32 projectId, uint64 proposalId, Proposal storage prop) internal {
        _approved[proposalId][approver] = true;
        uint16 approvals = ++prop.approvals;
        emit IPocLedger.ProposalApproved({projectId: projectId, proposalId: proposalId, approver: approver});
        if (approvals >= prop.required) _executeProposal(projectId, proposalId);
    }

    /// @dev Applies an approved proposal's change. PocGovernance implements it; PocLedger runs
    /// that implementation by DELEGATECALL.
    function _executeProposal(uint32 projectId, uint64 proposalId) internal virtual;
}
