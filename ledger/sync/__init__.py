"""Keeping the local database and the chain in step, in background threads.

- `follower`: the index follower, which folds the contracts' events into the store's index and
  rewinds after a reorganisation;
- `outbox`: the outbox worker, which sends accepted writes, confirms them and sends again what
  the chain lost.

Imports `ledger.chain` and `ledger.store` (and `ledger.domain`); never `api` or `poc`.
"""
