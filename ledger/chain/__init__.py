"""Talking to an EVM chain: connection, transactions, signing, ABIs, reverts, typed clients.

- `connection`: `Chain` over the in-process eth-tester chain, a dev node, or any JSON-RPC node;
- `transactions`: `TxSender` (local signing, nonces, fees, receipts, JSON-RPC batches);
- `signing`: EIP-712 typed data of every signed action; `keystore`: encrypted key files;
- `artifacts`: the committed compiled contracts; `events`: decoding logs into typed events;
- `translate`: foreign exceptions (web3, eth-tester, ...) into `ledger.errors`, in one place;
  `reverts`: revert data into one exception class per Solidity error;
- `clients`: `PocLedgerClient` and `RoyaltyVaultClient`, one method per contract function;
- `deploy` and `deployment_record`: deploying the contracts and remembering where they went.

Imports `ledger.domain` only; never the store, scoring, evidence, sync, `api` or `poc`.
"""
