"""The values the ledger speaks in, with no I/O: nothing here talks to a node or a database.

- `values`: the contracts' inputs and outputs as frozen dataclasses and enums (`Registration`,
  `Policy`, `Category`, `ContributionInfo`, ...);
- `hashing`: ids and hashes computed off chain exactly as the contracts compute them
  (commitment, contribution id, batch id, policy hash);
- `merkle`: Merkle batches of contributions (OpenZeppelin's StandardMerkleTree layout).

Every other subpackage may import this one; it imports none of them.
"""
