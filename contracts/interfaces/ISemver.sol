// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ISemver
/// @notice A contract that reports the version of its code. Deployed code never changes, so the
/// version names the release whose sources and artifacts produced it (see docs/design.md,
/// "Immutability and versions").
interface ISemver {
    /// @notice The semantic version of this contract's code, e.g. "1.1.0".
    /// @dev MAJOR changes the ABI, events or rules incompatibly; MINOR adds to them compatibly;
    /// PATCH changes neither. Code deployed before `version()` existed is release 1.0.0.
    /// @return The version as "MAJOR.MINOR.PATCH".
    function version() external view returns (string memory);
}
