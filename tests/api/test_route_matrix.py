"""The per-route test matrix: every /v1 route, its happy path, 401 without or with a bad key,
403 for a role it does not serve, and 403 `wrong_actor` when a request acts for another partner.

`ROUTES` is the matrix. Each row names who may call the route (`access`), how acting for
someone else is refused (`actor`), and where its happy path is tested: "generic" rows are
exercised here against one shared project (reads and `/prepare` twins change nothing), the
others name the test that does it (a write changes the state the other rows rely on). A route
missing from the table fails `test_every_route_is_in_the_matrix`.

Actor column: "signature" rows are checked generically: the key's partner prepares the typed
data, another partner signs it, the submission is refused with `wrong_actor`. "test:" rows name
the test that checks the route's own owner rule; "none:" rows say why nobody else can be acted
for (reads, admin actions, typed data prepared for the key's own partner).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic.alias_generators import to_camel

from api.schemas.exchange import EXAMPLE_WRAPPED
from api.settings import ApiSettings
from ledger.chain.clients import ETH
from ledger.chain.connection import Chain
from ledger.chain.deployment_record import DeploymentRecord
from ledger.chain.signing import sign_typed_data
from ledger.store import Store
from poc.wiring import create_app
from tests.api.flows import (
    api_contribution,
    api_project,
    publish_encryption_key,
    registration,
    share_document,
    upload_document,
    write,
)
from tests.api.support import AGREEMENT, POLICY_JSON, Consortium, Member
from tests.api.test_agreements import answers_for, start, with_project

DAY = 24 * 3600
BAD_KEY = "poc_000000000000_" + "x" * 43


class Access(Enum):
    READ = "any key"
    WRITE = "partner or coordinator key"
    COORDINATOR = "a key of the project's (or agreement's) coordinator, any role"
    ADMIN = "admin key"
    EXPORT = "any key but admin"
    OWN = "any key, for its own partner only"


@dataclass
class World:
    """One project in force with a contribution each of B and C, C's under dispute by the
    coordinator, a governance proposal and a split proposal by B."""

    consortium: Consortium
    project_id: int
    own: str  # B's contribution
    other: str  # C's contribution, disputed (dispute 1)
    proposal_id: int
    split_id: int
    operation_id: str
    key_id: str
    draft_id: str  # an agreement whose version 1 is a draft
    agreement_id: str  # an agreement in force on its own project, amendment 2 proposed
    disclosure_id: str = ""  # the coordinator's disclosure to B
    disclosed_commitment: str = ""
    upload_commitment: str = ""  # a document B uploaded, not disclosed
    request_id: int = 0  # C's request for access rights to B's contribution

    @property
    def client(self) -> TestClient:
        return self.consortium.client


Body = Callable[[World], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    access: Access
    actor: str
    happy: str = "generic"
    body: Body | None = None
    # Who acts in the generic happy and wrong-actor checks: "b", "c" or "coordinator".
    member: str = "b"


def _none(_: World) -> dict[str, Any]:
    return {}


def _project(w: World) -> dict[str, Any]:
    partners = [m.address for m in w.consortium.partners]
    return {"agreementHash": "0x" + AGREEMENT.hex(), "partners": partners, "policy": POLICY_JSON}


def _registration(w: World) -> dict[str, Any]:
    return registration(w.consortium.partner_b, w.project_id, f"matrix-{id(w)}")


def _proposal(_: World) -> dict[str, Any]:
    return {"kind": "amend_agreement", "agreementHash": "0x" + "42" * 32}


def _batch(w: World) -> dict[str, Any]:
    return {"items": [{"commitment": _registration(w)["commitment"]}]}


def _payout(w: World) -> dict[str, Any]:
    return {"token": ETH, "recipient": w.consortium.partner_c.address}


def _answers(w: World) -> dict[str, Any]:
    return {"answers": answers_for(w.consortium)}


def _amendment(w: World) -> dict[str, Any]:
    return {"answers": answers_for(w.consortium, partner_cap_bps=4000)}


def _member(w: World) -> dict[str, Any]:
    return {"partner": w.consortium.outsider.address}


def _disclosure(w: World) -> dict[str, Any]:
    recipient = w.consortium.partner_c.address
    return {
        "contentCommitment": w.upload_commitment,
        "recipients": [recipient],
        "contributionIds": [],
        "wrappedKeys": {recipient: EXAMPLE_WRAPPED},
    }


def _acknowledgement(w: World) -> dict[str, Any]:
    return {"contentCommitment": w.disclosed_commitment}


ACCESS_REQUEST = {"purpose": "carrying_out_project", "terms": "royalty_free"}


def _access_request(_: World) -> dict[str, Any]:
    return dict(ACCESS_REQUEST)


def _grant(_: World) -> dict[str, Any]:
    return {"terms": "royalty_free", "termsHash": "0x" + "7e" * 32}


def _refusal(_: World) -> dict[str, Any]:
    return {"reasonHash": "0x" + "7f" * 32}


LIFE = "test_lifecycle::test_project_lifecycle_from_creation_to_release"
EXCHANGE = "test_exchange"
ACCESS = f"{EXCHANGE}::test_access_rights_requested_granted_refused_and_overdue"
GOV = "test_governance"
GRANTS = "test_confidentiality"
SIG = "signature"
READS = "none: a read acts for nobody"
PREP = "none: typed data is prepared for the key's own partner"
ADMIN = "none: an admin key acts for nobody"
EXPORTS = "none: an export acts for nobody"

AGREEMENTS = "test_agreements"
SETTINGS_SIGNED = f"{AGREEMENTS}::test_set_exchange_settings_signed_by_the_coordinator_itself_lands"
SETTINGS_AMENDED = (
    f"{AGREEMENTS}::test_amend_access_rights_changes_exchange_settings_through_governance"
)
ROUTES: tuple[Route, ...] = (
    Route("GET", "/v1/chain", Access.READ, READS),
    Route("GET", "/v1/agreements", Access.READ, READS),
    Route("POST", "/v1/agreements/preview", Access.READ, READS, body=_answers),
    Route(
        "POST",
        "/v1/agreements",
        Access.COORDINATOR,
        f"test:{AGREEMENTS}::test_create_agreement_refuses_a_key_that_is_not_the_named_coordinator",
        f"{AGREEMENTS}::test_create_agreement_stores_a_draft_its_partners_read",
        _answers,
        "coordinator",
    ),
    Route("GET", "/v1/agreements/{agreement_id}", Access.READ, READS),
    Route(
        "PUT",
        "/v1/agreements/{draft}/draft",
        Access.COORDINATOR,
        f"test:{AGREEMENTS}::test_replace_draft_changes_version_1_until_the_project_is_asked_for",
        f"{AGREEMENTS}::test_replace_draft_changes_version_1_until_the_project_is_asked_for",
        _answers,
        "coordinator",
    ),
    Route("GET", "/v1/agreements/{agreement_id}/versions/{version}", Access.READ, READS),
    Route("GET", "/v1/agreements/{agreement_id}/versions/{version}/document", Access.READ, READS),
    Route(
        "POST",
        "/v1/agreements/{draft}/project",
        Access.COORDINATOR,
        SIG,
        f"{AGREEMENTS}::test_create_project_puts_the_documents_terms_on_chain_field_by_field",
        _none,
        "coordinator",
    ),
    Route(
        "POST",
        "/v1/agreements/{draft}/project/prepare",
        Access.COORDINATOR,
        PREP,
        f"{AGREEMENTS}::test_replace_draft_changes_version_1_until_the_project_is_asked_for",
        body=_none,
        member="coordinator",
    ),
    Route(
        "POST",
        "/v1/agreements/{agreement_id}/exchange-settings",
        Access.COORDINATOR,
        f"test:{SETTINGS_SIGNED}",
        SETTINGS_SIGNED,
        _none,
        "coordinator",
    ),
    Route(
        "POST",
        "/v1/agreements/{agreement_id}/exchange-settings/prepare",
        Access.COORDINATOR,
        PREP,
        SETTINGS_SIGNED,
        member="coordinator",
    ),
    Route(
        "POST",
        "/v1/agreements/{agreement_id}/acceptances",
        Access.WRITE,
        SIG,
        f"{AGREEMENTS}::test_accept_agreement_by_every_partner_puts_it_in_force",
        _none,
    ),
    Route(
        "POST", "/v1/agreements/{agreement_id}/acceptances/prepare", Access.WRITE, PREP, body=_none
    ),
    Route(
        "POST",
        "/v1/agreements/{agreement_id}/amendments",
        Access.WRITE,
        "none: an amendment is written by the key's own partner, never for another",
        f"{AGREEMENTS}::test_amend_agreement_lists_its_changes_and_takes_effect_through_governance",
        _amendment,
    ),
    Route(
        "POST",
        "/v1/agreements/{agreement_id}/versions/2/proposals",
        Access.WRITE,
        SIG,
        f"{AGREEMENTS}::test_amend_agreement_lists_its_changes_and_takes_effect_through_governance",
        lambda _: {"kind": "amend_agreement"},
    ),
    Route(
        "POST",
        "/v1/agreements/{agreement_id}/versions/2/proposals/prepare",
        Access.WRITE,
        PREP,
        body=lambda _: {"kind": "amend_agreement"},
    ),
    Route("GET", "/v1/projects", Access.READ, READS),
    Route("POST", "/v1/projects", Access.WRITE, SIG, LIFE, _project, "coordinator"),
    Route(
        "POST",
        "/v1/projects/prepare",
        Access.WRITE,
        PREP,
        body=_project,
        member="coordinator",
    ),
    Route("GET", "/v1/projects/{project_id}", Access.READ, READS),
    Route("GET", "/v1/projects/{project_id}/policies", Access.READ, READS),
    Route("GET", "/v1/projects/{project_id}/auditors", Access.READ, READS),
    Route(
        "PUT",
        "/v1/projects/{project_id}/auditors/{auditor}",
        Access.COORDINATOR,
        f"test:{GRANTS}::test_grant_by_partner_who_does_not_coordinate_is_403_not_coordinator",
        member="coordinator",
    ),
    Route(
        "DELETE",
        "/v1/projects/{project_id}/auditors/{auditor}",
        Access.COORDINATOR,
        f"test:{GRANTS}::test_grant_by_partner_who_does_not_coordinate_is_403_not_coordinator",
        f"{GRANTS}::test_coordinator_grants_then_revokes_auditor",
        member="coordinator",
    ),
    Route(
        "POST", "/v1/projects/{project_id}/agreement/acceptances", Access.WRITE, SIG, LIFE, _none
    ),
    Route(
        "POST",
        "/v1/projects/{project_id}/agreement/acceptances/prepare",
        Access.WRITE,
        PREP,
        body=_none,
    ),
    Route(
        "POST",
        "/v1/projects/{project_id}/partners",
        Access.COORDINATOR,
        f"test:{GOV}::test_add_partner_by_coordinator_of_other_project_is_403_not_coordinator",
        f"{GOV}::test_coordinator_adds_and_removes_partner_during_set_up",
        _member,
        "coordinator",
    ),
    Route(
        "POST",
        "/v1/projects/{project_id}/partners/prepare",
        Access.COORDINATOR,
        f"test:{GOV}::test_add_partner_by_coordinator_of_other_project_is_403_not_coordinator",
        body=_member,
        member="coordinator",
    ),
    Route(
        "DELETE",
        "/v1/projects/{project_id}/partners/{address}",
        Access.COORDINATOR,
        f"test:{GOV}::test_add_partner_by_coordinator_of_other_project_is_403_not_coordinator",
        f"{GOV}::test_coordinator_adds_and_removes_partner_during_set_up",
        member="coordinator",
    ),
    Route(
        "POST",
        "/v1/projects/{project_id}/partners/{address}/removal/prepare",
        Access.COORDINATOR,
        f"test:{GOV}::test_add_partner_by_coordinator_of_other_project_is_403_not_coordinator",
        body=_none,
        member="coordinator",
    ),
    Route("GET", "/v1/projects/{project_id}/proposals", Access.READ, READS),
    Route(
        "POST",
        "/v1/projects/{project_id}/proposals",
        Access.WRITE,
        SIG,
        f"{GOV}::test_proposal_to_add_partner_executes_at_threshold",
        _proposal,
    ),
    Route("GET", "/v1/projects/{project_id}/proposals/{proposal_id}", Access.READ, READS),
    Route(
        "POST", "/v1/projects/{project_id}/proposals/prepare", Access.WRITE, PREP, body=_proposal
    ),
    Route(
        "POST",
        "/v1/projects/{project_id}/proposals/{proposal_id}/approvals",
        Access.WRITE,
        SIG,
        f"{GOV}::test_proposal_to_add_partner_executes_at_threshold",
        _none,
    ),
    Route(
        "POST",
        "/v1/projects/{project_id}/proposals/{proposal_id}/approvals/prepare",
        Access.WRITE,
        PREP,
        body=_none,
    ),
    Route("GET", "/v1/projects/{project_id}/contributions", Access.READ, READS),
    Route("GET", "/v1/contributions/{contribution_id}", Access.READ, READS),
    Route("GET", "/v1/contributions/{contribution_id}/card", Access.READ, READS),
    Route(
        "POST",
        "/v1/projects/{project_id}/contributions",
        Access.WRITE,
        SIG,
        "test_contributions::test_register_custodial_waits_until_confirmed",
        _registration,
    ),
    Route(
        "POST",
        "/v1/projects/{project_id}/contributions/prepare",
        Access.WRITE,
        PREP,
        body=_registration,
    ),
    Route(
        "POST",
        "/v1/contributions/{own}/supersede",
        Access.WRITE,
        SIG,
        "test_contributions::test_withdraw_and_supersede_own_contribution",
        _registration,
    ),
    Route(
        "POST",
        "/v1/contributions/{own}/supersede/prepare",
        Access.WRITE,
        "test:test_contributions::test_withdraw_other_partners_contribution_is_403_wrong_actor",
        body=_registration,
    ),
    Route(
        "POST",
        "/v1/contributions/{own}/withdraw",
        Access.WRITE,
        SIG,
        "test_contributions::test_withdraw_and_supersede_own_contribution",
        _none,
    ),
    Route(
        "POST",
        "/v1/contributions/{own}/withdraw/prepare",
        Access.WRITE,
        "test:test_contributions::test_withdraw_other_partners_contribution_is_403_wrong_actor",
    ),
    Route("GET", "/v1/contributions/{contribution_id}/endorsements", Access.READ, READS),
    Route(
        "POST",
        "/v1/contributions/{contribution_id}/endorsements",
        Access.WRITE,
        SIG,
        LIFE,
        lambda _: {"rating": 3},
    ),
    Route(
        "POST",
        "/v1/contributions/{contribution_id}/endorsements/prepare",
        Access.WRITE,
        PREP,
        body=lambda _: {"rating": 3},
    ),
    Route("GET", "/v1/contributions/{contribution_id}/disputes", Access.READ, READS),
    Route("GET", "/v1/contributions/{contribution_id}/disputes/1", Access.READ, READS),
    Route(
        "POST",
        "/v1/contributions/{contribution_id}/disputes",
        Access.WRITE,
        SIG,
        LIFE,
        lambda _: {"reasonHash": "0x" + "ee" * 32},
    ),
    Route(
        "POST",
        "/v1/contributions/{contribution_id}/disputes/prepare",
        Access.WRITE,
        PREP,
        body=lambda _: {"reasonHash": "0x" + "ee" * 32},
    ),
    Route(
        "POST",
        "/v1/contributions/{contribution_id}/disputes/1/votes",
        Access.WRITE,
        SIG,
        LIFE,
        lambda _: {"uphold": False},
    ),
    Route(
        "POST",
        "/v1/contributions/{contribution_id}/disputes/1/votes/prepare",
        Access.WRITE,
        PREP,
        body=lambda _: {"uphold": False},
    ),
    Route(
        "POST",
        "/v1/contributions/{contribution_id}/disputes/1/withdraw",
        Access.WRITE,
        SIG,
        f"{GOV}::test_withdraw_dispute_by_disputer_and_refused_to_others",
        _none,
        "coordinator",
    ),
    Route(
        "POST",
        "/v1/contributions/{contribution_id}/disputes/1/withdraw/prepare",
        Access.WRITE,
        f"test:{GOV}::test_withdraw_dispute_by_disputer_and_refused_to_others",
        member="coordinator",
    ),
    Route(
        "POST",
        "/v1/projects/{project_id}/batches",
        Access.WRITE,
        SIG,
        "test_batches::test_anchor_batch_then_reveal_leaves",
        _batch,
    ),
    Route("POST", "/v1/projects/{project_id}/batches/prepare", Access.WRITE, PREP, body=_batch),
    Route(
        "POST",
        "/v1/batches/{batch_id}/reveal",
        Access.WRITE,
        "test:test_batches::test_reveal_other_partners_batch_is_403_wrong_actor",
        "test_batches::test_anchor_batch_then_reveal_leaves",
        _none,
    ),
    Route("GET", "/v1/projects/{project_id}/score", Access.READ, READS),
    Route("GET", "/v1/projects/{project_id}/splits", Access.READ, READS),
    Route("POST", "/v1/projects/{project_id}/splits", Access.WRITE, SIG, LIFE, _none),
    Route("GET", "/v1/projects/{project_id}/splits/{split_id}", Access.READ, READS),
    Route("POST", "/v1/projects/{project_id}/splits/prepare", Access.WRITE, PREP, body=_none),
    Route(
        "POST",
        "/v1/projects/{project_id}/splits/{split_id}/approvals",
        Access.WRITE,
        SIG,
        LIFE,
        _none,
        "c",
    ),
    Route(
        "POST",
        "/v1/projects/{project_id}/splits/{split_id}/approvals/prepare",
        Access.WRITE,
        PREP,
        body=_none,
        member="c",
    ),
    Route("GET", "/v1/projects/{project_id}/statement?amount=1000", Access.READ, READS),
    Route("GET", "/v1/projects/{project_id}/balances", Access.READ, READS),
    Route("POST", "/v1/projects/{project_id}/payouts", Access.WRITE, SIG, LIFE, _payout),
    Route("POST", "/v1/projects/{project_id}/payouts/prepare", Access.WRITE, PREP, body=_payout),
    Route(
        "POST",
        "/v1/projects/{project_id}/revenue",
        Access.WRITE,
        "none: the payer's own custodial account sends it",
        "test_revenue::test_pay_revenue_custodial_eth_lands_in_the_vault",
        lambda _: {"amount": "1000"},
    ),
    Route(
        "POST",
        "/v1/projects/{project_id}/revenue/prepare",
        Access.WRITE,
        "none: unsigned transactions for the key's own partner to send",
        "test_revenue::test_pay_revenue_prepare_eth_is_one_deposit_from_the_own_wallet",
        lambda _: {"amount": "1000"},
    ),
    Route(
        "POST",
        "/v1/partners",
        Access.ADMIN,
        ADMIN,
        "test_partners::test_onboard_custodial_partner_issues_working_key",
        lambda _: {"label": "matrix-auditor", "role": "auditor"},
    ),
    Route("GET", "/v1/me", Access.READ, "none: a key reads its own identity"),
    Route("GET", "/v1/partners/{address}", Access.READ, READS),
    Route(
        "PUT",
        "/v1/partners/{address}/identity",
        Access.WRITE,
        SIG,
        "test_partners::test_set_identity_then_read_partner",
        lambda _: {"name": "B NV", "companyNumber": "BE0"},
    ),
    Route(
        "POST",
        "/v1/partners/{address}/identity/prepare",
        Access.WRITE,
        "test:test_partners::test_set_identity_of_other_partner_is_403_wrong_actor",
        body=lambda _: {"name": "B NV", "companyNumber": "BE0"},
    ),
    Route(
        "GET",
        "/v1/partners/{address}/keys",
        Access.OWN,
        "test:test_partners::test_list_other_partners_keys_is_403_wrong_actor",
    ),
    Route(
        "POST",
        "/v1/partners/{address}/keys",
        Access.OWN,
        "test:test_key_authority::test_key_action_by_role_and_owner_has_exact_status",
        body=lambda _: {"label": "matrix"},
    ),
    Route(
        "GET",
        "/v1/partners/{address}/proof-secret",
        Access.OWN,
        "test:test_proof_secrets::test_other_partners_key_is_403_wrong_actor_whether_or_not_a_secret_is_kept",
        "test_proof_secrets::test_put_then_get_gives_the_secret_back_unstored",
    ),
    Route(
        "PUT",
        "/v1/partners/{address}/proof-secret",
        Access.OWN,
        "test:test_proof_secrets::test_other_partners_key_is_403_wrong_actor_whether_or_not_a_secret_is_kept",
        "test_proof_secrets::test_put_then_get_gives_the_secret_back_unstored",
        lambda _: {"secret": "0x" + "44" * 32},
    ),
    Route(
        "DELETE",
        "/v1/partners/{address}/proof-secret",
        Access.OWN,
        "test:test_proof_secrets::test_other_partners_key_is_403_wrong_actor_whether_or_not_a_secret_is_kept",
        "test_proof_secrets::test_delete_forgets_the_secret_then_get_and_delete_are_404",
    ),
    Route("GET", "/v1/keys", Access.ADMIN, ADMIN),
    Route(
        "POST",
        "/v1/keys",
        Access.ADMIN,
        ADMIN,
        body=lambda _: {"label": "matrix-counsel", "role": "auditor"},
    ),
    Route(
        "POST",
        "/v1/keys/{key_id}/rotate",
        Access.OWN,
        "test:test_partners::test_rotate_other_partners_key_is_404",
        "test_partners::test_rotate_key_revokes_old_and_issues_new",
        _none,
    ),
    Route(
        "DELETE",
        "/v1/keys/{key_id}",
        Access.OWN,
        "test:test_partners::test_rotate_other_partners_key_is_404",
        "test_partners::test_revoke_key_makes_it_401",
    ),
    Route(
        "GET",
        "/v1/operations/{operation_id}",
        Access.READ,
        "none: another partner's operation is 404 (its existence is not disclosed)",
    ),
    Route("GET", "/v1/operations", Access.READ, "none: lists the key's own operations"),
    Route(
        "POST",
        "/v1/exports/contributions/{contribution_id}/bundle",
        Access.EXPORT,
        EXPORTS,
        "test_exports::test_auditor_downloads_a_bundle_that_verifies",
        _none,
    ),
    Route(
        "POST",
        "/v1/exports/contributions/{contribution_id}/certificate",
        Access.EXPORT,
        EXPORTS,
        "test_exports::test_auditor_downloads_a_certificate",
        _none,
    ),
    Route(
        "POST",
        "/v1/exports/projects/{project_id}/partners/{partner}",
        Access.EXPORT,
        EXPORTS,
        "test_exports::test_auditor_downloads_the_evidence_pack_and_rol",
        _none,
    ),
    Route(
        "POST",
        "/v1/exports/projects/{project_id}/evidence-pack",
        Access.EXPORT,
        EXPORTS,
        "test_exports::test_auditor_downloads_the_evidence_pack_and_rol",
        _none,
    ),
    Route(
        "GET", "/v1/exports/projects/{project_id}/results-ownership-list", Access.EXPORT, EXPORTS
    ),
    Route("POST", "/v1/proofs/verify", Access.READ, READS, body=lambda _: {"bundle": {}}),
    # -- knowledge exchange (World: B and C published keys, the coordinator disclosed a
    # document to B, C asked B for access rights to B's contribution, B uploaded a document)
    Route("GET", "/v1/partners/{address}/encryption-keys", Access.READ, READS),
    Route(
        "POST",
        "/v1/partners/{address}/encryption-keys",
        Access.WRITE,
        SIG,
        f"{EXCHANGE}::test_share_open_and_acknowledge_through_the_api",
        lambda _: {"publicKey": "0x" + "5a" * 32},
    ),
    Route(
        "POST",
        "/v1/partners/{address}/encryption-keys/prepare",
        Access.WRITE,
        PREP,
        body=lambda _: {"publicKey": "0x" + "5a" * 32},
    ),
    Route(
        "PUT",
        "/v1/projects/{project_id}/documents/{content_commitment}",
        Access.WRITE,
        "none: a document is stored under the key's own partner (the disclosure id names it)",
        f"{EXCHANGE}::test_disclose_refuses_bad_uploads_recipients_and_keys",
    ),
    Route(
        "POST",
        "/v1/projects/{project_id}/disclosures",
        Access.WRITE,
        SIG,
        f"{EXCHANGE}::test_share_open_and_acknowledge_through_the_api",
        _disclosure,
    ),
    Route(
        "POST",
        "/v1/projects/{project_id}/disclosures/prepare",
        Access.WRITE,
        PREP,
        body=_disclosure,
    ),
    Route("GET", "/v1/projects/{project_id}/disclosures", Access.READ, READS),
    Route("GET", "/v1/disclosures/{disclosure_id}", Access.READ, READS),
    Route("GET", "/v1/disclosures/{disclosure_id}/document", Access.READ, READS),
    Route(
        "GET",
        "/v1/disclosures/{disclosure_id}/key",
        Access.WRITE,
        "none: a recipient reads only its own wrapped key",
    ),
    Route(
        "POST",
        "/v1/disclosures/{disclosure_id}/acknowledge",
        Access.WRITE,
        SIG,
        f"{EXCHANGE}::test_share_open_and_acknowledge_through_the_api",
        _acknowledgement,
    ),
    Route(
        "POST",
        "/v1/disclosures/{disclosure_id}/acknowledge/prepare",
        Access.WRITE,
        PREP,
        body=_acknowledgement,
    ),
    Route(
        "POST",
        "/v1/disclosures/{disclosure_id}/decline",
        Access.WRITE,
        SIG,
        f"{EXCHANGE}::test_service_stores_no_plaintext_and_no_file_key",
        _none,
    ),
    Route(
        "POST", "/v1/disclosures/{disclosure_id}/decline/prepare", Access.WRITE, PREP, body=_none
    ),
    Route("GET", "/v1/inbox", Access.WRITE, "none: the inbox is the key's own partner's"),
    Route("GET", "/v1/projects/{project_id}/access-requests", Access.READ, READS),
    Route("GET", "/v1/contributions/{own}/access-requests", Access.READ, READS),
    Route("GET", "/v1/access-requests/{request_id}", Access.READ, READS),
    Route(
        "POST",
        "/v1/contributions/{own}/access-requests",
        Access.WRITE,
        SIG,
        ACCESS,
        _access_request,
        "c",
    ),
    Route(
        "POST",
        "/v1/contributions/{own}/access-requests/prepare",
        Access.WRITE,
        PREP,
        body=_access_request,
        member="c",
    ),
    Route("POST", "/v1/access-requests/{request_id}/grant", Access.WRITE, SIG, ACCESS, _grant),
    Route(
        "POST", "/v1/access-requests/{request_id}/grant/prepare", Access.WRITE, PREP, body=_grant
    ),
    Route("POST", "/v1/access-requests/{request_id}/refuse", Access.WRITE, SIG, ACCESS, _refusal),
    Route(
        "POST",
        "/v1/access-requests/{request_id}/refuse/prepare",
        Access.WRITE,
        PREP,
        body=_refusal,
    ),
    Route(
        "POST",
        "/v1/access-requests/{request_id}/withdraw",
        Access.WRITE,
        SIG,
        f"{EXCHANGE}::test_access_request_withdrawn_by_its_requester_only",
        _none,
        "c",
    ),
    Route(
        "POST",
        "/v1/access-requests/{request_id}/withdraw/prepare",
        Access.WRITE,
        PREP,
        member="c",
    ),
    Route("GET", "/v1/projects/{project_id}/exchange-settings", Access.READ, READS),
    Route("GET", "/v1/projects/{project_id}/exchange-settings/proposals", Access.READ, READS),
    Route(
        "POST",
        "/v1/projects/{project_id}/exchange-settings/proposals/{settings_proposal}/approvals",
        Access.WRITE,
        f"test:{SETTINGS_AMENDED}",
        SETTINGS_AMENDED,
        _none,
    ),
    Route(
        "POST",
        "/v1/projects/{project_id}/exchange-settings/proposals/{settings_proposal}/approvals/prepare",
        Access.WRITE,
        PREP,
        SETTINGS_AMENDED,
    ),
)


def _template(route: Route) -> str:
    """The route's OpenAPI path (the table fills some parameters in)."""
    template = (
        route.path.split("?")[0]
        .replace("{own}", "{contribution_id}")
        .replace("{split_id}", "{proposal_id}")
        .replace("{auditor}", "{key_id}")
        .replace("{settings_proposal}", "{proposal_id}")
        .replace("/disputes/1/", "/disputes/{number}/")
        .replace("{draft}", "{agreement_id}")
        .replace("/versions/2/", "/versions/{version}/")
    )
    # A dispute read by its number (the table names dispute 1).
    template = template.removesuffix("/disputes/1") + (
        "/disputes/{number}" if template.endswith("/disputes/1") else ""
    )
    # The table names path parameters in snake_case; the API in camelCase.
    return re.sub(r"\{(\w+)\}", lambda m: "{" + to_camel(m.group(1)) + "}", template)


