"""Canonical JSON and the text rules of the records people write: contribution cards and
dispute reasons (`ledger.domain.cards`).

- `canonical_json`: RFC 8785 JSON Canonicalization Scheme (JCS) through the `rfc8785` package:
  object keys sorted by UTF-16 code units, no white space, strings escaped the ECMAScript way,
  numbers in ECMAScript's shortest form. The browser's `canonicalize` package (vendored in
  `api/web/static/vendor/canonicalize`) writes the same bytes; a browser test compares them.
- `canonical_hash`: SHA-256 of those bytes.
- The text rules (`normalise_text`, `check_text`): what a title, a keyword or a reason may hold,
  one definition for the normaliser that tidies what a person typed and the strict check that a
  stored or bundled record must already pass. The browser's `js/cards.js` implements the same
  rules with the same error codes (the same browser test).

Nothing here knows what a card is; docs/proofs.md ("Contribution cards") states the rules in
words precise enough to re-implement them.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

import rfc8785

from ledger.errors import RecordFormatError

# Integers a JSON number holds exactly (IEEE 754 double): RFC 8785 refuses larger ones.
MAX_SAFE_INTEGER = 2**53 - 1

# White space trimmed from both ends of every text field: Unicode's White_Space property plus
# U+FEFF (byte order mark), spelled out so that Python and the browser trim the same set
# (str.strip and String.prototype.trim each differ from it).
TRIMMED_WHITESPACE = (
    "\u0009\u000a\u000b\u000c\u000d\u0020\u0085\u00a0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
# Characters no field may hold: C0 and C1 controls and DEL (tab and line feed excepted in
# multi-line fields), the Unicode line and paragraph separators, and the bidirectional
# embeddings, overrides and isolates, which can make a title read differently from what it
# holds ("Trojan Source").
_FORBIDDEN = re.compile("[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_FORBIDDEN_MULTILINE = re.compile(
    "[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_LINE_BREAKS = re.compile("\r\n|\r|\u2028|\u2029")
_HEX32 = re.compile(r"^0x[0-9a-f]{64}$")


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical form of a JSON value (UTF-8 bytes).

    Raises `RecordFormatError` (`json_not_canonicalizable`) for what JCS cannot represent: a
    lone surrogate, NaN or infinity, an integer beyond 2^53 - 1, a non-string key.
    """
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise RecordFormatError(
            f"not representable in canonical JSON: {exc}", code="json_not_canonicalizable"
        ) from exc


def canonical_hash(value: Any) -> bytes:
    """SHA-256 of `canonical_json(value)` (32 bytes)."""
    return hashlib.sha256(canonical_json(value)).digest()


