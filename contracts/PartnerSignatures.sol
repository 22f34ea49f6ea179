// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {SignedAuth} from "./PocTypes.sol";

/// @title PartnerSignatures
/// @notice EIP-712 verification of partner-signed actions with unordered nonces, shared by the
/// ledger and the vault. The domain (name, version, chain id, this contract's address) and the
/// project id inside every action make a signature useless on another chain, another deployment
/// or another project; the nonce bitmap makes it single-use.
/// @dev Nonces are unordered (a bitmap per signer) so that a relayer may land independently
/// signed actions in any order; consecutive nonces share a storage word, which keeps the
/// amortised cost of a nonce near a warm SSTORE.
abstract contract PartnerSignatures is EIP712 {
    /// @notice The signature's deadline has passed.
    error SignatureExpired(uint256 deadline, uint256 timestamp);
    /// @notice The signature does not come from `signer` (neither ECDSA nor ERC-1271).
    error SignatureInvalid(address signer);
    /// @notice The nonce was already used or cancelled by `signer`.
    error SignatureNonceUsed(address signer, uint256 nonce);

    /// @notice Emitted when a signer cancels a nonce so that a signed action can never be relayed.
    event NonceCancelled(address indexed signer, uint256 nonce);

    mapping(address signer => mapping(uint256 word => uint256 bits)) private _nonceBitmap;

    constructor(string memory name, string memory version) EIP712(name, version) {}

    /// @notice Whether `nonce` of `signer` has been used or cancelled.
    function isNonceUsed(address signer, uint256 nonce) external view returns (bool) {
        return _nonceBitmap[signer][nonce >> 8] & (uint256(1) << (nonce & 0xff)) != 0;
    }

    /// @notice Cancels one of the caller's nonces, so a signature made with it can no longer be
    /// relayed. Reverts with `SignatureNonceUsed` if already used.
    /// @dev Emits {NonceCancelled}.
    function cancelNonce(uint256 nonce) external {
        _useNonce(msg.sender, nonce);
        emit NonceCancelled(msg.sender, nonce);
    }

    /// @notice The EIP-712 domain separator of this deployment on this chain.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @dev Checks deadline, signature and nonce of a relayed action whose EIP-712 struct hash
    /// (which must include signer, nonce and deadline) is `structHash`. Returns the signer.
    function _verifySigned(SignedAuth calldata auth, bytes32 structHash) internal returns (address) {
        if (block.timestamp > auth.deadline) revert SignatureExpired(auth.deadline, block.timestamp);
        bytes32 digest = _hashTypedDataV4(structHash);
        if (!SignatureChecker.isValidSignatureNow(auth.signer, digest, auth.signature)) {
            revert SignatureInvalid(auth.signer);
        }
        _useNonce(auth.signer, auth.nonce);
        return auth.signer;
    }

    function _useNonce(address signer, uint256 nonce) private {
        uint256 bit = uint256(1) << (nonce & 0xff);
        uint256 bits = _nonceBitmap[signer][nonce >> 8];
        if (bits & bit != 0) revert SignatureNonceUsed(signer, nonce);
        _nonceBitmap[signer][nonce >> 8] = bits | bit;
    }
}