def _url(route: Route, w: World) -> str:
    c = w.consortium
    return (
        route.path.replace("{project_id}", str(w.project_id))
        .replace("{own}", w.own)
        .replace("{contribution_id}", w.other)
        .replace("{proposal_id}", str(w.proposal_id))
        .replace("{settings_proposal}", "1")
        .replace("{split_id}", str(w.split_id))
        .replace("{address}", c.partner_b.address)
        .replace("{partner}", c.partner_b.address)
        .replace("{key_id}", w.key_id)
        .replace("{auditor}", c.auditor_key_id)
        .replace("{operation_id}", w.operation_id)
        .replace("{batch_id}", "0x" + "ba" * 32)
        .replace("{draft}", w.draft_id)
        .replace("{agreement_id}", w.agreement_id)
        .replace("{version}", "1")
        .replace("{disclosure_id}", w.disclosure_id)
        .replace("{request_id}", str(w.request_id))
        .replace("{content_commitment}", w.upload_commitment)
    )


def _member_of(route: Route, w: World) -> Member | None:
    c = w.consortium
    return {"b": c.partner_b, "c": c.partner_c, "coordinator": c.coordinator}.get(route.member)


def _headers(route: Route, w: World) -> dict[str, str]:
    if route.member == "admin" or route.access is Access.ADMIN:
        return w.consortium.admin_headers
    member = _member_of(route, w)
    assert member is not None
    return member.headers


