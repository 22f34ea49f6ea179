// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SignedAuth} from "../PocTypes.sol";
import {IPartnerSignatures} from "./IPartnerSignatures.sol";
import {ISemver} from "./ISemver.sol";

/// @title IPocExchange
/// @notice Knowledge exchange between the partners of the projects of one {IPocLedger}: who
/// disclosed what to whom and who acknowledged receiving it, and who asked for access rights to
/// whose contribution and what the owner answered. Membership, agreement versions and
/// contributions are read from the ledger; this contract only adds the exchange's own records.
///
/// Rules (also in docs/exchange.md):
/// - Encryption keys: any account may publish an X25519 public key (HPKE, RFC 9180) under which
///   sharers wrap file keys for it. The latest key counts; every rotation is an event.
/// - Disclosures: a participant (an active partner who accepted the current agreement) discloses
///   a document to other participants. Only a salted commitment to the document goes on chain:
///   `contentCommitment = keccak256(abi.encode(sharer, projectId, sha256(document), salt))`, the
///   salt travelling to the recipients inside the encrypted envelope, so that nothing on chain
///   lets an outsider confirm a guess about the document. The disclosure records the agreement
///   version current at the time, which the sharer and every recipient had then accepted.
/// - Receipts: each recipient, and only a recipient, answers once: it acknowledges (naming the
///   project, disclosure, commitment and sharer it checked) or declines. An acknowledgement reads
///   "`recipient` received the document committed as `contentCommitment` from `sharer` at this
///   block's time, having accepted agreement version v". No answer stays visible as Pending.
/// - Access rights: a participant requests access rights to another partner's contribution (its
///   Background or Result, as registered on the ledger) for a purpose and on proposed terms. The
///   owner (the contribution's contributor) grants, with the terms document's hash, or refuses,
///   with the reason's hash; the requester may withdraw an open request. An open request past its
///   answer deadline reads as overdue; a late answer is still recorded, with its time.
/// - Answers (acknowledge, decline, grant, refuse) need only the addressed party: a statement
///   about one's own receipt or one's own IP stays possible after leaving the project.
/// - Settings per project: the answer period of access-rights requests, the project's end and
///   how long after it requests stay possible. Before the agreement is in force the coordinator
///   sets them; afterwards a proposal approved by `governanceBps` of the partners changes them.
///   A request's deadline is fixed when it is made. Unset settings read as the defaults.
interface IPocExchange is IPartnerSignatures, ISemver {
    // ---------------------------------------------------------------- types

    /// @notice What a recipient answered to a disclosure. `None`: not a recipient.
    enum ReceiptStatus {
        None,
        Pending,
        Acknowledged,
        Declined
    }

    /// @notice Why access rights are requested, as consortium agreements distinguish them.
    enum Purpose {
        CarryingOutProject,
        ExploitingOwnResults
    }

    /// @notice On which terms access rights are proposed or granted.
    enum Terms {
        RoyaltyFree,
        FairAndReasonable
    }

    /// @notice Where an access-rights request stands. `None`: no such request.
    enum RequestStatus {
        None,
        Open,
        Granted,
        Refused,
        Withdrawn
    }

    /// @notice A project's exchange settings.
    /// @param answerPeriod Seconds the owner has to answer an access-rights request.
    /// @param requestPeriodAfterEnd Seconds after `projectEnd` during which requests stay possible.
    /// @param projectEnd Timestamp at which the project ends; zero while no end is set.
    struct ExchangeSettings {
        uint32 answerPeriod;
        uint32 requestPeriodAfterEnd;
        uint40 projectEnd;
    }

    // ---------------------------------------------------------------- errors

