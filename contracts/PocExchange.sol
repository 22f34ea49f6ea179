// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IPocExchange} from "./interfaces/IPocExchange.sol";
import {IPocLedger} from "./interfaces/IPocLedger.sol";
import {ExchangeStructHashes} from "./libraries/ExchangeStructHashes.sol";
import {PartnerSignatureVerifier, PartnerSignatures} from "./PartnerSignatures.sol";
import {ContributionStatus, SignedAuth, approvalsRequired} from "./PocTypes.sol";
import {Semver} from "./Semver.sol";

/// @title PocExchange
/// @notice Implementation of {IPocExchange}; see the interface for the rules and NatSpec.
/// @dev Deployed beside PocLedger, which it reads through {IPocLedger}'s views and never writes:
/// the ledger's code is unchanged by it. Every `…BySig` function hashes its arguments
/// (ExchangeStructHashes), checks the signature (PartnerSignatures) and runs the same private
/// body as the direct call.
contract PocExchange is IPocExchange, PartnerSignatures, Semver {
    // ---------------------------------------------------------------- constants

    /// @dev Bounds the recipient loop of a disclosure.
    uint256 private constant _MAX_RECIPIENTS = 64;
    /// @dev Bounds the contribution look-ups of a disclosure (as many as a contribution's parents).
    uint256 private constant _MAX_REFERENCES = 16;
    /// @dev The settings of a project that never set its own.
    uint32 private constant _DEFAULT_ANSWER_PERIOD = 30 days;
    uint32 private constant _DEFAULT_REQUEST_PERIOD_AFTER_END = 365 days;
    /// @dev Ranges of the settings.
    uint32 private constant _MIN_ANSWER_PERIOD = 1 days;
    uint32 private constant _MAX_ANSWER_PERIOD = 365 days;
    uint32 private constant _MAX_REQUEST_PERIOD_AFTER_END = 3650 days;

    /// @dev The EIP-712 domain of the exchange's signed actions.
    string private constant _DOMAIN_NAME = "PocExchange";
    string private constant _DOMAIN_VERSION = "1";

    // ---------------------------------------------------------------- storage

    struct EncryptionKey {
        bytes32 publicKey;
        uint32 keyVersion;
        uint40 publishedAt;
    }

    /// @dev One slot. The commitment is not stored: the id is its hash with sharer and project.
    struct Disclosure {
        address sharer;
        uint32 projectId;
        uint32 agreementVersion;
        uint16 recipientCount;
    }

    struct Receipt {
        ReceiptStatus status;
        uint40 answeredAt;
        uint32 agreementVersion;
    }

    /// @dev Three slots: who asked and when; who answers and when; about what.
    struct AccessRequest {
        address requester;
        uint32 projectId;
        uint40 requestedAt;
        Purpose purpose;
        Terms proposedTerms;
        RequestStatus status;
        address owner;
        uint40 answerDeadline;
        uint40 answeredAt;
        Terms grantedTerms;
        bytes32 contributionId;
    }

    /// @dev `version` 0: never set, the defaults apply.
    struct Settings {
        uint32 answerPeriod;
        uint32 requestPeriodAfterEnd;
        uint40 projectEnd;
        uint32 version;
    }

    struct SettingsProposal {
        uint32 projectId;
        bool executed;
        uint16 approvals;
        uint16 required;
        uint40 createdAt;
        address proposer;
        ExchangeSettings settings;
    }

    IPocLedger private immutable _ledger;
    mapping(address account => EncryptionKey) private _keys;
    mapping(bytes32 disclosureId => Disclosure) private _disclosures;
    mapping(bytes32 disclosureId => mapping(address recipient => Receipt)) private _receipts;
    uint64 private _requestCount;
    mapping(uint64 requestId => AccessRequest) private _requests;
    mapping(uint32 projectId => Settings) private _settings;
    uint64 private _proposalCount;
    mapping(uint64 proposalId => SettingsProposal) private _proposals;
    mapping(uint64 proposalId => mapping(address account => bool)) private _approved;

    // ---------------------------------------------------------------- constructor

    /// @param ledger_ The PocLedger whose projects, partners and contributions this contract reads.
    constructor(IPocLedger ledger_) PartnerSignatureVerifier(_DOMAIN_NAME, _DOMAIN_VERSION) {
        _ledger = ledger_;
    }

    /// @dev The exchange's first release.
    function _codeVersion() internal pure override returns (string memory) {
        return "1.0.0";
    }

    // ---------------------------------------------------------------- encryption keys

    /// @inheritdoc IPocExchange
    function publishEncryptionKey(bytes32 publicKey) external returns (uint32) {
        return _publishKey(msg.sender, publicKey);
    }

    /// @inheritdoc IPocExchange
    function publishEncryptionKeyBySig(bytes32 publicKey, SignedAuth calldata auth) external returns (uint32) {
        return _publishKey(_verifySigned(auth, ExchangeStructHashes.publishEncryptionKey(publicKey, auth)), publicKey);
    }

    // ---------------------------------------------------------------- disclosures

    /// @inheritdoc IPocExchange
    function disclose(
        uint32 projectId,
        bytes32 contentCommitment,
        address[] calldata recipients,
        bytes32[] calldata contributionIds
    ) external returns (bytes32) {
        return _disclose(msg.sender, projectId, contentCommitment, recipients, contributionIds);
    }

    /// @inheritdoc IPocExchange
    function discloseBySig(
        uint32 projectId,
        bytes32 contentCommitment,
        address[] calldata recipients,
        bytes32[] calldata contributionIds,
        SignedAuth calldata auth
    ) external returns (bytes32) {
        bytes32 structHash =
            ExchangeStructHashes.disclose(projectId, contentCommitment, recipients, contributionIds, auth);
        return _disclose(_verifySigned(auth, structHash), projectId, contentCommitment, recipients, contributionIds);
    }

    /// @inheritdoc IPocExchange
    function acknowledge(uint32 projectId, bytes32 disclosureId, bytes32 contentCommitment, address sharer)
        external
    {
        _acknowledge(msg.sender, projectId, disclosureId, contentCommitment, sharer);
    }

    /// @inheritdoc IPocExchange
    function acknowledgeBySig(
        uint32 projectId,
        bytes32 disclosureId,
        bytes32 contentCommitment,
        address sharer,
        SignedAuth calldata auth
    ) external {
        bytes32 structHash =
            ExchangeStructHashes.acknowledge(projectId, disclosureId, contentCommitment, sharer, auth);
        _acknowledge(_verifySigned(auth, structHash), projectId, disclosureId, contentCommitment, sharer);
    }

    /// @inheritdoc IPocExchange
    function decline(uint32 projectId, bytes32 disclosureId, bytes32 reasonHash) external {
        _decline(msg.sender, projectId, disclosureId, reasonHash);
    }

    /// @inheritdoc IPocExchange
    function declineBySig(uint32 projectId, bytes32 disclosureId, bytes32 reasonHash, SignedAuth calldata auth)
        external
    {
        bytes32 structHash = ExchangeStructHashes.decline(projectId, disclosureId, reasonHash, auth);
        _decline(_verifySigned(auth, structHash), projectId, disclosureId, reasonHash);
    }

    // ---------------------------------------------------------------- access rights

    /// @inheritdoc IPocExchange
    function requestAccess(
        uint32 projectId,
        bytes32 contributionId,
        Purpose purpose,
        Terms terms,
        bytes32 termsHash
    ) external returns (uint64) {
        return _requestAccess(msg.sender, projectId, contributionId, purpose, terms, termsHash);
    }

    /// @inheritdoc IPocExchange
    function requestAccessBySig(
        uint32 projectId,
        bytes32 contributionId,
        Purpose purpose,
        Terms terms,
        bytes32 termsHash,
        SignedAuth calldata auth
    ) external returns (uint64) {
        bytes32 structHash =
            ExchangeStructHashes.requestAccess(projectId, contributionId, purpose, terms, termsHash, auth);
        return _requestAccess(_verifySigned(auth, structHash), projectId, contributionId, purpose, terms, termsHash);
    }

    /// @inheritdoc IPocExchange
    function grantAccess(uint32 projectId, uint64 requestId, Terms terms, bytes32 termsHash) external {
        _grantAccess(msg.sender, projectId, requestId, terms, termsHash);
    }

    /// @inheritdoc IPocExchange
    function grantAccessBySig(
        uint32 projectId,
        uint64 requestId,
        Terms terms,
        bytes32 termsHash,
        SignedAuth calldata auth
    ) external {
        bytes32 structHash = ExchangeStructHashes.grantAccess(projectId, requestId, terms, termsHash, auth);
        _grantAccess(_verifySigned(auth, structHash), projectId, requestId, terms, termsHash);
    }

    /// @inheritdoc IPocExchange
    function refuseAccess(uint32 projectId, uint64 requestId, bytes32 reasonHash) external {
        _refuseAccess(msg.sender, projectId, requestId, reasonHash);
    }

    /// @inheritdoc IPocExchange
    function refuseAccessBySig(uint32 projectId, uint64 requestId, bytes32 reasonHash, SignedAuth calldata auth)
        external
    {
        bytes32 structHash = ExchangeStructHashes.refuseAccess(projectId, requestId, reasonHash, auth);
        _refuseAccess(_verifySigned(auth, structHash), projectId, requestId, reasonHash);
    }

    /// @inheritdoc IPocExchange
    function withdrawAccessRequest(uint32 projectId, uint64 requestId) external {
        _withdrawAccessRequest(msg.sender, projectId, requestId);
    }

    /// @inheritdoc IPocExchange
    function withdrawAccessRequestBySig(uint32 projectId, uint64 requestId, SignedAuth calldata auth) external {
        bytes32 structHash = ExchangeStructHashes.withdrawAccessRequest(projectId, requestId, auth);
        _withdrawAccessRequest(_verifySigned(auth, structHash), projectId, requestId);
    }

    // ---------------------------------------------------------------- settings

    /// @inheritdoc IPocExchange
    function setExchangeSettings(uint32 projectId, ExchangeSettings calldata settings) external {
        _setSettings(msg.sender, projectId, settings);
    }

    /// @inheritdoc IPocExchange
    function setExchangeSettingsBySig(uint32 projectId, ExchangeSettings calldata settings, SignedAuth calldata auth)
        external
    {
        bytes32 structHash = ExchangeStructHashes.settings(false, projectId, settings, auth);
        _setSettings(_verifySigned(auth, structHash), projectId, settings);
    }

    /// @inheritdoc IPocExchange
    function proposeExchangeSettings(uint32 projectId, ExchangeSettings calldata settings)
        external
        returns (uint64)
    {
        return _proposeSettings(msg.sender, projectId, settings);
    }

    /// @inheritdoc IPocExchange
    function proposeExchangeSettingsBySig(
        uint32 projectId,
        ExchangeSettings calldata settings,
        SignedAuth calldata auth
    ) external returns (uint64) {
        bytes32 structHash = ExchangeStructHashes.settings(true, projectId, settings, auth);
        return _proposeSettings(_verifySigned(auth, structHash), projectId, settings);
    }

    /// @inheritdoc IPocExchange
    function approveExchangeSettings(uint32 projectId, uint64 proposalId) external {
        _approveSettings(msg.sender, projectId, proposalId);
    }

    /// @inheritdoc IPocExchange
    function approveExchangeSettingsBySig(uint32 projectId, uint64 proposalId, SignedAuth calldata auth) external {
        bytes32 structHash = ExchangeStructHashes.approveExchangeSettings(projectId, proposalId, auth);
        _approveSettings(_verifySigned(auth, structHash), projectId, proposalId);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IPocExchange
    function ledger() external view returns (address) {
        return address(_ledger);
    }

    /// @inheritdoc IPocExchange
    function encryptionKey(address account) external view returns (EncryptionKeyInfo memory) {
        EncryptionKey storage k = _keys[account];
        return EncryptionKeyInfo({publicKey: k.publicKey, keyVersion: k.keyVersion, publishedAt: k.publishedAt});
    }

    /// @inheritdoc IPocExchange
    function disclosureIdOf(uint32 projectId, address sharer, bytes32 contentCommitment)
        external
        pure
        returns (bytes32)
    {
        return _disclosureId(projectId, sharer, contentCommitment);
    }

    /// @inheritdoc IPocExchange
    function disclosure(bytes32 disclosureId) external view returns (DisclosureInfo memory) {
        Disclosure storage d = _disclosures[disclosureId];
        return DisclosureInfo({
            sharer: d.sharer,
            projectId: d.projectId,
            agreementVersion: d.agreementVersion,
            recipientCount: d.recipientCount
        });
    }

    /// @inheritdoc IPocExchange
    function receipt(bytes32 disclosureId, address recipient) external view returns (ReceiptInfo memory) {
        Receipt storage r = _receipts[disclosureId][recipient];
        return ReceiptInfo({status: r.status, answeredAt: r.answeredAt, agreementVersion: r.agreementVersion});
    }

    /// @inheritdoc IPocExchange
    function accessRequestCount() external view returns (uint64) {
        return _requestCount;
    }

    /// @inheritdoc IPocExchange
    function accessRequest(uint32 projectId, uint64 requestId) external view returns (AccessRequestInfo memory) {
        AccessRequest storage r = _requireRequest(projectId, requestId);
        return AccessRequestInfo({
            requester: r.requester,
            projectId: r.projectId,
            requestedAt: r.requestedAt,
            purpose: r.purpose,
            proposedTerms: r.proposedTerms,
            status: r.status,
            owner: r.owner,
            answerDeadline: r.answerDeadline,
            answeredAt: r.answeredAt,
            grantedTerms: r.grantedTerms,
            contributionId: r.contributionId,
            overdue: r.status == RequestStatus.Open && block.timestamp > r.answerDeadline
        });
    }

    /// @inheritdoc IPocExchange
    function exchangeSettings(uint32 projectId)
        external
        view
        returns (ExchangeSettings memory settings, uint32 version)
    {
        Settings memory s = _settingsOf(projectId);
        return (
            ExchangeSettings({
                answerPeriod: s.answerPeriod,
                requestPeriodAfterEnd: s.requestPeriodAfterEnd,
                projectEnd: s.projectEnd
            }),
            s.version
        );
    }

    /// @inheritdoc IPocExchange
    function requestsCloseAt(uint32 projectId) external view returns (uint256) {
        return _requestsCloseAt(_settingsOf(projectId));
    }

    /// @inheritdoc IPocExchange
    function settingsProposal(uint32 projectId, uint64 proposalId)
        external
        view
        returns (SettingsProposalInfo memory)
    {
        SettingsProposal storage p = _requireProposal(projectId, proposalId);
        return SettingsProposalInfo({
            projectId: p.projectId,
            executed: p.executed,
            approvals: p.approvals,
            required: p.required,
            createdAt: p.createdAt,
            proposer: p.proposer,
            settings: p.settings
        });
    }

    /// @inheritdoc IPocExchange
    function hasApprovedSettings(uint64 proposalId, address account) external view returns (bool) {
        return _approved[proposalId][account];
    }

    // ---------------------------------------------------------------- internal: keys and disclosures

    function _publishKey(address account, bytes32 publicKey) private returns (uint32 keyVersion) {
        if (publicKey == bytes32(0)) revert ExchangeZeroPublicKey();
        EncryptionKey storage k = _keys[account];
        keyVersion = k.keyVersion + 1;
        k.publicKey = publicKey;
        k.keyVersion = keyVersion;
        k.publishedAt = uint40(block.timestamp);
        emit EncryptionKeyPublished({account: account, keyVersion: keyVersion, publicKey: publicKey});
    }

    function _disclose(
        address sharer,
        uint32 projectId,
        bytes32 contentCommitment,
        address[] calldata recipients,
        bytes32[] calldata contributionIds
    ) private returns (bytes32 disclosureId) {
        _requireParticipant(projectId, sharer);
        if (contentCommitment == bytes32(0)) revert ExchangeZeroCommitment();
        uint256 count = recipients.length;
        if (count == 0 || count > _MAX_RECIPIENTS) revert ExchangeInvalidRecipientCount(count, _MAX_RECIPIENTS);
        if (contributionIds.length > _MAX_REFERENCES) {
            revert ExchangeTooManyReferences(contributionIds.length, _MAX_REFERENCES);
        }
        for (uint256 i = 0; i < contributionIds.length; ++i) {
            _requireContribution(projectId, contributionIds[i]);
        }
        disclosureId = _disclosureId(projectId, sharer, contentCommitment);
        Disclosure storage d = _disclosures[disclosureId];
        if (d.sharer != address(0)) revert ExchangeDisclosureExists(disclosureId);
        // The sharer is a participant, so the version it accepted is the project's current one.
        uint32 agreementVersion = _ledger.member(projectId, sharer).acceptedVersion;
        d.sharer = sharer;
        d.projectId = projectId;
        d.agreementVersion = agreementVersion;
        d.recipientCount = uint16(count);
        mapping(address recipient => Receipt) storage receipts = _receipts[disclosureId];
        for (uint256 i = 0; i < count; ++i) {
            address recipient = recipients[i];
            if (recipient == sharer) revert ExchangeSelfDisclosure(sharer);
            // A recipient already marked Pending in this new disclosure is a repeat in the list.
            if (receipts[recipient].status != ReceiptStatus.None) revert ExchangeDuplicateRecipient(recipient);
            if (!_ledger.isParticipant(projectId, recipient)) revert ExchangeRecipientNotPartner(projectId, recipient);
            receipts[recipient].status = ReceiptStatus.Pending;
        }
        emit Disclosed({
            projectId: projectId,
            disclosureId: disclosureId,
            sharer: sharer,
            contentCommitment: contentCommitment,
            recipients: recipients,
            contributionIds: contributionIds,
            agreementVersion: agreementVersion
        });
    }

    function _acknowledge(
        address recipient,
        uint32 projectId,
        bytes32 disclosureId,
        bytes32 contentCommitment,
        address sharer
    ) private {
        Disclosure storage d = _requireDisclosure(projectId, disclosureId);
        if (d.sharer != sharer) revert ExchangeSharerMismatch(disclosureId, sharer);
        // The id commits to the commitment: a different one cannot hash to the same id.
        if (_disclosureId(projectId, sharer, contentCommitment) != disclosureId) {
            revert ExchangeContentMismatch(disclosureId, contentCommitment);
        }
        Receipt storage r = _requirePending(disclosureId, recipient);
        uint32 agreementVersion = _ledger.member(projectId, recipient).acceptedVersion;
        r.status = ReceiptStatus.Acknowledged;
        r.answeredAt = uint40(block.timestamp);
        r.agreementVersion = agreementVersion;
        emit DisclosureAcknowledged({
            projectId: projectId,
            disclosureId: disclosureId,
            recipient: recipient,
            sharer: sharer,
            contentCommitment: contentCommitment,
            agreementVersion: agreementVersion
        });
    }

    function _decline(address recipient, uint32 projectId, bytes32 disclosureId, bytes32 reasonHash) private {
        _requireDisclosure(projectId, disclosureId);
        Receipt storage r = _requirePending(disclosureId, recipient);
        r.status = ReceiptStatus.Declined;
        r.answeredAt = uint40(block.timestamp);
        emit DisclosureDeclined({
            projectId: projectId, disclosureId: disclosureId, recipient: recipient, reasonHash: reasonHash
        });
    }

    // ---------------------------------------------------------------- internal: access rights

    function _requestAccess(
        address requester,
        uint32 projectId,
        bytes32 contributionId,
        Purpose purpose,
        Terms terms,
        bytes32 termsHash
    ) private returns (uint64 requestId) {
        _requireParticipant(projectId, requester);
        address owner = _requireContribution(projectId, contributionId);
        if (owner == requester) revert ExchangeSelfRequest(contributionId, requester);
        Settings memory s = _settingsOf(projectId);
        uint256 closesAt = _requestsCloseAt(s);
        if (block.timestamp > closesAt) revert ExchangeRequestPeriodClosed(projectId, closesAt);
        uint40 answerDeadline = uint40(block.timestamp) + s.answerPeriod;
        requestId = ++_requestCount;
        AccessRequest storage r = _requests[requestId];
        r.requester = requester;
        r.projectId = projectId;
        r.requestedAt = uint40(block.timestamp);
        r.purpose = purpose;
        r.proposedTerms = terms;
        r.status = RequestStatus.Open;
        r.owner = owner;
        r.answerDeadline = answerDeadline;
        r.contributionId = contributionId;
        emit AccessRequested({
            projectId: projectId,
            requestId: requestId,
            contributionId: contributionId,
            requester: requester,
            owner: owner,
            purpose: purpose,
            terms: terms,
            termsHash: termsHash,
            answerDeadline: answerDeadline
        });
    }

    function _grantAccess(address owner, uint32 projectId, uint64 requestId, Terms terms, bytes32 termsHash)
        private
    {
        if (termsHash == bytes32(0)) revert ExchangeZeroTermsHash();
        AccessRequest storage r = _requireOpenAnswerable(owner, projectId, requestId);
        r.status = RequestStatus.Granted;
        r.answeredAt = uint40(block.timestamp);
        r.grantedTerms = terms;
        emit AccessGranted({
            projectId: projectId,
            requestId: requestId,
            contributionId: r.contributionId,
            owner: owner,
            requester: r.requester,
            terms: terms,
            termsHash: termsHash
        });
    }

    function _refuseAccess(address owner, uint32 projectId, uint64 requestId, bytes32 reasonHash) private {
        if (reasonHash == bytes32(0)) revert ExchangeZeroReasonHash();
        AccessRequest storage r = _requireOpenAnswerable(owner, projectId, requestId);
        r.status = RequestStatus.Refused;
        r.answeredAt = uint40(block.timestamp);
        emit AccessRefused({
            projectId: projectId,
            requestId: requestId,
            contributionId: r.contributionId,
            owner: owner,
            requester: r.requester,
            reasonHash: reasonHash
        });
    }

    function _withdrawAccessRequest(address requester, uint32 projectId, uint64 requestId) private {
        AccessRequest storage r = _requireRequest(projectId, requestId);
        if (r.requester != requester) revert ExchangeNotRequester(requestId, requester);
        if (r.status != RequestStatus.Open) revert ExchangeRequestNotOpen(requestId, r.status);
        r.status = RequestStatus.Withdrawn;
        r.answeredAt = uint40(block.timestamp);
        emit AccessRequestWithdrawn({
            projectId: projectId, requestId: requestId, contributionId: r.contributionId, requester: requester
        });
    }

    // ---------------------------------------------------------------- internal: settings

    function _setSettings(address account, uint32 projectId, ExchangeSettings calldata values) private {
        IPocLedger.ProjectInfo memory info = _requireProject(projectId);
        if (account != info.coordinator) revert ExchangeNotCoordinator(projectId, account);
        if (info.inForce) revert ExchangeAgreementInForce(projectId);
        _validateSettings(values);
        _applySettings(projectId, values);
    }

    function _proposeSettings(address proposer, uint32 projectId, ExchangeSettings calldata values)
        private
        returns (uint64 proposalId)
    {
        _requireParticipant(projectId, proposer);
        IPocLedger.ProjectInfo memory info = _ledger.project(projectId);
        if (!info.inForce) revert ExchangeAgreementNotInForce(projectId);
        _validateSettings(values);
        // The ledger's governance rule, so that the agreement's "2 of 3" means 2 of 3 here too:
        // half-up basis points, and nobody changes the others' rights alone.
        uint256 required = approvalsRequired(info.partnerCount, info.governanceBps);
        if (required < 2 && info.partnerCount >= 2) required = 2;
        proposalId = ++_proposalCount;
        SettingsProposal storage p = _proposals[proposalId];
        p.projectId = projectId;
        p.required = uint16(required);
        p.createdAt = uint40(block.timestamp);
        p.proposer = proposer;
        p.settings = values;
        emit ExchangeSettingsProposed({
            projectId: projectId,
            proposalId: proposalId,
            proposer: proposer,
            answerPeriod: values.answerPeriod,
            requestPeriodAfterEnd: values.requestPeriodAfterEnd,
            projectEnd: values.projectEnd,
            required: uint16(required)
        });
        _recordApproval(proposer, projectId, proposalId, p);
    }

    function _approveSettings(address approver, uint32 projectId, uint64 proposalId) private {
        _requireParticipant(projectId, approver);
        SettingsProposal storage p = _requireProposal(projectId, proposalId);
        if (p.executed) revert ExchangeProposalExecuted(proposalId);
        if (_approved[proposalId][approver]) revert ExchangeAlreadyApproved(proposalId, approver);
        if (_ledger.member(projectId, approver).joinedAt > p.createdAt) {
            revert ExchangeNotEligibleApprover(proposalId, approver);
        }
        _recordApproval(approver, projectId, proposalId, p);
    }

    function _recordApproval(address approver, uint32 projectId, uint64 proposalId, SettingsProposal storage p)
        private
    {
        _approved[proposalId][approver] = true;
        uint16 approvals = ++p.approvals;
        emit ExchangeSettingsApproved({projectId: projectId, proposalId: proposalId, approver: approver});
        if (approvals >= p.required) {
            p.executed = true;
            _applySettings(projectId, p.settings);
        }
    }

    function _applySettings(uint32 projectId, ExchangeSettings memory values) private {
        Settings storage s = _settings[projectId];
        uint32 version = s.version + 1;
        _settings[projectId] = Settings({
            answerPeriod: values.answerPeriod,
            requestPeriodAfterEnd: values.requestPeriodAfterEnd,
            projectEnd: values.projectEnd,
            version: version
        });
        emit ExchangeSettingsSet({
            projectId: projectId,
            version: version,
            answerPeriod: values.answerPeriod,
            requestPeriodAfterEnd: values.requestPeriodAfterEnd,
            projectEnd: values.projectEnd
        });
    }

    function _validateSettings(ExchangeSettings calldata values) private pure {
        if (values.answerPeriod < _MIN_ANSWER_PERIOD || values.answerPeriod > _MAX_ANSWER_PERIOD) {
            revert ExchangeInvalidSettings("answerPeriod");
        }
        if (values.requestPeriodAfterEnd > _MAX_REQUEST_PERIOD_AFTER_END) {
            revert ExchangeInvalidSettings("requestPeriodAfterEnd");
        }
    }

    function _settingsOf(uint32 projectId) private view returns (Settings memory s) {
        s = _settings[projectId];
        if (s.version == 0) {
            s.answerPeriod = _DEFAULT_ANSWER_PERIOD;
            s.requestPeriodAfterEnd = _DEFAULT_REQUEST_PERIOD_AFTER_END;
        }
    }

    function _requestsCloseAt(Settings memory s) private pure returns (uint256) {
        return s.projectEnd == 0 ? type(uint256).max : uint256(s.projectEnd) + s.requestPeriodAfterEnd;
    }

    // ---------------------------------------------------------------- internal: lookups

    function _disclosureId(uint32 projectId, address sharer, bytes32 contentCommitment)
        private
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(projectId, sharer, contentCommitment));
    }

    function _requireParticipant(uint32 projectId, address account) private view {
        if (!_ledger.isParticipant(projectId, account)) revert ExchangeNotParticipant(projectId, account);
    }

    /// @dev Checked against the count first: the ledger's own view reverts with its own error.
    function _requireProject(uint32 projectId) private view returns (IPocLedger.ProjectInfo memory) {
        if (projectId == 0 || projectId > _ledger.projectCount()) revert ExchangeProjectNotFound(projectId);
        return _ledger.project(projectId);
    }

    /// @dev Returns the contributor.
    function _requireContribution(uint32 projectId, bytes32 contributionId) private view returns (address) {
        IPocLedger.ContributionInfo memory c = _ledger.contribution(contributionId);
        if (c.status == ContributionStatus.None || c.projectId != projectId) {
            revert ExchangeContributionNotFound(projectId, contributionId);
        }
        return c.contributor;
    }

    function _requireDisclosure(uint32 projectId, bytes32 disclosureId) private view returns (Disclosure storage d) {
        d = _disclosures[disclosureId];
        if (d.sharer == address(0) || d.projectId != projectId) {
            revert ExchangeDisclosureNotFound(projectId, disclosureId);
        }
    }

    function _requirePending(bytes32 disclosureId, address recipient) private view returns (Receipt storage r) {
        r = _receipts[disclosureId][recipient];
        if (r.status == ReceiptStatus.None) revert ExchangeNotRecipient(disclosureId, recipient);
        if (r.status != ReceiptStatus.Pending) revert ExchangeAlreadyAnswered(disclosureId, recipient, r.status);
    }

    function _requireRequest(uint32 projectId, uint64 requestId) private view returns (AccessRequest storage r) {
        r = _requests[requestId];
        if (r.requester == address(0) || r.projectId != projectId) revert ExchangeRequestNotFound(projectId, requestId);
    }

    function _requireOpenAnswerable(address owner, uint32 projectId, uint64 requestId)
        private
        view
        returns (AccessRequest storage r)
    {
        r = _requireRequest(projectId, requestId);
        if (r.owner != owner) revert ExchangeNotOwner(requestId, owner);
        if (r.status != RequestStatus.Open) revert ExchangeRequestNotOpen(requestId, r.status);
    }

    function _requireProposal(uint32 projectId, uint64 proposalId)
        private
        view
        returns (SettingsProposal storage p)
    {
        p = _proposals[proposalId];
        if (p.createdAt == 0 || p.projectId != projectId) revert ExchangeProposalNotFound(projectId, proposalId);
    }
}
