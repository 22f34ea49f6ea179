// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IPartnerSignatures} from "./interfaces/IPartnerSignatures.sol";
import {SignedAuth} from "./PocTypes.sol";

/// @title PartnerSignatureVerifier
/// @notice The checks behind every `…BySig` function, apart from the business logic: deadline,
/// EIP-712 signature (ECDSA or ERC-1271) and single use of the signer's nonce. Holds the nonce
/// bitmap and nothing else.
/// @dev Nonces are unordered (a bitmap per signer) so that a relayer may land independently
/// signed actions in any order; consecutive nonces share a storage word, which keeps the
/// amortised cost of a nonce near a warm SSTORE. PocGovernance inherits this part only: it runs
/// in PocLedger's storage and domain (DELEGATECALL) and must not offer nonce functions of its own.
abstract contract PartnerSignatureVerifier is EIP712 {
    // ---------------------------------------------------------------- storage

    /// @dev A struct of one word, so that a nonce's word is looked up once to be read and written.
    struct NonceWord {
        uint256 bits;
    }

    mapping(address signer => mapping(uint256 word => NonceWord)) private _nonceBitmap;

    // ---------------------------------------------------------------- constructor

    /// @param name The EIP-712 domain name ("PocLedger", "RoyaltyVault").
    /// @param domainVersion The EIP-712 domain version ("1"); not the code's `version()`.
    constructor(string memory name, string memory domainVersion) EIP712(name, domainVersion) {}

    // ---------------------------------------------------------------- internal

    /// @dev Checks deadline, signature and nonce of a relayed action whose EIP-712 struct hash
    /// (which includes signer, nonce and deadline, see StructHashes) is `structHash`, and uses the
    /// nonce. Returns the signer, on whose behalf the action then runs.
    function _verifySigned(SignedAuth calldata auth, bytes32 structHash) internal returns (address signer) {
        signer = auth.signer;
        if (block.timestamp > auth.deadline) {
            revert IPartnerSignatures.SignatureExpired(auth.deadline, block.timestamp);
        }
        bytes32 digest = _hashTypedDataV4(structHash);
        // ECDSA first: an account's own key needs no look at its code (a cold EXTCODESIZE costs
        // 2,600 gas), and the key of an account stays valid even with code attached (EIP-7702).
        // A contract wallet's address has no key, so ecrecover never yields it: ERC-1271 decides.
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, auth.signature);
        if (err != ECDSA.RecoverError.NoError || recovered != signer) {
            if (!SignatureChecker.isValidERC1271SignatureNow(signer, digest, auth.signature)) {
                revert IPartnerSignatures.SignatureInvalid(signer);
            }
        }
        _useNonce(signer, auth.nonce);
    }

    /// @dev Marks `nonce` of `signer` used; reverts with {SignatureNonceUsed} if it was.
    function _useNonce(address signer, uint256 nonce) internal {
        NonceWord storage word = _nonceBitmap[signer][nonce >> 8];
        uint256 bit = uint256(1) << (nonce & 0xff);
        uint256 bits = word.bits;
        if (bits & bit != 0) revert IPartnerSignatures.SignatureNonceUsed(signer, nonce);
        word.bits = bits | bit;
    }

    /// @dev Whether `nonce` of `signer` was used or cancelled.
    function _isNonceUsed(address signer, uint256 nonce) internal view returns (bool) {
        return _nonceBitmap[signer][nonce >> 8].bits & (uint256(1) << (nonce & 0xff)) != 0;
    }
}

/// @title PartnerSignatures
/// @notice {IPartnerSignatures} for a contract that takes partner-signed actions: the verifier
/// plus the public nonce functions. Inherited by PocLedger and RoyaltyVault, which name their
/// EIP-712 domain in the verifier's constructor.
abstract contract PartnerSignatures is IPartnerSignatures, PartnerSignatureVerifier {
    // ---------------------------------------------------------------- external

    /// @inheritdoc IPartnerSignatures
    function cancelNonce(uint256 nonce) external {
        _useNonce(msg.sender, nonce);
        emit NonceCancelled({signer: msg.sender, nonce: nonce});
    }

    /// @inheritdoc IPartnerSignatures
    function isNonceUsed(address signer, uint256 nonce) external view returns (bool) {
        return _isNonceUsed(signer, nonce);
    }

    /// @inheritdoc IPartnerSignatures
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }
}
