"""Reading JSON from strangers: how deep it nests is measured before it is parsed.

Python's JSON reader recurses in C once per level of nesting and stops at the interpreter's
recursion limit. Importing web3 raises that limit to 100,000 (py_ecc sets it), far past what
the C stack holds: in any process of this project, `json.loads` of a document nested some
50,000 levels deep (100 KB of brackets) is a segmentation fault, not an exception. Hence
`nesting_depth`, which measures without recursing, and `loads`, which refuses a document
nested deeper than asked before parsing it. The HTTP API applies the same measure to every
JSON request body (`api.app.JsonDepthMiddleware`); `poc verify` reads bundles with `loads`.

No document of this project nests deeper than about ten levels (a proof bundle's deepest field
is `history[i].args.policy.categories[j].name`); `MAX_DEPTH` leaves room.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any, Final

#: Deepest nesting accepted from outside.
MAX_DEPTH: Final = 64

# A JSON string (escapes included), whose brackets do not count; then everything but brackets.
_STRING: Final = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET: Final = bytes(b for b in range(256) if b not in b"[]{}")
_STEP: Final = tuple(1 if b in b"[{" else -1 if b in b"]}" else 0 for b in range(256))


def nesting_depth(data: bytes | str) -> int:
    """How deep the arrays and objects of a JSON text nest (0 for a scalar); linear time,
    constant stack. Brackets inside strings do not count; for text that is not JSON the
    answer is an upper bound."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKET)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads`, but ValueError, not a crash, for a document nested deeper than
    `max_depth` (json.JSONDecodeError, a ValueError too, for text that is not JSON)."""
    depth = nesting_depth(data)
    if depth > max_depth:
        raise ValueError(f"JSON nested {depth} levels deep (at most {max_depth} accepted)")
    return json.loads(data)
