// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IPocExchange} from "../interfaces/IPocExchange.sol";
import {SignedAuth} from "../PocTypes.sol";

/// @title ExchangeStructHashes
/// @notice The EIP-712 struct hash of every partner-signed action of PocExchange. Each `…BySig`
/// function hashes its arguments here, checks the signature over the hash and then runs the same
/// body as the direct call, with the signer in place of `msg.sender`.
/// @dev Encoding rules (EIP-712): arrays of a static type are hashed over their packed 32-byte
/// elements; enums are `uint8`; the settings struct is signed field by field. Every action ends
/// with `address signer,uint256 nonce,uint256 deadline`. ledger/chain/signing.py builds the same
/// types; the tests compare the type strings below with it and with the interface's NatSpec.
library ExchangeStructHashes {
    // ---------------------------------------------------------------- type hashes

    bytes32 internal constant PUBLISH_ENCRYPTION_KEY_TYPEHASH =
        keccak256("PublishEncryptionKey(bytes32 publicKey,address signer,uint256 nonce,uint256 deadline)");
    bytes32 internal constant DISCLOSE_TYPEHASH = keccak256(
        "Disclose(uint32 projectId,bytes32 contentCommitment,address[] recipients,bytes32[] contributionIds,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant ACKNOWLEDGE_TYPEHASH = keccak256(
        "Acknowledge(uint32 projectId,bytes32 disclosureId,bytes32 contentCommitment,address sharer,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant DECLINE_TYPEHASH = keccak256(
        "Decline(uint32 projectId,bytes32 disclosureId,bytes32 reasonHash,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant REQUEST_ACCESS_TYPEHASH = keccak256(
        "RequestAccess(uint32 projectId,bytes32 contributionId,uint8 purpose,uint8 terms,bytes32 termsHash,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant GRANT_ACCESS_TYPEHASH = keccak256(
        "GrantAccess(uint32 projectId,uint64 requestId,uint8 terms,bytes32 termsHash,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant REFUSE_ACCESS_TYPEHASH = keccak256(
        "RefuseAccess(uint32 projectId,uint64 requestId,bytes32 reasonHash,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant WITHDRAW_ACCESS_REQUEST_TYPEHASH = keccak256(
        "WithdrawAccessRequest(uint32 projectId,uint64 requestId,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant SET_EXCHANGE_SETTINGS_TYPEHASH = keccak256(
        "SetExchangeSettings(uint32 projectId,uint32 answerPeriod,uint32 requestPeriodAfterEnd,uint40 projectEnd,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant PROPOSE_EXCHANGE_SETTINGS_TYPEHASH = keccak256(
        "ProposeExchangeSettings(uint32 projectId,uint32 answerPeriod,uint32 requestPeriodAfterEnd,uint40 projectEnd,address signer,uint256 nonce,uint256 deadline)"
    );
    bytes32 internal constant APPROVE_EXCHANGE_SETTINGS_TYPEHASH = keccak256(
        "ApproveExchangeSettings(uint32 projectId,uint64 proposalId,address signer,uint256 nonce,uint256 deadline)"
    );

    // ---------------------------------------------------------------- keys and disclosures

    /// @dev `PublishEncryptionKey`.
    function publishEncryptionKey(bytes32 publicKey, SignedAuth calldata auth) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(PUBLISH_ENCRYPTION_KEY_TYPEHASH, publicKey, auth.signer, auth.nonce, auth.deadline)
        );
    }

    /// @dev `Disclose`: both lists packed.
    function disclose(
        uint32 projectId,
        bytes32 contentCommitment,
        address[] calldata recipients,
        bytes32[] calldata contributionIds,
        SignedAuth calldata auth
    ) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                DISCLOSE_TYPEHASH,
                projectId,
                contentCommitment,
                keccak256(abi.encodePacked(recipients)),
                keccak256(abi.encodePacked(contributionIds)),
                auth.signer,
                auth.nonce,
                auth.deadline
            )
        );
    }

    /// @dev `Acknowledge`.
    function acknowledge(
        uint32 projectId,
        bytes32 disclosureId,
        bytes32 contentCommitment,
        address sharer,
        SignedAuth calldata auth
    ) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                ACKNOWLEDGE_TYPEHASH,
                projectId,
                disclosureId,
                contentCommitment,
                sharer,
                auth.signer,
                auth.nonce,
                auth.deadline
            )
        );
    }

    /// @dev `Decline`.
    function decline(uint32 projectId, bytes32 disclosureId, bytes32 reasonHash, SignedAuth calldata auth)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(DECLINE_TYPEHASH, projectId, disclosureId, reasonHash, auth.signer, auth.nonce, auth.deadline)
        );
    }

    // ---------------------------------------------------------------- access rights

    /// @dev `RequestAccess`: purpose and terms as uint8.
    function requestAccess(
        uint32 projectId,
        bytes32 contributionId,
        IPocExchange.Purpose purpose,
        IPocExchange.Terms terms,
        bytes32 termsHash,
        SignedAuth calldata auth
    ) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                REQUEST_ACCESS_TYPEHASH,
                projectId,
                contributionId,
                uint8(purpose),
                uint8(terms),
                termsHash,
                auth.signer,
                auth.nonce,
                auth.deadline
            )
        );
    }

    /// @dev `GrantAccess`: terms as uint8.
    function grantAccess(
        uint32 projectId,
        uint64 requestId,
        IPocExchange.Terms terms,
        bytes32 termsHash,
        SignedAuth calldata auth
    ) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                GRANT_ACCESS_TYPEHASH,
                projectId,
                requestId,
                uint8(terms),
                termsHash,
                auth.signer,
                auth.nonce,
                auth.deadline
            )
        );
    }

    /// @dev `RefuseAccess`.
    function refuseAccess(uint32 projectId, uint64 requestId, bytes32 reasonHash, SignedAuth calldata auth)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(REFUSE_ACCESS_TYPEHASH, projectId, requestId, reasonHash, auth.signer, auth.nonce, auth.deadline)
        );
    }

    /// @dev `WithdrawAccessRequest`.
    function withdrawAccessRequest(uint32 projectId, uint64 requestId, SignedAuth calldata auth)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(WITHDRAW_ACCESS_REQUEST_TYPEHASH, projectId, requestId, auth.signer, auth.nonce, auth.deadline)
        );
    }

    // ---------------------------------------------------------------- settings

    /// @dev `SetExchangeSettings` (`proposal` false) or `ProposeExchangeSettings` (true): the
    /// settings field by field.
    function settings(
        bool proposal,
        uint32 projectId,
        IPocExchange.ExchangeSettings calldata values,
        SignedAuth calldata auth
    ) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                proposal ? PROPOSE_EXCHANGE_SETTINGS_TYPEHASH : SET_EXCHANGE_SETTINGS_TYPEHASH,
                projectId,
                values.answerPeriod,
                values.requestPeriodAfterEnd,
                values.projectEnd,
                auth.signer,
                auth.nonce,
                auth.deadline
            )
        );
    }

    /// @dev `ApproveExchangeSettings`.
    function approveExchangeSettings(uint32 projectId, uint64 proposalId, SignedAuth calldata auth)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(
                APPROVE_EXCHANGE_SETTINGS_TYPEHASH, projectId, proposalId, auth.signer, auth.nonce, auth.deadline
            )
        );
    }
}
