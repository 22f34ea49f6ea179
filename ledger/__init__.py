"""poc-ledger: Proof-of-Contribution IP ledger library (no HTTP here; see `api/`)."""
