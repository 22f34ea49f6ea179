"""What the contracts enforce, derived from the agreement's answers: the scoring policy
(`PocLedger`'s `Policy`) and the knowledge-exchange settings (`PocExchange`'s settings).

These are computed from the same `AgreementAnswers` the text is written from, so the numbers a
partner reads and the numbers the contracts apply cannot drift apart. `policy_of` is the only
place answers become a `Policy`, and `exchange_settings_of` the only place they become
PocExchange's settings.

The policy's share passed along "builds on" (`parentShareBps`, docs/scoring.md) is one of the
policy's fields like the others. The exchange settings go on chain beside the policy: the
coordinator sets version 1's on PocExchange right after the project is created (before the
agreement is in force), and an amendment that changes them proposes them to PocExchange's
governance (docs/agreements.md, "What goes on chain").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

from ledger.agreement.answers import SECONDS_PER_DAY, AgreementAnswers, threshold_bps
from ledger.agreement.thresholds import ThresholdKind
from ledger.domain import exchange
from ledger.domain.values import Category, Policy

PARENT_SHARE_FIELD: Final = "parent_share_bps"
# SEAM (issue 18): true once the on-chain Policy carries the parent share.


@dataclass(frozen=True)
class ExchangeSettings:
    """The access-rights settings of a project in PocExchange's units (seconds, a timestamp):
    `answer_period` (1 to 365 days), `request_period_after_end` (up to 3650 days),
    `project_end` (the first second after the project's last day, UTC)."""

    answer_period: int
    request_period_after_end: int
    project_end: int

    def as_abi(self) -> tuple[int, int, int]:
        return (self.answer_period, self.request_period_after_end, self.project_end)

    def for_chain(self) -> exchange.ExchangeSettings:
        """The same numbers as the chain clients take them (checked against the contract's
        bounds: `ValueError` outside them, which valid answers never are)."""
        return exchange.ExchangeSettings(
            answer_period=self.answer_period,
            request_period_after_end=self.request_period_after_end,
            project_end=self.project_end,
        )


def policy_of(answers: AgreementAnswers) -> Policy:
    """The scoring and governance policy the agreement's royalty and decision terms give."""
    royalties = answers.royalties
    fields: dict[str, Any] = {
        "background_weight_bps": royalties.background_weight_bps,
        "result_weight_bps": royalties.result_weight_bps,
        "endorsement_quorum": royalties.endorsement_quorum,
        "dispute_window": royalties.dispute_window_days * SECONDS_PER_DAY,
        "split_approval_bps": threshold_bps(answers, ThresholdKind.SPLIT),
        "governance_bps": threshold_bps(answers, ThresholdKind.GOVERNANCE),
        "partner_cap_bps": royalties.partner_cap_bps,
        "partner_floor_bps": royalties.partner_floor_bps,
        "categories": tuple(
            Category.of(c.name, c.unit, c.unit_scale, c.weight_bps) for c in royalties.categories
        ),
    }
    fields[PARENT_SHARE_FIELD] = royalties.parent_share_bps
    return Policy(**fields)


def parent_share_of(policy: Policy) -> int:
    """The policy's parent share in basis points (0 for a policy made before it existed)."""
    return policy.parent_share_bps or 0  # None: a policy of a release before the share


def project_end(answers: AgreementAnswers) -> int:
    """The project's end as a Unix timestamp: midnight UTC after its last day."""
    after = answers.end_date + dt.timedelta(days=1)
    return int(dt.datetime(after.year, after.month, after.day, tzinfo=dt.UTC).timestamp())


def exchange_settings_of(answers: AgreementAnswers) -> ExchangeSettings:
    """The access-rights request settings the agreement gives, in PocExchange's units."""
    access = answers.access_rights
    return ExchangeSettings(
        answer_period=access.answer_period_days * SECONDS_PER_DAY,
        request_period_after_end=access.request_period_after_end_days * SECONDS_PER_DAY,
        project_end=project_end(answers),
    )