    /// @notice No project has id `projectId` on the ledger.
    /// @param projectId The project asked for.
    error ExchangeProjectNotFound(uint32 projectId);
    /// @notice `account` is not an active partner of `projectId` who accepted its current agreement.
    /// @param projectId The project.
    /// @param account The account that tried to act.
    error ExchangeNotParticipant(uint32 projectId, address account);
    /// @notice An encryption public key must not be zero.
    error ExchangeZeroPublicKey();
    /// @notice A content commitment must not be zero.
    error ExchangeZeroCommitment();
    /// @notice A disclosure names between 1 and `max` recipients; `count` were given.
    /// @param count The number of recipients given.
    /// @param max The most a disclosure may name.
    error ExchangeInvalidRecipientCount(uint256 count, uint256 max);
    /// @notice The sharer named itself among the recipients.
    /// @param sharer The sharer.
    error ExchangeSelfDisclosure(address sharer);
    /// @notice `recipient` appears twice in the recipient list.
    /// @param recipient The repeated recipient.
    error ExchangeDuplicateRecipient(address recipient);
    /// @notice `recipient` is not an active partner of `projectId` who accepted its current agreement.
    /// @param projectId The project.
    /// @param recipient The recipient refused.
    error ExchangeRecipientNotPartner(uint32 projectId, address recipient);
    /// @notice A disclosure references at most `max` contributions; `count` were given.
    /// @param count The number of references given.
    /// @param max The most a disclosure may reference.
    error ExchangeTooManyReferences(uint256 count, uint256 max);
    /// @notice No contribution `contributionId` exists in `projectId` on the ledger.
    /// @param projectId The project.
    /// @param contributionId The contribution asked for.
    error ExchangeContributionNotFound(uint32 projectId, bytes32 contributionId);
    /// @notice A disclosure with id `disclosureId` exists already (same sharer, project and
    /// commitment): a new disclosure of the same document needs a fresh salt.
    /// @param disclosureId The existing disclosure.
    error ExchangeDisclosureExists(bytes32 disclosureId);
    /// @notice No disclosure `disclosureId` exists in `projectId`.
    /// @param projectId The project named.
    /// @param disclosureId The disclosure asked for.
    error ExchangeDisclosureNotFound(uint32 projectId, bytes32 disclosureId);
    /// @notice `sharer` is not who made disclosure `disclosureId`.
    /// @param disclosureId The disclosure.
    /// @param sharer The sharer named by the acknowledgement.
    error ExchangeSharerMismatch(bytes32 disclosureId, address sharer);
    /// @notice `contentCommitment` is not the commitment disclosed as `disclosureId`.
    /// @param disclosureId The disclosure.
    /// @param contentCommitment The commitment named by the acknowledgement.
    error ExchangeContentMismatch(bytes32 disclosureId, bytes32 contentCommitment);
    /// @notice `account` is not a recipient of disclosure `disclosureId`.
    /// @param disclosureId The disclosure.
    /// @param account The account that tried to answer.
    error ExchangeNotRecipient(bytes32 disclosureId, address account);
    /// @notice `recipient` already answered disclosure `disclosureId` with `status`.
    /// @param disclosureId The disclosure.
    /// @param recipient The recipient.
    /// @param status Its earlier answer (Acknowledged or Declined).
    error ExchangeAlreadyAnswered(bytes32 disclosureId, address recipient, ReceiptStatus status);
    /// @notice A partner cannot request access rights to its own contribution.
    /// @param contributionId The contribution.
    /// @param account The contributor, who asked.
    error ExchangeSelfRequest(bytes32 contributionId, address account);
    /// @notice Requests for `projectId` closed at `closedAt` (project end plus the request period).
    /// @param projectId The project.
    /// @param closedAt The last timestamp at which a request was possible.
    error ExchangeRequestPeriodClosed(uint32 projectId, uint256 closedAt);
    /// @notice No access-rights request `requestId` exists in `projectId`.
    /// @param projectId The project named.
    /// @param requestId The request asked for.
    error ExchangeRequestNotFound(uint32 projectId, uint64 requestId);
    /// @notice Only the owner of the requested contribution answers; `account` is not.
    /// @param requestId The request.
    /// @param account The account that tried to answer.
    error ExchangeNotOwner(uint64 requestId, address account);
    /// @notice Only the requester withdraws its request; `account` is not.
    /// @param requestId The request.
    /// @param account The account that tried to withdraw it.
    error ExchangeNotRequester(uint64 requestId, address account);
    /// @notice The request is no longer open: it was answered or withdrawn (`status`).
    /// @param requestId The request.
    /// @param status Where it stands.
    error ExchangeRequestNotOpen(uint64 requestId, RequestStatus status);
    /// @notice A grant names the hash of its terms document; zero was given.
    error ExchangeZeroTermsHash();
    /// @notice A refusal names the hash of its reason; zero was given.
    error ExchangeZeroReasonHash();
    /// @notice The settings field named `field` is out of range.
    /// @param field The field's name.
    error ExchangeInvalidSettings(string field);
    /// @notice `account` is not the coordinator of `projectId`.
    /// @param projectId The project.
    /// @param account The account that tried to set the settings.
    error ExchangeNotCoordinator(uint32 projectId, address account);
    /// @notice The agreement of `projectId` is in force: settings change by an approved proposal.
    /// @param projectId The project.
    error ExchangeAgreementInForce(uint32 projectId);
    /// @notice The agreement of `projectId` is not in force yet: the coordinator sets settings.
    /// @param projectId The project.
    error ExchangeAgreementNotInForce(uint32 projectId);
    /// @notice No settings proposal `proposalId` exists in `projectId`.
    /// @param projectId The project named.
    /// @param proposalId The proposal asked for.
    error ExchangeProposalNotFound(uint32 projectId, uint64 proposalId);
    /// @notice The settings proposal was already executed.
    /// @param proposalId The proposal.
    error ExchangeProposalExecuted(uint64 proposalId);
    /// @notice `account` already approved the settings proposal.
    /// @param proposalId The proposal.
    /// @param account The approver.
    error ExchangeAlreadyApproved(uint64 proposalId, address account);
    /// @notice `account` joined the project after the settings proposal was made.
    /// @param proposalId The proposal.
    /// @param account The approver refused.
    error ExchangeNotEligibleApprover(uint64 proposalId, address account);