def loads_strict(raw: bytes | str, *, prefix: str) -> Any:
    """Parse JSON text, refusing duplicate object keys (`<prefix>_duplicate_key`) and the
    non-JSON constants Python accepts (NaN, Infinity)."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in items:
            if key in seen:
                raise RecordFormatError(
                    f"key {key!r} appears twice", code=f"{prefix}_duplicate_key", field=key
                )
            seen[key] = value
        return seen

    def constant(name: str) -> NoReturn:
        raise RecordFormatError(f"{name} is not JSON", code=f"{prefix}_not_json")

    try:
        return json.loads(raw, object_pairs_hook=pairs, parse_constant=constant)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RecordFormatError(f"not JSON: {exc}", code=f"{prefix}_not_json") from exc


# ------------------------------------------------------------------------------ text


def normalise_text(value: str, *, multiline: bool = False) -> str:
    """What a person typed, tidied into the form `check_text` accepts: Unicode NFC; in a
    multi-line field CR LF, CR and U+2028/U+2029 become LF; white space trimmed at both ends.
    Characters that are refused stay, so that the check names them."""
    text = unicodedata.normalize("NFC", value)
    if multiline:
        text = _LINE_BREAKS.sub("\n", text)
    return unicodedata.normalize("NFC", text.strip(TRIMMED_WHITESPACE))


def check_text(
    value: object,
    *,
    prefix: str,
    field: str,
    max_chars: int,
    min_chars: int = 0,
    multiline: bool = False,
) -> str:
    """`value` if it is a text field in canonical form, else `RecordFormatError`:

    - `<prefix>_wrong_type`: not a string;
    - `<prefix>_invalid_text`: a lone surrogate (not encodable as UTF-8);
    - `<prefix>_control_character`: a character of `_FORBIDDEN` (the position is named);
    - `<prefix>_not_normalised`: not NFC, or white space at either end;
    - `<prefix>_empty` / `<prefix>_too_long`: fewer than `min_chars` or more than `max_chars`
      Unicode code points (not UTF-16 units, not bytes).
    """
    if not isinstance(value, str):
        _fail(prefix, "wrong_type", field, f"{field} must be text")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        _fail(prefix, "invalid_text", field, f"{field} holds a lone surrogate (not Unicode text)")
    found = (_FORBIDDEN_MULTILINE if multiline else _FORBIDDEN).search(value)
    if found:
        _fail(
            prefix,
            "control_character",
            field,
            f"{field} holds the control character U+{ord(found.group()):04X} "
            f"at position {found.start() + 1}",
        )
    if not unicodedata.is_normalized("NFC", value):
        _fail(prefix, "not_normalised", field, f"{field} is not in Unicode NFC form")
    if value != value.strip(TRIMMED_WHITESPACE):
        _fail(prefix, "not_normalised", field, f"{field} starts or ends with white space")
    length = len(value)
    if length < min_chars:
        _fail(prefix, "empty", field, f"{field} is required")
    if length > max_chars:
        _fail(
            prefix,
            "too_long",
            field,
            f"{field} is {length} characters long; at most {max_chars} are allowed",
        )
    return value


def check_hex32(value: object, *, prefix: str, field: str) -> str:
    """`value` if it is 32 bytes as 0x-prefixed lower-case hex, else
    `<prefix>_invalid_value`."""
    if not isinstance(value, str) or not _HEX32.match(value):
        _fail(
            prefix,
            "invalid_value",
            field,
            f"{field} must be 32 bytes as 0x and 64 lower-case hex digits",
        )
    return value


def check_object(
    value: object, *, prefix: str, field: str, keys: Sequence[str]
) -> Mapping[str, Any]:
    """`value` if it is a JSON object with exactly `keys`: `<prefix>_wrong_type`,
    `<prefix>_unknown_field` (the first extra key, sorted) or `<prefix>_missing_field`."""
    if not isinstance(value, Mapping):
        _fail(prefix, "wrong_type", field, f"{field} must be an object")
    for key in sorted(value):
        if key not in keys:
            name = f"{field}.{key}" if field else str(key)
            _fail(prefix, "unknown_field", name, f"unknown field {name!r}")
    for key in keys:
        if key not in value:
            name = f"{field}.{key}" if field else key
            _fail(prefix, "missing_field", name, f"missing field {name!r}")
    return value


def check_list(value: object, *, prefix: str, field: str, max_items: int) -> Sequence[Any]:
    """`value` if it is a JSON array of at most `max_items` items."""
    if not isinstance(value, list | tuple):
        _fail(prefix, "wrong_type", field, f"{field} must be a list")
    if len(value) > max_items:
        _fail(
            prefix,
            "too_many",
            field,
            f"{field} has {len(value)} items; at most {max_items} are allowed",
        )
    return value


def check_integer(value: object, *, prefix: str, field: str, minimum: int, maximum: int) -> int:
    """`value` if it is an integer (not a boolean) in [minimum, maximum]. A float with no
    fraction counts as that integer: JSON has one number type, and `1.0` is `1` to a browser
    (and in canonical form)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(prefix, "wrong_type", field, f"{field} must be a whole number")
    if not minimum <= value <= maximum:
        _fail(
            prefix,
            "invalid_value",
            field,
            f"{field} must be between {minimum} and {maximum}, got {value}",
        )
    return value


def _fail(prefix: str, problem: str, field: str, message: str) -> NoReturn:
    raise RecordFormatError(message, code=f"{prefix}_{problem}", field=field)
