"""Royalty statements: the vault's allocation rule off chain, and the CSV/JSON exports."""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest
from eth_utils.address import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import InvalidSplitError
from ledger.scoring.statements import RULE, allocate, build_statement
from tests.ledger.scoring.histories import A, B, C
from tests.ledger.scoring.test_scoring import WORKED_AS_OF, worked_example

LOW = to_checksum_address("0x" + "00" * 19 + "0a")
MID = to_checksum_address("0x" + "7f" * 20)
HIGH = to_checksum_address("0x" + "fe" * 20)
DATE = datetime.date(2026, 3, 31)


def vault_allocate(amount: int, split: dict[str, int]) -> dict[str, int]:
    """RoyaltyVault._allocate transcribed loop for loop, as the reference."""
    recipients = sorted(split, key=lambda a: int(a, 16))  # stored strictly ascending
    balances = dict.fromkeys(recipients, 0)
    remainders = []
    allocated = 0
    for partner in recipients:
        share = amount * split[partner] // 10_000
        remainders.append(amount * split[partner] % 10_000)
        balances[partner] += share
        allocated += share
    for _ in range(amount - allocated):
        best = 0
        for i in range(1, len(recipients)):
            if remainders[i] > remainders[best]:
                best = i
        balances[recipients[best]] += 1
        remainders[best] = 0
    return balances


@st.composite
def splits(draw: st.DrawFn) -> dict[str, int]:
    partners = draw(
        st.lists(
            st.binary(min_size=20, max_size=20).map(to_checksum_address),
            min_size=1,
            max_size=12,
            unique_by=str.lower,
        )
    )
    cuts = sorted(
        draw(
            st.lists(st.integers(0, 10_000), min_size=len(partners) - 1, max_size=len(partners) - 1)
        )
    )
    bounds = [0, *cuts, 10_000]
    return {p: bounds[i + 1] - bounds[i] for i, p in enumerate(partners)}


amounts = st.integers(0, 10**30) | st.integers(0, 100)


@settings(max_examples=300, deadline=None)
@given(amounts, splits())
def test_statement_amounts_sum_exactly_to_total(amount: int, split: dict[str, int]) -> None:
    statement = build_statement(
        total=amount, split=split, project_id=1, split_version=1, currency="EUR", date=DATE
    )
    assert sum(line.amount for line in statement.lines) == amount


@settings(max_examples=300, deadline=None)
@given(amounts, splits())
def test_allocate_matches_vault_rule(amount: int, split: dict[str, int]) -> None:
    assert allocate(amount, split) == vault_allocate(amount, split)


def test_allocate_gives_leftover_to_largest_remainder_then_lower_address() -> None:
    # 100 x 3333 / 10000 = 33.33 each for LOW and HIGH, 33.34 for MID: MID takes the unit.
    assert allocate(100, {HIGH: 3_333, LOW: 3_333, MID: 3_334}) == {LOW: 33, MID: 34, HIGH: 33}
    # Equal remainders: the lower address first.
    assert allocate(1, {HIGH: 5_000, LOW: 5_000}) == {LOW: 1, HIGH: 0}


def test_allocate_never_pays_a_zero_share() -> None:
    assert allocate(7, {LOW: 0, HIGH: 10_000}) == {LOW: 0, HIGH: 7}


@pytest.mark.parametrize(
    ("amount", "split", "message"),
    [
        (-1, {LOW: 10_000}, "non-negative integer"),
        (10, {}, "names no partner"),
        (10, {LOW: 6_000, HIGH: 3_999}, "sums to 9999 bps"),
        (10, {LOW: 10_001, HIGH: -1}, "non-negative integers"),
        (10, {LOW: 5_000, LOW.lower(): 5_000}, "partner twice"),
    ],
)
def test_allocate_refuses_malformed_input(amount: int, split: dict[str, int], message: str) -> None:
    with pytest.raises(InvalidSplitError, match=message):
        allocate(amount, split)


def test_statement_csv_has_header_partner_rows_and_total_row() -> None:
    statement = build_statement(
        total=100_001,
        split={HIGH: 2_500, LOW: 7_500},
        project_id=3,
        split_version=2,
        currency="EUR",
        decimals=2,
        date=DATE,
    )
    rows = list(csv.reader(io.StringIO(statement.to_csv())))
    assert rows == [
        [
            "project_id",
            "split_version",
            "date",
            "currency",
            "partner",
            "bps",
            "amount",
            "amount_decimal",
        ],
        ["3", "2", "2026-03-31", "EUR", LOW, "7500", "75001", "750.01"],
        ["3", "2", "2026-03-31", "EUR", HIGH, "2500", "25000", "250.00"],
        ["3", "2", "2026-03-31", "EUR", "TOTAL", "10000", "100001", "1000.01"],
    ]


def test_statement_json_keeps_wei_amounts_exact() -> None:
    total = 10**24 + 7
    statement = build_statement(
        total=total,
        split={LOW: 3_333, MID: 3_333, HIGH: 3_334},
        project_id=1,
        split_version=1,
        currency="ETH",
        decimals=18,
        token="0x" + "00" * 20,
        date=DATE,
    )
    data = json.loads(statement.to_json())
    assert data["total"] == str(total)
    assert data["total_decimal"] == "1000000.000000000000000007"
    assert data["rule"] == RULE
    assert [line["partner"] for line in data["lines"]] == [LOW, MID, HIGH]
    assert sum(int(line["amount"]) for line in data["lines"]) == total
    assert data["token"] == "0x" + "00" * 20


def test_statement_refuses_missing_currency() -> None:
    with pytest.raises(InvalidSplitError, match="currency"):
        build_statement(
            total=1, split={LOW: 10_000}, project_id=1, split_version=1, currency="", date=DATE
        )


def test_statement_of_worked_example_split_pays_every_cent() -> None:
    split = worked_example().score(as_of=WORKED_AS_OF).bps()
    statement = build_statement(
        total=12_345,
        split=split,
        project_id=1,
        split_version=1,
        currency="EUR",
        decimals=2,
        date=DATE,
    )
    # 12345 x (3929, 5000, 1071) / 10000 = 4850.35, 6172.50, 1322.15: the cent left goes to B.
    assert {line.partner: line.amount for line in statement.lines} == {A: 4_850, B: 6_173, C: 1_322}
