"""Evidence for lawyers: proof bundles, their verifier, certificates and evidence packs.

- `bundle`: the proof bundle model (JSON) and `ProofBuilder`, which builds bundles from a node;
- `block_evidence`: block headers, receipts and transactions with their trie proofs;
- `schema`: the bundle's JSON Schema; `verifier`: checking a bundle offline and against a node;
- `certificate`: the PDF certificate of a bundle; `packs`: per-partner and per-project packs.

Imports `ledger.chain` and `ledger.domain`; never the store, `api` or `poc`.
"""
