// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IRoyaltyVault} from "../interfaces/IRoyaltyVault.sol";
import {OwnedForwarder} from "./OwnedForwarder.sol";

/// @title ReentrantReceiver
/// @notice TEST ONLY — never deploy outside a test chain. A partner contract whose `receive()`
/// re-enters the vault's `release` or `releaseTo` while its ETH payout is in flight, trying to be
/// paid twice. The re-entrant call is caught and its revert data kept, so a test can check both
/// that the payout went through once and which error stopped the second one.
contract ReentrantReceiver is OwnedForwarder {
    /// @notice Which vault function `receive()` re-enters.
    enum Attack {
        None,
        Release,
        ReleaseTo
    }

    IRoyaltyVault public vault;
    uint32 public projectId;
    Attack public attack;

    /// @notice How many times `receive()` tried to re-enter, and whether any attempt succeeded.
    uint256 public attempts;
    bool public reentered;
    /// @notice Revert data of the last failed re-entrant call.
    bytes public lastError;

    constructor(address owner_) OwnedForwarder(owner_) {}

    /// @notice Arms the attack against `vault_` for `projectId_`.
    function arm(IRoyaltyVault vault_, uint32 projectId_, Attack attack_) external {
        vault = vault_;
        projectId = projectId_;
        attack = attack_;
    }

    receive() external payable {
        if (attack == Attack.None || attempts > 0) return;
        ++attempts;
        if (attack == Attack.Release) {
            try vault.release(projectId, address(0), address(this)) {
                reentered = true;
            } catch (bytes memory reason) {
                lastError = reason;
            }
        } else {
            try vault.releaseTo(projectId, address(0), address(this)) {
                reentered = true;
            } catch (bytes memory reason) {
                lastError = reason;
            }
        }
    }
}
