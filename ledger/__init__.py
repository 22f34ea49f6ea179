"""poc-ledger, the library: Proof-of-Contribution on an EVM chain, without HTTP or processes.

- `domain`: values, ids, the typed events, the codec; `errors`: the one exception tree;
- `chain`: talking to a node and the contracts; `store`: the index and the durable outbox;
- `sync`: the follower and the outbox worker; `scoring`: the scheme (pure);
- `evidence`: proof bundles, certificates, packs.

Imports point one way: `domain` <- {`scoring`, `chain`, `store`} <- {`evidence`, `sync`}.
Nothing here imports `api` (the HTTP adapter) or `poc` (the composition root that puts the
parts together).
"""

import importlib.util
import os

# Keccak is on every hot path (addresses, EIP-712, transactions, events). eth-hash takes
# pycryptodome when both backends are installed: ~9 µs a hash through ctypes, which also lets
# go of the GIL so that a busy thread may wait a whole switch interval to get it back.
# safe-pysha3 (installed with eth-tester[py-evm]) hashes in ~0.7 µs. eth-hash reads the
# variable at its first hash, after this import; an explicit choice in the environment wins.
if importlib.util.find_spec("sha3") is not None:
    os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")
