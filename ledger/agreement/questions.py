"""The guided builder's order: one step per concept, each listing the answers it asks for.

Pages show a step's answers with their default (from `AgreementAnswers`) and the one-line
"what this means for you" of each, kept in the one translation table (api/web/i18n.json) under
`agreement.means.<path>` in Dutch and English; tests/ledger/agreement/test_questions.py fails
when a line is missing or a path is not an answer.
"""

from __future__ import annotations

from typing import Final

STEPS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    (
        "project",
        (
            "project.title",
            "project.aim",
            "project.start_date",
            "project.duration_months",
            "prevailing_language",
        ),
    ),
    (
        "partners",
        (
            "partners.name",
            "partners.address",
            "partners.kind",
            "partners.company_number",
            "coordinator",
        ),
    ),
    ("background", ("partners.background", "partners.excluded")),
    ("results", ("results.joint_ownership", "results.joint_owner_may_exploit")),
    (
        "access_rights",
        (
            "access_rights.background_for_project",
            "access_rights.results_for_project",
            "access_rights.background_for_exploitation",
            "access_rights.results_for_exploitation",
            "access_rights.answer_period_days",
            "access_rights.request_period_after_end_days",
        ),
    ),
    ("confidentiality", ("confidentiality.scope", "confidentiality.years_after_end")),
    (
        "royalties",
        (
            "royalties.categories",
            "royalties.background_weight_bps",
            "royalties.result_weight_bps",
            "royalties.endorsement_quorum",
            "royalties.dispute_window_days",
            "royalties.partner_cap_bps",
            "royalties.partner_floor_bps",
            "royalties.parent_share_bps",
            "royalties.split_approvals",
            "decisions.governance_approvals",
        ),
    ),
    (
        "disputes",
        (
            "disputes.negotiation_days",
            "disputes.escalation",
            "disputes.institution",
            "disputes.seat",
            "disputes.governing_law",
        ),
    ),
    ("membership", ("membership.notice_days", "membership.leaver_keeps_access")),
)
"""(step, answer paths); `partners.<field>` stands for that field of every partner."""
