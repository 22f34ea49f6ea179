"""The contract call an operation makes: `ChainCall`, kept in the outbox as JSON.

A call names its contract and function and carries its ABI arguments, gas, sender (`RELAYER` or
a custodial partner address), value and, for a `...BySig` call, the signer and nonce of the
partner's signature. `calldata()` encodes it from the artifact's ABI; `to_json`/`from_json`
keep it in the outbox (`ledger.store.outbox`); `differing_arguments` names what two attempts at
one action differ in. The worker that sends calls: `ledger.sync.outbox`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any, cast

from eth_abi.abi import encode
from eth_utils.abi import collapse_if_tuple, function_abi_to_4byte_selector

from ledger.chain.artifacts import load_artifact
from ledger.domain.codec import to_hex
from ledger.errors import LedgerError

RELAYER = "relayer"


@dataclass(frozen=True)
class _FunctionAbi:
    selector: bytes
    inputs: tuple[Mapping[str, Any], ...]

    @cached_property
    def types(self) -> list[str]:
        return [collapse_if_tuple(dict(i)) for i in self.inputs]


@cache
def _function(contract: str, function: str) -> _FunctionAbi:
    for entry in load_artifact(contract).abi:
        if entry.get("type") == "function" and entry.get("name") == function:
            return _FunctionAbi(
                selector=function_abi_to_4byte_selector(entry),
                inputs=tuple(cast(Sequence[Mapping[str, Any]], entry.get("inputs", ()))),
            )
    raise LedgerError(f"{contract} has no function {function!r}")


def _to_json(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return to_hex(value)
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    return value


def _from_json(value: Any, item: Mapping[str, Any]) -> Any:
    kind = str(item["type"])
    if kind.endswith("]"):
        inner = {**item, "type": kind[: kind.rindex("[")]}
        return [_from_json(v, inner) for v in value]
    if kind == "tuple":
        components = item.get("components", ())
        return tuple(_from_json(v, c) for v, c in zip(value, components, strict=True))
    if kind.startswith("bytes"):
        return bytes.fromhex(str(value).removeprefix("0x"))
    return value


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _differing(item: Mapping[str, Any], a: Any, b: Any) -> list[str]:
    """The names of the parts of ABI value `a` that differ from `b` (a tuple by member)."""
    if _to_json(a) == _to_json(b):
        return []
    if item.get("type") == "tuple":
        components = item.get("components", ())
        found: list[str] = []
        for component, x, y in zip(components, a, b, strict=True):
            found.extend(_differing(component, x, y))
        return found
    return [_snake(str(item["name"]))]


@dataclass(frozen=True)
class ChainCall:
    """One contract call an operation makes. `sender` is "relayer" or a partner address."""

    contract: str
    function: str
    args: tuple[Any, ...]
    gas: int
    sender: str = RELAYER
    value: int = 0
    signer: str | None = None
    nonce: int | None = None

    def calldata(self) -> bytes:
        """Selector and ABI-encoded arguments."""
        fn = _function(self.contract, self.function)
        return fn.selector + encode(fn.types, list(self.args))

    @property
    def deadline(self) -> int | None:
        """The deadline of the partner signature a `...BySig` call carries (None otherwise)."""
        if self.signer is None or not self.args:
            return None
        # `SignedAuth` (signer, nonce, deadline, signature) is the last argument.
        return int(self.args[-1][2])

    def differing_arguments(self, other: ChainCall) -> tuple[str, ...]:
        """The names (snake_case, tuple members by their own name) of the arguments in which
        `other` differs from this call, leaving out the signature of a signed call: two
        signatures of the same action differ only there. Another function differs as a whole.
        """
        if (other.contract, other.function) != (self.contract, self.function):
            return ("function",)
        inputs = _function(self.contract, self.function).inputs
        mine, theirs = list(self.args), list(other.args)
        if self.signer is not None or other.signer is not None:
            inputs, mine, theirs = inputs[:-1], mine[:-1], theirs[:-1]
        names: list[str] = []
        for item, a, b in zip(inputs, mine, theirs, strict=True):
            names.extend(_differing(item, a, b))
        return tuple(names)

    def to_json(self) -> str:
        return json.dumps(
            {
                "contract": self.contract,
                "function": self.function,
                "args": _to_json(list(self.args)),
                "gas": self.gas,
                "sender": self.sender,
                "value": str(self.value),
                "signer": self.signer,
                "nonce": None if self.nonce is None else str(self.nonce),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> ChainCall:
        raw = json.loads(text)
        fn = _function(raw["contract"], raw["function"])
        args = tuple(_from_json(v, i) for v, i in zip(raw["args"], fn.inputs, strict=True))
        return cls(
            contract=raw["contract"],
            function=raw["function"],
            args=args,
            gas=int(raw["gas"]),
            sender=raw["sender"],
            value=int(raw["value"]),
            signer=raw["signer"],
            nonce=None if raw["nonce"] is None else int(raw["nonce"]),
        )
