"""The format of a proof bundle: the first check, before anything else reads the document.

`format_problems(document)` returns what is wrong with a document's form, each problem with
the JSON paths of the fields at fault (`history[1].args.rating`), or nothing. After it passes,
every value the verifier converts has its type and lies in its range, so no later check meets
an integer it cannot encode or a time it cannot print. It checks:

- the JSON Schema of `ledger.evidence.schema` (jsonschema-rs: well under a millisecond on a valid
  bundle, so a valid bundle pays nothing more);
- what that validator cannot be relied on for: the UTC times are real calendar times
  (2025-02-30 matches the pattern), and the integers the verifier converts are in range even
  when they have more than 4,300 digits (Python's JSON reader refuses those, but a Python
  caller can pass one, and jsonschema-rs then accepts it unchecked).

A hostile document is handled without trusting its size or shape. jsonschema-rs refuses
(raises on) a value nested deeper than its recursion limit and text that is not Unicode (a lone
surrogate, which JSON's `\ud800` escape can make): such a document is copied with those values
replaced, the copy validated, and the replaced values reported by their paths, so that the
field is still named. At most `MAX_REPORTED` schema errors are read; messages are clipped and
escaped (a hostile value can be megabytes long, or not printable).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from itertools import islice
from typing import Any, Final

import jsonschema_rs

from ledger.evidence.schema import (
    BUNDLE_SCHEMA,
    BUNDLE_SCHEMAS,
    DISCRIMINATORS,
    integers_from_text,
    wide_integer_problems,
)

#: The first format that writes wide integers as decimal strings.
TEXT_INTEGERS_FORMAT: Final = 3

#: Schema errors read from one document (a hostile one can have a million).
MAX_REPORTED: Final = 20
#: Longest message kept from one problem.
MAX_MESSAGE: Final = 240
# No bundle field is deeper than 7 (history[i].args.policy.categories[j].name); deeper
# containers are cut here before the schema explains a failure.
_CUT_DEPTH: Final = 16
_CUT: Final = "(nested too deeply)"
_NOT_TEXT: Final = "(not Unicode text)"

# Integers the verifier converts, by their ABI widths (the schema states the same bounds).
_LOG_PROOF_UINTS: Final = {"txIndex": 64, "blockNumber": 64, "logIndex": 64}
_UINTS: Final = (
    (("contribution", "projectId"), 32),
    (("contribution", "category", "id"), 8),
    (("contribution", "value"), 64),
    (("policy", "version"), 32),
    (("authorisation", "nonce"), 256),
    (("authorisation", "deadline"), 256),
    (("chain", "chainId"), 256),
    (("chain", "txIndex"), 64),
    (("chain", "blockNumber"), 64),
    (("chain", "logIndex"), 64),
    (("batch", "count"), 32),
    (("checkpoint", "chainId"), 256),
)
_TIMES: Final = (("contribution", "registeredAt"), ("chain", "blockTimestamp"))


@dataclass(frozen=True)
class FormatProblem:
    """One thing wrong with a document's form, and the JSON paths of the fields at fault."""

    message: str
    fields: tuple[str, ...]


def clip(text: str, limit: int = MAX_MESSAGE) -> str:
    """`text` cut to `limit` characters (a hostile value can be megabytes long), with what
    cannot be printed (lone surrogates) escaped."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def json_path(parts: Sequence[Any]) -> str:
    """`["history", 1, "args"]` -> `history[1].args`; the empty path is `(document)`."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return clip(text) if text else "(document)"


@cache
def _validator(version: int) -> Any:
    return jsonschema_rs.validator_for(BUNDLE_SCHEMAS.get(version, BUNDLE_SCHEMA))


def _version_of(document: Any) -> int:
    """The format a document says it is in; the current one for anything unknown (whose
    schema then names `version` as wrong)."""
    version = document.get("version") if isinstance(document, dict) else None
    if isinstance(version, int) and not isinstance(version, bool) and version in BUNDLE_SCHEMAS:
        return version
    return max(BUNDLE_SCHEMAS)


