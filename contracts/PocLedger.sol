// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {IPocLedger} from "./interfaces/IPocLedger.sol";
import {PartnerSignatures} from "./PartnerSignatures.sol";
import {
    BPS_DENOMINATOR,
    BatchLeaf,
    Category,
    ContributionStatus,
    DisputeOutcome,
    Origin,
    Policy,
    ProposalKind,
    Registration,
    SignedAuth
} from "./PocTypes.sol";

/// @title PocLedger
/// @notice Implementation of {IPocLedger}; see the interface for the rules and NatSpec.
contract PocLedger is IPocLedger, PartnerSignatures {
    using EnumerableSet for EnumerableSet.AddressSet;

    // ---------------------------------------------------------------- constants

    uint256 public constant MAX_PARENTS = 16;
    uint256 public constant MAX_CATEGORIES = 32;
    uint8 public constant MAX_RATING = 5;

    bytes32 private constant _CREATE_PROJECT_TYPEHASH = keccak256(
        "CreateProject(bytes32 agreementHash,address[] partners,bytes32 policyHash,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _ACCEPT_AGREEMENT_TYPEHASH = keccak256(
        "AcceptAgreement(uint32 projectId,uint32 version,bytes32 agreementHash,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _SET_IDENTITY_TYPEHASH = keccak256(
        "SetIdentity(string name,string companyNumber,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _PROPOSE_TYPEHASH = keccak256(
        "Propose(uint32 projectId,uint8 kind,bytes data,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _APPROVE_PROPOSAL_TYPEHASH = keccak256(
        "ApproveProposal(uint32 projectId,uint64 proposalId,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _REGISTER_TYPEHASH = keccak256(
        "Register(uint32 projectId,bytes32 commitment,uint8 origin,uint8 category,uint64 value,bytes32[] parents,bytes32 supersedes,string uri,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _ANCHOR_BATCH_TYPEHASH = keccak256(
        "AnchorBatch(uint32 projectId,bytes32 root,uint32 count,string uri,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _WITHDRAW_CONTRIBUTION_TYPEHASH = keccak256(
        "WithdrawContribution(uint32 projectId,bytes32 contributionId,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _ENDORSE_TYPEHASH = keccak256(
        "Endorse(uint32 projectId,bytes32 contributionId,uint8 rating,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _OPEN_DISPUTE_TYPEHASH = keccak256(
        "OpenDispute(uint32 projectId,bytes32 contributionId,bytes32 reasonHash,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _VOTE_DISPUTE_TYPEHASH = keccak256(
        "VoteDispute(uint32 projectId,bytes32 contributionId,bool uphold,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _WITHDRAW_DISPUTE_TYPEHASH = keccak256(
        "WithdrawDispute(uint32 projectId,bytes32 contributionId,address signer,uint256 nonce,uint256 deadline)"
    );

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

    struct Member {
        bool active;
        uint32 acceptedVersion;
        uint40 joinedAt;
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

    struct Proposal {
        uint32 projectId;
        ProposalKind kind;
        bool executed;
        uint40 createdAt;
        uint16 approvals;
        uint16 required;
        address proposer;
        bytes data;
    }

    uint32 private _projectCount;
    uint64 private _proposalCount;
    mapping(uint32 projectId => Project) private _projects;
    mapping(uint32 projectId => PolicyParams) private _policyParams;
    mapping(uint32 projectId => mapping(uint32 version => bytes32)) private _policyHashes;
    mapping(uint32 projectId => mapping(uint32 version => bytes32)) private _agreementHashes;
    mapping(uint32 projectId => EnumerableSet.AddressSet) private _partners;
    mapping(uint32 projectId => mapping(address account => Member)) private _members;
    mapping(bytes32 contributionId => Contribution) private _contributions;
    mapping(bytes32 contributionId => mapping(address endorser => bool)) private _endorsed;
    mapping(bytes32 contributionId => Dispute) private _disputes;
    mapping(bytes32 contributionId => mapping(uint32 disputeNumber => mapping(address voter => bool))) private
        _voted;
    mapping(bytes32 batchId => Batch) private _batches;
    mapping(uint64 proposalId => Proposal) private _proposals;
    mapping(uint64 proposalId => mapping(address account => bool)) private _approved;

    // ---------------------------------------------------------------- constructor

    constructor() PartnerSignatures("PocLedger", "1") {}

    // ---------------------------------------------------------------- projects and membership

    /// @inheritdoc IPocLedger
    function createProject(bytes32 agreementHash, address[] calldata partnerList, Policy calldata policy)
        external
        returns (uint32)
    {
        return _createProject(msg.sender, agreementHash, partnerList, policy);
    }

    /// @inheritdoc IPocLedger
    function createProjectBySig(
        bytes32 agreementHash,
        address[] calldata partnerList,
        Policy calldata policy,
        SignedAuth calldata auth
    ) external returns (uint32) {
        bytes32 structHash = keccak256(
            abi.encode(
                _CREATE_PROJECT_TYPEHASH,
                agreementHash,
                keccak256(abi.encodePacked(partnerList)),
                keccak256(abi.encode(policy)),
                auth.signer,
                auth.nonce,
                auth.deadline
            )
        );
        return _createProject(_verifySigned(auth, structHash), agreementHash, partnerList, policy);
    }

    /// @inheritdoc IPocLedger
    function addPartner(uint32 projectId, address partner) external {
        _requireCoordinatorBeforeForce(projectId);
        if (partner == address(0)) revert PocInvalidPartnerList(0, partner);
        if (_members[projectId][partner].active) revert PocAlreadyPartner(projectId, partner);
        _addMember(projectId, partner);
    }

    /// @inheritdoc IPocLedger
    function removePartner(uint32 projectId, address partner) external {
        Project storage p = _requireCoordinatorBeforeForce(projectId);
        if (partner == p.coordinator) revert PocCannotRemoveCoordinator(projectId, partner);
        _removeMember(projectId, partner);
        _checkInForce(projectId, p);
    }

    /// @inheritdoc IPocLedger
    function acceptAgreement(uint32 projectId, uint32 version, bytes32 agreementHash) external {
        _acceptAgreement(msg.sender, projectId, version, agreementHash);
    }

    /// @inheritdoc IPocLedger
    function acceptAgreementBySig(uint32 projectId, uint32 version, bytes32 agreementHash, SignedAuth calldata auth)
        external
    {
        bytes32 structHash = keccak256(
            abi.encode(
                _ACCEPT_AGREEMENT_TYPEHASH, projectId, version, agreementHash, auth.signer, auth.nonce, auth.deadline
            )
        );
        _acceptAgreement(_verifySigned(auth, structHash), projectId, version, agreementHash);
    }

    /// @inheritdoc IPocLedger
    function setIdentity(string calldata name, string calldata companyNumber) external {
        emit IdentitySet(msg.sender, name, companyNumber);
    }

    /// @inheritdoc IPocLedger
    function setIdentityBySig(string calldata name, string calldata companyNumber, SignedAuth calldata auth)
        external
    {
        bytes32 structHash = keccak256(
            abi.encode(
                _SET_IDENTITY_TYPEHASH,
                keccak256(bytes(name)),
                keccak256(bytes(companyNumber)),
                auth.signer,
                auth.nonce,
                auth.deadline
            )
        );
        emit IdentitySet(_verifySigned(auth, structHash), name, companyNumber);
    }

    /// @inheritdoc IPocLedger
    function propose(uint32 projectId, ProposalKind kind, bytes calldata data) external returns (uint64) {
        return _propose(msg.sender, projectId, kind, data);
    }

    /// @inheritdoc IPocLedger
    function proposeBySig(uint32 projectId, ProposalKind kind, bytes calldata data, SignedAuth calldata auth)
        external
        returns (uint64)
    {
        bytes32 structHash = keccak256(
            abi.encode(
                _PROPOSE_TYPEHASH, projectId, uint8(kind), keccak256(data), auth.signer, auth.nonce, auth.deadline
            )
        );
        return _propose(_verifySigned(auth, structHash), projectId, kind, data);
    }

    /// @inheritdoc IPocLedger
    function approveProposal(uint32 projectId, uint64 proposalId) external {
        _approveProposal(msg.sender, projectId, proposalId);
    }

    /// @inheritdoc IPocLedger
    function approveProposalBySig(uint32 projectId, uint64 proposalId, SignedAuth calldata auth) external {
        bytes32 structHash = keccak256(
            abi.encode(_APPROVE_PROPOSAL_TYPEHASH, projectId, proposalId, auth.signer, auth.nonce, auth.deadline)
        );
        _approveProposal(_verifySigned(auth, structHash), projectId, proposalId);
    }

    // ---------------------------------------------------------------- contributions

    /// @inheritdoc IPocLedger
    function register(Registration calldata registration) external returns (bytes32) {
        return _register(msg.sender, registration);
    }

    /// @inheritdoc IPocLedger
    function registerBySig(Registration calldata registration, SignedAuth calldata auth) external returns (bytes32) {
        return _register(_verifySigned(auth, _registerStructHash(registration, auth)), registration);
    }

    /// @inheritdoc IPocLedger
    function anchorBatch(uint32 projectId, bytes32 root, uint32 count, string calldata uri)
        external
        returns (bytes32)
    {
        return _anchorBatch(msg.sender, projectId, root, count, uri);
    }

    /// @inheritdoc IPocLedger
    function anchorBatchBySig(
        uint32 projectId,
        bytes32 root,
        uint32 count,
        string calldata uri,
        SignedAuth calldata auth
    ) external returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                _ANCHOR_BATCH_TYPEHASH,
                projectId,
                root,
                count,
                keccak256(bytes(uri)),
                auth.signer,
                auth.nonce,
                auth.deadline
            )
        );
        return _anchorBatch(_verifySigned(auth, structHash), projectId, root, count, uri);
    }

    /// @inheritdoc IPocLedger
    function revealBatched(uint32 projectId, bytes32 batchId, BatchLeaf calldata leaf, bytes32[] calldata proof)
        external
        returns (bytes32 contributionId)
    {
        Batch storage b = _batches[batchId];
        if (b.contributor == address(0) || b.projectId != projectId) revert PocBatchNotFound(projectId, batchId);
        if (!MerkleProof.verifyCalldata(proof, b.root, _leafHash(leaf))) revert PocInvalidMerkleProof(batchId);
        // The leaf was committed under the policy in force at anchoring; a later policy with fewer
        // categories must not keep it out of the record (scoring reports unknown categories).
        _checkContent(_projects[projectId], projectId, leaf.commitment, leaf.category, leaf.parents, false);
        contributionId = _storeContribution(projectId, b.contributor, leaf.commitment, b.anchoredAt);
        emit ContributionRegistered(
            projectId,
            contributionId,
            b.contributor,
            leaf.commitment,
            leaf.origin,
            leaf.category,
            leaf.value,
            leaf.parents,
            bytes32(0),
            batchId,
            b.anchoredAt,
            ""
        );
    }

    /// @inheritdoc IPocLedger
    function withdrawContribution(uint32 projectId, bytes32 contributionId) external {
        _withdrawContribution(msg.sender, projectId, contributionId);
    }

    /// @inheritdoc IPocLedger
    function withdrawContributionBySig(uint32 projectId, bytes32 contributionId, SignedAuth calldata auth) external {
        bytes32 structHash = keccak256(
            abi.encode(
                _WITHDRAW_CONTRIBUTION_TYPEHASH, projectId, contributionId, auth.signer, auth.nonce, auth.deadline
            )
        );
        _withdrawContribution(_verifySigned(auth, structHash), projectId, contributionId);
    }

    // ---------------------------------------------------------------- endorsements and disputes

    /// @inheritdoc IPocLedger
    function endorse(uint32 projectId, bytes32 contributionId, uint8 rating) external {
        _endorse(msg.sender, projectId, contributionId, rating);
    }

    /// @inheritdoc IPocLedger
    function endorseBySig(uint32 projectId, bytes32 contributionId, uint8 rating, SignedAuth calldata auth)
        external
    {
        bytes32 structHash = keccak256(
            abi.encode(_ENDORSE_TYPEHASH, projectId, contributionId, rating, auth.signer, auth.nonce, auth.deadline)
        );
        _endorse(_verifySigned(auth, structHash), projectId, contributionId, rating);
    }

    /// @inheritdoc IPocLedger
    function openDispute(uint32 projectId, bytes32 contributionId, bytes32 reasonHash) external {
        _openDispute(msg.sender, projectId, contributionId, reasonHash);
    }

    /// @inheritdoc IPocLedger
    function openDisputeBySig(uint32 projectId, bytes32 contributionId, bytes32 reasonHash, SignedAuth calldata auth)
        external
    {
        bytes32 structHash = keccak256(
            abi.encode(
                _OPEN_DISPUTE_TYPEHASH, projectId, contributionId, reasonHash, auth.signer, auth.nonce, auth.deadline
            )
        );
        _openDispute(_verifySigned(auth, structHash), projectId, contributionId, reasonHash);
    }

    /// @inheritdoc IPocLedger
    function voteDispute(uint32 projectId, bytes32 contributionId, bool uphold) external {
        _voteDispute(msg.sender, projectId, contributionId, uphold);
    }

    /// @inheritdoc IPocLedger
    function voteDisputeBySig(uint32 projectId, bytes32 contributionId, bool uphold, SignedAuth calldata auth)
        external
    {
        bytes32 structHash = keccak256(
            abi.encode(_VOTE_DISPUTE_TYPEHASH, projectId, contributionId, uphold, auth.signer, auth.nonce, auth.deadline)
        );
        _voteDispute(_verifySigned(auth, structHash), projectId, contributionId, uphold);
    }

    /// @inheritdoc IPocLedger
    function withdrawDispute(uint32 projectId, bytes32 contributionId) external {
        _withdrawDispute(msg.sender, projectId, contributionId);
    }

    /// @inheritdoc IPocLedger
    function withdrawDisputeBySig(uint32 projectId, bytes32 contributionId, SignedAuth calldata auth) external {
        bytes32 structHash = keccak256(
            abi.encode(_WITHDRAW_DISPUTE_TYPEHASH, projectId, contributionId, auth.signer, auth.nonce, auth.deadline)
        );
        _withdrawDispute(_verifySigned(auth, structHash), projectId, contributionId);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IPocLedger
    function decodePolicy(bytes calldata data) external pure returns (Policy memory) {
        return abi.decode(data, (Policy));
    }

    /// @inheritdoc IPocLedger
    function projectCount() external view returns (uint32) {
        return _projectCount;
    }

    /// @inheritdoc IPocLedger
    function project(uint32 projectId) external view returns (ProjectInfo memory info) {
        Project storage p = _requireProject(projectId);
        PolicyParams storage params = _policyParams[projectId];
        info = ProjectInfo({
            coordinator: p.coordinator,
            agreementVersion: p.agreementVersion,
            agreementHash: _agreementHashes[projectId][p.agreementVersion],
            policyVersion: p.policyVersion,
            policyHash: _policyHashes[projectId][p.policyVersion],
            inForce: p.inForce,
            partnerCount: uint16(_partners[projectId].length()),
            acceptedCount: p.acceptedCount,
            disputeWindow: params.disputeWindow,
            splitApprovalBps: params.splitApprovalBps,
            governanceBps: params.governanceBps,
            categoryCount: p.categoryCount
        });
    }

    /// @inheritdoc IPocLedger
    function partners(uint32 projectId) external view returns (address[] memory) {
        return _partners[projectId].values();
    }

    /// @inheritdoc IPocLedger
    function member(uint32 projectId, address account) external view returns (MemberInfo memory) {
        Member storage m = _members[projectId][account];
        return MemberInfo({active: m.active, acceptedVersion: m.acceptedVersion, joinedAt: m.joinedAt});
    }

    /// @inheritdoc IPocLedger
    function isParticipant(uint32 projectId, address account) external view returns (bool) {
        Member storage m = _members[projectId][account];
        return m.active && m.acceptedVersion == _projects[projectId].agreementVersion;
    }

    /// @inheritdoc IPocLedger
    function policyHashAt(uint32 projectId, uint32 version) external view returns (bytes32) {
        return _policyHashes[projectId][version];
    }

    /// @inheritdoc IPocLedger
    function agreementHashAt(uint32 projectId, uint32 version) external view returns (bytes32) {
        return _agreementHashes[projectId][version];
    }

    /// @inheritdoc IPocLedger
    function contribution(bytes32 contributionId) external view returns (ContributionInfo memory) {
        Contribution storage c = _contributions[contributionId];
        return ContributionInfo({
            contributor: c.contributor, projectId: c.projectId, registeredAt: c.registeredAt, status: c.status
        });
    }

    /// @inheritdoc IPocLedger
    function contributionIdOf(uint32 projectId, address contributor, bytes32 commitment)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(projectId, contributor, commitment));
    }

    /// @inheritdoc IPocLedger
    function hasEndorsed(bytes32 contributionId, address endorser) external view returns (bool) {
        return _endorsed[contributionId][endorser];
    }

    /// @inheritdoc IPocLedger
    function dispute(bytes32 contributionId) external view returns (DisputeInfo memory) {
        Dispute storage d = _disputes[contributionId];
        return DisputeInfo({
            disputer: d.disputer,
            openedAt: d.openedAt,
            number: d.number,
            outcome: d.outcome,
            eligibleVoters: d.eligibleVoters,
            upholdVotes: d.upholdVotes,
            rejectVotes: d.rejectVotes
        });
    }

    /// @inheritdoc IPocLedger
    function batch(bytes32 batchId) external view returns (BatchInfo memory) {
        Batch storage b = _batches[batchId];
        return BatchInfo({
            contributor: b.contributor, projectId: b.projectId, anchoredAt: b.anchoredAt, count: b.count, root: b.root
        });
    }

    /// @inheritdoc IPocLedger
    function batchLeafHash(BatchLeaf calldata leaf) external pure returns (bytes32) {
        return _leafHash(leaf);
    }

    /// @inheritdoc IPocLedger
    function verifyBatchLeaf(bytes32 batchId, BatchLeaf calldata leaf, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        Batch storage b = _batches[batchId];
        return b.contributor != address(0) && MerkleProof.verifyCalldata(proof, b.root, _leafHash(leaf));
    }

    /// @inheritdoc IPocLedger
    function proposal(uint32 projectId, uint64 proposalId) external view returns (ProposalInfo memory) {
        Proposal storage prop = _requireProposal(projectId, proposalId);
        return ProposalInfo({
            projectId: prop.projectId,
            kind: prop.kind,
            executed: prop.executed,
            createdAt: prop.createdAt,
            approvals: prop.approvals,
            required: prop.required,
            proposer: prop.proposer,
            data: prop.data
        });
    }

    /// @inheritdoc IPocLedger
    function hasApproved(uint64 proposalId, address account) external view returns (bool) {
        return _approved[proposalId][account];
    }

    // ---------------------------------------------------------------- internal: projects

    function _createProject(
        address coordinator,
        bytes32 agreementHash,
        address[] calldata partnerList,
        Policy calldata policy
    ) private returns (uint32 projectId) {
        if (agreementHash == bytes32(0)) revert PocZeroAgreementHash();
        if (partnerList.length == 0) revert PocCoordinatorNotPartner(coordinator);
        _validatePolicy(policy);
        projectId = ++_projectCount;
        Project storage p = _projects[projectId];
        p.coordinator = coordinator;
        p.agreementVersion = 1;
        _agreementHashes[projectId][1] = agreementHash;
        emit ProjectCreated(projectId, coordinator, agreementHash, partnerList);
        emit AgreementSet(projectId, 1, agreementHash);
        _setPolicy(projectId, p, policy);
        bool coordinatorListed;
        for (uint256 i = 0; i < partnerList.length; ++i) {
            address partner = partnerList[i];
            if (partner == address(0) || _members[projectId][partner].active) revert PocInvalidPartnerList(i, partner);
            if (partner == coordinator) coordinatorListed = true;
            _addMember(projectId, partner);
        }
        if (!coordinatorListed) revert PocCoordinatorNotPartner(coordinator);
    }

    function _acceptAgreement(address account, uint32 projectId, uint32 version, bytes32 agreementHash) private {
        Project storage p = _requireProject(projectId);
        Member storage m = _members[projectId][account];
        if (!m.active) revert PocNotPartner(projectId, account);
        if (version != p.agreementVersion || agreementHash != _agreementHashes[projectId][version]) {
            revert PocAgreementMismatch(projectId, version, agreementHash);
        }
        if (m.acceptedVersion == version) revert PocAgreementAlreadyAccepted(projectId, account, version);
        m.acceptedVersion = version;
        ++p.acceptedCount;
        emit AgreementAccepted(projectId, account, version);
        _checkInForce(projectId, p);
    }

    /// @dev Once in force a project stays in force: from then on governance rules apply, even while
    /// partners re-accept an amended agreement.
    function _checkInForce(uint32 projectId, Project storage p) private {
        if (!p.inForce && p.acceptedCount == _partners[projectId].length()) {
            p.inForce = true;
            emit AgreementInForce(projectId, p.agreementVersion);
        }
    }

    function _addMember(uint32 projectId, address partner) private {
        _partners[projectId].add(partner);
        _members[projectId][partner] = Member({active: true, acceptedVersion: 0, joinedAt: uint40(block.timestamp)});
        emit PartnerAdded(projectId, partner);
    }

    function _removeMember(uint32 projectId, address partner) private {
        Member storage m = _members[projectId][partner];
        if (!m.active) revert PocNotPartner(projectId, partner);
        Project storage p = _projects[projectId];
        if (m.acceptedVersion == p.agreementVersion) --p.acceptedCount;
        m.active = false;
        _partners[projectId].remove(partner);
        emit PartnerRemoved(projectId, partner);
    }

    function _requireCoordinatorBeforeForce(uint32 projectId) private view returns (Project storage p) {
        p = _requireProject(projectId);
        if (msg.sender != p.coordinator) revert PocNotCoordinator(projectId, msg.sender);
        if (p.inForce) revert PocAgreementInForce(projectId);
    }

    function _validatePolicy(Policy memory policy) private pure {
        if (policy.categories.length == 0 || policy.categories.length > MAX_CATEGORIES) {
            revert PocInvalidPolicy("categories");
        }
        if (policy.splitApprovalBps == 0 || policy.splitApprovalBps > BPS_DENOMINATOR) {
            revert PocInvalidPolicy("splitApprovalBps");
        }
        if (policy.governanceBps == 0 || policy.governanceBps > BPS_DENOMINATOR) {
            revert PocInvalidPolicy("governanceBps");
        }
        if (policy.partnerCapBps > BPS_DENOMINATOR) revert PocInvalidPolicy("partnerCapBps");
        if (policy.partnerFloorBps > BPS_DENOMINATOR) revert PocInvalidPolicy("partnerFloorBps");
        if (policy.partnerCapBps != 0 && policy.partnerFloorBps > policy.partnerCapBps) {
            revert PocInvalidPolicy("partnerFloorBps");
        }
        if (policy.backgroundWeightBps == 0 && policy.resultWeightBps == 0) revert PocInvalidPolicy("originWeights");
        for (uint256 i = 0; i < policy.categories.length; ++i) {
            Category memory c = policy.categories[i];
            if (c.unitScale == 0) revert PocInvalidPolicy("unitScale");
            if (c.name == bytes32(0)) revert PocInvalidPolicy("categoryName");
        }
    }

    function _setPolicy(uint32 projectId, Project storage p, Policy memory policy) private {
        uint32 version = ++p.policyVersion;
        bytes32 policyHash = keccak256(abi.encode(policy));
        _policyHashes[projectId][version] = policyHash;
        _policyParams[projectId] = PolicyParams({
            disputeWindow: policy.disputeWindow,
            splitApprovalBps: policy.splitApprovalBps,
            governanceBps: policy.governanceBps
        });
        p.categoryCount = uint8(policy.categories.length);
        emit PolicySet(projectId, version, policyHash, policy);
    }

    // ---------------------------------------------------------------- internal: governance

    function _propose(address proposer, uint32 projectId, ProposalKind kind, bytes calldata data)
        private
        returns (uint64 proposalId)
    {
        Project storage p = _requireParticipant(projectId, proposer);
        if (!p.inForce) revert PocAgreementNotInForce(projectId);
        uint256 eligible = _partners[projectId].length();
        if (kind == ProposalKind.AddPartner) {
            address partner = _decodeAddress(kind, data);
            if (partner == address(0) || _members[projectId][partner].active) revert PocInvalidProposal(kind);
        } else if (kind == ProposalKind.RemovePartner) {
            address partner = _decodeAddress(kind, data);
            if (!_members[projectId][partner].active || partner == proposer) revert PocInvalidProposal(kind);
            // The partner being removed neither counts towards nor can block the threshold; if that
            // leaves a single voter, that voter would expel the other alone.
            eligible -= 1;
            if (eligible < 2) revert PocInvalidProposal(kind);
        } else if (kind == ProposalKind.ChangePolicy) {
            // abi.decode reverts without a reason on malformed input; decoding in an external
            // self-call turns any such failure into a clear error.
            try this.decodePolicy(data) returns (Policy memory policy) {
                _validatePolicy(policy);
            } catch {
                revert PocInvalidProposal(kind);
            }
        } else {
            if (data.length != 32 || abi.decode(data, (bytes32)) == bytes32(0)) revert PocInvalidProposal(kind);
        }
        uint256 required = _ceilBps(eligible, _policyParams[projectId].governanceBps);
        // Nobody changes the others' rights alone, whatever the policy's threshold says.
        if (required < 2 && eligible >= 2) required = 2;
        proposalId = ++_proposalCount;
        _proposals[proposalId] = Proposal({
            projectId: projectId,
            kind: kind,
            executed: false,
            createdAt: uint40(block.timestamp),
            approvals: 0,
            required: uint16(required),
            proposer: proposer,
            data: data
        });
        emit ProposalCreated(projectId, proposalId, proposer, kind, data);
        _recordApproval(proposer, projectId, proposalId, _proposals[proposalId]);
    }

    function _approveProposal(address approver, uint32 projectId, uint64 proposalId) private {
        _requireParticipant(projectId, approver);
        Proposal storage prop = _requireProposal(projectId, proposalId);
        if (prop.executed) revert PocProposalAlreadyExecuted(proposalId);
        if (_approved[proposalId][approver]) revert PocAlreadyApproved(proposalId, approver);
        if (_members[projectId][approver].joinedAt > prop.createdAt) revert PocNotEligibleApprover(proposalId, approver);
        if (prop.kind == ProposalKind.RemovePartner && abi.decode(prop.data, (address)) == approver) {
            revert PocNotEligibleApprover(proposalId, approver);
        }
        _recordApproval(approver, projectId, proposalId, prop);
    }

    function _recordApproval(address approver, uint32 projectId, uint64 proposalId, Proposal storage prop) private {
        _approved[proposalId][approver] = true;
        uint16 approvals = ++prop.approvals;
        emit ProposalApproved(projectId, proposalId, approver);
        if (approvals >= prop.required) _executeProposal(projectId, proposalId, prop);
    }

    function _executeProposal(uint32 projectId, uint64 proposalId, Proposal storage prop) private {
        prop.executed = true;
        Project storage p = _projects[projectId];
        ProposalKind kind = prop.kind;
        bytes memory data = prop.data;
        if (kind == ProposalKind.AddPartner) {
            address partner = abi.decode(data, (address));
            // Membership may have changed since the proposal was made.
            if (_members[projectId][partner].active) revert PocAlreadyPartner(projectId, partner);
            _addMember(projectId, partner);
        } else if (kind == ProposalKind.RemovePartner) {
            _removeMember(projectId, abi.decode(data, (address)));
        } else if (kind == ProposalKind.ChangePolicy) {
            _setPolicy(projectId, p, abi.decode(data, (Policy)));
        } else {
            uint32 version = ++p.agreementVersion;
            bytes32 agreementHash = abi.decode(data, (bytes32));
            _agreementHashes[projectId][version] = agreementHash;
            p.acceptedCount = 0;
            emit AgreementSet(projectId, version, agreementHash);
        }
        emit ProposalExecuted(projectId, proposalId);
    }

    function _decodeAddress(ProposalKind kind, bytes calldata data) private pure returns (address) {
        if (data.length != 32 || uint256(bytes32(data)) >> 160 != 0) revert PocInvalidProposal(kind);
        return abi.decode(data, (address));
    }

    /// @dev ceil(count * bps / 10000), at least one approval.
    function _ceilBps(uint256 count, uint256 bps) private pure returns (uint256 required) {
        required = (count * bps + BPS_DENOMINATOR - 1) / BPS_DENOMINATOR;
        if (required == 0) required = 1;
    }

    // ---------------------------------------------------------------- internal: contributions

    function _registerStructHash(Registration calldata r, SignedAuth calldata auth) private pure returns (bytes32) {
        return keccak256(
            abi.encode(
                _REGISTER_TYPEHASH,
                r.projectId,
                r.commitment,
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

    function _register(address contributor, Registration calldata r) private returns (bytes32 contributionId) {
        Project storage p = _requireParticipant(r.projectId, contributor);
        _checkContent(p, r.projectId, r.commitment, r.category, r.parents, true);
        // Checked before the new record exists, so a registration cannot name itself as the work
        // it replaces (its id is computable in advance).
        Contribution storage old = _contributions[r.supersedes];
        if (r.supersedes != bytes32(0)) {
            old = _requireActiveContribution(r.projectId, r.supersedes);
            if (old.contributor != contributor) revert PocNotContributor(r.supersedes, contributor);
        }
        contributionId = _storeContribution(r.projectId, contributor, r.commitment, uint40(block.timestamp));
        emit ContributionRegistered(
            r.projectId,
            contributionId,
            contributor,
            r.commitment,
            r.origin,
            r.category,
            r.value,
            r.parents,
            r.supersedes,
            bytes32(0),
            uint40(block.timestamp),
            r.uri
        );
        if (r.supersedes != bytes32(0)) {
            old.status = ContributionStatus.Superseded;
            emit ContributionSuperseded(r.projectId, r.supersedes, contributionId);
        }
    }

    function _checkContent(
        Project storage p,
        uint32 projectId,
        bytes32 commitment,
        uint8 category,
        bytes32[] calldata parents,
        bool checkCategory
    ) private view {
        if (commitment == bytes32(0)) revert PocZeroCommitment();
        if (checkCategory && category >= p.categoryCount) {
            revert PocUnknownCategory(category, p.categoryCount);
        }
        if (parents.length > MAX_PARENTS) revert PocTooManyParents(parents.length, MAX_PARENTS);
        for (uint256 i = 0; i < parents.length; ++i) {
            Contribution storage parent = _contributions[parents[i]];
            if (parent.status == ContributionStatus.None || parent.projectId != projectId) {
                revert PocContributionNotFound(projectId, parents[i]);
            }
        }
    }

    function _storeContribution(uint32 projectId, address contributor, bytes32 commitment, uint40 registeredAt)
        private
        returns (bytes32 contributionId)
    {
        contributionId = contributionIdOf(projectId, contributor, commitment);
        Contribution storage c = _contributions[contributionId];
        if (c.status != ContributionStatus.None) revert PocContributionExists(contributionId);
        _contributions[contributionId] = Contribution({
            contributor: contributor,
            projectId: projectId,
            registeredAt: registeredAt,
            status: ContributionStatus.Active
        });
    }

    function _anchorBatch(address contributor, uint32 projectId, bytes32 root, uint32 count, string calldata uri)
        private
        returns (bytes32 batchId)
    {
        _requireParticipant(projectId, contributor);
        if (root == bytes32(0)) revert PocZeroCommitment();
        if (count == 0) revert PocEmptyBatch();
        batchId = keccak256(abi.encode(projectId, contributor, root));
        if (_batches[batchId].contributor != address(0)) revert PocBatchExists(batchId);
        _batches[batchId] = Batch({
            contributor: contributor,
            projectId: projectId,
            anchoredAt: uint40(block.timestamp),
            count: count,
            root: root
        });
        emit BatchAnchored(projectId, batchId, contributor, root, count, uri);
    }

    function _withdrawContribution(address account, uint32 projectId, bytes32 contributionId) private {
        Contribution storage c = _requireActiveContribution(projectId, contributionId);
        if (c.contributor != account) revert PocNotContributor(contributionId, account);
        c.status = ContributionStatus.Withdrawn;
        emit ContributionWithdrawn(projectId, contributionId, account);
    }

    /// @dev The double hash matches OpenZeppelin's StandardMerkleTree and keeps a leaf from being
    /// mistaken for an inner node.
    function _leafHash(BatchLeaf calldata leaf) private pure returns (bytes32) {
        return keccak256(
            bytes.concat(
                keccak256(abi.encode(leaf.commitment, uint8(leaf.origin), leaf.category, leaf.value, leaf.parents))
            )
        );
    }

    // ---------------------------------------------------------------- internal: endorsements, disputes

    function _endorse(address endorser, uint32 projectId, bytes32 contributionId, uint8 rating) private {
        _requireParticipant(projectId, endorser);
        if (rating == 0 || rating > MAX_RATING) revert PocInvalidRating(rating);
        Contribution storage c = _requireActiveContribution(projectId, contributionId);
        if (c.contributor == endorser) revert PocSelfEndorsement(contributionId, endorser);
        if (_endorsed[contributionId][endorser]) revert PocAlreadyEndorsed(contributionId, endorser);
        _endorsed[contributionId][endorser] = true;
        emit Endorsed(projectId, contributionId, endorser, rating);
    }

    function _openDispute(address disputer, uint32 projectId, bytes32 contributionId, bytes32 reasonHash) private {
        _requireParticipant(projectId, disputer);
        Contribution storage c = _requireActiveContribution(projectId, contributionId);
        address contributor = c.contributor;
        if (contributor == disputer) revert PocSelfDispute(contributionId, disputer);
        uint256 closesAt = uint256(c.registeredAt) + _policyParams[projectId].disputeWindow;
        if (block.timestamp > closesAt) revert PocDisputeWindowClosed(contributionId, closesAt);
        Dispute storage d = _disputes[contributionId];
        if (d.number != 0 && d.outcome == DisputeOutcome.Open) revert PocDisputeAlreadyOpen(contributionId);
        // Everyone but the two parties votes; a removed contributor does not count among partners.
        uint256 eligible = _partners[projectId].length() - 1;
        if (_members[projectId][contributor].active) eligible -= 1;
        if (eligible == 0) revert PocNoEligibleVoters(contributionId);
        uint32 number = d.number + 1;
        _disputes[contributionId] = Dispute({
            disputer: disputer,
            openedAt: uint40(block.timestamp),
            number: number,
            outcome: DisputeOutcome.Open,
            eligibleVoters: uint16(eligible),
            upholdVotes: 0,
            rejectVotes: 0
        });
        emit DisputeOpened(projectId, contributionId, disputer, number, reasonHash, uint16(eligible));
    }

    function _voteDispute(address voter, uint32 projectId, bytes32 contributionId, bool uphold) private {
        _requireParticipant(projectId, voter);
        Contribution storage c = _requireContribution(projectId, contributionId);
        Dispute storage d = _disputes[contributionId];
        if (d.number == 0 || d.outcome != DisputeOutcome.Open) revert PocNoOpenDispute(contributionId);
        if (voter == c.contributor || voter == d.disputer || _members[projectId][voter].joinedAt > d.openedAt) {
            revert PocNotEligibleVoter(contributionId, voter);
        }
        if (_voted[contributionId][d.number][voter]) revert PocAlreadyVoted(contributionId, voter);
        _voted[contributionId][d.number][voter] = true;
        emit DisputeVoted(projectId, contributionId, voter, d.number, uphold);
        if (uphold) {
            if (++d.upholdVotes * 2 > d.eligibleVoters) {
                d.outcome = DisputeOutcome.Upheld;
                c.status = ContributionStatus.Invalidated;
                emit DisputeResolved(projectId, contributionId, d.number, DisputeOutcome.Upheld);
            }
        } else if (++d.rejectVotes * 2 > d.eligibleVoters) {
            d.outcome = DisputeOutcome.Rejected;
            emit DisputeResolved(projectId, contributionId, d.number, DisputeOutcome.Rejected);
        }
    }

    function _withdrawDispute(address account, uint32 projectId, bytes32 contributionId) private {
        _requireContribution(projectId, contributionId);
        Dispute storage d = _disputes[contributionId];
        if (d.number == 0 || d.outcome != DisputeOutcome.Open) revert PocNoOpenDispute(contributionId);
        if (d.disputer != account) revert PocNotDisputer(contributionId, account);
        d.outcome = DisputeOutcome.Withdrawn;
        emit DisputeResolved(projectId, contributionId, d.number, DisputeOutcome.Withdrawn);
    }

    // ---------------------------------------------------------------- internal: lookups

    function _requireProject(uint32 projectId) private view returns (Project storage p) {
        p = _projects[projectId];
        if (p.coordinator == address(0)) revert PocProjectNotFound(projectId);
    }

    function _requireParticipant(uint32 projectId, address account) private view returns (Project storage p) {
        p = _requireProject(projectId);
        Member storage m = _members[projectId][account];
        if (!m.active) revert PocNotPartner(projectId, account);
        if (m.acceptedVersion != p.agreementVersion) {
            revert PocAgreementNotAccepted(projectId, account, p.agreementVersion);
        }
    }

    function _requireContribution(uint32 projectId, bytes32 contributionId)
        private
        view
        returns (Contribution storage c)
    {
        c = _contributions[contributionId];
        if (c.status == ContributionStatus.None || c.projectId != projectId) {
            revert PocContributionNotFound(projectId, contributionId);
        }
    }

    function _requireActiveContribution(uint32 projectId, bytes32 contributionId)
        private
        view
        returns (Contribution storage c)
    {
        c = _requireContribution(projectId, contributionId);
        if (c.status != ContributionStatus.Active) revert PocContributionNotActive(contributionId, c.status);
    }

    function _requireProposal(uint32 projectId, uint64 proposalId) private view returns (Proposal storage prop) {
        prop = _proposals[proposalId];
        if (prop.proposer == address(0) || prop.projectId != projectId) {
            revert PocProposalNotFound(projectId, proposalId);
        }
    }
}
