"""Deploying the poc-ledger contracts: PocLedger, then RoyaltyVault bound to it, and PocExchange.

`deploy_contract` sends one creation transaction (creation code and ABI-encoded constructor
arguments, `creation_data`) and returns the new address with its receipt. `deploy_ledger`
deploys both contracts from one `TxSender`, checks that the vault points at the ledger, and
returns (and optionally writes) the `DeploymentRecord`. `deploy_exchange` adds PocExchange,
bound to the record's ledger, to a deployment (a new one, or one made before the exchange
existed). `clients_for` and `exchange_client_for` turn a record back into typed clients.

PocLedger's constructor creates its PocGovernance module itself (in the same transaction, at a
fixed address the ledger reports as `governance()`): it is part of the ledger's code, not a
contract of its own, so the record lists the two contracts one deploys and calls.

Sending and the record format live in `ledger.chain.transactions` and
`ledger.chain.deployment_record`; the clients in `ledger.chain.clients`.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from eth_typing import ABI, ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import Web3Exception

from ledger.chain.artifacts import load_artifact
from ledger.chain.clients import (
    EXCHANGE_CONTRACT,
    LEDGER_CONTRACT,
    VAULT_CONTRACT,
    PocExchangeClient,
    PocLedgerClient,
    RoyaltyVaultClient,
)
from ledger.chain.connection import Chain
from ledger.chain.deployment_record import DeployedContract, DeploymentRecord
from ledger.chain.receipts import TxReceipt
from ledger.chain.transactions import TxRequest, TxSender
from ledger.errors import ChainError, ConfigurationError

# Creation gas measured on eth-tester (cancun, viaIR): 6.06 M for PocLedger with the module it
# creates, 2.70 M for the vault (mostly code deposit, 200 gas a byte); ~30 % headroom, far below
# common block limits.
LEDGER_DEPLOY_GAS = 8_000_000
VAULT_DEPLOY_GAS = 3_500_000
# PocExchange: 3.59 M measured the same way.
EXCHANGE_DEPLOY_GAS = 4_700_000


def creation_data(w3: Web3, abi: ABI, bytecode: str | bytes, *constructor_args: Any) -> bytes:
    """Creation bytecode followed by the ABI-encoded constructor arguments."""
    code = HexBytes(bytecode)
    if not code:
        raise ConfigurationError("empty bytecode: is this an interface or abstract contract?")
    try:
        factory = w3.eth.contract(abi=abi, bytecode=code)
        return bytes(HexBytes(factory.constructor(*constructor_args).data_in_transaction))
    except (Web3Exception, TypeError, ValueError) as exc:
        raise ConfigurationError(f"constructor arguments do not fit the ABI: {exc}") from exc


def deploy_contract(
    sender: TxSender,
    abi: ABI,
    bytecode: str | bytes,
    *constructor_args: Any,
    gas: int | None = None,
) -> tuple[ChecksumAddress, TxReceipt]:
    """Deploy a contract from `sender`; return its address and the creation receipt.

    `gas=None` estimates the limit (a revert in the constructor then raises
    `TransactionRevertedError` before anything is sent). Raises `TransactionRevertedError`
    if the creation fails on chain.
    """
    data = creation_data(sender.w3, abi, bytecode, *constructor_args)
    receipt = sender.transact(TxRequest(to=None, data=data, gas=gas))
    if receipt.contract_address is None:
        raise ChainError(f"creation transaction {receipt.tx_hash} has no contract address")
    return receipt.contract_address, receipt


def deploy_ledger(
    chain: Chain,
    deployer: TxSender | int | str = 0,
    *,
    estimate: bool = False,
    path: str | os.PathLike[str] | None = None,
) -> DeploymentRecord:
    """Deploy PocLedger and RoyaltyVault(ledger) from `deployer` (a sender, or an account of
    `chain`); return the record, also written atomically to `path` if given.

    `estimate=True` estimates the creation gas instead of using the fixed limits (for chains
    whose gas accounting differs).
    """
    sender = deployer if isinstance(deployer, TxSender) else chain.sender(deployer)
    ledger_artifact = load_artifact(LEDGER_CONTRACT)
    vault_artifact = load_artifact(VAULT_CONTRACT)
    ledger_address, ledger_receipt = deploy_contract(
        sender,
        ledger_artifact.abi,
        ledger_artifact.bytecode,
        gas=None if estimate else LEDGER_DEPLOY_GAS,
    )
    vault_address, vault_receipt = deploy_contract(
        sender,
        vault_artifact.abi,
        vault_artifact.bytecode,
        ledger_address,
        gas=None if estimate else VAULT_DEPLOY_GAS,
    )
    bound = RoyaltyVaultClient(chain.w3, vault_address, chain_id=chain.chain_id).ledger()
    if bound != ledger_address:
        raise ChainError(f"the vault at {vault_address} serves {bound}, not {ledger_address}")
    record = DeploymentRecord.create(
        chain,
        sender.address,
        {LEDGER_CONTRACT: ledger_receipt, VAULT_CONTRACT: vault_receipt},
    )
    if path is not None:
        record.write(path)
    return record


def clients_for(
    chain: Chain, record: DeploymentRecord, *, check_chain: bool = True
) -> tuple[PocLedgerClient, RoyaltyVaultClient]:
    """Typed clients for the contracts of `record` on `chain` (checked to be its chain)."""
    if check_chain:
        record.check_chain(chain)
    return (
        PocLedgerClient(chain.w3, record.address(LEDGER_CONTRACT), chain_id=chain.chain_id),
        RoyaltyVaultClient(chain.w3, record.address(VAULT_CONTRACT), chain_id=chain.chain_id),
    )


def deploy_exchange(
    chain: Chain,
    record: DeploymentRecord,
    deployer: TxSender | int | str = 0,
    *,
    estimate: bool = False,
    path: str | os.PathLike[str] | None = None,
) -> DeploymentRecord:
    """Deploy PocExchange bound to the PocLedger of `record` and return the record with it
    added (also written atomically to `path` if given). Refused if the record has one already.
    """
    record.check_chain(chain)
    if EXCHANGE_CONTRACT in record.addresses:
        raise ChainError(f"the deployment has a {EXCHANGE_CONTRACT} already")
    sender = deployer if isinstance(deployer, TxSender) else chain.sender(deployer)
    ledger_address = record.address(LEDGER_CONTRACT)
    artifact = load_artifact(EXCHANGE_CONTRACT)
    address, receipt = deploy_contract(
        sender,
        artifact.abi,
        artifact.bytecode,
        ledger_address,
        gas=None if estimate else EXCHANGE_DEPLOY_GAS,
    )
    bound = PocExchangeClient(chain.w3, address, chain_id=chain.chain_id).ledger()
    if bound != ledger_address:
        raise ChainError(f"the exchange at {address} reads {bound}, not {ledger_address}")
    extended = dataclasses.replace(
        record,
        contracts=(*record.contracts, DeployedContract.from_receipt(EXCHANGE_CONTRACT, receipt)),
    )
    if path is not None:
        extended.write(path)
    return extended


def exchange_client_for(
    chain: Chain, record: DeploymentRecord, *, check_chain: bool = True
) -> PocExchangeClient:
    """The typed client of the record's PocExchange on `chain` (checked to be its chain)."""
    if check_chain:
        record.check_chain(chain)
    return PocExchangeClient(chain.w3, record.address(EXCHANGE_CONTRACT), chain_id=chain.chain_id)
