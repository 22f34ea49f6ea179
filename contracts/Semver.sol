// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ISemver} from "./interfaces/ISemver.sol";

/// @title Semver
/// @notice {ISemver} for a contract that names its release in `_codeVersion`. The version is a
/// constant of the code, not an immutable: the code check of a verifier then covers it too.
abstract contract Semver is ISemver {
    /// @inheritdoc ISemver
    function version() external pure returns (string memory) {
        return _codeVersion();
    }

    /// @dev The release whose sources this contract is compiled from, "MAJOR.MINOR.PATCH".
    function _codeVersion() internal pure virtual returns (string memory);
}
