"""The JSON Schemas (draft 2020-12) of proof bundle formats 3 and 2, and the frozen one of 1.

`BUNDLE_SCHEMA_V2` is the source of format 2 (format 1 plus the contribution card:
`contribution.cardHash` and `card`; published as docs/proof-bundle-v2.schema.json).
`BUNDLE_SCHEMA`, format 3, is derived from it by one rule (`wide_integers_as_text`): every
integer that can exceed 2^53 - 1 becomes a decimal string, marked `x-integer` with its ABI
type, so that no JSON reader rounds it (JavaScript's JSON.parse does).
docs/proof-bundle.schema.json is its published copy (a test keeps them equal; `python -m
ledger.evidence.schema > docs/proof-bundle.schema.json` rewrites it). `wide_integer_fields`
finds those fields in a document by walking the schema with it; `integers_to_text` and
`integers_from_text` convert between the two spellings, `wide_integer_problems` names what is
misspelt. Format 1's schema is kept as it was last published (with the optional
`timestamp` and `checkpoint` sections and the exchange's history entries), byte for byte, in
`ledger/evidence/schemas/proof-bundle-v1.json` (and docs/proof-bundle-v1.schema.json):
`BUNDLE_SCHEMAS` maps each format the verifier reads to its schema. The schema fixes shapes and
bounds; what the values mean and how they are checked is in docs/proofs.md and
`ledger.evidence.verifier`. A new format gets a new version number and a new `$id`; older
documents stay verifiable.

A verifier is handed hostile files, so the schema leaves nothing open:
- every integer lies in the range of the ABI type the chain holds it in (`projectId` uint32,
  `value` uint64, `chainId` uint256, block numbers and indexes uint64, ...);
- every event's `args` are described from the PocLedger ABI, event by event (an `if` on the
  event name), and the EIP-712 `typedData` from the Register and AnchorBatch types: no place
  in a bundle takes an arbitrary object, so no place can nest deeper than the format does;
- every string has a `maxLength` and every hex string a byte bound, every array a `maxItems`
  (the contract's limits where it has them: 16 parents, 32 categories; a Merkle path of a
  uint32-counted batch has at most 32 steps; a trie proof for a uint64 index at most 64 nodes).

The bounds on strings and arrays the chain does not limit (a `uri`, a receipt, the history)
are generous work limits, not protocol facts: see `MAX_TEXT`, `MAX_RECEIPT_BYTES`,
`MAX_HISTORY`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any, Final

from ledger.chain.artifacts import load_artifact
from ledger.chain.checkpoints import CHECKPOINTED_EVENT, CHECKPOINTS_CONTRACT
from ledger.chain.signing import ACTION_TYPES, EIP712_DOMAIN_FIELDS
from ledger.domain.canonical import MAX_SAFE_INTEGER
from ledger.domain.cards import (
    CARD_KIND,
    DESCRIPTION_MAX,
    FILE_NAME_MAX,
    KEYWORD_MAX,
    KEYWORDS_MAX,
    MEDIA_TYPE_MAX,
    PARENT_NOTE_MAX,
    RECORD_VERSION,
    TITLE_MAX,
)
from ledger.evidence.bundle import (
    CHILD_EVENT,
    EXCHANGE_HISTORY_EVENTS,
    HISTORY_EVENTS,
    bundle_event_abis,
)
from ledger.evidence.timestamps import MAX_REPLY_BYTES, MESSAGE_FORMAT

SCHEMA_ID: Final = "https://poc-ledger.example/schemas/proof-bundle/v3.json"
_V2_SCHEMA_ID: Final = "https://poc-ledger.example/schemas/proof-bundle/v2.json"
_V1_SCHEMA_FILE: Final = "proof-bundle-v1.json"

# Events a bundle can cite: the registration (and its children), the history, the policy, the
# contributor's identity and a batch's anchor.
BUNDLE_EVENTS: Final = (
    CHILD_EVENT,
    *HISTORY_EVENTS,
    *EXCHANGE_HISTORY_EVENTS,
    "PolicySet",
    "IdentitySet",
    "BatchAnchored",
)

#: Longest text (uri, names, event strings), in characters. The API writes at most 2,000.
MAX_TEXT: Final = 65_536
#: Largest RLP block header: Clique/QBFT put validator lists and seals in extraData.
MAX_HEADER_BYTES: Final = 65_536
#: Largest raw transaction (geth and Besu refuse more than 128 KiB; blobs travel apart).
MAX_TRANSACTION_BYTES: Final = 1_048_576
#: Largest receipt. PocLedger's calls emit one to three logs (under a kilobyte); the bound
#: leaves room for thousands and keeps the RLP decoder's worst case near a second.
MAX_RECEIPT_BYTES: Final = 1_048_576
#: A trie leaf node holds a whole receipt or transaction, and its key.
_NODE_OVERHEAD: Final = 64
#: Longest signature: 65 bytes for ECDSA, more for an ERC-1271 wallet (a multisig's list).
MAX_SIGNATURE_BYTES: Final = 65_536
#: Trie proof nodes: the key rlp(index) of a uint64 index has at most 18 nibbles.
MAX_TRIE_PROOF_NODES: Final = 64
#: Merkle path of a batch: `count` is a uint32, so the tree is at most 32 levels deep.
MAX_MERKLE_PROOF: Final = 32
#: History entries (endorsements, disputes, children, ...): a work limit for the verifier.
MAX_HISTORY: Final = 10_000
#: Merkle path of a public checkpoint (`ledger.evidence.checkpoints.MAX_PROOF_NODES`).
MAX_CHECKPOINT_PROOF: Final = 64
#: Base64 of the largest TSA reply the client accepts.
MAX_TOKEN_BASE64: Final = 4 * ((MAX_REPLY_BYTES + 2) // 3)
#: Array arguments of events without a limit in the contract.
MAX_ABI_ARRAY: Final = 1_024
# PocLedger.MAX_PARENTS and MAX_CATEGORIES.
_ABI_ARRAY_LIMITS: Final = {"parents": 16, "categories": 32}

# Discriminating fields of the conditional parts of the schema. A verifier that finds an
# object failing the branch its discriminator chose blames the discriminator too.
DISCRIMINATORS: Final = ("event", "method", "primaryType")


def _uint(bits: int, description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": 2**bits - 1}
    if description:
        schema["description"] = description
    return schema


def _int(bits: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": -(2 ** (bits - 1)), "maximum": 2 ** (bits - 1) - 1}


def _hex(max_bytes: int, description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "string",
        "pattern": "^0x(?:[0-9a-fA-F]{2})*$",
        "maxLength": 2 + 2 * max_bytes,
    }
    if description:
        schema["description"] = description
    return schema


def _hex_exact(size: int) -> dict[str, Any]:
    return {"type": "string", "pattern": f"^0x[0-9a-fA-F]{{{2 * size}}}$"}


def _text(max_length: int = MAX_TEXT) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_length}


def _object(
    properties: Mapping[str, Any], *, description: str = "", required: Iterable[str] | None = None
) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": dict(properties),
        "required": sorted(properties if required is None else required),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


_ARRAY_TYPE = re.compile(r"^(?P<inner>.+)\[(?P<size>[0-9]*)\]$")


def abi_schema(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON shape `ledger.evidence.bundle` gives a value of ABI type `spec["type"]` (tuples as
    objects of their named components, bytes as 0x-hex, addresses as 0x-hex of 20 bytes)."""
    kind = str(spec["type"])
    array = _ARRAY_TYPE.match(kind)
    if array:
        inner = abi_schema({**spec, "type": array["inner"]})
        schema: dict[str, Any] = {"type": "array", "items": inner}
        if array["size"]:
            schema["minItems"] = schema["maxItems"] = int(array["size"])
        else:
            schema["maxItems"] = _ABI_ARRAY_LIMITS.get(str(spec.get("name", "")), MAX_ABI_ARRAY)
        return schema
    if kind == "tuple":
        return _object({str(c["name"]): abi_schema(c) for c in spec["components"]})
    if kind == "address":
        return {"$ref": "#/$defs/address"}
    if kind == "bool":
        return {"type": "boolean"}
    if kind == "string":
        return _text()
    if kind == "bytes32":
        return {"$ref": "#/$defs/hex32"}
    if kind == "bytes":
        return _hex(MAX_TRANSACTION_BYTES)
    if kind.startswith("bytes"):
        return _hex_exact(int(kind[5:]))
    if kind.startswith("uint"):
        return _uint(int(kind[4:] or 256))
    if kind.startswith("int"):
        return _int(int(kind[3:] or 256))
    raise ValueError(f"no JSON shape for ABI type {kind}")


