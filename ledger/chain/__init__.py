"""Talking to an EVM chain: connection, transactions, signing, ABIs, reverts, typed clients.

- `connection`: `Chain` over the in-process eth-tester chain, a dev node, or any JSON-RPC node;
- `transactions`: `TxSender` (local signing, nonces, fees, pipelining, JSON-RPC batches);
  `receipts`: what was mined (`TxReceipt`, `LogEntry`) and reading it back in batches;
- `signing`: EIP-712 typed data of every signed action; `keystore`: encrypted key files;
- `artifacts`: the committed compiled contracts; `events`: logs decoded into the typed events
  of `ledger.domain.events`; `abi_json`: ABI values as the JSON proof bundles state;
- `translate`: foreign exceptions (web3, eth-tester, ...) into `ledger.errors`, in one place;
  `reverts`: revert data into one exception class per Solidity error (the revert table);
- `clients`: `PocLedgerClient` and `RoyaltyVaultClient`, one method per contract function;
- `deploy`: deploying the contracts; `deployment_record`: where they went (`DeploymentRecord`).

Imports `ledger.domain` only; never the store, scoring, evidence, sync, `api` or `poc`.
"""