    // ---------------------------------------------------------------- events

    /// @notice `account` published its encryption public key number `keyVersion`; earlier keys
    /// of the account no longer receive new disclosures.
    /// @param account The key's owner, who signed its publication.
    /// @param keyVersion 1 for the account's first key, then one more per rotation.
    /// @param publicKey The X25519 public key (RFC 7748 encoding, 32 bytes).
    event EncryptionKeyPublished(address indexed account, uint32 indexed keyVersion, bytes32 publicKey);

    /// @notice `sharer` disclosed the document committed as `contentCommitment` to `recipients`.
    /// @param projectId The project.
    /// @param disclosureId keccak256(abi.encode(projectId, sharer, contentCommitment)).
    /// @param sharer The partner that disclosed.
    /// @param contentCommitment keccak256(abi.encode(sharer, projectId, sha256(document), salt)).
    /// @param recipients The partners the document was disclosed to, in the order given.
    /// @param contributionIds Contributions of the project the disclosure concerns (may be empty).
    /// @param agreementVersion The project's agreement version, accepted by sharer and recipients.
    event Disclosed(
        uint32 indexed projectId,
        bytes32 indexed disclosureId,
        address indexed sharer,
        bytes32 contentCommitment,
        address[] recipients,
        bytes32[] contributionIds,
        uint32 agreementVersion
    );

    /// @notice `recipient` acknowledged receiving the document committed as `contentCommitment`
    /// from `sharer`, at this block's time.
    /// @param projectId The project.
    /// @param disclosureId The disclosure.
    /// @param recipient The recipient that signed the acknowledgement.
    /// @param sharer The partner that disclosed the document.
    /// @param contentCommitment The commitment the recipient checked the document against.
    /// @param agreementVersion The latest agreement version of the project the recipient accepted.
    event DisclosureAcknowledged(
        uint32 indexed projectId,
        bytes32 indexed disclosureId,
        address indexed recipient,
        address sharer,
        bytes32 contentCommitment,
        uint32 agreementVersion
    );

    /// @notice `recipient` declined the disclosure.
    /// @param projectId The project.
    /// @param disclosureId The disclosure.
    /// @param recipient The recipient that declined.
    /// @param reasonHash Hash of the recipient's reason, kept off chain (zero: none given).
    event DisclosureDeclined(
        uint32 indexed projectId, bytes32 indexed disclosureId, address indexed recipient, bytes32 reasonHash
    );

    /// @notice `requester` asked `owner` for access rights to contribution `contributionId`.
    /// @param projectId The project.
    /// @param requestId The request's number (sequential from 1 across projects).
    /// @param contributionId The contribution the rights are asked for.
    /// @param requester The partner that asked.
    /// @param owner The contribution's contributor, who answers.
    /// @param purpose Why the rights are asked for.
    /// @param terms The terms proposed.
    /// @param termsHash Hash of the proposed terms document (zero: none).
    /// @param answerDeadline The last timestamp of a timely answer.
    event AccessRequested(
        uint32 indexed projectId,
        uint64 indexed requestId,
        bytes32 indexed contributionId,
        address requester,
        address owner,
        Purpose purpose,
        Terms terms,
        bytes32 termsHash,
        uint40 answerDeadline
    );