# Struct fields a later release added: a log of an earlier release has none, and states none.
_LATER_FIELDS: Final = {("PolicySet", "policy"): ("parentShareBps",)}


def _event_args() -> dict[str, Any]:
    events = bundle_event_abis()
    args = {
        name: _object({str(i["name"]): abi_schema(i) for i in events[name]["inputs"]})
        for name in BUNDLE_EVENTS
    }
    for (name, argument), fields in _LATER_FIELDS.items():
        struct = args[name]["properties"][argument]
        struct["required"] = [f for f in struct["required"] if f not in fields]
    return args


def _when(field: str, value: str, then: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "if": {"properties": {field: {"const": value}}, "required": [field]},
        "then": dict(then),
    }


_LOG_PROOF = {
    **_object(
        {
            "event": {
                "enum": list(BUNDLE_EVENTS),
                "description": "event name in the PocLedger ABI (PocExchange's for exchange "
                "history entries)",
            },
            "args": {"type": "object", "description": "decoded event arguments, ABI order"},
            "txHash": {"$ref": "#/$defs/hex32"},
            "txIndex": _uint(64),
            "blockNumber": _uint(64),
            "blockHash": {"$ref": "#/$defs/hex32"},
            "blockTimestamp": {"$ref": "#/$defs/utc"},
            "logIndex": _uint(64, "position of the log in its block"),
            "header": _hex(MAX_HEADER_BYTES, "RLP block header; keccak256 = blockHash"),
            "receipt": _hex(MAX_RECEIPT_BYTES, "receipt as in the receipts trie (EIP-2718)"),
            "receiptProof": {"$ref": "#/$defs/receiptProof"},
            "transaction": _hex(
                MAX_TRANSACTION_BYTES, "raw signed transaction; keccak256 = txHash"
            ),
            "transactionProof": {"$ref": "#/$defs/transactionProof"},
        },
        description="an event log with the evidence proving it from its block hash",
    ),
    # The arguments of each event, as its ABI gives them.
    "allOf": [
        _when("event", name, {"properties": {"args": {"$ref": f"#/$defs/args/{name}"}}})
        for name in BUNDLE_EVENTS
    ],
}