def _send(
    w: World, route: Route, headers: dict[str, str], body: dict[str, Any] | None = None
) -> httpx.Response:
    payload = body if body is not None else (route.body(w) if route.body else None)
    response: httpx.Response = w.client.request(
        route.method, _url(route, w), json=payload, headers=headers
    )
    return response


def _id(route: Route) -> str:
    return f"{route.method} {route.path}"


@pytest.fixture(scope="module")
def world(
    _deployed: tuple[Chain, DeploymentRecord], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    chain, record = _deployed
    snapshot = chain.snapshot()
    settings = ApiSettings(
        data_dir=tmp_path_factory.mktemp("matrix"),
        index_poll_interval=0.02,
        outbox_poll_interval=0.01,
        rate_limit_per_second=10_000,
        rate_limit_burst=10_000,
        max_in_flight_per_key=10_000,
        failed_auth_burst=10_000,
        keystore_scrypt_n=1 << 4,
        wait_timeout=20,
    )
    store = Store.open(settings.resolved_database_url)
    try:
        with TestClient(create_app(settings, store=store, chain=chain, deployment=record)) as tc:
            c = Consortium.create(chain, record, store, tc)
            project_id = api_project(c)
            own = api_contribution(c, c.partner_b, project_id, "matrix-b")
            other = api_contribution(
                c, c.partner_c, project_id, "matrix-c", card={"title": "Matrix card"}
            )
            write(c, c.coordinator, f"/v1/contributions/{own}/endorsements", {"rating": 4})
            write(
                c,
                c.coordinator,
                f"/v1/contributions/{other}/disputes",
                {"reasonHash": "0x" + "dd" * 32},
            )
            amend = {"kind": "amend_agreement", "agreementHash": "0x" + "42" * 32}
            proposal = write(c, c.coordinator, f"/v1/projects/{project_id}/proposals", amend)
            chain.increase_time(8 * DAY)
            c.sync()
            split = write(c, c.partner_b, f"/v1/projects/{project_id}/splits")
            key_id = store.keys.api_keys(c.partner_b.address)[0].key_id
            draft_id = start(c)["agreementId"]
            agreement_id, _ = with_project(c)
            for member in c.partners:
                write(c, member, f"/v1/agreements/{agreement_id}/acceptances")
            amended = c.client.post(
                f"/v1/agreements/{agreement_id}/amendments",
                json={"answers": answers_for(c, partner_cap_bps=5000)},
                headers=c.partner_b.headers,
            )
            assert amended.status_code == 201, amended.text
            publish_encryption_key(c, c.partner_b)
            publish_encryption_key(c, c.partner_c)
            shared = share_document(c, c.coordinator, project_id, [c.partner_b])
            upload = upload_document(c, c.partner_b, project_id)
            request = write(
                c, c.partner_c, f"/v1/contributions/{own}/access-requests", ACCESS_REQUEST
            )
            yield World(
                c,
                project_id,
                own,
                other,
                int(proposal["resourceId"]),
                int(split["resourceId"]),
                split["id"],
                key_id,
                draft_id,
                agreement_id,
                shared.disclosure_id,
                shared.commitment,
                upload,
                int(request["resourceId"]),
            )
    finally:
        store.close()
        chain.revert(snapshot)


# ------------------------------------------------------------------------------ the table


def test_every_route_is_in_the_matrix(client: TestClient) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in client.app.openapi()["paths"].items()  # type: ignore[attr-defined]
        for method in operations
        if path.startswith("/v1/")
    }
    listed = {(r.method, _template(r)) for r in ROUTES}
    assert documented - listed == set(), "routes without a row in ROUTES"
    assert listed - documented == set(), "rows in ROUTES for routes that do not exist"