def format_problems(document: Any) -> list[FormatProblem]:
    """What is wrong with the form of `document` (empty if nothing), by the schema of the
    format it states (`version`)."""
    version = _version_of(document)
    validator = _validator(version)
    # Format 3's integers as text, named in words a reader of the bundle understands (a bare
    # number where a string belongs is what a JSON writer that is not ours would produce).
    wide: list[FormatProblem] = []
    if version >= TEXT_INTEGERS_FORMAT and isinstance(document, Mapping):
        wide = [
            FormatProblem(clip(f"{path}: {message}"), (clip(path),))
            for path, message in wide_integer_problems(document)[:MAX_REPORTED]
        ]
    try:
        valid = validator.is_valid(document)
    except ValueError:
        valid = False  # deeper than the validator's recursion limit: explained below
    if wide:
        named = {field for problem in wide for field in problem.fields}
        if all("a JSON number" in problem.message for problem in wide) and len(wide) > 1:
            # Every wide integer a number is format 2's spelling: the stated version may be
            # what is wrong (one bare number is a wrong field).
            wide.append(
                FormatProblem(
                    f"version: says format {version}, whose wide integers are decimal strings, "
                    "but the document has JSON numbers there (as format 2 writes them)",
                    ("version",),
                )
            )
        if valid:
            return wide
        rest = [
            problem
            for problem in _schema_problems(validator, document)
            if not named & set(problem.fields)
        ]
        return wide + rest
    if not valid:
        problems = _schema_problems(validator, document)
        if version != max(BUNDLE_SCHEMAS):
            # An older format's schema judged it: the stated version may be what is wrong.
            problems.append(
                FormatProblem(f"the document does not fit format {version}", ("version",))
            )
        return problems
    if version >= TEXT_INTEGERS_FORMAT:
        document = integers_from_text(document)
    return list(_value_problems(document))


def _schema_problems(validator: Any, document: Any) -> list[FormatProblem]:
    problems: list[FormatProblem] = []
    try:
        errors = list(islice(validator.iter_errors(document), MAX_REPORTED))
    except ValueError:
        # jsonschema-rs gives up past its recursion limit, or on text it cannot hand to Rust:
        # replace those values in a copy, name them, and let the schema name the rest.
        readable, unreadable = _readable(document)
        problems += [
            FormatProblem(f"{path}: {what}", (path,)) for path, what in unreadable[:MAX_REPORTED]
        ]
        document = readable
        errors = list(islice(validator.iter_errors(readable), MAX_REPORTED))
    problems += [
        FormatProblem(
            clip(f"{json_path(list(e.instance_path))}: {e.message}"),
            tuple(_blamed(e, document)),
        )
        for e in errors
    ]
    return problems or [FormatProblem("the document does not fit the schema", ("(document)",))]


def _blamed(error: Any, document: Any) -> list[str]:
    path = list(error.instance_path)
    kind = error.kind
    # A missing or unexpected property: the object at fault, and the property.
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        fields = [json_path(path), json_path([*path, kind.property])]
    elif isinstance(kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties):
        fields = [json_path(path), *(json_path([*path, str(name)]) for name in kind.unexpected)]
    else:
        return [json_path(path)]
    # A missing or unexpected property inside a conditional part (the args of an event, the
    # fields of an authorisation method, the message of a primary type) may as well mean
    # that the discriminator is the field that was changed: name it too.
    if {"then", "else"} & set(map(str, error.evaluation_path)):
        fields += _discriminator(document, path)
    return fields


def _discriminator(document: Any, path: list[Any]) -> list[str]:
    nodes = [document]
    for part in path:
        try:
            nodes.append(nodes[-1][part])
        except (KeyError, IndexError, TypeError):
            break
    for depth in range(len(nodes) - 1, -1, -1):
        node = nodes[depth]
        if isinstance(node, Mapping):
            for key in DISCRIMINATORS:
                if key in node:
                    return [json_path([*path[:depth], key])]
    return []