    /// @notice `owner` granted the access rights requested.
    /// @param projectId The project.
    /// @param requestId The request.
    /// @param contributionId The contribution the rights concern.
    /// @param owner The contribution's contributor.
    /// @param requester The partner that receives the rights.
    /// @param terms The terms of the grant.
    /// @param termsHash Hash of the terms document of the grant.
    event AccessGranted(
        uint32 indexed projectId,
        uint64 indexed requestId,
        bytes32 indexed contributionId,
        address owner,
        address requester,
        Terms terms,
        bytes32 termsHash
    );

    /// @notice `owner` refused the access rights requested.
    /// @param projectId The project.
    /// @param requestId The request.
    /// @param contributionId The contribution the rights concern.
    /// @param owner The contribution's contributor.
    /// @param requester The partner refused.
    /// @param reasonHash Hash of the owner's reason, kept off chain like a dispute reason.
    event AccessRefused(
        uint32 indexed projectId,
        uint64 indexed requestId,
        bytes32 indexed contributionId,
        address owner,
        address requester,
        bytes32 reasonHash
    );

    /// @notice `requester` withdrew its open request.
    /// @param projectId The project.
    /// @param requestId The request.
    /// @param contributionId The contribution the rights concerned.
    /// @param requester The partner that had asked.
    event AccessRequestWithdrawn(
        uint32 indexed projectId, uint64 indexed requestId, bytes32 indexed contributionId, address requester
    );

    /// @notice Settings `version` of the project came into force.
    /// @param projectId The project.
    /// @param version 1 for the first settings set, then one more per change.
    /// @param answerPeriod Seconds the owner has to answer a request.
    /// @param requestPeriodAfterEnd Seconds after the project's end during which requests stay possible.
    /// @param projectEnd The project's end (zero: not set).
    event ExchangeSettingsSet(
        uint32 indexed projectId,
        uint32 indexed version,
        uint32 answerPeriod,
        uint32 requestPeriodAfterEnd,
        uint40 projectEnd
    );

    /// @notice `proposer` proposed new settings for the project; its approval counts.
    /// @param projectId The project.
    /// @param proposalId The proposal's number (sequential from 1 across projects).
    /// @param proposer The partner that proposed.
    /// @param answerPeriod Proposed seconds to answer a request.
    /// @param requestPeriodAfterEnd Proposed seconds after the end during which requests stay possible.
    /// @param projectEnd Proposed end of the project (zero: none).
    /// @param required Approvals needed to apply it.
    event ExchangeSettingsProposed(
        uint32 indexed projectId,
        uint64 indexed proposalId,
        address indexed proposer,
        uint32 answerPeriod,
        uint32 requestPeriodAfterEnd,
        uint40 projectEnd,
        uint16 required
    );

    /// @notice `approver` approved the settings proposal.
    /// @param projectId The project.
    /// @param proposalId The proposal.
    /// @param approver The partner that approved.
    event ExchangeSettingsApproved(uint32 indexed projectId, uint64 indexed proposalId, address indexed approver);

    // ---------------------------------------------------------------- views' return types

    /// @notice An account's current encryption key.
    /// @param publicKey The X25519 public key (zero if none published).
    /// @param keyVersion How many keys the account has published.
    /// @param publishedAt When the current key was published.
    struct EncryptionKeyInfo {
        bytes32 publicKey;
        uint32 keyVersion;
        uint40 publishedAt;
    }

    /// @notice What the contract keeps of a disclosure (the rest is in its event).
    /// @param sharer The partner that disclosed (zero if unknown).
    /// @param projectId The project.
    /// @param agreementVersion The agreement version current at the disclosure.
    /// @param recipientCount How many recipients it named.
    /// @dev When it was made is the time of the block of its {Disclosed} event.
    struct DisclosureInfo {
        address sharer;
        uint32 projectId;
        uint32 agreementVersion;
        uint16 recipientCount;
    }

    /// @notice A recipient's answer to a disclosure.
    /// @param status Pending, Acknowledged or Declined (None: not a recipient).
    /// @param answeredAt When it answered (zero while pending).
    /// @param agreementVersion For an acknowledgement: the latest agreement version it accepted.
    struct ReceiptInfo {
        ReceiptStatus status;
        uint40 answeredAt;
        uint32 agreementVersion;
    }