def _checkpoint_log() -> dict[str, Any]:
    """The `Checkpointed` log of ChainCheckpoints on the public chain, as a log proof."""
    abi: Mapping[str, Any] = next(
        e
        for e in load_artifact(CHECKPOINTS_CONTRACT).abi
        if e.get("type") == "event" and e.get("name") == CHECKPOINTED_EVENT
    )
    properties = dict(_LOG_PROOF["properties"])
    properties["event"] = {"const": CHECKPOINTED_EVENT}
    properties["args"] = _object({str(i["name"]): abi_schema(i) for i in abi["inputs"]})
    return _object(properties, description="the checkpoint's log on the public chain")


_TIMESTAMP = _object(
    {
        "standard": {"const": "RFC 3161"},
        "messageFormat": {"const": MESSAGE_FORMAT},
        "hashAlgorithm": _text(64),
        "messageImprint": _hex(64),
        "genTime": _text(64),
        "serialNumber": {"type": "string", "pattern": "^[0-9]{1,100}$"},
        "policy": _text(256),
        "tsa": _text(4_096),
        "response": {
            "type": "string",
            "pattern": "^[A-Za-z0-9+/]*={0,2}$",
            "maxLength": MAX_TOKEN_BASE64,
            "description": "base64 of the TSA's DER TimeStampResp: the evidence",
        },
    },
    description="an RFC 3161 timestamp of the registration (ledger.evidence.timestamps)",
)