def test_every_named_test_exists() -> None:
    for route in ROUTES:
        for name in (route.happy, route.actor.removeprefix("test:")):
            if "::" not in name and not name.startswith(GOV):
                continue
            module, _, function = name.partition("::")
            loaded = importlib.import_module(f"tests.api.{module}")
            assert not function or hasattr(loaded, function), f"{_id(route)}: no test {name}"


# ------------------------------------------------------------------------------ the checks


@pytest.mark.parametrize("route", [r for r in ROUTES if r.happy == "generic"], ids=_id)
def test_route_happy_path(world: World, route: Route) -> None:
    response = _send(world, route, _headers(route, world))
    assert 200 <= response.status_code < 300, response.text


@pytest.mark.parametrize("route", ROUTES, ids=_id)
def test_route_without_key_is_401(world: World, route: Route) -> None:
    missing = _send(world, route, {})
    assert missing.status_code == 401 and missing.json()["code"] == "missing_api_key"
    invalid = _send(world, route, {"X-API-Key": BAD_KEY})
    assert invalid.status_code == 401 and invalid.json()["code"] == "invalid_api_key"


@pytest.mark.parametrize("route", ROUTES, ids=_id)
def test_route_refuses_wrong_role(world: World, route: Route) -> None:
    c = world.consortium
    auditor = {"X-API-Key": c.auditor_key}
    match route.access:
        case Access.READ:
            # Every role reads: the auditor (read-only) is served.
            assert _send(world, route, auditor).status_code not in (401, 403)
        case Access.WRITE | Access.OWN:
            response = _send(world, route, auditor)
            expected = (
                {"forbidden_role"}
                if route.access is Access.WRITE
                else {"wrong_actor", "key_not_found", "forbidden_role"}
            )
            assert response.status_code in (403, 404) and response.json()["code"] in expected
        case Access.COORDINATOR:
            # B coordinates neither the project nor the agreements of the table.
            response = _send(world, route, c.partner_b.headers)
            assert response.status_code == 403
            assert response.json()["code"] in {"not_coordinator", "wrong_actor"}
        case Access.ADMIN:
            response = _send(world, route, c.partner_b.headers)
            assert response.status_code == 403 and response.json()["code"] == "forbidden_role"
        case Access.EXPORT:
            response = _send(world, route, c.admin_headers)
            assert response.status_code == 403 and response.json()["code"] == "forbidden_role"


