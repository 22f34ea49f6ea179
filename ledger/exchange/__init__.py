"""Knowledge exchange between partners, off chain: the encryption of shared documents.

- `ledger.exchange.envelope`: the format of a shared document (AES-256-GCM in segments under a
  fresh file key) and of the key envelope wrapped to each recipient (HPKE, RFC 9180), the same
  byte for byte as the browser's `api/web/static/js/envelope.js` (docs/exchange.md);
- `ledger.exchange.keys`: the X25519 key pairs partners publish on PocExchange.

What goes on chain (disclosures, receipts, access-rights requests) is PocExchange's, reached
through `ledger.chain`; the commitment and disclosure id formulas are in `ledger.domain.hashing`.
"""