    /// @notice An access-rights request and its answer.
    /// @param requester The partner that asked (zero if unknown).
    /// @param projectId The project.
    /// @param requestedAt When it asked.
    /// @param purpose Why.
    /// @param proposedTerms The terms it proposed.
    /// @param status Where the request stands.
    /// @param owner The contribution's contributor, who answers.
    /// @param answerDeadline The last timestamp of a timely answer.
    /// @param answeredAt When it was answered or withdrawn (zero while open).
    /// @param grantedTerms The terms granted (meaningful once Granted).
    /// @param contributionId The contribution the rights concern.
    /// @param overdue Open and past its deadline, at the time of the call.
    struct AccessRequestInfo {
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
        bool overdue;
    }

    /// @notice A settings proposal.
    /// @param projectId The project.
    /// @param executed Whether it reached its approvals and was applied.
    /// @param approvals Approvals so far.
    /// @param required Approvals needed.
    /// @param createdAt When it was made.
    /// @param proposer The partner that proposed it.
    /// @param settings The settings proposed.
    struct SettingsProposalInfo {
        uint32 projectId;
        bool executed;
        uint16 approvals;
        uint16 required;
        uint40 createdAt;
        address proposer;
        ExchangeSettings settings;
    }

    // ---------------------------------------------------------------- encryption keys

    /// @notice Publishes the caller's X25519 public key for disclosures to it.
    /// @dev Replaces the caller's earlier key (older envelopes stay readable with the old private
    /// key). Emits {EncryptionKeyPublished}.
    /// @param publicKey The 32-byte X25519 public key; not zero.
    /// @return keyVersion The key's number for the caller (1, 2, ...).
    function publishEncryptionKey(bytes32 publicKey) external returns (uint32 keyVersion);

    /// @notice Relayed {publishEncryptionKey}: the key is published for `auth.signer`, whose
    /// signature shows that the key is the partner's own. Signed type:
    /// `PublishEncryptionKey(bytes32 publicKey,address signer,uint256 nonce,uint256 deadline)`.
    /// @param publicKey The 32-byte X25519 public key; not zero.
    /// @param auth The signer, its unordered nonce, deadline and signature.
    /// @return keyVersion The key's number for the signer.
    function publishEncryptionKeyBySig(bytes32 publicKey, SignedAuth calldata auth)
        external
        returns (uint32 keyVersion);

    // ---------------------------------------------------------------- disclosures

    /// @notice Records that the caller disclosed a document to `recipients`.
    /// @dev Requirements: caller and every recipient are participants of the project; 1 to 64
    /// recipients, none repeated, not the caller; a non-zero commitment not disclosed before by the
    /// caller in the project; at most 16 references, each a contribution of the project.
    /// Emits {Disclosed}.
    /// @param projectId The project.
    /// @param contentCommitment keccak256(abi.encode(caller, projectId, sha256(document), salt)).
    /// @param recipients The partners the document goes to.
    /// @param contributionIds Contributions of the project the document concerns (may be empty).
    /// @return disclosureId keccak256(abi.encode(projectId, caller, contentCommitment)).
    function disclose(
        uint32 projectId,
        bytes32 contentCommitment,
        address[] calldata recipients,
        bytes32[] calldata contributionIds
    ) external returns (bytes32 disclosureId);

    /// @notice Relayed {disclose}; the sharer is `auth.signer`. Signed type:
    /// `Disclose(uint32 projectId,bytes32 contentCommitment,address[] recipients,
    /// bytes32[] contributionIds,address signer,uint256 nonce,uint256 deadline)`.
    /// @param projectId The project.
    /// @param contentCommitment keccak256(abi.encode(signer, projectId, sha256(document), salt)).
    /// @param recipients The partners the document goes to.
    /// @param contributionIds Contributions of the project the document concerns (may be empty).
    /// @param auth The signer, its unordered nonce, deadline and signature.
    /// @return disclosureId keccak256(abi.encode(projectId, signer, contentCommitment)).
    function discloseBySig(
        uint32 projectId,
        bytes32 contentCommitment,
        address[] calldata recipients,
        bytes32[] calldata contributionIds,
        SignedAuth calldata auth
    ) external returns (bytes32 disclosureId);

