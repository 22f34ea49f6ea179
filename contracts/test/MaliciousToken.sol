// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IRoyaltyVault} from "../interfaces/IRoyaltyVault.sol";

/// @title MaliciousToken
/// @notice TEST ONLY — never deploy outside a test chain. An ERC-20 that, from inside its own
/// `transfer`/`transferFrom`, calls back into the royalty vault (`depositToken`, `release` or
/// `releaseTo`) while the vault is moving it. With `bubble` the re-entrant call's revert is
/// propagated (the vault's outer call then fails with it); without, it is caught and kept in
/// `lastError` so a test can check the outer call completed exactly once.
contract MaliciousToken is ERC20 {
    /// @notice Which vault function the token re-enters.
    enum Attack {
        None,
        DepositToken,
        Release,
        ReleaseTo
    }

    IRoyaltyVault public vault;
    uint32 public projectId;
    Attack public attack;
    bool public bubble;
    /// @notice Partner whose balance the `Release` attack tries to release again.
    address public victim;

    /// @notice How many times the token tried to re-enter, and whether any attempt succeeded.
    uint256 public attempts;
    bool public reentered;
    /// @notice Revert data of the last failed re-entrant call.
    bytes public lastError;

    bool private _attacking;

    constructor() ERC20("Malicious", "EVIL") {}

    /// @notice Mints `amount` to `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms the attack against `vault_` for `projectId_`.
    function arm(IRoyaltyVault vault_, uint32 projectId_, Attack attack_, address victim_, bool bubble_) external {
        vault = vault_;
        projectId = projectId_;
        attack = attack_;
        victim = victim_;
        bubble = bubble_;
    }

    /// @inheritdoc ERC20
    function transfer(address to, uint256 value) public override returns (bool) {
        bool ok = super.transfer(to, value);
        _reenter();
        return ok;
    }

    /// @inheritdoc ERC20
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        bool ok = super.transferFrom(from, to, value);
        _reenter();
        return ok;
    }

    function _reenter() private {
        if (attack == Attack.None || _attacking) return;
        _attacking = true;
        ++attempts;
        bytes memory call;
        if (attack == Attack.DepositToken) {
            call = abi.encodeCall(IRoyaltyVault.depositToken, (projectId, address(this), 1));
        } else if (attack == Attack.Release) {
            call = abi.encodeCall(IRoyaltyVault.release, (projectId, address(this), victim));
        } else {
            call = abi.encodeCall(IRoyaltyVault.releaseTo, (projectId, address(this), address(this)));
        }
        (bool ok, bytes memory reason) = address(vault).call(call);
        if (ok) {
            reentered = true;
        } else if (bubble) {
            assembly ("memory-safe") {
                revert(add(reason, 0x20), mload(reason))
            }
        } else {
            lastError = reason;
        }
        _attacking = false;
    }
}
