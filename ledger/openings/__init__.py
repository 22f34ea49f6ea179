"""What proves a partner's contributions, kept by the partner: the proof secret and openings.

- `secret`: the proof secret (one per partner) and its recovery sheet of BIP-39 words;
- `salts`: the salts derived from it ("derived v1"), byte for byte as docs/design.md says;
- `files`: opening files, the documented JSON of one contribution's opening, checked on read;
- `sealed`: a secret or a set of openings encrypted with a passphrase (scrypt, AES-256-GCM);
- `keeper`: a folder on the partner's machine that keeps them (for the command line);
- `custody`: the secrets the service keeps for partners who opt in (custodial).

The web pages do the same in `api/web/static/js/secret.js` and `openings.js`; the browser
tests check that both sides give the same bytes. This package knows no chain, database or
HTTP: it imports `ledger.domain` only.
"""
