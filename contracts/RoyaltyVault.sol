// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IPocLedger} from "./interfaces/IPocLedger.sol";
import {IRoyaltyVault} from "./interfaces/IRoyaltyVault.sol";
import {StructHashes} from "./libraries/StructHashes.sol";
import {PartnerSignatureVerifier, PartnerSignatures} from "./PartnerSignatures.sol";
import {Semver} from "./Semver.sol";
import {BPS_DENOMINATOR, SignedAuth, SplitInput, approvalsRequired} from "./PocTypes.sol";

/// @title RoyaltyVault
/// @notice Implementation of {IRoyaltyVault}; see the interface for the rules and NatSpec.
contract RoyaltyVault is IRoyaltyVault, PartnerSignatures, Semver, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    // ---------------------------------------------------------------- constants

    /// @inheritdoc IRoyaltyVault
    /// @dev Bounds the allocation loop of a deposit.
    uint256 public constant MAX_SPLIT_PARTNERS = 64;

    /// @dev The EIP-712 domain of the vault's signed actions.
    string private constant _DOMAIN_NAME = "RoyaltyVault";
    string private constant _DOMAIN_VERSION = "1";

    // ---------------------------------------------------------------- storage

    struct Split {
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

    /// @dev One slot: the first release of a token then costs no fresh storage slot.
    struct Totals {
        uint128 received;
        uint128 released;
    }

    IPocLedger private immutable _ledger;
    uint64 private _proposalCount;
    mapping(uint64 proposalId => Split) private _splits;
    mapping(uint64 proposalId => mapping(address account => bool)) private _approved;
    mapping(uint32 projectId => uint32) private _currentVersion;
    mapping(uint32 projectId => mapping(uint32 version => uint64 proposalId)) private _versions;
    mapping(uint32 projectId => mapping(address token => mapping(address partner => uint256))) private _balances;
    mapping(uint32 projectId => mapping(address token => Totals)) private _totals;

    // ---------------------------------------------------------------- constructor

    /// @param ledger_ The PocLedger whose projects, partners and policies this vault serves.
    constructor(IPocLedger ledger_) PartnerSignatureVerifier(_DOMAIN_NAME, _DOMAIN_VERSION) {
        _ledger = ledger_;
    }

    /// @dev The vault is released with the ledger.
    function _codeVersion() internal pure override returns (string memory) {
        return "2.0.0";
    }

    /// @notice Refuses ETH that does not name a project: it could not be allocated.
    receive() external payable {
        revert VaultUnattributedTransfer();
    }

    // ---------------------------------------------------------------- splits

    /// @inheritdoc IRoyaltyVault
    function proposeSplit(uint32 projectId, SplitInput calldata split) external returns (uint64) {
        return _proposeSplit(msg.sender, projectId, split);
    }

    /// @inheritdoc IRoyaltyVault
    function proposeSplitBySig(uint32 projectId, SplitInput calldata split, SignedAuth calldata auth)
        external
        returns (uint64)
    {
        return _proposeSplit(_verifySigned(auth, StructHashes.proposeSplit(projectId, split, auth)), projectId, split);
    }

    /// @inheritdoc IRoyaltyVault
    function approveSplit(uint32 projectId, uint64 proposalId) external {
        _approveSplit(msg.sender, projectId, proposalId);
    }

    /// @inheritdoc IRoyaltyVault
    function approveSplitBySig(uint32 projectId, uint64 proposalId, SignedAuth calldata auth) external {
        _approveSplit(_verifySigned(auth, StructHashes.approveSplit(projectId, proposalId, auth)), projectId, proposalId);
    }

    // ---------------------------------------------------------------- revenue and payouts

    /// @inheritdoc IRoyaltyVault
    function deposit(uint32 projectId) external payable nonReentrant {
        _allocate(projectId, address(0), msg.value);
    }

    /// @inheritdoc IRoyaltyVault
    function depositToken(uint32 projectId, address token, uint256 amount) external nonReentrant {
        if (amount == 0) revert VaultZeroAmount();
        // Check that a split is in force before pulling funds, so a failed deposit moves nothing.
        if (_currentVersion[projectId] == 0) revert VaultNoSplitInForce(projectId);
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        _allocate(projectId, token, IERC20(token).balanceOf(address(this)) - before);
    }

    /// @inheritdoc IRoyaltyVault
    function release(uint32 projectId, address token, address partner) external nonReentrant {
        _release(projectId, token, partner, partner);
    }

    /// @inheritdoc IRoyaltyVault
    function releaseTo(uint32 projectId, address token, address recipient) external nonReentrant {
        _release(projectId, token, msg.sender, recipient);
    }

    /// @inheritdoc IRoyaltyVault
    function releaseToBySig(uint32 projectId, address token, address recipient, SignedAuth calldata auth)
        external
        nonReentrant
    {
        address signer = _verifySigned(auth, StructHashes.releaseTo(projectId, token, recipient, auth));
        _release(projectId, token, signer, recipient);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IRoyaltyVault
    function ledger() external view returns (address) {
        return address(_ledger);
    }

    /// @inheritdoc IRoyaltyVault
    function currentSplitVersion(uint32 projectId) external view returns (uint32) {
        return _currentVersion[projectId];
    }

    /// @inheritdoc IRoyaltyVault
    function splitProposalOf(uint32 projectId, uint32 version) external view returns (uint64) {
        return _versions[projectId][version];
    }

    /// @inheritdoc IRoyaltyVault
    function splitProposal(uint32 projectId, uint64 proposalId) external view returns (SplitInfo memory) {
        Split storage s = _requireSplit(projectId, proposalId);
        return SplitInfo({
            projectId: s.projectId,
            finalized: s.finalized,
            approvals: s.approvals,
            required: s.required,
            createdAt: s.createdAt,
            policyVersion: s.policyVersion,
            computedAtBlock: s.computedAtBlock,
            inputSetHash: s.inputSetHash,
            proposer: s.proposer,
            partners: s.partners,
            bps: s.bps
        });
    }

    /// @inheritdoc IRoyaltyVault
    function hasApprovedSplit(uint64 proposalId, address account) external view returns (bool) {
        return _approved[proposalId][account];
    }

    /// @inheritdoc IRoyaltyVault
    function balanceOf(uint32 projectId, address token, address partner) external view returns (uint256) {
        return _balances[projectId][token][partner];
    }

    /// @inheritdoc IRoyaltyVault
    function totals(uint32 projectId, address token) external view returns (uint256 received, uint256 released) {
        Totals storage t = _totals[projectId][token];
        return (t.received, t.released);
    }

    // ---------------------------------------------------------------- internal

    function _proposeSplit(address proposer, uint32 projectId, SplitInput calldata split)
        private
        returns (uint64 proposalId)
    {
        _requireParticipant(projectId, proposer);
        _validateSplit(projectId, split);
        IPocLedger.ProjectInfo memory info = _ledger.project(projectId);
        uint256 required = approvalsRequired(info.partnerCount, info.splitApprovalBps);
        proposalId = ++_proposalCount;
        Split storage s = _splits[proposalId];
        s.projectId = projectId;
        s.required = uint16(required);
        s.createdAt = uint40(block.timestamp);
        s.policyVersion = split.policyVersion;
        s.computedAtBlock = split.computedAtBlock;
        s.inputSetHash = split.inputSetHash;
        s.proposer = proposer;
        s.partners = split.partners;
        s.bps = split.bps;
        emit SplitProposed({
            projectId: projectId,
            proposalId: proposalId,
            proposer: proposer,
            partners: split.partners,
            bps: split.bps,
            policyVersion: split.policyVersion,
            computedAtBlock: split.computedAtBlock,
            inputSetHash: split.inputSetHash
        });
        _recordApproval(proposer, projectId, proposalId, s);
    }

    function _validateSplit(uint32 projectId, SplitInput calldata split) private view {
        uint256 n = split.partners.length;
        if (n == 0 || n > MAX_SPLIT_PARTNERS) revert VaultInvalidSplit("partner count");
        if (split.bps.length != n) revert VaultInvalidSplit("length mismatch");
        uint256 sum;
        address previous = address(0);
        for (uint256 i = 0; i < n; ++i) {
            // Strictly ascending: no duplicates, no zero address, and a canonical order for ties.
            if (split.partners[i] <= previous) revert VaultInvalidSplit("partners not ascending");
            previous = split.partners[i];
            sum += split.bps[i];
        }
        if (sum != BPS_DENOMINATOR) revert VaultInvalidSplit("bps sum");
        if (split.policyVersion == 0 || _ledger.policyHashAt(projectId, split.policyVersion) == bytes32(0)) {
            revert VaultInvalidSplit("policy version");
        }
        if (split.computedAtBlock > block.number) revert VaultInvalidSplit("future block");
    }

    function _approveSplit(address approver, uint32 projectId, uint64 proposalId) private {
        _requireParticipant(projectId, approver);
        Split storage s = _requireSplit(projectId, proposalId);
        if (s.finalized) revert VaultSplitAlreadyFinalized(proposalId);
        if (_approved[proposalId][approver]) revert VaultAlreadyApproved(proposalId, approver);
        if (_ledger.member(projectId, approver).joinedAt > s.createdAt) {
            revert VaultNotEligibleApprover(proposalId, approver);
        }
        _recordApproval(approver, projectId, proposalId, s);
    }

    function _recordApproval(address approver, uint32 projectId, uint64 proposalId, Split storage s) private {
        _approved[proposalId][approver] = true;
        uint16 approvals = ++s.approvals;
        emit SplitApproved({projectId: projectId, proposalId: proposalId, approver: approver});
        if (approvals >= s.required) {
            s.finalized = true;
            uint32 version = ++_currentVersion[projectId];
            _versions[projectId][version] = proposalId;
            emit SplitFinalized({projectId: projectId, splitVersion: version, proposalId: proposalId});
        }
    }

    /// @dev Largest-remainder allocation of `amount` by the split in force; see the interface.
    function _allocate(uint32 projectId, address token, uint256 amount) private {
        if (amount == 0) revert VaultZeroAmount();
        uint32 version = _currentVersion[projectId];
        if (version == 0) revert VaultNoSplitInForce(projectId);
        Split storage s = _splits[_versions[projectId][version]];
        address[] memory recipients = s.partners;
        uint16[] memory bps = s.bps;
        uint256 n = recipients.length;
        uint256[] memory remainders = new uint256[](n);
        mapping(address partner => uint256) storage balances = _balances[projectId][token];
        uint256 allocated;
        for (uint256 i = 0; i < n; ++i) {
            uint256 share = Math.mulDiv(amount, bps[i], BPS_DENOMINATOR);
            remainders[i] = mulmod(amount, bps[i], BPS_DENOMINATOR);
            balances[recipients[i]] += share;
            allocated += share;
        }
        // Fewer than n units are left; each goes to the largest remaining fraction.
        for (uint256 left = amount - allocated; left > 0; --left) {
            uint256 best;
            for (uint256 i = 1; i < n; ++i) {
                if (remainders[i] > remainders[best]) best = i;
            }
            balances[recipients[best]] += 1;
            remainders[best] = 0;
        }
        // Totals are packed as uint128; no real token supply comes near, a hostile one is refused.
        Totals storage t = _totals[projectId][token];
        if (amount > type(uint128).max - t.received) revert VaultAmountTooLarge(amount);
        t.received += uint128(amount);
        emit RevenueReceived({
            projectId: projectId, token: token, from: msg.sender, amount: amount, splitVersion: version
        });
    }

    function _release(uint32 projectId, address token, address partner, address recipient) private {
        uint256 amount = _balances[projectId][token][partner];
        if (amount == 0) revert VaultNothingToRelease(projectId, partner, token);
        _balances[projectId][token][partner] = 0;
        _totals[projectId][token].released += uint128(amount); // never above received
        emit Released({projectId: projectId, partner: partner, token: token, recipient: recipient, amount: amount});
        if (token == address(0)) {
            (bool ok,) = recipient.call{value: amount}("");
            if (!ok) revert VaultTransferFailed(recipient, amount);
        } else {
            IERC20(token).safeTransfer(recipient, amount);
        }
    }

    function _requireParticipant(uint32 projectId, address account) private view {
        if (!_ledger.isParticipant(projectId, account)) revert VaultNotParticipant(projectId, account);
    }

    function _requireSplit(uint32 projectId, uint64 proposalId) private view returns (Split storage s) {
        s = _splits[proposalId];
        // createdAt shares the first slot with projectId: one read answers both questions.
        if (s.createdAt == 0 || s.projectId != projectId) revert VaultSplitNotFound(projectId, proposalId);
    }
}