@pytest.mark.parametrize("route", [r for r in ROUTES if r.actor == SIG], ids=_id)
def test_route_signed_by_another_partner_is_422_signature_mismatch(
    world: World, route: Route
) -> None:
    member = _member_of(route, world)
    assert member is not None
    c = world.consortium
    impostor = c.partner_c if member is not c.partner_c else c.partner_b
    body = route.body(world) if route.body else {}
    prepare_url = _url(route, world).split("?")[0] + "/prepare"
    prepared = world.client.post(prepare_url, json=body, headers=member.headers)
    assert prepared.status_code == 200, prepared.text
    data = prepared.json()
    signature = sign_typed_data(impostor.account.key, data["typedData"])
    message = data["typedData"]["message"]
    extra = (
        {
            "computedAtBlock": message["computedAtBlock"],
            "policyVersion": message["policyVersion"],
        }
        if "computedAtBlock" in message
        else {}
    )
    signed = {
        **body,
        **extra,
        "signature": "0x" + signature.hex(),
        "nonce": data["nonce"],
        "deadline": data["deadline"],
    }
    response = _send(world, route, member.headers, signed)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "signature_mismatch"


def test_rate_limit_per_key_is_429(
    settings: ApiSettings, store: Store, deployed: tuple[Chain, DeploymentRecord]
) -> None:
    from api.auth import Role, issue_api_key

    chain, record = deployed
    limited = settings.model_copy(update={"rate_limit_per_second": 0.001, "rate_limit_burst": 2})
    key = {"X-API-Key": issue_api_key(store, None, Role.AUDITOR, "hasty")}
    with TestClient(create_app(limited, store=store, chain=chain, deployment=record)) as tc:
        statuses = [tc.get("/v1/projects", headers=key).status_code for _ in range(3)]
        refused = tc.get("/v1/projects", headers=key)
    assert statuses[:2] == [200, 200]
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    # One token at 0.001/s: the next one is 1,000 s away (less the time the test took).
    assert 990 <= int(refused.headers["Retry-After"]) <= 1000


def test_rate_limit_of_one_key_leaves_other_keys_served(
    settings: ApiSettings, store: Store, deployed: tuple[Chain, DeploymentRecord]
) -> None:
    from api.auth import Role, issue_api_key

    chain, record = deployed
    limited = settings.model_copy(update={"rate_limit_per_second": 0.001, "rate_limit_burst": 2})
    hasty = {"X-API-Key": issue_api_key(store, None, Role.AUDITOR, "hasty")}
    calm = {"X-API-Key": issue_api_key(store, None, Role.AUDITOR, "calm")}
    with TestClient(create_app(limited, store=store, chain=chain, deployment=record)) as tc:
        for _ in range(3):
            tc.get("/v1/projects", headers=hasty)
        flooded = tc.get("/v1/projects", headers=hasty)
        other = tc.get("/v1/projects", headers=calm)
    assert flooded.status_code == 429 and flooded.json()["code"] == "rate_limited"
    assert other.status_code == 200
