// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IPartnerSignatures
/// @notice Partner-signed (relayed) actions: every `…BySig` function of the ledger and the vault
/// takes the partner's EIP-712 signature instead of the partner's own transaction. The domain
/// (name, version "1", chain id, the contract's address) and the project id inside every action
/// make a signature useless on another chain, another deployment or another project; an unordered
/// nonce makes it single-use.
interface IPartnerSignatures {
    // ---------------------------------------------------------------- errors

    /// @notice The signature's deadline has passed.
    /// @param deadline The last timestamp the signer allowed.
    /// @param timestamp The timestamp of the block that tried to use it.
    error SignatureExpired(uint256 deadline, uint256 timestamp);
    /// @notice The signature does not come from `signer` (neither ECDSA nor ERC-1271).
    /// @param signer The account the action claims to act for.
    error SignatureInvalid(address signer);
    /// @notice The nonce was already used or cancelled by `signer`.
    /// @param signer The account whose nonce it is.
    /// @param nonce The nonce used or cancelled before.
    error SignatureNonceUsed(address signer, uint256 nonce);

    // ---------------------------------------------------------------- events

    /// @notice A signer cancelled a nonce, so that an action signed with it can never be relayed.
    /// @param signer The account that cancelled its nonce.
    /// @param nonce The cancelled nonce.
    event NonceCancelled(address indexed signer, uint256 nonce);

    // ---------------------------------------------------------------- functions

    /// @notice Cancels one of the caller's nonces, so a signature made with it can no longer be
    /// relayed.
    /// @dev Reverts with {SignatureNonceUsed} if the nonce was used or cancelled already.
    /// Emits {NonceCancelled}.
    /// @param nonce The nonce to cancel: word `nonce >> 8`, bit `nonce & 0xff` of the bitmap.
    function cancelNonce(uint256 nonce) external;

    /// @notice Whether `nonce` of `signer` has been used or cancelled.
    /// @param signer The account whose nonces are asked about.
    /// @param nonce The nonce asked about.
    /// @return True once a relayed action consumed the nonce or the signer cancelled it.
    function isNonceUsed(address signer, uint256 nonce) external view returns (bool);

    /// @notice The EIP-712 domain separator of this deployment on this chain.
    /// @return The hash of the domain: name, version "1", chain id and this contract's address.
    function domainSeparator() external view returns (bytes32);
}