    /// @notice The caller, a recipient, acknowledges receiving the disclosed document. Naming the
    /// commitment and the sharer it checked makes the acknowledgement useless for any other
    /// document or sender.
    /// @dev Requirements: the disclosure exists in the project, was made by `sharer` with
    /// `contentCommitment`; the caller is a recipient that has not answered yet.
    /// Emits {DisclosureAcknowledged}.
    /// @param projectId The project.
    /// @param disclosureId The disclosure.
    /// @param contentCommitment The commitment the recipient's client checked the document against.
    /// @param sharer The partner the document came from.
    function acknowledge(uint32 projectId, bytes32 disclosureId, bytes32 contentCommitment, address sharer)
        external;

    /// @notice Relayed {acknowledge}; the recipient is `auth.signer`. Signed type:
    /// `Acknowledge(uint32 projectId,bytes32 disclosureId,bytes32 contentCommitment,address sharer,
    /// address signer,uint256 nonce,uint256 deadline)`.
    /// @param projectId The project.
    /// @param disclosureId The disclosure.
    /// @param contentCommitment The commitment the recipient's client checked the document against.
    /// @param sharer The partner the document came from.
    /// @param auth The signer, its unordered nonce, deadline and signature.
    function acknowledgeBySig(
        uint32 projectId,
        bytes32 disclosureId,
        bytes32 contentCommitment,
        address sharer,
        SignedAuth calldata auth
    ) external;

    /// @notice The caller, a recipient, declines the disclosure (for instance: it holds the
    /// knowledge already, or does not want to receive it).
    /// @dev Requirements: the disclosure exists in the project; the caller is a recipient that has
    /// not answered yet. Emits {DisclosureDeclined}.
    /// @param projectId The project.
    /// @param disclosureId The disclosure.
    /// @param reasonHash Hash of the reason, kept off chain (zero: none given).
    function decline(uint32 projectId, bytes32 disclosureId, bytes32 reasonHash) external;

    /// @notice Relayed {decline}; the recipient is `auth.signer`. Signed type:
    /// `Decline(uint32 projectId,bytes32 disclosureId,bytes32 reasonHash,address signer,
    /// uint256 nonce,uint256 deadline)`.
    /// @param projectId The project.
    /// @param disclosureId The disclosure.
    /// @param reasonHash Hash of the reason, kept off chain (zero: none given).
    /// @param auth The signer, its unordered nonce, deadline and signature.
    function declineBySig(uint32 projectId, bytes32 disclosureId, bytes32 reasonHash, SignedAuth calldata auth)
        external;

    // ---------------------------------------------------------------- access rights

    /// @notice Requests access rights to another partner's contribution.
    /// @dev Requirements: caller is a participant; the contribution exists in the project and is
    /// not the caller's; the project's request period is open. The answer deadline is now plus the
    /// project's answer period. Emits {AccessRequested}.
    /// @param projectId The project.
    /// @param contributionId The contribution (Background or Result) the rights are asked for.
    /// @param purpose Carrying out the project, or exploiting the requester's own Results.
    /// @param terms Royalty-free, or fair and reasonable.
    /// @param termsHash Hash of the proposed terms document (zero: none).
    /// @return requestId The request's number.
    function requestAccess(
        uint32 projectId,
        bytes32 contributionId,
        Purpose purpose,
        Terms terms,
        bytes32 termsHash
    ) external returns (uint64 requestId);

    /// @notice Relayed {requestAccess}; the requester is `auth.signer`. Signed type:
    /// `RequestAccess(uint32 projectId,bytes32 contributionId,uint8 purpose,uint8 terms,
    /// bytes32 termsHash,address signer,uint256 nonce,uint256 deadline)`.
    /// @param projectId The project.
    /// @param contributionId The contribution the rights are asked for.
    /// @param purpose Carrying out the project, or exploiting the requester's own Results.
    /// @param terms Royalty-free, or fair and reasonable.
    /// @param termsHash Hash of the proposed terms document (zero: none).
    /// @param auth The signer, its unordered nonce, deadline and signature.
    /// @return requestId The request's number.
    function requestAccessBySig(
        uint32 projectId,
        bytes32 contributionId,
        Purpose purpose,
        Terms terms,
        bytes32 termsHash,
        SignedAuth calldata auth
    ) external returns (uint64 requestId);

