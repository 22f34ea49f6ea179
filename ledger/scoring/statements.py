"""Royalty statements: who receives how much of a revenue amount under a split, as CSV and JSON.

What lives here: `allocate`, the RoyaltyVault's allocation rule reproduced off chain (so that a
statement agrees with the vault to the last cent or wei), `build_statement`, the
`RoyaltyStatement` value with its `to_csv` / `to_json` exports, and `statement_basis`, the one
rule for which split a statement divides by (the API and `poc statement` both ask it).

What does not: computing the split (`ledger.scoring.scheme`), reading revenue or payouts from the
chain, currency conversion, tax. Amounts are integers in the smallest unit of their currency (EUR
cents, token base units, wei); `decimals` only says how to print them.

The rule (docs/design.md, "Vault"; docs/scoring.md section 7): each partner gets
floor(amount x bps / 10000); the units left over, fewer than the number of partners, go one
each to the partners with the largest remainders (amount x bps mod 10000), ties to the lower
address. The amounts therefore add up to the amount exactly.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from ledger.errors import InvalidSplitError, NoSplitVersionError, NothingToSplitError
from ledger.scoring.results import ScoreResult
from ledger.scoring.rules import BPS, apportion

__all__ = [
    "RULE",
    "RoyaltyStatement",
    "StatementBasis",
    "StatementLine",
    "allocate",
    "build_statement",
    "statement_basis",
]

RULE: Final = (
    "floor(amount * bps / 10000) per partner; remaining units one each to the largest "
    "remainders (amount * bps mod 10000), ties to the lower address"
)
CSV_COLUMNS: Final = (
    "project_id",
    "split_version",
    "date",
    "currency",
    "partner",
    "bps",
    "amount",
    "amount_decimal",
)


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One partner's part of the revenue."""

    partner: str
    bps: int
    amount: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RoyaltyStatement:
    """A revenue amount divided by a split, with the metadata a partner's accountant needs.

    `token` is the ERC-20 address for token revenue, the zero address for ETH, None for revenue
    paid outside the chain (e.g. EUR by bank transfer).
    """

    project_id: int
    split_version: int
    currency: str
    decimals: int
    token: str | None
    date: datetime.date
    total: int
    lines: tuple[StatementLine, ...]

    def to_csv(self) -> str:
        """CSV: a header, one row per partner ascending by address, then a TOTAL row."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        common = (self.project_id, self.split_version, self.date.isoformat(), self.currency)
        for line in self.lines:
            writer.writerow(
                (*common, line.partner, line.bps, line.amount, self.decimal(line.amount))
            )
        writer.writerow((*common, "TOTAL", BPS, self.total, self.decimal(self.total)))
        return out.getvalue()

    def to_json(self) -> str:
        """JSON; amounts are strings of digits, since wei amounts exceed what JSON numbers keep
        exactly in most readers (JavaScript loses precision above 2^53)."""
        return json.dumps(self.as_dict(), indent=2) + "\n"

    def as_dict(self) -> dict[str, Any]:
        """The statement as JSON-ready plain data (see `to_json`)."""
        return {
            "project_id": self.project_id,
            "split_version": self.split_version,
            "date": self.date.isoformat(),
            "currency": self.currency,
            "decimals": self.decimals,
            "token": self.token,
            "total": str(self.total),
            "total_decimal": self.decimal(self.total),
            "rule": RULE,
            "lines": [
                {
                    "partner": line.partner,
                    "bps": line.bps,
                    "amount": str(line.amount),
                    "amount_decimal": self.decimal(line.amount),
                }
                for line in self.lines
            ],
        }

    def decimal(self, amount: int) -> str:
        """`amount` in whole currency units with `decimals` places, exactly (no floats)."""
        if not self.decimals:
            return str(amount)
        whole, fraction = divmod(amount, 10**self.decimals)
        return f"{whole}.{fraction:0{self.decimals}d}"


def allocate(amount: int, split: Mapping[str, int]) -> dict[str, int]:
    """Divide `amount` by `split` ({partner: bps}, summing to 10000) as the RoyaltyVault does.

    Returns {partner: amount} ascending by address, summing to `amount`.
    """
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise InvalidSplitError(f"amount must be a non-negative integer, got {amount!r}")
    if not split:
        raise InvalidSplitError("the split names no partner")
    if any(isinstance(b, bool) or not isinstance(b, int) or b < 0 for b in split.values()):
        raise InvalidSplitError("basis points must be non-negative integers")
    if sum(split.values()) != BPS:
        raise InvalidSplitError(f"the split sums to {sum(split.values())} bps, not {BPS}")
    if len({partner.lower() for partner in split}) != len(split):
        raise InvalidSplitError("the split names a partner twice")
    # With weights summing to exactly 10000, largest remainder over bps is the vault's rule.
    return apportion(amount, split)


def build_statement(
    *,
    total: int,
    split: Mapping[str, int],
    project_id: int,
    split_version: int,
    currency: str,
    date: datetime.date,
    decimals: int = 0,
    token: str | None = None,
) -> RoyaltyStatement:
    """The royalty statement of `total` (smallest currency units) under `split` ({partner: bps}).

    `date` is the statement's date (this module reads no clock); `decimals` how many of the
    smallest units make a printed decimal place (2 for EUR cents, 18 for wei).
    """
    if not currency:
        raise InvalidSplitError("a statement needs a currency or token symbol")
    if not 0 <= decimals <= 36:
        raise InvalidSplitError(f"decimals must be within 0..36, got {decimals}")
    amounts = allocate(total, split)
    return RoyaltyStatement(
        project_id=project_id,
        split_version=split_version,
        currency=currency,
        decimals=decimals,
        token=token,
        date=date,
        total=total,
        lines=tuple(StatementLine(p, split[p], amount) for p, amount in amounts.items()),
    )


@dataclass(frozen=True, slots=True)
class StatementBasis:
    """The split a royalty statement divides by: a finalized split version, or (none finalized
    yet) the current score, `split_version` 0, which is an estimate and not a booking."""

    shares: Mapping[str, int]
    split_version: int

    @property
    def basis(self) -> Literal["finalized_split", "current_score"]:
        return "finalized_split" if self.split_version else "current_score"


def statement_basis(
    *,
    project_id: int,
    requested: int | None,
    newest_finalized: Callable[[], int],
    finalized_split: Callable[[int], Mapping[str, int] | None],
    current_score: Callable[[], ScoreResult] | None = None,
) -> StatementBasis:
    """Which split a royalty statement of `project_id` divides by.

    The requested split version, which must be finalized; without one, the newest finalized
    version (the one in force, `newest_finalized()`, 0 if none); when none is finalized yet,
    the current score, if the caller can give one (`current_score`: the API scores its index;
    `poc statement`, reading only the vault, gives none). `finalized_split(version)` gives a
    finalized version's {partner: bps}, or None if that version is not finalized.

    Raises NoSplitVersionError when the version asked for is not finalized, or none is and
    there is no current score; NothingToSplitError when the current score counts nothing.
    """
    version = requested if requested is not None else newest_finalized()
    if version or current_score is None:
        shares = finalized_split(version) if version else None
        if shares is None:
            raise NoSplitVersionError(
                f"project {project_id} has no finalized split version {version}"
            )
        return StatementBasis(dict(shares), version)
    result = current_score()
    if not result.split:
        raise NothingToSplitError(
            f"no finalized split and nothing scored yet: {result.empty_reason}"
        )
    return StatementBasis(result.bps(), 0)
