// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IPocGovernance} from "./interfaces/IPocGovernance.sol";
import {IPocLedger} from "./interfaces/IPocLedger.sol";
import {StructHashes} from "./libraries/StructHashes.sol";
import {PartnerSignatures} from "./PartnerSignatures.sol";
import {PocGovernance} from "./PocGovernance.sol";
import {PocLedgerState} from "./PocLedgerState.sol";
import {
    BatchLeaf,
    ContributionStatus,
    DisputeOutcome,
    Policy,
    ProposalKind,
    Registration,
    SignedAuth
} from "./PocTypes.sol";

/// @title PocLedger
/// @notice Implementation of {IPocLedger}; see the interface for the rules and NatSpec.
/// @dev The code is in two halves that share this contract's storage (PocLedgerState): this one
/// holds what partners do daily (accepting the agreement, approving proposals, registering,
/// endorsing, disputing), the coordinator's set-up, and every view; the {IPocGovernance}
/// functions and the execution of approved proposals run in the PocGovernance module this
/// constructor creates, by DELEGATECALL, so they too emit from this address. No admin, no proxy:
/// the module is fixed at construction and nothing can replace it.
contract PocLedger is IPocLedger, PartnerSignatures, PocLedgerState {
    // ---------------------------------------------------------------- constants

    /// @inheritdoc IPocLedger
    uint256 public constant MAX_PARENTS = _MAX_PARENTS;
    /// @inheritdoc IPocLedger
    uint256 public constant MAX_CATEGORIES = _MAX_CATEGORIES;
    /// @inheritdoc IPocLedger
    uint8 public constant MAX_RATING = _MAX_RATING;

    // ---------------------------------------------------------------- storage

    /// @dev Immutable, so part of the code: the verifier checks the module it names too.
    address private immutable _GOVERNANCE;

    // ---------------------------------------------------------------- constructor

    constructor() {
        _GOVERNANCE = address(new PocGovernance());
    }

    // ---------------------------------------------------------------- governance (PocGovernance)

    // Each of these passes its calldata unchanged to the module and returns or reverts with the
    // module's result. The parameters are named for the ABI and only mentioned here; the module
    // decodes them.

    /// @inheritdoc IPocGovernance
    function createProject(bytes32 agreementHash, address[] calldata partnerList, Policy calldata policy)
        external
        returns (uint32)
    {
        (agreementHash, partnerList, policy);
        _runInGovernance();
    }

    /// @inheritdoc IPocGovernance
    function createProjectBySig(
        bytes32 agreementHash,
        address[] calldata partnerList,
        Policy calldata policy,
        SignedAuth calldata auth
    ) external returns (uint32) {
        (agreementHash, partnerList, policy, auth);
        _runInGovernance();
    }

    /// @inheritdoc IPocGovernance
    function propose(uint32 projectId, ProposalKind kind, bytes calldata data) external returns (uint64) {
        (projectId, kind, data);
        _runInGovernance();
    }

    /// @inheritdoc IPocGovernance
    function proposeBySig(uint32 projectId, ProposalKind kind, bytes calldata data, SignedAuth calldata auth)
        external
        returns (uint64)
    {
        (projectId, kind, data, auth);
        _runInGovernance();
    }

    // ---------------------------------------------------------------- membership, agreement, identity

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
        address signer = _verifySigned(auth, StructHashes.acceptAgreement(projectId, version, agreementHash, auth));
        _acceptAgreement(signer, projectId, version, agreementHash);
    }

    /// @inheritdoc IPocLedger
    function setIdentity(string calldata name, string calldata companyNumber) external {
        emit IdentitySet({account: msg.sender, name: name, companyNumber: companyNumber});
    }

    /// @inheritdoc IPocLedger
    function setIdentityBySig(string calldata name, string calldata companyNumber, SignedAuth calldata auth)
        external
    {
        address signer = _verifySigned(auth, StructHashes.setIdentity(name, companyNumber, auth));
        emit IdentitySet({account: signer, name: name, companyNumber: companyNumber});
    }

    // ---------------------------------------------------------------- proposals

    /// @inheritdoc IPocLedger
    function approveProposal(uint32 projectId, uint64 proposalId) external {
        _approveProposal(msg.sender, projectId, proposalId);
    }

    /// @inheritdoc IPocLedger
    function approveProposalBySig(uint32 projectId, uint64 proposalId, SignedAuth calldata auth) external {
        address signer = _verifySigned(auth, StructHashes.approveProposal(projectId, proposalId, auth));
        _approveProposal(signer, projectId, proposalId);
    }

    // ---------------------------------------------------------------- contributions

    /// @inheritdoc IPocLedger
    function register(Registration calldata registration) external returns (bytes32) {
        return _register(msg.sender, registration);
    }

    /// @inheritdoc IPocLedger
    function registerBySig(Registration calldata registration, SignedAuth calldata auth) external returns (bytes32) {
        return _register(_verifySigned(auth, StructHashes.register(registration, auth)), registration);
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
        address signer = _verifySigned(auth, StructHashes.anchorBatch(projectId, root, count, uri, auth));
        return _anchorBatch(signer, projectId, root, count, uri);
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
        address contributor = b.contributor;
        uint40 anchoredAt = b.anchoredAt;
        contributionId = _storeContribution(projectId, contributor, leaf.commitment, anchoredAt);
        emit ContributionRegistered({
            projectId: projectId,
            contributionId: contributionId,
            contributor: contributor,
            commitment: leaf.commitment,
            cardHash: leaf.cardHash,
            origin: leaf.origin,
            category: leaf.category,
            value: leaf.value,
            parents: leaf.parents,
            supersedes: bytes32(0),
            batchId: batchId,
            registeredAt: anchoredAt,
            uri: ""
        });
    }

    /// @inheritdoc IPocLedger
    function withdrawContribution(uint32 projectId, bytes32 contributionId) external {
        _withdrawContribution(msg.sender, projectId, contributionId);
    }

    /// @inheritdoc IPocLedger
    function withdrawContributionBySig(uint32 projectId, bytes32 contributionId, SignedAuth calldata auth) external {
        address signer = _verifySigned(auth, StructHashes.withdrawContribution(projectId, contributionId, auth));
        _withdrawContribution(signer, projectId, contributionId);
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
        address signer = _verifySigned(auth, StructHashes.endorse(projectId, contributionId, rating, auth));
        _endorse(signer, projectId, contributionId, rating);
    }

    /// @inheritdoc IPocLedger
    function openDispute(uint32 projectId, bytes32 contributionId, bytes32 reasonHash) external {
        _openDispute(msg.sender, projectId, contributionId, reasonHash);
    }

    /// @inheritdoc IPocLedger
    function openDisputeBySig(uint32 projectId, bytes32 contributionId, bytes32 reasonHash, SignedAuth calldata auth)
        external
    {
        address signer = _verifySigned(auth, StructHashes.openDispute(projectId, contributionId, reasonHash, auth));
        _openDispute(signer, projectId, contributionId, reasonHash);
    }

    /// @inheritdoc IPocLedger
    function voteDispute(uint32 projectId, bytes32 contributionId, bool uphold) external {
        _voteDispute(msg.sender, projectId, contributionId, uphold);
    }

    /// @inheritdoc IPocLedger
    function voteDisputeBySig(uint32 projectId, bytes32 contributionId, bool uphold, SignedAuth calldata auth)
        external
    {
        address signer = _verifySigned(auth, StructHashes.voteDispute(projectId, contributionId, uphold, auth));
        _voteDispute(signer, projectId, contributionId, uphold);
    }

    /// @inheritdoc IPocLedger
    function withdrawDispute(uint32 projectId, bytes32 contributionId) external {
        _withdrawDispute(msg.sender, projectId, contributionId);
    }

    /// @inheritdoc IPocLedger
    function withdrawDisputeBySig(uint32 projectId, bytes32 contributionId, SignedAuth calldata auth) external {
        address signer = _verifySigned(auth, StructHashes.withdrawDispute(projectId, contributionId, auth));
        _withdrawDispute(signer, projectId, contributionId);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IPocLedger
    function governance() external view returns (address) {
        return _GOVERNANCE;
    }

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
        info.coordinator = p.coordinator;
        info.agreementVersion = p.agreementVersion;
        info.policyVersion = p.policyVersion;
        info.inForce = p.inForce;
        info.acceptedCount = p.acceptedCount;
        info.categoryCount = p.categoryCount;
        info.agreementHash = _agreementHashes[projectId][info.agreementVersion];
        info.policyHash = _policyHashes[projectId][info.policyVersion];
        info.partnerCount = uint16(_partners[projectId].length);
        info.disputeWindow = params.disputeWindow;
        info.splitApprovalBps = params.splitApprovalBps;
        info.governanceBps = params.governanceBps;
    }

    /// @inheritdoc IPocLedger
    function partners(uint32 projectId) external view returns (address[] memory) {
        return _partners[projectId];
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
        ProposalKind kind = prop.kind;
        return ProposalInfo({
            projectId: projectId,
            kind: kind,
            executed: prop.executed,
            createdAt: prop.createdAt,
            approvals: prop.approvals,
            required: prop.required,
            proposer: prop.proposer,
            data: kind == ProposalKind.ChangePolicy ? _policyProposals[proposalId] : abi.encode(prop.target)
        });
    }

    /// @inheritdoc IPocLedger
    function hasApproved(uint64 proposalId, address account) external view returns (bool) {
        return _approved[proposalId][account];
    }

    // ---------------------------------------------------------------- internal: governance

    /// @dev Runs the current call in the governance module and ends it with the module's return or
    /// revert data, unchanged (the module's errors are this ledger's). Never returns here.
    function _runInGovernance() private {
        address module = _GOVERNANCE;
        assembly ("memory-safe") {
            // Scratch use of free memory, as the call ends the function either way.
            let ptr := mload(0x40)
            calldatacopy(ptr, 0, calldatasize())
            let ok := delegatecall(gas(), module, ptr, calldatasize(), 0, 0)
            returndatacopy(ptr, 0, returndatasize())
            if iszero(ok) { revert(ptr, returndatasize()) }
            return(ptr, returndatasize())
        }
    }

    /// @dev The change of an approved proposal runs in the module, where the policy code is.
    function _executeProposal(uint32 projectId, uint64 proposalId) internal override {
        (bool ok, bytes memory result) =
            _GOVERNANCE.delegatecall(abi.encodeCall(PocGovernance.executeProposal, (projectId, proposalId)));
        if (!ok) {
            // The module's revert data is one of this ledger's errors: pass it on unchanged.
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }

    // ---------------------------------------------------------------- internal: membership, agreement

    function _requireCoordinatorBeforeForce(uint32 projectId) private view returns (Project storage p) {
        p = _requireProject(projectId);
        if (msg.sender != p.coordinator) revert PocNotCoordinator(projectId, msg.sender);
        if (p.inForce) revert PocAgreementInForce(projectId);
    }

    function _acceptAgreement(address account, uint32 projectId, uint32 version, bytes32 agreementHash) private {
        Project storage p = _projects[projectId];
        (address coordinator, uint32 current) = (p.coordinator, p.agreementVersion);
        if (coordinator == address(0)) revert PocProjectNotFound(projectId);
        Member storage m = _members[projectId][account];
        (bool active, uint32 accepted) = (m.active, m.acceptedVersion);
        if (!active) revert PocNotPartner(projectId, account);
        if (version != current || agreementHash != _agreementHashes[projectId][version]) {
            revert PocAgreementMismatch(projectId, version, agreementHash);
        }
        if (accepted == version) revert PocAgreementAlreadyAccepted(projectId, account, version);
        m.acceptedVersion = version;
        ++p.acceptedCount;
        emit AgreementAccepted({projectId: projectId, partner: account, version: version});
        _checkInForce(projectId, p);
    }

    // ---------------------------------------------------------------- internal: proposals

    function _approveProposal(address approver, uint32 projectId, uint64 proposalId) private {
        _requireParticipant(projectId, approver);
        Proposal storage prop = _requireProposal(projectId, proposalId);
        if (prop.executed) revert PocProposalAlreadyExecuted(proposalId);
        if (_approved[proposalId][approver]) revert PocAlreadyApproved(proposalId, approver);
        if (_members[projectId][approver].joinedAt > prop.createdAt) revert PocNotEligibleApprover(proposalId, approver);
        // The partner a removal concerns may not tip it.
        if (prop.kind == ProposalKind.RemovePartner && address(uint160(uint256(prop.target))) == approver) {
            revert PocNotEligibleApprover(proposalId, approver);
        }
        _recordApproval(approver, projectId, proposalId, prop);
    }

    // ---------------------------------------------------------------- internal: contributions

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
        emit ContributionRegistered({
            projectId: r.projectId,
            contributionId: contributionId,
            contributor: contributor,
            commitment: r.commitment,
            cardHash: r.cardHash,
            origin: r.origin,
            category: r.category,
            value: r.value,
            parents: r.parents,
            supersedes: r.supersedes,
            batchId: bytes32(0),
            registeredAt: uint40(block.timestamp),
            uri: r.uri
        });
        if (r.supersedes != bytes32(0)) {
            old.status = ContributionStatus.Superseded;
            emit ContributionSuperseded({
                projectId: r.projectId, contributionId: r.supersedes, replacementId: contributionId
            });
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
        if (parents.length > _MAX_PARENTS) revert PocTooManyParents(parents.length, _MAX_PARENTS);
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
        // The record is one slot, written whole: assigning the struct would read and write the
        // slot once per field, ~900 gas more on every registration. The word follows the struct's
        // layout, contributor in bytes 0-19, projectId 20-23, registeredAt 24-28, status 29
        // (tests/contracts/test_layout.py checks these offsets against the compiler's).
        uint256 record = uint256(uint160(contributor)) | (uint256(projectId) << 160)
            | (uint256(registeredAt) << 192) | (uint256(uint8(ContributionStatus.Active)) << 232);
        assembly ("memory-safe") {
            sstore(c.slot, record)
        }
    }

    function _anchorBatch(address contributor, uint32 projectId, bytes32 root, uint32 count, string calldata uri)
        private
        returns (bytes32 batchId)
    {
        _requireParticipant(projectId, contributor);
        if (root == bytes32(0)) revert PocZeroCommitment();
        if (count == 0) revert PocEmptyBatch();
        batchId = keccak256(abi.encode(projectId, contributor, root));
        Batch storage b = _batches[batchId];
        if (b.contributor != address(0)) revert PocBatchExists(batchId);
        b.contributor = contributor;
        b.projectId = projectId;
        b.anchoredAt = uint40(block.timestamp);
        b.count = count;
        b.root = root;
        emit BatchAnchored({
            projectId: projectId, batchId: batchId, contributor: contributor, root: root, count: count, uri: uri
        });
    }

    function _withdrawContribution(address account, uint32 projectId, bytes32 contributionId) private {
        Contribution storage c = _requireActiveContribution(projectId, contributionId);
        if (c.contributor != account) revert PocNotContributor(contributionId, account);
        c.status = ContributionStatus.Withdrawn;
        emit ContributionWithdrawn({projectId: projectId, contributionId: contributionId, contributor: account});
    }

    /// @dev The double hash matches OpenZeppelin's StandardMerkleTree and keeps a leaf from being
    /// mistaken for an inner node.
    function _leafHash(BatchLeaf calldata leaf) private pure returns (bytes32) {
        return keccak256(
            bytes.concat(
                keccak256(
                    abi.encode(
                        leaf.commitment, leaf.cardHash, uint8(leaf.origin), leaf.category, leaf.value, leaf.parents
                    )
                )
            )
        );
    }

    // ---------------------------------------------------------------- internal: endorsements, disputes

    function _endorse(address endorser, uint32 projectId, bytes32 contributionId, uint8 rating) private {
        _requireParticipant(projectId, endorser);
        if (rating == 0 || rating > _MAX_RATING) revert PocInvalidRating(rating);
        Contribution storage c = _requireActiveContribution(projectId, contributionId);
        if (c.contributor == endorser) revert PocSelfEndorsement(contributionId, endorser);
        if (_endorsed[contributionId][endorser]) revert PocAlreadyEndorsed(contributionId, endorser);
        _endorsed[contributionId][endorser] = true;
        emit Endorsed({projectId: projectId, contributionId: contributionId, endorser: endorser, rating: rating});
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
        uint256 eligible = _partners[projectId].length - 1;
        if (_members[projectId][contributor].active) eligible -= 1;
        if (eligible == 0) revert PocNoEligibleVoters(contributionId);
        uint32 number = d.number + 1;
        // Field by field through the pointer: assigning a struct literal would look the slot up
        // again for every field. The votes of an earlier dispute are reset.
        d.disputer = disputer;
        d.openedAt = uint40(block.timestamp);
        d.number = number;
        d.outcome = DisputeOutcome.Open;
        d.eligibleVoters = uint16(eligible);
        d.upholdVotes = 0;
        d.rejectVotes = 0;
        emit DisputeOpened({
            projectId: projectId,
            contributionId: contributionId,
            disputer: disputer,
            disputeNumber: number,
            reasonHash: reasonHash,
            eligibleVoters: uint16(eligible)
        });
    }

    function _voteDispute(address voter, uint32 projectId, bytes32 contributionId, bool uphold) private {
        _requireParticipant(projectId, voter);
        Contribution storage c = _requireContribution(projectId, contributionId);
        Dispute storage d = _disputes[contributionId];
        uint32 number = d.number;
        if (number == 0 || d.outcome != DisputeOutcome.Open) revert PocNoOpenDispute(contributionId);
        if (voter == c.contributor || voter == d.disputer || _members[projectId][voter].joinedAt > d.openedAt) {
            revert PocNotEligibleVoter(contributionId, voter);
        }
        if (_voted[contributionId][number][voter]) revert PocAlreadyVoted(contributionId, voter);
        _voted[contributionId][number][voter] = true;
        emit DisputeVoted({
            projectId: projectId, contributionId: contributionId, voter: voter, disputeNumber: number, uphold: uphold
        });
        if (uphold) {
            if (++d.upholdVotes * 2 > d.eligibleVoters) {
                d.outcome = DisputeOutcome.Upheld;
                c.status = ContributionStatus.Invalidated;
                emit DisputeResolved({
                    projectId: projectId, contributionId: contributionId, disputeNumber: number, outcome: DisputeOutcome.Upheld
                });
            }
        } else if (++d.rejectVotes * 2 > d.eligibleVoters) {
            d.outcome = DisputeOutcome.Rejected;
            emit DisputeResolved({
                projectId: projectId, contributionId: contributionId, disputeNumber: number, outcome: DisputeOutcome.Rejected
            });
        }
    }

    function _withdrawDispute(address account, uint32 projectId, bytes32 contributionId) private {
        _requireContribution(projectId, contributionId);
        Dispute storage d = _disputes[contributionId];
        if (d.number == 0 || d.outcome != DisputeOutcome.Open) revert PocNoOpenDispute(contributionId);
        if (d.disputer != account) revert PocNotDisputer(contributionId, account);
        d.outcome = DisputeOutcome.Withdrawn;
        emit DisputeResolved({
            projectId: projectId, contributionId: contributionId, disputeNumber: d.number, outcome: DisputeOutcome.Withdrawn
        });
    }

    // ---------------------------------------------------------------- internal: lookups

    function _requireContribution(uint32 projectId, bytes32 contributionId)
        private
        view
        returns (Contribution storage c)
    {
        c = _contributions[contributionId];
        (ContributionStatus status, uint32 owner) = (c.status, c.projectId);
        if (status == ContributionStatus.None || owner != projectId) {
            revert PocContributionNotFound(projectId, contributionId);
        }
    }

    function _requireActiveContribution(uint32 projectId, bytes32 contributionId)
        private
        view
        returns (Contribution storage c)
    {
        c = _contributions[contributionId];
        (ContributionStatus status, uint32 owner) = (c.status, c.projectId);
        if (status == ContributionStatus.None || owner != projectId) {
            revert PocContributionNotFound(projectId, contributionId);
        }
        if (status != ContributionStatus.Active) revert PocContributionNotActive(contributionId, status);
    }
}