    /// @notice The owner grants an open request, on `terms` described by the document `termsHash`.
    /// @dev Only the contribution's contributor; a grant past the deadline is recorded as given
    /// then. Emits {AccessGranted}.
    /// @param projectId The project.
    /// @param requestId The request.
    /// @param terms The terms granted (they may differ from those proposed).
    /// @param termsHash Hash of the terms document; not zero.
    function grantAccess(uint32 projectId, uint64 requestId, Terms terms, bytes32 termsHash) external;

    /// @notice Relayed {grantAccess}; the owner is `auth.signer`. Signed type:
    /// `GrantAccess(uint32 projectId,uint64 requestId,uint8 terms,bytes32 termsHash,address signer,
    /// uint256 nonce,uint256 deadline)`.
    /// @param projectId The project.
    /// @param requestId The request.
    /// @param terms The terms granted.
    /// @param termsHash Hash of the terms document; not zero.
    /// @param auth The signer, its unordered nonce, deadline and signature.
    function grantAccessBySig(
        uint32 projectId,
        uint64 requestId,
        Terms terms,
        bytes32 termsHash,
        SignedAuth calldata auth
    ) external;

    /// @notice The owner refuses an open request, giving a reason (its text kept off chain).
    /// @dev Only the contribution's contributor. Emits {AccessRefused}.
    /// @param projectId The project.
    /// @param requestId The request.
    /// @param reasonHash Hash of the reason; not zero.
    function refuseAccess(uint32 projectId, uint64 requestId, bytes32 reasonHash) external;

    /// @notice Relayed {refuseAccess}; the owner is `auth.signer`. Signed type:
    /// `RefuseAccess(uint32 projectId,uint64 requestId,bytes32 reasonHash,address signer,
    /// uint256 nonce,uint256 deadline)`.
    /// @param projectId The project.
    /// @param requestId The request.
    /// @param reasonHash Hash of the reason; not zero.
    /// @param auth The signer, its unordered nonce, deadline and signature.
    function refuseAccessBySig(uint32 projectId, uint64 requestId, bytes32 reasonHash, SignedAuth calldata auth)
        external;

    /// @notice The requester withdraws its open request. Emits {AccessRequestWithdrawn}.
    /// @param projectId The project.
    /// @param requestId The request.
    function withdrawAccessRequest(uint32 projectId, uint64 requestId) external;

    /// @notice Relayed {withdrawAccessRequest}; the requester is `auth.signer`. Signed type:
    /// `WithdrawAccessRequest(uint32 projectId,uint64 requestId,address signer,uint256 nonce,
    /// uint256 deadline)`.
    /// @param projectId The project.
    /// @param requestId The request.
    /// @param auth The signer, its unordered nonce, deadline and signature.
    function withdrawAccessRequestBySig(uint32 projectId, uint64 requestId, SignedAuth calldata auth) external;

    // ---------------------------------------------------------------- settings

    /// @notice Sets the project's exchange settings before its agreement is in force.
    /// @dev Only the coordinator; answerPeriod from 1 to 365 days, requestPeriodAfterEnd at most
    /// 3,650 days. Emits {ExchangeSettingsSet}.
    /// @param projectId The project.
    /// @param settings The new settings.
    function setExchangeSettings(uint32 projectId, ExchangeSettings calldata settings) external;

    /// @notice Relayed {setExchangeSettings}; the coordinator is `auth.signer`. Signed type:
    /// `SetExchangeSettings(uint32 projectId,uint32 answerPeriod,uint32 requestPeriodAfterEnd,
    /// uint40 projectEnd,address signer,uint256 nonce,uint256 deadline)`.
    /// @param projectId The project.
    /// @param settings The new settings.
    /// @param auth The signer, its unordered nonce, deadline and signature.
    function setExchangeSettingsBySig(uint32 projectId, ExchangeSettings calldata settings, SignedAuth calldata auth)
        external;

    /// @notice Proposes new exchange settings once the agreement is in force; the proposer's
    /// approval counts. Applied when `ceil(partners * governanceBps / 10000)` partners approved.
    /// @dev Only a participant. Emits {ExchangeSettingsProposed}, {ExchangeSettingsApproved} and,
    /// if one approval suffices, {ExchangeSettingsSet}.
    /// @param projectId The project.
    /// @param settings The settings proposed.
    /// @return proposalId The proposal's number.
    function proposeExchangeSettings(uint32 projectId, ExchangeSettings calldata settings)
        external
        returns (uint64 proposalId);