def _text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _readable(document: Any) -> tuple[Any, list[tuple[str, str]]]:
    """A copy of `document` that jsonschema-rs can read, and (path, what) of every value
    replaced: containers deeper than `_CUT_DEPTH`, text that is not Unicode (keys too).
    Iterative, so that no depth of the input can exhaust the stack."""
    replaced: list[tuple[str, str]] = []

    def copy(value: Any, parts: list[Any]) -> Any:
        if isinstance(value, str) and not _text(value):
            replaced.append((json_path(parts), "not Unicode text (a lone surrogate)"))
            return _NOT_TEXT
        if isinstance(value, Mapping | list):
            if len(parts) >= _CUT_DEPTH:
                replaced.append((json_path(parts[:_CUT_DEPTH]), "nested too deeply"))
                return _CUT
            return {} if isinstance(value, Mapping) else []
        return value

    root = copy(document, [])
    stack: list[tuple[Any, Any, list[Any]]] = [(document, root, [])]
    while stack:
        source, target, parts = stack.pop()
        items = source.items() if isinstance(source, Mapping) else enumerate(source)
        for key, value in items:
            if isinstance(key, str) and not _text(key):
                replaced.append((json_path(parts), "has a key that is not Unicode text"))
                key = key.encode("utf-8", "backslashreplace").decode("utf-8")
            copied = copy(value, [*parts, key])
            if isinstance(target, dict):
                target[key] = copied
            else:
                target.append(copied)
            if isinstance(copied, dict | list):
                stack.append((value, copied, [*parts, key]))
    return root, replaced


# ------------------------------------------------------------------------------ after the schema


def _log_proofs(document: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if document["identity"] is not None:
        yield "identity.evidence", document["identity"]["evidence"]
    yield "policy.evidence", document["policy"]["evidence"]
    if document["batch"] is not None:
        yield "batch.anchor", document["batch"]["anchor"]
    for index, entry in enumerate(document["history"]):
        yield f"history[{index}]", entry
    if document.get("checkpoint") is not None:
        yield "checkpoint.log", document["checkpoint"]["log"]


def _value_problems(document: Mapping[str, Any]) -> Iterator[FormatProblem]:
    """Problems of a schema-valid document that its schema validator does not catch."""
    if type(document["version"]) is not int:
        yield FormatProblem("version: not an integer", ("version",))
    for parts, bits in _UINTS:
        node: Any = document
        for part in parts:
            node = node.get(part) if isinstance(node, Mapping) else None
        if node is not None and not _is_uint(node, bits):
            yield _not_uint(json_path(parts), bits)
    for parts in _TIMES:
        if not _is_time(document[parts[0]][parts[1]]):
            yield FormatProblem(f"{json_path(parts)}: not a calendar time", (json_path(parts),))
    for path, proof in _log_proofs(document):
        for name, bits in _LOG_PROOF_UINTS.items():
            if not _is_uint(proof[name], bits):
                yield _not_uint(f"{path}.{name}", bits)
        if not _is_time(proof["blockTimestamp"]):
            field = f"{path}.blockTimestamp"
            yield FormatProblem(f"{field}: not a calendar time", (field,))


def _not_uint(path: str, bits: int) -> FormatProblem:
    return FormatProblem(f"{path}: not an integer of 0 to 2**{bits} - 1", (path,))


def _is_time(text: Any) -> bool:
    try:
        datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_uint(value: Any, bits: int) -> bool:
    # JSON Schema calls 40.0 an integer; a bundle writes integers as integers, and a float
    # where the format has an integer is a changed field, not the same value.
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    # bit_length, not a comparison with 2**bits: no conversion of a huge value to text.
    return value >= 0 and value.bit_length() <= bits
