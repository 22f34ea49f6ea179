"""Keeping the local database and the chain in step, in background threads.

- `follower`: the index follower, which folds the contracts' events into the store's index and
  rewinds after a reorganisation;
- `outbox`: the outbox worker, which sends accepted writes, confirms them and sends again what
  the chain lost; `calls`: the contract call an operation makes (`ChainCall`);
- `deployment_check`: whether the deployment the record names is on the chain, which both wait
  for.

Imports `ledger.chain` and `ledger.store` (and `ledger.domain`); never `api` or `poc`.
"""
