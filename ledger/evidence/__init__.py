"""Evidence for lawyers: proof bundles, their verifier, certificates and evidence packs.

- `bundle`: the proof bundle model (JSON); `builder`: `ProofBuilder`, which builds bundles
  from a node; `block_evidence`: block headers, receipts and transactions with their trie
  proofs; `schema`: the bundle's JSON Schema, `format_check` what the schema cannot say;
- `verifier`: checking a bundle (`verify_document`), offline (`offline`) and against a node
  (`online`), one check at a time (`checks`: the report, the run, a cited log proven);
- `certificate`: the PDF certificate of a bundle; `packs`: per-partner and per-project packs;
  `splits`: a split recomputed from the chain, for a pack.

Imports `ledger.chain`, `ledger.scoring` and `ledger.domain`; never the store, `api` or `poc`.
"""
