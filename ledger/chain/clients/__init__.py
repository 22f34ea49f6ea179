"""Typed clients of the deployed contracts: `PocLedgerClient`, `RoyaltyVaultClient` and
`PocExchangeClient`.

One method per contract function. A write takes the `TxSender` that acts (the partner itself,
or for a `..._by_sig` method the relayer that carries the partner's `SignedAuth`), waits for the
receipt and returns a `TxResult`: the receipt, the typed events our contract emitted, and the
call's primary result read from those events (project id, contribution id, proposal id, ...).
A view returns a `ledger.domain.values` dataclass and can read any past block.

Reverts surface as the classes of `ledger.chain.reverts` (e.g. `PocNotPartner`), on every backend.

Gas: every write has a fixed default limit (`GAS_LIMITS`, measured on the contracts with about
30 % headroom, growing with list and string sizes) so the hot path makes no estimate round
trip; a caller may pass `gas=` per call, or build the client with `use_estimates=True` on chains
whose gas accounting differs (some L2s). `preflight=True` estimates before each send anyway, so
a revert is reported before anything is paid for.

Calldata is encoded with eth_abi from the artifact's ABI (selectors precomputed): faster than
web3's contract layer on the hot path. `client.contract` is the web3 `Contract` for anything
else. Modules: `base` (gas, results, `ContractClient`), `poc_ledger` (with the proposals' data
encoders), `royalty_vault`, `poc_exchange`. Domain values live in `ledger.domain.values`; signed
typed data in `ledger.chain.signing`; events in `ledger.chain.events`; deployment in
`ledger.chain.deploy`.
"""

from ledger.chain.clients.base import (
    BY_SIG_EXTRA,
    ETH,
    GAS_LIMITS,
    LEDGER_CONTRACT,
    VAULT_CONTRACT,
    GasLimit,
    RevenueTotals,
    TxResult,
)
from ledger.chain.clients.poc_exchange import (
    EXCHANGE_CONTRACT,
    EXCHANGE_GAS_LIMITS,
    PocExchangeClient,
)
from ledger.chain.clients.poc_ledger import (
    PocLedgerClient,
    encode_add_partner,
    encode_amend_agreement,
    encode_change_policy,
    encode_remove_partner,
)
from ledger.chain.clients.royalty_vault import RoyaltyVaultClient

__all__ = [
    "BY_SIG_EXTRA",
    "ETH",
    "EXCHANGE_CONTRACT",
    "EXCHANGE_GAS_LIMITS",
    "GAS_LIMITS",
    "LEDGER_CONTRACT",
    "VAULT_CONTRACT",
    "GasLimit",
    "PocExchangeClient",
    "PocLedgerClient",
    "RevenueTotals",
    "RoyaltyVaultClient",
    "TxResult",
    "encode_add_partner",
    "encode_amend_agreement",
    "encode_change_policy",
    "encode_remove_partner",
]
