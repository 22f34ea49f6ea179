"""Types of the compiled loops of ledger/scoring/_walk.pyx (see ledger.scoring.flow)."""

from array import array
from collections.abc import Callable, Mapping, MutableSequence, Sequence
from typing import Any

def resolve_parents(
    in_order: list[list[Any]], records: Mapping[bytes, list[Any]]
) -> tuple[array[int], array[int]]: ...
def walk_in_chain_order(
    owners: array[int],
    starts: Sequence[int],
    positions: Sequence[int],
    gross: list[int],
    exponents: MutableSequence[int],
    roots: list[list[int]],
    passing: list[list[int]],
    whole: int,
    powers: list[int],
    unit: int,
    edge_of: Callable[[int], tuple[tuple[int, int], ...]],
) -> bool: ...