_CHECKPOINT = _object(
    {
        "chainId": _uint(256),
        "contract": {"$ref": "#/$defs/address"},
        "leafEncoding": {"const": ["uint256", "bytes32"]},
        "leafHash": {"$ref": "#/$defs/hex32"},
        "merkleProof": {
            "type": "array",
            "items": {"$ref": "#/$defs/hex32"},
            "maxItems": MAX_CHECKPOINT_PROOF,
        },
        "log": {"$ref": "#/$defs/checkpointLog"},
    },
    description="the public checkpoint covering the registration block (ledger.evidence."
    "checkpoints)",
)


def _typed_data() -> dict[str, Any]:
    """EIP-712 typed data of a Register or AnchorBatch authorisation (`ledger.chain.signing`)."""
    message_fields = {
        primary: {name: abi_schema({"name": name, "type": kind}) for name, kind in fields}
        for primary, fields in ACTION_TYPES.items()
        if primary in ("Register", "AnchorBatch")
    }
    type_entry = _object({"name": _text(256), "type": _text(256)})
    return {
        **_object(
            {
                "types": {
                    "type": "object",
                    "maxProperties": 8,
                    "propertyNames": {"maxLength": 256},
                    "additionalProperties": {"type": "array", "maxItems": 32, "items": type_entry},
                },
                "primaryType": {"enum": sorted(message_fields)},
                "domain": _object(
                    {
                        name: abi_schema({"name": name, "type": t})
                        for name, t in EIP712_DOMAIN_FIELDS
                    }
                ),
                "message": {"type": "object"},
            },
            description="EIP-712 typed data as signed (compared with the data the fields give)",
        ),
        "allOf": [
            _when("primaryType", primary, {"properties": {"message": _object(fields)}})
            for primary, fields in message_fields.items()
        ],
    }


_TRANSACTION_AUTHORISATION = {
    "method": {"const": "transaction"},
    "signer": {"$ref": "#/$defs/address"},
}
_EIP712_AUTHORISATION = {
    "method": {"const": "eip712"},
    "signer": {"$ref": "#/$defs/address"},
    "primaryType": {"enum": ["Register", "AnchorBatch"]},
    "nonce": _uint(256),
    "deadline": _uint(256),
    "signature": _hex(MAX_SIGNATURE_BYTES),
    "typedData": {"$ref": "#/$defs/typedData"},
}

# The contribution card as stored (ledger.domain.cards; docs/proofs.md), or null. The bounds
# are the card's own (in characters, as JSON Schema counts them); the verifier checks the rest
# (NFC, control characters, order) with the card's own rules.
_CARD: Final[dict[str, Any]] = {
    **_object(
        {
            "description": _text(DESCRIPTION_MAX),
            "file": {
                **_object(
                    {
                        "mediaType": _text(MEDIA_TYPE_MAX),
                        "name": _text(FILE_NAME_MAX),
                        "size": {"type": "integer", "minimum": 0, "maximum": MAX_SAFE_INTEGER},
                    }
                ),
                "type": ["object", "null"],
            },
            "keywords": {"type": "array", "items": _text(KEYWORD_MAX), "maxItems": KEYWORDS_MAX},
            "kind": {"const": CARD_KIND},
            "parents": {
                "type": "array",
                "items": _object(
                    {"contributionId": {"$ref": "#/$defs/hex32"}, "note": _text(PARENT_NOTE_MAX)}
                ),
                "maxItems": _ABI_ARRAY_LIMITS["parents"],
            },
            "salt": {"$ref": "#/$defs/hex32"},
            "title": _text(TITLE_MAX),
            "version": {"const": RECORD_VERSION},
        }
    ),
    "type": ["object", "null"],
}

