"""poc-ledger: Proof-of-Contribution IP ledger library (no HTTP here; see `api/`)."""

import importlib.util
import os

# Keccak is on every hot path (addresses, EIP-712, transactions, events). eth-hash takes
# pycryptodome when both backends are installed: ~9 µs a hash through ctypes, which also lets
# go of the GIL so that a busy thread may wait a whole switch interval to get it back.
# safe-pysha3 (installed with eth-tester[py-evm]) hashes in ~0.7 µs. eth-hash reads the
# variable at its first hash, after this import; an explicit choice in the environment wins.
if importlib.util.find_spec("sha3") is not None:
    os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")
