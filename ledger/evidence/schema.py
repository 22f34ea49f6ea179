"""The JSON Schema (draft 2020-12) of proof bundle format version 1.

`BUNDLE_SCHEMA` is the source; docs/proof-bundle.schema.json is its published copy (a test
keeps them equal; `python -m ledger.evidence.schema > docs/proof-bundle.schema.json` rewrites it).
The schema fixes shapes only; what the values mean and how they are checked is in docs/proofs.md
and `ledger.evidence.verifier`. A new format gets a new version number and a new `$id`; version 1
documents stay verifiable.
"""

from __future__ import annotations

import json
from typing import Any, Final

SCHEMA_ID: Final = "https://poc-ledger.example/schemas/proof-bundle/v1.json"

_HEX = {"type": "string", "pattern": "^0x([0-9a-fA-F]{2})*$"}
_HEX32 = {"type": "string", "pattern": "^0x[0-9a-fA-F]{64}$"}
_ADDRESS = {"type": "string", "pattern": "^0x[0-9a-fA-F]{40}$"}
_UTC = {
    "type": "string",
    "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
    "description": "ISO-8601 UTC time",
}
_UINT = {"type": "integer", "minimum": 0}


def _object(properties: dict[str, Any], *, description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": sorted(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


_LOG_PROOF = _object(
    {
        "event": {"type": "string", "description": "event name in the PocLedger ABI"},
        "args": {"type": "object", "description": "decoded event arguments, ABI order"},
        "txHash": {"$ref": "#/$defs/hex32"},
        "txIndex": _UINT,
        "blockNumber": _UINT,
        "blockHash": {"$ref": "#/$defs/hex32"},
        "blockTimestamp": {"$ref": "#/$defs/utc"},
        "logIndex": {**_UINT, "description": "position of the log in its block"},
        "header": {**_HEX, "description": "RLP block header; keccak256 = blockHash"},
        "receipt": {**_HEX, "description": "receipt as in the receipts trie (EIP-2718)"},
        "receiptProof": {"type": "array", "items": _HEX, "minItems": 1},
        "transaction": {**_HEX, "description": "raw signed transaction; keccak256 = txHash"},
        "transactionProof": {"type": "array", "items": _HEX, "minItems": 1},
    },
    description="an event log with the evidence proving it from its block hash",
)

BUNDLE_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "poc-ledger contribution proof bundle, version 1",
    "$defs": {
        "hex": _HEX,
        "hex32": _HEX32,
        "address": _ADDRESS,
        "utc": _UTC,
        "logProof": _LOG_PROOF,
    },
    **_object(
        {
            "version": {"const": 1},
            "type": {"const": "poc-ledger/contribution-proof"},
            "contribution": _object(
                {
                    "contributionId": {"$ref": "#/$defs/hex32"},
                    "projectId": _UINT,
                    "contributor": {"$ref": "#/$defs/address"},
                    "contentHash": {"$ref": "#/$defs/hex32"},
                    "hashAlgorithm": {"const": "sha256"},
                    "salt": {"$ref": "#/$defs/hex32"},
                    "commitmentFormula": {"type": "string"},
                    "commitment": {"$ref": "#/$defs/hex32"},
                    "origin": {"enum": ["Background", "Result"]},
                    "category": _object(
                        {"id": _UINT, "name": {"type": "string"}, "unit": {"type": "string"}}
                    ),
                    "value": _UINT,
                    "parents": {"type": "array", "items": {"$ref": "#/$defs/hex32"}},
                    "supersedes": {"$ref": "#/$defs/hex32"},
                    "uri": {"type": "string"},
                    "batchId": {"$ref": "#/$defs/hex32"},
                    "registeredAt": {"$ref": "#/$defs/utc"},
                    "status": {"enum": ["Active", "Withdrawn", "Superseded", "Invalidated"]},
                }
            ),
            "identity": {
                "oneOf": [
                    {"type": "null"},
                    _object(
                        {
                            "name": {"type": "string"},
                            "companyNumber": {"type": "string"},
                            "evidence": {"$ref": "#/$defs/logProof"},
                        }
                    ),
                ]
            },
            "policy": _object(
                {
                    "version": _UINT,
                    "policyHash": {"$ref": "#/$defs/hex32"},
                    "evidence": {"$ref": "#/$defs/logProof"},
                }
            ),
            "authorisation": {
                "oneOf": [
                    _object(
                        {"method": {"const": "transaction"}, "signer": {"$ref": "#/$defs/address"}}
                    ),
                    _object(
                        {
                            "method": {"const": "eip712"},
                            "signer": {"$ref": "#/$defs/address"},
                            "primaryType": {"enum": ["Register", "AnchorBatch"]},
                            "nonce": _UINT,
                            "deadline": _UINT,
                            "signature": {"$ref": "#/$defs/hex"},
                            "typedData": {"type": "object"},
                        }
                    ),
                ]
            },
            "chain": _object(
                {
                    "chainId": _UINT,
                    "contract": {"$ref": "#/$defs/address"},
                    "txHash": {"$ref": "#/$defs/hex32"},
                    "txIndex": _UINT,
                    "blockNumber": _UINT,
                    "blockHash": {"$ref": "#/$defs/hex32"},
                    "blockTimestamp": {"$ref": "#/$defs/utc"},
                    "logIndex": _UINT,
                }
            ),
            "inclusion": _object(
                {
                    "header": {"$ref": "#/$defs/hex"},
                    "receipt": {"$ref": "#/$defs/hex"},
                    "receiptProof": {"type": "array", "items": {"$ref": "#/$defs/hex"}},
                    "transaction": {"$ref": "#/$defs/hex"},
                    "transactionProof": {"type": "array", "items": {"$ref": "#/$defs/hex"}},
                }
            ),
            "batch": {
                "oneOf": [
                    {"type": "null"},
                    _object(
                        {
                            "root": {"$ref": "#/$defs/hex32"},
                            "count": _UINT,
                            "leafHash": {"$ref": "#/$defs/hex32"},
                            "merkleProof": {"type": "array", "items": {"$ref": "#/$defs/hex32"}},
                            "anchor": {"$ref": "#/$defs/logProof"},
                        }
                    ),
                ]
            },
            "history": {"type": "array", "items": {"$ref": "#/$defs/logProof"}},
        }
    ),
}


def schema_text() -> str:
    """The schema as the published file's text."""
    return json.dumps(BUNDLE_SCHEMA, indent=2) + "\n"


if __name__ == "__main__":
    print(schema_text(), end="")
