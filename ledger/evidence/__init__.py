"""Evidence for lawyers: proof bundles, their verifier, certificates and evidence packs.

- `bundle`: the proof bundle model (JSON); `builder`: `ProofBuilder`, which builds bundles
  from a node; `block_evidence`: block headers, receipts and transactions with their trie
  proofs; `schema`: the bundle's JSON Schema, `format_check` what the schema cannot say;
- `verifier`: checking a bundle (`verify_document`), offline (`offline`) and against a node
  (`online`), one check at a time (`checks`: the report, the run, a cited log proven);
- `certificate`: the PDF certificate of a bundle (`seal`: its PAdES seal); `packs`:
  per-partner and per-project packs, with `verifier.html`, the single-file verifier built from
  `html_verifier/`; `splits`: a split recomputed from the chain, for a pack;
- evidence from outside the consortium chain: `timestamps` (RFC 3161 tokens) and
  `timestamp_job` (their durable queue and job), `checkpoints` (public checkpoints: tree,
  prover, checks) and `anchor_job` (posting them), `independent` (the verifier's checks of
  both), `sources` (adding them to bundles, sealing certificates).

Imports `ledger.chain`, `ledger.scoring`, `ledger.domain` and, for the timestamp queue's feed
and database, `ledger.store`; never `api` or `poc`.
"""