    /// @notice Relayed {proposeExchangeSettings}; the proposer is `auth.signer`. Signed type:
    /// `ProposeExchangeSettings(uint32 projectId,uint32 answerPeriod,uint32 requestPeriodAfterEnd,
    /// uint40 projectEnd,address signer,uint256 nonce,uint256 deadline)`.
    /// @param projectId The project.
    /// @param settings The settings proposed.
    /// @param auth The signer, its unordered nonce, deadline and signature.
    /// @return proposalId The proposal's number.
    function proposeExchangeSettingsBySig(
        uint32 projectId,
        ExchangeSettings calldata settings,
        SignedAuth calldata auth
    ) external returns (uint64 proposalId);

    /// @notice Approves a settings proposal; the approval that reaches the threshold applies it.
    /// @dev Only participants who were partners when it was made. Emits {ExchangeSettingsApproved}
    /// and possibly {ExchangeSettingsSet}.
    /// @param projectId The project.
    /// @param proposalId The proposal.
    function approveExchangeSettings(uint32 projectId, uint64 proposalId) external;

    /// @notice Relayed {approveExchangeSettings}; the approver is `auth.signer`. Signed type:
    /// `ApproveExchangeSettings(uint32 projectId,uint64 proposalId,address signer,uint256 nonce,
    /// uint256 deadline)`.
    /// @param projectId The project.
    /// @param proposalId The proposal.
    /// @param auth The signer, its unordered nonce, deadline and signature.
    function approveExchangeSettingsBySig(uint32 projectId, uint64 proposalId, SignedAuth calldata auth) external;

    // ---------------------------------------------------------------- views

    /// @notice The ledger whose projects, partners and contributions this contract reads.
    /// @return The PocLedger's address.
    function ledger() external view returns (address);

    /// @notice The current encryption key of `account`.
    /// @param account The key's owner.
    /// @return The key, its number and when it was published (all zero if none).
    function encryptionKey(address account) external view returns (EncryptionKeyInfo memory);

    /// @notice The id a disclosure by `sharer` of `contentCommitment` in `projectId` has.
    /// @param projectId The project.
    /// @param sharer The sharer.
    /// @param contentCommitment The content commitment.
    /// @return keccak256(abi.encode(projectId, sharer, contentCommitment)).
    function disclosureIdOf(uint32 projectId, address sharer, bytes32 contentCommitment)
        external
        pure
        returns (bytes32);

    /// @notice The stored part of a disclosure.
    /// @param disclosureId The disclosure.
    /// @return The disclosure (sharer zero if unknown).
    function disclosure(bytes32 disclosureId) external view returns (DisclosureInfo memory);

    /// @notice What `recipient` answered to a disclosure.
    /// @param disclosureId The disclosure.
    /// @param recipient The recipient.
    /// @return Its receipt (status None if not a recipient).
    function receipt(bytes32 disclosureId, address recipient) external view returns (ReceiptInfo memory);

    /// @notice Number of access-rights requests made so far (ids run from 1 to this).
    /// @return The count, across projects.
    function accessRequestCount() external view returns (uint64);

    /// @notice An access-rights request. Reverts with {ExchangeRequestNotFound}.
    /// @param projectId The project.
    /// @param requestId The request.
    /// @return The request, its answer and whether it is overdue now.
    function accessRequest(uint32 projectId, uint64 requestId) external view returns (AccessRequestInfo memory);

    /// @notice The project's exchange settings in force (the defaults while none were set).
    /// @param projectId The project.
    /// @return settings The settings in force.
    /// @return version Their version (0: the defaults).
    function exchangeSettings(uint32 projectId)
        external
        view
        returns (ExchangeSettings memory settings, uint32 version);

    /// @notice The last timestamp at which access rights can be requested in the project.
    /// @param projectId The project.
    /// @return Project end plus the request period; type(uint256).max while no end is set.
    function requestsCloseAt(uint32 projectId) external view returns (uint256);

    /// @notice A settings proposal. Reverts with {ExchangeProposalNotFound}.
    /// @param projectId The project.
    /// @param proposalId The proposal.
    /// @return The proposal.
    function settingsProposal(uint32 projectId, uint64 proposalId)
        external
        view
        returns (SettingsProposalInfo memory);

    /// @notice Whether `account` approved the settings proposal.
    /// @param proposalId The proposal.
    /// @param account The partner asked about.
    /// @return True once it approved.
    function hasApprovedSettings(uint64 proposalId, address account) external view returns (bool);
}