# Every section but the evidence from outside the consortium chain, which a bundle carries once
# it exists (`ledger.evidence.sources`).
_REQUIRED: Final = (
    "version",
    "type",
    "contribution",
    "card",
    "identity",
    "policy",
    "authorisation",
    "chain",
    "inclusion",
    "batch",
    "history",
)

BUNDLE_SCHEMA_V2: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": _V2_SCHEMA_ID,
    "title": "poc-ledger contribution proof bundle, version 2",
    "$defs": {
        "hex32": _hex_exact(32),
        "address": _hex_exact(20),
        "utc": {
            "type": "string",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
            "description": "ISO-8601 UTC time (a real calendar time: the verifier parses it)",
        },
        "receiptProof": {
            "type": "array",
            "items": _hex(MAX_RECEIPT_BYTES + _NODE_OVERHEAD),
            "minItems": 1,
            "maxItems": MAX_TRIE_PROOF_NODES,
        },
        "transactionProof": {
            "type": "array",
            "items": _hex(MAX_TRANSACTION_BYTES + _NODE_OVERHEAD),
            "minItems": 1,
            "maxItems": MAX_TRIE_PROOF_NODES,
        },
        "logProof": _LOG_PROOF,
        "checkpointLog": _checkpoint_log(),
        "args": _event_args(),
        "typedData": _typed_data(),
    },
    **_object(
        {
            "version": {"const": 2},
            "type": {"const": "poc-ledger/contribution-proof"},
            "contribution": _object(
                {
                    "contributionId": {"$ref": "#/$defs/hex32"},
                    "projectId": _uint(32),
                    "contributor": {"$ref": "#/$defs/address"},
                    "contentHash": {"$ref": "#/$defs/hex32"},
                    "hashAlgorithm": {"const": "sha256"},
                    "salt": {"$ref": "#/$defs/hex32"},
                    "commitmentFormula": _text(1_024),
                    "commitment": {"$ref": "#/$defs/hex32"},
                    "cardHash": {"$ref": "#/$defs/hex32"},
                    "origin": {"enum": ["Background", "Result"]},
                    "category": _object({"id": _uint(8), "name": _text(32), "unit": _text(32)}),
                    "value": _uint(64),
                    "parents": {
                        "type": "array",
                        "items": {"$ref": "#/$defs/hex32"},
                        "maxItems": _ABI_ARRAY_LIMITS["parents"],
                    },
                    "supersedes": {"$ref": "#/$defs/hex32"},
                    "uri": _text(),
                    "batchId": {"$ref": "#/$defs/hex32"},
                    "registeredAt": {"$ref": "#/$defs/utc"},
                    "status": {"enum": ["Active", "Withdrawn", "Superseded", "Invalidated"]},
                }
            ),
            "card": _CARD,
            "identity": {
                **_object(
                    {
                        "name": _text(),
                        "companyNumber": _text(),
                        "evidence": {"$ref": "#/$defs/logProof"},
                    }
                ),
                "type": ["object", "null"],
            },
            "policy": _object(
                {
                    "version": _uint(32),
                    "policyHash": {"$ref": "#/$defs/hex32"},
                    "evidence": {"$ref": "#/$defs/logProof"},
                }
            ),
            "authorisation": {
                "type": "object",
                "properties": {"method": {"enum": ["transaction", "eip712"]}},
                "required": ["method"],
                "if": {"properties": {"method": {"const": "transaction"}}},
                "then": _object(_TRANSACTION_AUTHORISATION),
                "else": _object(_EIP712_AUTHORISATION),
            },
            "chain": _object(
                {
                    "chainId": _uint(256),
                    "contract": {"$ref": "#/$defs/address"},
                    "txHash": {"$ref": "#/$defs/hex32"},
                    "txIndex": _uint(64),
                    "blockNumber": _uint(64),
                    "blockHash": {"$ref": "#/$defs/hex32"},
                    "blockTimestamp": {"$ref": "#/$defs/utc"},
                    "logIndex": _uint(64),
                    "exchange": {"$ref": "#/$defs/address"},
                },
                required=(
                    "chainId",
                    "contract",
                    "txHash",
                    "txIndex",
                    "blockNumber",
                    "blockHash",
                    "blockTimestamp",
                    "logIndex",
                ),
            ),
            "inclusion": _object(
                {
                    "header": _hex(MAX_HEADER_BYTES),
                    "receipt": _hex(MAX_RECEIPT_BYTES),
                    "receiptProof": {"$ref": "#/$defs/receiptProof"},
                    "transaction": _hex(MAX_TRANSACTION_BYTES),
                    "transactionProof": {"$ref": "#/$defs/transactionProof"},
                }
            ),
            "batch": {
                **_object(
                    {
                        "root": {"$ref": "#/$defs/hex32"},
                        "count": _uint(32),
                        "leafHash": {"$ref": "#/$defs/hex32"},
                        "merkleProof": {
                            "type": "array",
                            "items": {"$ref": "#/$defs/hex32"},
                            "maxItems": MAX_MERKLE_PROOF,
                        },
                        "anchor": {"$ref": "#/$defs/logProof"},
                    }
                ),
                "type": ["object", "null"],
            },
            "history": {
                "type": "array",
                "items": {"$ref": "#/$defs/logProof"},
                "maxItems": MAX_HISTORY,
            },
            "timestamp": _TIMESTAMP,
            "checkpoint": _CHECKPOINT,
        },
        required=_REQUIRED,
    ),
}


