"""Proof bundle format 3: every integer that can exceed 2^53 - 1 is a decimal string (issue 17).

- A registration by signature with a 77-digit nonce, a deadline past 2^64 and a value of
  2^64 - 1 gets a format 3 bundle that verifies offline and online, survives a round trip
  through its bytes unchanged, and states those integers as text in every place (the
  authorisation, the signed typed data, the registration event's arguments).
- Node's JSON.parse reads the bundle without a number past Number.MAX_SAFE_INTEGER, and reads
  the nonce exactly; the same bundle in format 2 has such numbers (the test can fail).
- Formats 1 and 2, as the releases before wrote them (fixtures/format1, fixtures/format2),
  still verify.
- Hostile: in a format 3 bundle, a bare number, a float, true/null, leading zeros, a sign,
  spaces, an exponent, hex, an empty string or a value out of its ABI range where a decimal
  string belongs fails the format check naming that field, with no exception.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ledger.chain import signing
from ledger.domain import hashing
from ledger.domain.canonical import MAX_SAFE_INTEGER
from ledger.domain.values import Origin, Registration
from ledger.evidence.builder import ProofBuilder
from ledger.evidence.bundle import ProofBundle, bundle_bytes
from ledger.evidence.schema import (
    BUNDLE_SCHEMA,
    BUNDLE_SCHEMAS,
    integers_from_text,
    wide_integer_fields,
)
from ledger.evidence.verifier import verify_document
from tests.ledger.conftest import Env

FIXTURES = Path(__file__).with_name("fixtures")
NODE = shutil.which("node")
NONCE = 2**256 - 2**200 + 12_345  # 78 digits: no double holds it
VALUE = 2**64 - 1
CONTENT = b"wide integers trial report"


def _wide_bundle(env: Env) -> tuple[dict[str, Any], ProofBundle]:
    project = env.create_project()
    content_hash, salt = hashing.sha256_bytes(CONTENT), hashing.new_salt()
    registration = Registration(
        project_id=project,
        commitment=hashing.commitment(env.bob.address, project, content_hash, salt),
        origin=Origin.RESULT,
        category=0,
        value=VALUE,
    )
    data = signing.register_data(
        env.ledger.domain,
        registration=registration,
        signer=env.bob.address,
        nonce=NONCE,
        deadline=2**70,
    )
    cid = env.ledger.register_by_sig(env.relayer, registration, env.sign(env.bob, data)).value
    bundle = ProofBuilder(env.chain.w3, env.ledger.address).build(
        cid, content_hash=content_hash, salt=salt
    )
    return bundle.to_json(), bundle


@pytest.fixture
def wide(memory_env: Env) -> tuple[dict[str, Any], ProofBundle]:
    return _wide_bundle(memory_env)


def _format_fields(report: Any) -> set[str]:
    return set(next(c for c in report.checks if c.name == "format").fields)


def test_build_wide_integers_writes_format3_with_decimal_strings(
    wide: tuple[dict[str, Any], ProofBundle], memory_env: Env
) -> None:
    document, bundle = wide
    assert document["version"] == 3
    assert document["authorisation"]["nonce"] == str(NONCE)
    assert document["authorisation"]["deadline"] == str(2**70)
    assert document["authorisation"]["typedData"]["message"]["nonce"] == str(NONCE)
    assert document["authorisation"]["typedData"]["message"]["value"] == str(VALUE)
    assert document["contribution"]["value"] == str(VALUE)
    assert isinstance(document["chain"]["chainId"], str)
    assert isinstance(document["chain"]["blockNumber"], str)
    assert isinstance(document["contribution"]["projectId"], int)  # uint32: stays a number
    report = verify_document(document, file=CONTENT, w3=memory_env.chain.w3)
    assert report.ok, report.lines()
    assert report.checks[0].detail.startswith("proof bundle version 3")
    # The internal form keeps integers; only the document spells them as text.
    assert bundle.authorisation.nonce == NONCE


def test_round_trip_format3_bundle_keeps_its_bytes(
    wide: tuple[dict[str, Any], ProofBundle],
) -> None:
    document, bundle = wide
    data = bundle.to_bytes()
    again = ProofBundle.from_json(json.loads(data))
    assert again == bundle
    assert again.to_bytes() == data == bundle_bytes(document)


def test_format3_schema_has_no_number_past_2_53(
    wide: tuple[dict[str, Any], ProofBundle],
) -> None:
    document, _ = wide
    paths = {".".join(map(str, path)) for path, _ in wide_integer_fields(document)}
    assert {"authorisation.nonce", "contribution.value", "chain.chainId"} <= paths
    assert "authorisation.typedData.message.nonce" in paths
    text = json.dumps(BUNDLE_SCHEMA)
    for bound in ("18446744073709551615", str(2**256 - 1)):
        assert f'"maximum": {bound}' not in text
    assert BUNDLE_SCHEMAS[2]["properties"]["version"] == {"const": 2}


_NODE_SCRIPT = r"""
const fs = require("fs");
const bundle = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const unsafe = [];
(function walk(value, path) {
  if (typeof value === "number" && !Number.isSafeInteger(value)) unsafe.push(path);
  else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`));
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
})(bundle, "");
const nonce = bundle.authorisation.nonce;
console.log(JSON.stringify({ unsafe, nonce: typeof nonce === "string" ? BigInt(nonce).toString()
  : String(nonce), version: bundle.version }));
"""


def _node_read(path: Path) -> dict[str, Any]:
    assert NODE is not None
    done = subprocess.run(
        [NODE, "-e", _NODE_SCRIPT, str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.skipif(NODE is None, reason="needs Node")
def test_parse_format3_bundle_with_node_finds_no_unsafe_number(
    wide: tuple[dict[str, Any], ProofBundle], tmp_path: Path
) -> None:
    _, bundle = wide
    path = tmp_path / "bundle.json"
    path.write_bytes(bundle.to_bytes())
    read = _node_read(path)
    assert read == {"unsafe": [], "nonce": str(NONCE), "version": 3}
    # The same bundle in format 2 is what JSON.parse rounds: the check sees it.
    old = {**integers_from_text(json.loads(path.read_bytes())), "version": 2}
    assert verify_document(old, file=CONTENT).ok
    path.write_bytes(bundle_bytes(old))
    read = _node_read(path)
    assert "authorisation.nonce" in read["unsafe"] and "contribution.value" in read["unsafe"]
    assert read["nonce"] != str(NONCE)


@pytest.mark.parametrize("version", ["format1", "format2"])
@pytest.mark.parametrize("name", ["a", "a2", "b", "c", "d", "e"])
def test_verify_earlier_format_fixture_still_passes(version: str, name: str) -> None:
    document = json.loads((FIXTURES / version / f"{name}.json").read_text())
    assert document["version"] == int(version[-1])
    report = verify_document(document, file=(FIXTURES / version / f"{name}.content").read_bytes())
    assert report.ok, report.lines()
    assert report.checks[0].detail.startswith(f"proof bundle version {version[-1]}")


def test_verify_format2_fixture_relabelled_format3_fails_naming_the_numbers() -> None:
    document = json.loads((FIXTURES / "format2" / "b.json").read_text())
    document["version"] = 3
    report = verify_document(document)
    assert not report.ok
    assert {"contribution.value", "authorisation.nonce", "chain.chainId"} <= _format_fields(report)
    assert "decimal string" in report.checks[0].detail


_FIELDS = (
    ("authorisation", "nonce"),
    ("authorisation", "typedData", "message", "nonce"),
    ("authorisation", "typedData", "domain", "chainId"),
    ("contribution", "value"),
    ("chain", "blockNumber"),
    ("chain", "logIndex"),
    ("policy", "evidence", "txIndex"),
)
_BAD = (
    "bare number",
    "float",
    True,
    None,
    "0" + str(NONCE % 1000),
    "00",
    "+7",
    "-7",
    " 7",
    "7 ",
    "7e3",
    "7.0",
    "0x07",
    "",
    "\u0667",  # an Arabic-Indic seven: a digit to Python's int(), not to the format
    str(2**256),
    "9" * 5_000,
)


def _bad_value(value: Any, original: str) -> Any:
    if value == "bare number":
        return int(original)
    if value == "float":
        return float(int(original))
    return value


@pytest.mark.parametrize("bad", _BAD, ids=lambda value: repr(value)[:24])
@pytest.mark.parametrize("field", _FIELDS, ids=".".join)
def test_verify_format3_with_misspelt_integer_fails_naming_the_field(
    wide: tuple[dict[str, Any], ProofBundle], field: tuple[str, ...], bad: Any
) -> None:
    document, _ = wide
    tampered = copy.deepcopy(document)
    node = tampered
    for part in field[:-1]:
        node = node[part]
    original = node[field[-1]]
    node[field[-1]] = _bad_value(bad, original)
    report = verify_document(tampered)
    assert not report.ok
    assert report.checks[0].name == "format" and len(report.checks) == 1
    path = ".".join(field)
    assert path in report.failed_fields(), report.lines()
    assert path in report.checks[0].detail
    assert len(report.checks[0].detail) < 2_000


def test_verify_format3_bare_number_message_says_what_to_write(
    wide: tuple[dict[str, Any], ProofBundle],
) -> None:
    document, _ = wide
    tampered = copy.deepcopy(document)
    tampered["authorisation"]["nonce"] = NONCE
    tampered["history"] = [{"event": "Endorsed", "args": {"rating": "x"}}]
    report = verify_document(tampered)
    detail = report.checks[0].detail
    assert "authorisation.nonce: a JSON number where format 3 writes uint256 as a decimal" in detail
    assert "history[0]" in detail  # the rest of the schema's complaints still come


def test_verify_format3_is_below_safe_integer_everywhere(
    wide: tuple[dict[str, Any], ProofBundle],
) -> None:
    document, _ = wide

    def numbers(value: Any) -> list[int]:
        if isinstance(value, bool):
            return []
        if isinstance(value, int):
            return [value]
        if isinstance(value, dict):
            return [n for v in value.values() for n in numbers(v)]
        if isinstance(value, list):
            return [n for v in value for n in numbers(v)]
        return []

    assert max(numbers(document)) <= MAX_SAFE_INTEGER
