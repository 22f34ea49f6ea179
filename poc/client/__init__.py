"""The partner's client of the poc-ledger HTTP API, for partners' own machines.

    client.py     PartnerClient: every partner action (register, batch, endorse, dispute,
                  vote, release, balances, proof bundle and certificate), custodial or signed
                  here; waiting for operations
    signing.py    the partner's key (a JSON keystore) and the check of prepared typed data
                  before anything is signed
    files.py      files to register: collected, hashed as streams, their openings (salts
                  derived from the proof secret) kept before anything is sent
    routes.py     every URL path, in one table

It speaks HTTP to the API and imports only the API's schemas (`api.schemas`), never its app,
routes or services: an import-linter contract in pyproject.toml keeps it so. Errors are the
`ClientError` family of `ledger.errors`. The `poc` partner commands (`poc.cli.partner`) are a
thin shell over it.
"""

from poc.client.client import PartnerClient
from poc.client.signing import LocalKeySigner, Signer, TrustedDeployment

__all__ = ["LocalKeySigner", "PartnerClient", "Signer", "TrustedDeployment"]