def _v1_schema() -> dict[str, Any]:
    text = (
        resources.files("ledger.evidence")
        .joinpath("schemas", _V1_SCHEMA_FILE)
        .read_text(encoding="utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


# ------------------------------------------------------------------ format 3: wide integers as text

#: The largest integer every JSON reader keeps exactly (JavaScript's Number.MAX_SAFE_INTEGER).
_SAFE_BITS: Final = MAX_SAFE_INTEGER.bit_length()  # 53
#: The keyword marking a decimal-string integer in the format 3 schema, with its ABI type
#: (`uint64`, `uint256`, `int256`): the pattern fixes the spelling, the verifier the range.
WIDE_INTEGER_KEYWORD: Final = "x-integer"
#: A decimal integer as format 3 spells it: digits only, no leading zero, no sign, no spaces,
#: no exponent (and `-` before a nonzero value of a signed type).
UNSIGNED_TEXT: Final = "^(?:0|[1-9][0-9]*)$"
SIGNED_TEXT: Final = "^(?:0|-?[1-9][0-9]*)$"


def _is_wide(node: Mapping[str, Any]) -> bool:
    """An integer schema whose range reaches past 2^53 - 1 on either side."""
    if node.get("type") != "integer":
        return False
    low, high = int(node.get("minimum", -(2**256))), int(node.get("maximum", 2**256))
    return high > MAX_SAFE_INTEGER or low < -MAX_SAFE_INTEGER


def _as_text(node: Mapping[str, Any]) -> dict[str, Any]:
    low, high = int(node["minimum"]), int(node["maximum"])
    signed = low < 0
    bits = (high.bit_length() + 1) if signed else high.bit_length()
    abi_type = f"{'int' if signed else 'uint'}{bits}"
    digits = len(str(max(high, -low)))
    schema: dict[str, Any] = {
        "type": "string",
        "pattern": SIGNED_TEXT if signed else UNSIGNED_TEXT,
        "maxLength": digits + (1 if signed else 0),
        WIDE_INTEGER_KEYWORD: abi_type,
    }
    description = f"{abi_type} as a decimal string"
    if "description" in node:
        description = f"{node['description']}; {description}"
    schema["description"] = description
    return schema


def wide_integers_as_text(schema: Any) -> Any:
    """`schema` with every integer that can exceed 2^53 - 1 turned into a decimal string
    (`_as_text`): format 3's rule, applied to format 2's schema."""
    if isinstance(schema, Mapping):
        if _is_wide(schema):
            return _as_text(schema)
        return {key: wide_integers_as_text(value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [wide_integers_as_text(value) for value in schema]
    return schema


def _v3_schema() -> dict[str, Any]:
    schema: dict[str, Any] = wide_integers_as_text(BUNDLE_SCHEMA_V2)
    schema["$id"] = SCHEMA_ID
    schema["title"] = "poc-ledger contribution proof bundle, version 3"
    schema["description"] = (
        "Format 2 with every integer that can exceed 2^53 - 1 (uint64 and wider) written as a "
        "decimal string, so that any JSON reader (JavaScript's JSON.parse) keeps it exact. The "
        f"`{WIDE_INTEGER_KEYWORD}` keyword names the ABI type whose range the value lies in."
    )
    schema["properties"]["version"] = {"const": 3}
    return schema


#: The schema of the format bundles are written in (3).
BUNDLE_SCHEMA: Final[dict[str, Any]] = _v3_schema()

#: The schema of every format the verifier reads, by `version`.
BUNDLE_SCHEMAS: Final[dict[int, dict[str, Any]]] = {
    1: _v1_schema(),
    2: BUNDLE_SCHEMA_V2,
    3: BUNDLE_SCHEMA,
}


def _resolve(root: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        target: Any = root
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _holds(condition: Mapping[str, Any], value: Any) -> bool:
    """The `if` of the bundle schemas: `{"properties": {field: {"const": c}}, ...}`."""
    if not isinstance(value, Mapping):
        return False
    for name, rule in condition.get("properties", {}).items():
        if name not in value:
            if name in condition.get("required", ()):
                return False
            continue
        if "const" in rule and value[name] != rule["const"]:
            return False
    return True


_WIDE_BELOW: Final[dict[int, dict[int, bool]]] = {}


def _wide_below(schema: Mapping[str, Any]) -> dict[int, bool]:
    """Whether each subschema of `schema` (by id) has a wide integer in it, $refs followed
    (computed once per schema; the schemas are module constants, never changed)."""
    if id(schema) in _WIDE_BELOW:
        return _WIDE_BELOW[id(schema)]
    known: dict[int, bool] = {}

    def has(node: Any) -> bool:
        if not isinstance(node, Mapping):
            return False
        if id(node) in known:
            return known[id(node)]
        known[id(node)] = False  # no cycles in the bundle schemas; this guards anyway
        target = _resolve(schema, node)
        children: list[Any] = [target] if target is not node else []
        children += list(target.get("allOf", ()))
        children += list(target.get("properties", {}).values())
        children += [target.get(key) for key in ("items", "then", "else")]
        result = WIDE_INTEGER_KEYWORD in target
        for child in children:
            result = has(child) or result  # every child visited: each gets its own entry
        known[id(node)] = result
        return result

    has(schema)
    _WIDE_BELOW[id(schema)] = known
    return known


def wide_integer_fields(
    document: Any, schema: Mapping[str, Any] = BUNDLE_SCHEMA
) -> list[tuple[tuple[str | int, ...], str]]:
    """(path, ABI type) of every place where `schema` (format 3's) puts a decimal-string
    integer in `document`, whatever stands there. Follows the constructs the bundle schemas
    use ($ref, properties, items, allOf of if/then, if/then/else) and reads the document only
    where it has the shape the schema names, so a hostile one yields fewer paths, never an
    error. Iterative: no depth of input reaches the stack."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    stack: list[tuple[Mapping[str, Any], Any, tuple[str | int, ...]]] = [(schema, document, ())]
    below = _wide_below(schema)
    while stack:
        node, value, path = stack.pop()
        node = _resolve(schema, node)
        if WIDE_INTEGER_KEYWORD in node:
            found.append((path, str(node[WIDE_INTEGER_KEYWORD])))
            continue
        # Only the parts of the schema that hold a wide integer somewhere are followed: most
        # events' arguments, hex strings and texts have none (three times faster).
        for part in node.get("allOf", ()):
            if below[id(part)]:
                stack.append((part, value, path))
        if "if" in node and below[id(node)]:
            branch = node.get("then") if _holds(node["if"], value) else node.get("else")
            if branch is not None:
                stack.append((branch, value, path))
        if isinstance(value, Mapping):
            for name, rule in node.get("properties", {}).items():
                if name in value and below[id(rule)]:
                    stack.append((rule, value[name], (*path, name)))
        elif (
            isinstance(value, list)
            and isinstance(node.get("items"), Mapping)
            and below[id(node["items"])]
        ):
            for index, item in enumerate(value):
                stack.append((node["items"], item, (*path, index)))
    unique = dict(found)
    return sorted(unique.items(), key=lambda entry: [str(part) for part in entry[0]])


def _abi_range(abi_type: str) -> tuple[int, int]:
    if abi_type.startswith("uint"):
        return 0, 2 ** int(abi_type[4:]) - 1
    bits = int(abi_type[3:])
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def _replaced(document: Any, fields: list[tuple[tuple[str | int, ...], Any]]) -> Any:
    """A copy of `document` with the value at each path replaced (containers on the way
    copied, the rest shared)."""
    if not fields:
        return document
    root = dict(document) if isinstance(document, Mapping) else list(document)
    for path, new in fields:
        node: Any = root
        for part in path[:-1]:
            child = node[part]
            child = dict(child) if isinstance(child, Mapping) else list(child)
            node[part] = child
            node = child
        node[path[-1]] = new
    return root


def integers_to_text(document: Mapping[str, Any]) -> dict[str, Any]:
    """A bundle document in format 2's shape (integers as integers) with every wide integer
    written as format 3 writes it: a decimal string."""
    fields = [
        (path, str(_at(document, path)))
        for path, _ in wide_integer_fields(document)
        if isinstance(_at(document, path), int)
    ]
    result: dict[str, Any] = _replaced(document, fields)
    return result


def integers_from_text(document: Mapping[str, Any]) -> dict[str, Any]:
    """A format 3 document (checked by `wide_integer_problems` first) with its decimal
    strings read back into integers, the shape the verifier's checks work on. Integers
    already there are kept."""
    fields = [
        (path, int(_at(document, path)))
        for path, _ in wide_integer_fields(document)
        if isinstance(_at(document, path), str)
    ]
    result: dict[str, Any] = _replaced(document, fields)
    return result


def _at(document: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


def _json_path(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(document)"


_UNSIGNED = re.compile(UNSIGNED_TEXT)
_SIGNED = re.compile(SIGNED_TEXT)


def wide_integer_problems(document: Any) -> list[tuple[str, str]]:
    """(JSON path, problem) of every wide-integer field of a format 3 document that is not a
    decimal string of its ABI type's range: a bare JSON number, a float, leading zeros, a
    sign, spaces, an exponent, a value out of range. Reads nothing else of the document."""
    problems: list[tuple[str, str]] = []
    for path, abi_type in wide_integer_fields(document):
        value = _at(document, path)
        field = _json_path(path)
        low, high = _abi_range(abi_type)
        if isinstance(value, bool) or not isinstance(value, str):
            kind = "a JSON number" if isinstance(value, int | float) else "not text"
            if isinstance(value, bool) or value is None:
                kind = f"JSON {str(value).lower() if value is not None else 'null'}"
            problems.append((field, f"{kind} where format 3 writes {abi_type} as a decimal string"))
            continue
        pattern = _SIGNED if low < 0 else _UNSIGNED
        if len(value) > len(str(low)) + len(str(high)) or not pattern.fullmatch(value):
            problems.append(
                (
                    field,
                    f"not a decimal {abi_type} (digits only: no leading zeros, sign, spaces or "
                    "exponent)",
                )
            )
        elif not low <= int(value) <= high:
            problems.append((field, f"outside the range of {abi_type}"))
    return problems


def schema_text() -> str:
    """The schema as the published file's text."""
    return json.dumps(BUNDLE_SCHEMA, indent=2) + "\n"


if __name__ == "__main__":
    print(schema_text(), end="")
