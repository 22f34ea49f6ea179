"""The Proof-of-Contribution scheme: from a project's event history to a royalty split.

Pure: no node, no database, no clock, no web3. The same history, evaluation time and policy
version give the same split on any machine (docs/scoring.md explains it for lawyers).

- `scheme`: `score(history, as_of=...)`, the result types that explain it, and the exact rules
  it is built from (lower median, largest remainder, input-set hash);
- `flow`: credit along "builds on", the policy's parent share passed to the work a
  contribution builds on;
- `statements`: royalty statements, the RoyaltyVault's allocation reproduced off chain;
- `history`: the scorer's input from real data.

Imports `ledger.domain` only.
"""
