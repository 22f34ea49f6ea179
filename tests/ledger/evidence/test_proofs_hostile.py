"""A verifier is handed hostile files. Every leaf of every kind of bundle (direct, by signature,
batched both ways, endorsed, disputed, superseded, withdrawn), replaced by a value out of range,
negative, of the wrong type, huge, nested deep or not even text, gives a FAIL naming that
field, never an exception: exhaustively, leaf by leaf, and by Hypothesis. The same through
`poc verify` (exit 1, no traceback) and for hostile RLP inside the hex fields.

The API side (`POST /v1/proofs/verify`: a verdict or a 4xx, never a 5xx) is in
tests/api/test_exports.py.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import rlp
from eth_utils.crypto import keccak
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ledger.errors import ProofError
from ledger.evidence.block_evidence import (
    BlockHeader,
    decode_receipt,
    decode_transaction,
    prove_inclusion,
)
from ledger.evidence.builder import ProofBuilder
from ledger.evidence.schema import BUNDLE_SCHEMA, MAX_RECEIPT_BYTES, MAX_TEXT
from ledger.evidence.verifier import VerificationReport, iter_leaves, verify_document
from tests.ledger.evidence.proof_scenario import build_scenario
from tests.ledger.evidence.test_proofs_tamper import names, set_path

ROOT = Path(__file__).resolve().parents[3]
KINDS = ("a", "b", "c", "d", "a2", "e")


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def _deep_rlp(depth: int) -> str:
    """RLP of a list nested `depth` deep, each level a list holding only the one below
    (pyrlp decodes nested lists recursively)."""
    body = b"\xc0"
    for _ in range(depth):
        body = _list_prefix(len(body)) + body
    return "0x" + body.hex()


def _list_prefix(length: int) -> bytes:
    if length < 56:
        return bytes([0xC0 + length])
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0xF7 + len(size)]) + size


# Each leaf is replaced by each of these in turn (a value equal to the leaf is skipped).
HOSTILE: tuple[tuple[str, Any], ...] = (
    ("negative", -1),
    ("past uint8", 2**8),
    ("past uint32", 2**32),
    ("past uint64", 2**64),
    ("past uint256", 2**256),
    ("5,000 digits", 10**5000),  # Python's JSON reader refuses it; a Python caller may not
    ("fraction", 0.5),
    ("integral float", 1.0),
    ("infinity", math.inf),
    ("NaN", math.nan),
    ("numeric text", "1"),
    ("null", None),
    ("boolean", True),
    ("empty list", []),
    ("object", {"a": 1}),
    ("deep nesting", _nested(5_000)),
    ("huge list", [0] * 20_000),  # more items than any array of the format may hold
    ("huge text", "x" * (MAX_TEXT + 1)),
    ("huge hex", "0x" + "ab" * (MAX_RECEIPT_BYTES + 100)),
    ("lone surrogate", "\ud800"),
    ("32 random bytes", "0x" + os.urandom(32).hex()),
    ("120 random bytes", "0x" + os.urandom(120).hex()),
    ("deep RLP", _deep_rlp(3_000)),
    ("deep small RLP", _deep_rlp(300)),
    # A million one-byte items: pyrlp's decoding time grows with the square of that.
    ("wide RLP", "0x" + rlp.encode([b"a"] * 500_000).hex()),
)


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, str):
        return bool(a.lower() == b.lower() if a.startswith("0x") else a == b)
    return bool(a == b)


@contextmanager
def replaced(document: dict[str, Any], path: str, value: Any) -> Iterator[None]:
    """`document` with the leaf at `path` set to `value`, restored afterwards (no copy: the
    exhaustive pass runs tens of thousands of times)."""
    original = _get(document, path)
    set_path(document, path, value)
    try:
        yield
    finally:
        set_path(document, path, original)


def _get(document: Any, path: str) -> Any:
    node = document
    for segment in path.replace("]", "").split("."):
        head, *indices = segment.split("[")
        node = node[head]
        for index in indices:
            node = node[int(index)]
    return node


def _failures(
    document: dict[str, Any],
    values: tuple[tuple[str, Any], ...],
    verify: Callable[[dict[str, Any]], VerificationReport],
    paths: list[str] | None = None,
) -> list[str]:
    """`path <- label: why` for every replacement that passed or failed without naming it."""
    out = []
    for path, original in list(iter_leaves(document)):
        if paths is not None and path not in paths:
            continue
        for label, value in values:
            if _same(value, original):
                continue
            with replaced(document, path, value):
                report = verify(document)  # raising is itself the failure this test looks for
                if report.ok or not names(report, path):
                    blamed = sorted(report.failed_fields()) if not report.ok else "passed"
                    out.append(f"{path} <- {label}: {blamed}")
    return out


@pytest.fixture
def documents(memory_env: Any) -> dict[str, dict[str, Any]]:
    """The bundle of each kind in the scenario, as documents."""
    scenario = build_scenario(memory_env)
    builder = ProofBuilder(memory_env.chain.w3, memory_env.ledger.address)
    out = {}
    for name in KINDS:
        item = scenario[name]
        bundle = builder.build(item.contribution_id, content_hash=item.content_hash, salt=item.salt)
        out[name] = bundle.to_json()
    assert out["e"]["contribution"]["status"] == "Withdrawn"
    assert out["b"]["contribution"]["status"] == "Invalidated"
    assert out["a"]["contribution"]["status"] == "Superseded"
    return out


# ------------------------------------------------------------------------------ reproducers


def test_verify_chain_id_past_uint256_fails_naming_it(documents: dict[str, Any]) -> None:
    """Was: eth_abi ValueOutOfBounds out of the signature check (a 500 from the API)."""
    document = documents["b"]
    document["chain"]["chainId"] = 2**256
    report = verify_document(document)
    assert not report.ok
    assert report.failed_fields() == {"chain.chainId"}


def test_verify_online_project_id_past_uint256_fails_naming_it(
    memory_env: Any, documents: dict[str, Any]
) -> None:
    """Was: OverflowError out of the online history check (a 500 from the API)."""
    document = documents["b"]
    document["contribution"]["projectId"] = 2**256
    report = verify_document(document, w3=memory_env.chain.w3)
    assert not report.ok
    assert report.failed_fields() == {"contribution.projectId"}


def test_poc_verify_out_of_range_chain_id_prints_fail_not_traceback(
    documents: dict[str, Any], tmp_path: Path
) -> None:
    """Was: a traceback. Run as a process, as a lawyer would: the exit status and the output."""
    document = documents["b"]
    document["chain"]["chainId"] = 2**256
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(document))
    result = _poc_verify(path)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "FAIL  format" in result.stdout and "chain.chainId" in result.stdout


def _poc_verify(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "poc", "verify", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        errors="backslashreplace",
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("label", "text"),
    [
        ("nested past the JSON reader", "[" * 100_000 + "]" * 100_000),
        ("5,000-digit integer", '{"version": ' + "9" * 5_000 + "}"),
        ("not JSON", "{'version': 1}"),
        ("not UTF-8", "\udcff"),
        ("a lone surrogate", '{"version": 1, "type": "\\ud800"}'),
        ("a list", "[1, 2, 3]"),
        ("NaN", '{"version": NaN}'),
    ],
)
def test_poc_verify_hostile_file_exits_1_without_traceback(
    tmp_path: Path, label: str, text: str
) -> None:
    path = tmp_path / "bundle.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    result = _poc_verify(path)
    assert result.returncode == 1, (label, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, label
    assert result.stdout.startswith("FAIL  format"), (label, result.stdout)


# ------------------------------------------------------------------------------ every leaf


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_verify_every_leaf_hostile_fails_naming_it(documents: dict[str, Any], kind: str) -> None:
    document = documents[kind]
    assert verify_document(document).ok
    failures = _failures(document, HOSTILE, verify_document)
    assert not failures, f"{len(failures)} replacements not named:\n" + "\n".join(failures[:50])


@pytest.mark.slow
def test_verify_online_every_leaf_in_range_but_wrong_fails_naming_it(
    memory_env: Any, documents: dict[str, Any]
) -> None:
    """Values that pass the format reach the online checks (they run whatever the offline
    ones found): none of them may raise either. An integer in range, and hostile RLP in hex."""
    w3 = memory_env.chain.w3
    document = documents["b"]
    failures = []
    for kind, value in (("integer", 2**32 - 1), ("hex", _deep_rlp(3_000))):
        leaves = [
            path
            for path, original in iter_leaves(document)
            if (kind == "integer") == (isinstance(original, int) and not isinstance(original, bool))
            and (kind != "hex" or (isinstance(original, str) and original.startswith("0x")))
        ]
        failures += _failures(
            document, ((kind, value),), lambda d: verify_document(d, w3=w3), leaves
        )
    assert not failures, "\n".join(failures[:50])


def test_schema_rejects_out_of_range_values_in_any_validator(documents: dict[str, Any]) -> None:
    """The published schema says the bounds (an independent verifier reads only it): the
    reference Python validator refuses the same values as ours."""
    validator = jsonschema.Draft202012Validator(BUNDLE_SCHEMA)
    document = documents["b"]
    for path, value in [
        ("chain.chainId", 2**256),
        ("contribution.projectId", 2**32),
        ("contribution.value", 2**64),
        ("contribution.category.id", 256),
        ("history[0].logIndex", -1),
        ("history[1].args.disputeNumber", 2**32),
        ("authorisation.typedData.message.value", 2**64),
        ("authorisation.typedData.domain.chainId", 2**256),
        ("inclusion.receiptProof", ["0x00"] * 65),
        ("contribution.parents", ["0x" + "00" * 32] * 17),
        ("contribution.uri", "x" * (MAX_TEXT + 1)),
        ("history[0].args", {"nested": _nested(50)}),
    ]:
        with replaced(document, path, value):
            assert not validator.is_valid(document), path
            assert not verify_document(document).ok, path


# ------------------------------------------------------------------------------ Hypothesis

_JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**300), max_value=2**300),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=64),
    st.binary(max_size=200).map(lambda b: "0x" + b.hex()),
)
_JSON = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
_HOSTILE = st.one_of(
    _JSON,
    st.integers(min_value=0, max_value=256).map(lambda bits: 2**bits),
    st.integers(min_value=0, max_value=256).map(lambda bits: -(2**bits)),
    st.sampled_from([value for _, value in HOSTILE]),
)


def test_verify_hypothesis_hostile_leaf_fails_naming_it(documents: dict[str, Any]) -> None:
    leaves = [(kind, path, value) for kind in KINDS for path, value in iter_leaves(documents[kind])]

    @settings(
        max_examples=400,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(leaf=st.sampled_from(leaves), value=_HOSTILE)
    def check(leaf: tuple[str, str, Any], value: Any) -> None:
        kind, path, original = leaf
        assume(not _same(value, original))
        document = documents[kind]
        with replaced(document, path, value):
            report = verify_document(document)
            assert not report.ok, path
            assert names(report, path), (path, sorted(report.failed_fields()))

    check()


# ------------------------------------------------------------------------------ hostile RLP


def test_decoders_refuse_hostile_rlp_as_proof_errors() -> None:
    deep = bytes.fromhex(_deep_rlp(3_000)[2:])
    for decode in (BlockHeader.decode, decode_receipt, decode_transaction):
        for raw in (deep, b"\x02" + deep, b"", b"\xc0", b"\xff" * 40, b"\x7f", b"\xc3\xc2\xc1\xc0"):
            with pytest.raises(ProofError):
                decode(raw)
    # A node that hashes to the root but is no trie node, or nests too deep.
    for node in (deep, b"\xc3\x01\x02\x03", rlp.encode([b"\x20", [b"", b""]]), b"\x80"):
        with pytest.raises(ProofError):
            prove_inclusion(keccak(node), 0, [node])


@pytest.mark.parametrize(
    ("shape", "raw", "refusal"),
    [
        # pyrlp's decoding time grows with the square of the depth and of a list's length
        # (90,000 deep: 20 s; a million items: hours): both are measured before decoding.
        ("deep", bytes.fromhex(_deep_rlp(90_000)[2:]), "deeper than 32"),
        ("wide", rlp.encode([b"a"] * 1_000_000), "too long to decode"),
        ("wide, wider items", rlp.encode([b"ab" * 20] * 25_000), "too long to decode"),
    ],
)
def test_decoders_measure_hostile_rlp_before_decoding(shape: str, raw: bytes, refusal: str) -> None:
    for decode in (decode_receipt, decode_transaction, BlockHeader.decode):
        with pytest.raises(ProofError, match=refusal):
            decode(raw)
    with pytest.raises(ProofError, match=refusal):
        prove_inclusion(keccak(raw), 0, [raw])


def test_decoders_read_an_honest_receipt_of_a_thousand_logs() -> None:
    log = [b"\x11" * 20, [b"\x22" * 32, b"\x33" * 32], b"\x44" * 100]
    receipt = b"\x02" + rlp.encode([b"\x01", b"\x05", b"\x00" * 256, [log] * 1_000])
    decoded = decode_receipt(receipt)
    assert len(decoded.logs) == 1_000 and decoded.status == 1


def test_verify_forged_header_with_hostile_trie_nodes_fails_naming_them(
    documents: dict[str, Any],
) -> None:
    """A header made for the attack (its receipts root is the hash of a hostile node) gets
    past the trie walk's first step: the node itself must still fail as a named field."""
    document = documents["a"]
    items = rlp.decode(bytes.fromhex(document["inclusion"]["header"][2:]))
    for node in (bytes.fromhex(_deep_rlp(3_000)[2:]), b"\xc3\x01\x02\x03"):
        forged = list(items)
        forged[5] = keccak(node)  # receiptsRoot
        forged[4] = keccak(node)  # transactionsRoot
        header = rlp.encode(forged)
        with (
            replaced(document, "inclusion.header", "0x" + header.hex()),
            replaced(document, "chain.blockHash", "0x" + keccak(header).hex()),
            replaced(document, "inclusion.receiptProof", ["0x" + node.hex()]),
            replaced(document, "inclusion.transactionProof", ["0x" + node.hex()]),
        ):
            report = verify_document(document)
            assert not report.ok
            assert {"inclusion.receiptProof", "inclusion.transactionProof"} <= (
                report.failed_fields()
            )
