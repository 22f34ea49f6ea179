"""The agreement builder's API: drafts, the project created from version 1, acceptances,
amendments proposed to governance, the texts in every format, and who may read what."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import zipfile
from typing import Any

import pytest
from pydantic.alias_generators import to_snake
from pypdf import PdfReader

from ledger.agreement.answers import SECONDS_PER_DAY, Language
from ledger.agreement.document import AgreementDocument, load_document, verify_agreement_hash
from ledger.chain.signing import sign_typed_data
from ledger.domain.exchange import ExchangeSettings
from ledger.domain.hashing import policy_hash
from ledger.domain.values import Policy
from ledger.evidence.packs import check_manifest
from tests.api.flows import api_contribution, write
from tests.api.support import AGREEMENT, Consortium, call, contract
from tests.ledger.agreement.readback import read_terms


def _policy_json(view: dict[str, Any]) -> dict[str, Any]:
    """The policy as the chain's `PolicySet` JSON has it, from the API's camelCase view."""
    policy = {to_snake(name): value for name, value in view.items()}
    policy["categories"] = [
        {to_snake(name): int(v) if name == "unitScale" else v for name, v in category.items()}
        for category in view["categories"]
    ]
    return policy


def answers_for(consortium: Consortium, **royalties: Any) -> dict[str, Any]:
    coordinator, b, c = consortium.partners
    return {
        "prevailing_language": "nl",
        "project": {
            "title": "Vlasvezel voor e-bikeframes",
            "aim": "Een biogebaseerde framebuis uit Vlaams vlas.",
            "start_date": "2026-03-01",
            "duration_months": 24,
        },
        "partners": [
            {"name": "Leievlas BV", "address": coordinator.address, "kind": "sme"},
            {"name": "Universiteit Kortrijk", "address": b.address, "kind": "university"},
            {"name": "Vezelinstituut vzw", "address": c.address, "kind": "research_centre"},
        ],
        "coordinator": coordinator.address,
        "royalties": {"partner_cap_bps": 6000, "partner_floor_bps": 500, **royalties},
        "access_rights": {"answer_period_days": 21},
    }


def start(consortium: Consortium, answers: dict[str, Any] | None = None) -> dict[str, Any]:
    response = consortium.client.post(
        "/v1/agreements",
        json={"answers": answers or answers_for(consortium)},
        headers=consortium.coordinator.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def with_project(consortium: Consortium, *, settings: bool = True) -> tuple[str, int]:
    """An agreement's project on chain, with (as the builder does) version 1's exchange
    settings set on PocExchange unless `settings` is false."""
    agreement = start(consortium)
    agreement_id = agreement["agreementId"]
    op = write(consortium, consortium.coordinator, f"/v1/agreements/{agreement_id}/project")
    if settings:
        write(
            consortium, consortium.coordinator, f"/v1/agreements/{agreement_id}/exchange-settings"
        )
    return agreement_id, int(op["resourceId"])


def chain_settings(consortium: Consortium, project_id: int) -> tuple[ExchangeSettings, int]:
    """PocExchange's settings of the project, read with plain web3 (not our client)."""
    exchange = contract(consortium.chain, consortium.record, "PocExchange")
    raw, version = exchange.functions.exchangeSettings(project_id).call()
    return ExchangeSettings(int(raw[0]), int(raw[1]), int(raw[2])), int(version)


def assert_settings_on_chain_equal_text(
    consortium: Consortium, agreement_id: str, version: int, project_id: int
) -> AgreementDocument:
    """PocExchange's settings against the version's document, field by field, and against
    the numbers its text states in both languages (read back from the plain text)."""
    headers = consortium.partner_c.headers
    url = f"/v1/agreements/{agreement_id}/versions/{version}/document"
    document = load_document(consortium.client.get(f"{url}?format=json", headers=headers).content)
    on_chain, settings_version = chain_settings(consortium, project_id)
    assert settings_version >= 1
    for field in dataclasses.fields(ExchangeSettings):
        assert getattr(on_chain, field.name) == getattr(document.exchange_settings, field.name), (
            field.name
        )
    access = document.answers.access_rights
    assert on_chain.answer_period == access.answer_period_days * SECONDS_PER_DAY
    assert on_chain.request_period_after_end == (
        access.request_period_after_end_days * SECONDS_PER_DAY
    )
    last_day = dt.datetime.fromtimestamp(on_chain.project_end, dt.UTC).date() - dt.timedelta(1)
    for language in Language:
        text = consortium.client.get(
            f"{url}?format=txt&language={language.value}", headers=headers
        ).text
        stated = read_terms(text, language, document.answers)
        assert stated["answer_period_days"] * SECONDS_PER_DAY == on_chain.answer_period, language
        assert stated["request_period"] == (
            on_chain.request_period_after_end // SECONDS_PER_DAY,
            last_day + dt.timedelta(seconds=on_chain.request_period_after_end),
        ), language
        assert stated["project"][2] == last_day, language
    served = consortium.client.get(f"/v1/projects/{project_id}/exchange-settings", headers=headers)
    assert served.status_code == 200, served.text
    assert served.json() == {
        "projectId": project_id,
        "version": settings_version,
        "answerPeriod": on_chain.answer_period,
        "requestPeriodAfterEnd": on_chain.request_period_after_end,
        "projectEnd": on_chain.project_end,
        "requestsCloseAt": str(on_chain.project_end + on_chain.request_period_after_end),
    }
    return document


def get(consortium: Consortium, agreement_id: str, headers: dict[str, str]) -> Any:
    return consortium.client.get(f"/v1/agreements/{agreement_id}", headers=headers)


def test_create_agreement_stores_a_draft_its_partners_read(consortium: Consortium) -> None:
    agreement = start(consortium)
    assert agreement["projectId"] is None and not agreement["frozen"]
    (version,) = agreement["versions"]
    assert version["state"] == "draft" and version["version"] == 1
    assert version["policy"]["partnerCapBps"] == 6000
    assert version["exchangeSettings"]["answerPeriod"] == 21 * SECONDS_PER_DAY
    for member in consortium.partners:
        seen = get(consortium, agreement["agreementId"], member.headers)
        assert seen.status_code == 200
        assert seen.json()["versions"][0]["contentHash"] == version["contentHash"]
    listed = consortium.client.get("/v1/agreements", headers=consortium.partner_c.headers)
    assert [a["agreementId"] for a in listed.json()] == [agreement["agreementId"]]


@pytest.mark.parametrize("who", ["outsider", "auditor", "admin", "unknown_id"])
def test_read_agreement_answers_404_to_whoever_it_does_not_name(
    consortium: Consortium, who: str
) -> None:
    agreement_id = start(consortium)["agreementId"]
    headers = {
        "outsider": consortium.outsider.headers,
        "auditor": consortium.auditor_headers,
        "admin": consortium.admin_headers,
        "unknown_id": consortium.partner_b.headers,
    }[who]
    wanted = "0" * 32 if who == "unknown_id" else agreement_id
    response = get(consortium, wanted, headers)
    assert response.status_code == 404
    assert response.json() == {"code": "agreement_not_found", "message": f"no agreement {wanted}"}
    document = consortium.client.get(
        f"/v1/agreements/{wanted}/versions/1/document?format=json", headers=headers
    )
    assert document.status_code == 404
    assert consortium.client.get("/v1/agreements", headers=consortium.outsider.headers).json() == []


def test_create_agreement_refuses_a_key_that_is_not_the_named_coordinator(
    consortium: Consortium,
) -> None:
    answers = answers_for(consortium)
    by_partner = consortium.client.post(
        "/v1/agreements", json={"answers": answers}, headers=consortium.partner_b.headers
    )
    # Any key of the partner the answers name may start it; B is not that partner.
    assert by_partner.status_code == 403 and by_partner.json()["code"] == "wrong_actor"
    answers["coordinator"] = consortium.partner_b.address
    other = consortium.client.post(
        "/v1/agreements", json={"answers": answers}, headers=consortium.coordinator.headers
    )
    assert other.status_code == 403 and other.json()["code"] == "wrong_actor"


@pytest.mark.parametrize(
    ("royalties", "location", "code"),
    [
        ({"partner_floor_bps": 7000}, "answers.royalties.partner_floor_bps", "floor_above_cap"),
        ({"split_approvals": 4}, "answers.royalties.split_approvals", "approvals_out_of_range"),
        ({"endorsement_quorum": "many"}, "answers.royalties.endorsement_quorum", "int_type"),
    ],
)
def test_create_agreement_with_bad_answers_names_each_problem(
    consortium: Consortium, royalties: dict[str, Any], location: str, code: str
) -> None:
    response = consortium.client.post(
        "/v1/agreements",
        json={"answers": answers_for(consortium, **royalties)},
        headers=consortium.coordinator.headers,
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] in ("invalid_answers", code)
    assert {"location": location, "code": code} in [
        {"location": d["location"], "code": d["code"]} for d in body["details"]
    ]
    assert (
        consortium.client.get("/v1/agreements", headers=consortium.coordinator.headers).json() == []
    )


def test_preview_agreement_gives_policy_and_both_texts_without_storing(
    consortium: Consortium,
) -> None:
    response = consortium.client.post(
        "/v1/agreements/preview",
        json={"answers": answers_for(consortium, dispute_window_days=14)},
        headers=consortium.partner_b.headers,
    )
    assert response.status_code == 200, response.text
    preview = response.json()
    assert preview["policy"]["disputeWindow"] == 14 * SECONDS_PER_DAY
    assert "14 dagen" in preview["texts"]["nl"] and "14 days" in preview["texts"]["en"]
    assert (
        consortium.client.get("/v1/agreements", headers=consortium.partner_b.headers).json() == []
    )


def test_replace_draft_changes_version_1_until_the_project_is_asked_for(
    consortium: Consortium,
) -> None:
    agreement = start(consortium)
    agreement_id = agreement["agreementId"]
    url = f"/v1/agreements/{agreement_id}/draft"
    changed = answers_for(consortium, partner_cap_bps=5000)
    by_partner = consortium.client.put(
        url, json={"answers": changed}, headers=consortium.partner_b.headers
    )
    assert by_partner.status_code == 403
    replaced = consortium.client.put(
        url, json={"answers": changed}, headers=consortium.coordinator.headers
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["versions"][0]["policy"]["partnerCapBps"] == 5000
    assert replaced.json()["versions"][0]["contentHash"] != agreement["versions"][0]["contentHash"]
    write(consortium, consortium.coordinator, f"/v1/agreements/{agreement_id}/project")
    frozen = consortium.client.put(
        url, json={"answers": answers_for(consortium)}, headers=consortium.coordinator.headers
    )
    assert frozen.status_code == 409 and frozen.json()["code"] == "agreement_frozen"


def test_create_project_puts_the_documents_terms_on_chain_field_by_field(
    consortium: Consortium,
) -> None:
    agreement_id, project_id = with_project(consortium)
    agreement = get(consortium, agreement_id, consortium.partner_b.headers).json()
    assert agreement["projectId"] == project_id and agreement["frozen"]
    (version,) = agreement["versions"]
    assert version["state"] == "recorded"
    assert version["onChainHash"] == version["agreementHash"]

    canonical = consortium.client.get(
        f"/v1/agreements/{agreement_id}/versions/1/document?format=json",
        headers=consortium.partner_c.headers,
    ).content
    ledger = contract(consortium.chain, consortium.record, "PocLedger")
    on_chain_hash = ledger.functions.agreementHashAt(project_id, 1).call()
    document = verify_agreement_hash(
        canonical, bytes.fromhex(agreement["salt"][2:]), bytes(on_chain_hash)
    )
    # The policy the chain emitted (PolicySet, decoded from the chain's log) against the
    # document's terms, field by field, and against the answers' own numbers.
    (emitted,) = consortium.store.index.policies(project_id)
    chain_policy = Policy.from_json(json.loads(emitted.policy_json))
    for field in dataclasses.fields(Policy):
        assert getattr(chain_policy, field.name) == getattr(document.policy, field.name), field
    royalties = document.answers.royalties
    assert chain_policy.partner_cap_bps == royalties.partner_cap_bps == 6000
    assert chain_policy.partner_floor_bps == royalties.partner_floor_bps == 500
    assert chain_policy.dispute_window == royalties.dispute_window_days * SECONDS_PER_DAY
    assert [c.name_text for c in chain_policy.categories] == [c.name for c in royalties.categories]
    assert bytes(ledger.functions.policyHashAt(project_id, 1).call()) == policy_hash(
        document.policy
    )
    services = consortium.client.app.state.services  # type: ignore[attr-defined]
    info = services.require_chain().ledger.project(project_id)
    assert info.coordinator == consortium.coordinator.address
    assert (info.dispute_window, info.split_approval_bps, info.governance_bps) == (
        document.policy.dispute_window,
        document.policy.split_approval_bps,
        document.policy.governance_bps,
    )
    assert set(ledger.functions.partners(project_id).call()) == {
        m.address for m in consortium.partners
    }
    # The access-rights terms: PocExchange's settings are the text's numbers.
    assert_settings_on_chain_equal_text(consortium, agreement_id, 1, project_id)
    assert chain_settings(consortium, project_id)[0].answer_period == 21 * SECONDS_PER_DAY


def test_accept_agreement_by_every_partner_puts_it_in_force(consortium: Consortium) -> None:
    agreement_id, project_id = with_project(consortium)
    before = get(consortium, agreement_id, consortium.coordinator.headers).json()
    assert not before["inForce"]
    assert len(before["versions"][0]["awaiting"]) == 3
    for member in consortium.partners:
        write(consortium, member, f"/v1/agreements/{agreement_id}/acceptances", {"version": 1})
    after = get(consortium, agreement_id, consortium.coordinator.headers).json()
    assert after["inForce"] and after["currentVersion"] == 1
    accepted = {a["partner"] for a in after["versions"][0]["acceptances"]}
    assert accepted == {m.address for m in consortium.partners}
    assert after["versions"][0]["awaiting"] == []
    assert consortium.store.index.project(project_id).in_force  # type: ignore[union-attr]


def test_accept_agreement_refuses_a_version_the_chain_does_not_record(
    consortium: Consortium,
) -> None:
    draft = start(consortium)["agreementId"]
    early = consortium.client.post(
        f"/v1/agreements/{draft}/acceptances", json={}, headers=consortium.partner_b.headers
    )
    assert early.status_code == 409 and early.json()["code"] == "agreement_not_on_chain"
    agreement_id, _ = with_project(consortium)
    missing = consortium.client.post(
        f"/v1/agreements/{agreement_id}/acceptances",
        json={"version": 2},
        headers=consortium.partner_b.headers,
    )
    assert missing.status_code == 404
    assert missing.json()["code"] == "agreement_version_not_found"
    outsider = consortium.client.post(
        f"/v1/agreements/{agreement_id}/acceptances", json={}, headers=consortium.outsider.headers
    )
    assert outsider.status_code == 404


def test_amend_agreement_lists_its_changes_and_takes_effect_through_governance(
    consortium: Consortium,
) -> None:
    agreement_id, project_id = with_project(consortium)
    for member in consortium.partners:
        write(consortium, member, f"/v1/agreements/{agreement_id}/acceptances")
    first_try = consortium.client.post(
        f"/v1/agreements/{agreement_id}/amendments",
        json={"answers": answers_for(consortium, partner_cap_bps=4000)},
        headers=consortium.partner_b.headers,
    )
    assert first_try.status_code == 201, first_try.text
    # Not proposed yet: a new amendment replaces it, still as version 2, changes against 1.
    amended = answers_for(consortium, partner_cap_bps=5000, dispute_window_days=14)
    response = consortium.client.post(
        f"/v1/agreements/{agreement_id}/amendments",
        json={"answers": amended},
        headers=consortium.partner_b.headers,
    )
    assert response.status_code == 201, response.text
    version = response.json()
    assert version["agreementHash"] != first_try.json()["agreementHash"]
    assert version["version"] == 2 and version["state"] == "proposed"
    fields = {c["change"].get("field"): c for c in version["changes"]}
    assert set(fields) == {"royalties.partner_cap_bps", "royalties.dispute_window_days"}
    cap = fields["royalties.partner_cap_bps"]
    assert (cap["change"]["before"], cap["change"]["after"]) == (6000, 5000)
    assert "60%" in cap["text"]["nl"] and "50%" in cap["text"]["nl"]
    assert "60%" in cap["text"]["en"] and "50%" in cap["text"]["en"]

    url = f"/v1/agreements/{agreement_id}/versions/2/proposals"
    proposals = [
        int(write(consortium, consortium.partner_b, url, {"kind": kind})["resourceId"])
        for kind in ("amend_agreement", "change_policy")
    ]
    # Once its hash is before the partners, it stays until they decide.
    again = consortium.client.post(
        f"/v1/agreements/{agreement_id}/amendments",
        json={"answers": answers_for(consortium, partner_cap_bps=4000)},
        headers=consortium.partner_c.headers,
    )
    assert again.status_code == 409 and again.json()["code"] == "amendment_pending"
    assert len(get(consortium, agreement_id, consortium.partner_c.headers).json()["versions"]) == 2
    unchanged = get(consortium, agreement_id, consortium.coordinator.headers).json()
    assert unchanged["currentVersion"] == 1
    # The policy first: once the amended text is in force, every partner must accept it
    # before it acts again (the contract's rule), approvals included.
    for proposal_id in reversed(proposals):
        write(
            consortium,
            consortium.partner_c,
            f"/v1/projects/{project_id}/proposals/{proposal_id}/approvals",
        )
    after = get(consortium, agreement_id, consortium.coordinator.headers).json()
    assert [v["state"] for v in after["versions"]] == ["recorded", "recorded"]
    assert after["currentVersion"] == 2
    policies = consortium.store.index.policies(project_id)
    newest = Policy.from_json(json.loads(policies[-1].policy_json))
    assert (newest.partner_cap_bps, newest.dispute_window) == (5000, 14 * SECONDS_PER_DAY)
    write(consortium, consortium.coordinator, f"/v1/agreements/{agreement_id}/acceptances")
    accepted = get(consortium, agreement_id, consortium.coordinator.headers).json()
    assert [a["partner"] for a in accepted["versions"][1]["acceptances"]] == [
        consortium.coordinator.address
    ]


def amend_through_governance(consortium: Consortium, agreement_id: str, project_id: int) -> None:
    """Version 2 (cap 50 %, 14 days to dispute) written by B, proposed, approved by C."""
    amended = answers_for(consortium, partner_cap_bps=5000, dispute_window_days=14)
    response = consortium.client.post(
        f"/v1/agreements/{agreement_id}/amendments",
        json={"answers": amended},
        headers=consortium.partner_b.headers,
    )
    assert response.status_code == 201, response.text
    url = f"/v1/agreements/{agreement_id}/versions/2/proposals"
    for kind in ("change_policy", "amend_agreement"):
        proposal_id = write(consortium, consortium.partner_b, url, {"kind": kind})["resourceId"]
        write(
            consortium,
            consortium.partner_c,
            f"/v1/projects/{project_id}/proposals/{proposal_id}/approvals",
        )


def test_evidence_pack_holds_the_agreement_versions_and_acceptances(
    consortium: Consortium,
) -> None:
    agreement_id, project_id = with_project(consortium)
    for member in consortium.partners:
        write(consortium, member, f"/v1/agreements/{agreement_id}/acceptances")
    amend_through_governance(consortium, agreement_id, project_id)
    write(consortium, consortium.partner_c, f"/v1/agreements/{agreement_id}/acceptances")
    consortium.grant_auditor(project_id)
    response = consortium.client.post(
        f"/v1/exports/projects/{project_id}/evidence-pack",
        json={"openings": {}},
        headers=consortium.auditor_headers,
    )
    assert response.status_code == 200, response.text
    assert check_manifest(response.content) == []
    pack = zipfile.ZipFile(io.BytesIO(response.content))
    summary = json.loads(pack.read("agreement/agreement.json"))
    assert [r["version"] for r in summary["recorded"]] == [1, 2]
    assert [(v["version"], v["matchesLedger"]) for v in summary["versions"]] == [
        (1, True),
        (2, True),
    ]
    assert sorted((a["version"], a["partner"]) for a in summary["acceptances"]) == sorted(
        [(1, m.address) for m in consortium.partners] + [(2, consortium.partner_c.address)]
    )
    agreement = get(consortium, agreement_id, consortium.auditor_headers).json()
    assert summary["salt"] == agreement["salt"]
    for version in (1, 2):
        canonical = consortium.client.get(
            f"/v1/agreements/{agreement_id}/versions/{version}/document?format=json",
            headers=consortium.auditor_headers,
        ).content
        assert pack.read(f"agreement/v{version}.json") == canonical
    for language, notice in (("nl", "geen juridisch advies"), ("en", "not legal advice")):
        text = PdfReader(io.BytesIO(pack.read(f"agreement/v2.{language}.pdf"))).pages
        flat = " ".join(" ".join(p.extract_text() for p in text).split())
        assert "50%" in flat and "14" in flat and notice in flat.lower(), language
    csv_rows = pack.read("agreement/acceptances.csv").decode().splitlines()
    assert len(csv_rows) == 1 + 4


def test_amend_agreement_refuses_no_change_and_readers_who_are_not_partners(
    consortium: Consortium,
) -> None:
    agreement_id, project_id = with_project(consortium)
    for member in consortium.partners:
        write(consortium, member, f"/v1/agreements/{agreement_id}/acceptances")
    url = f"/v1/agreements/{agreement_id}/amendments"
    same = consortium.client.post(
        url, json={"answers": answers_for(consortium)}, headers=consortium.partner_b.headers
    )
    assert same.status_code == 422 and same.json()["code"] == "amendment_changes_nothing"
    other_coordinator = answers_for(consortium, partner_cap_bps=5000)
    other_coordinator["coordinator"] = consortium.partner_b.address
    moved = consortium.client.post(
        url, json={"answers": other_coordinator}, headers=consortium.partner_b.headers
    )
    assert moved.status_code == 422 and moved.json()["code"] == "coordinator_changed"
    consortium.grant_auditor(project_id)
    assert get(consortium, agreement_id, consortium.auditor_headers).status_code == 200
    by_auditor = consortium.client.post(
        url,
        json={"answers": answers_for(consortium, partner_cap_bps=5000)},
        headers=consortium.auditor_headers,
    )
    assert by_auditor.status_code == 403
    proposal = consortium.client.post(
        f"/v1/agreements/{agreement_id}/versions/1/proposals",
        json={"kind": "amend_agreement"},
        headers=consortium.partner_b.headers,
    )
    assert proposal.status_code == 409 and proposal.json()["code"] == "amendment_not_pending"


def test_project_made_with_a_copied_hash_is_not_linked(consortium: Consortium) -> None:
    agreement = start(consortium)
    agreement_id = agreement["agreementId"]
    copied = bytes.fromhex(agreement["versions"][0]["agreementHash"][2:])
    # Partner B read the draft and creates a project of its own first, with the same hash,
    # partners and policy: only its coordinator differs.
    call(
        consortium.chain,
        consortium.record,
        consortium.partner_b.account,
        "PocLedger",
        "createProject",
        copied,
        [m.address for m in consortium.partners],
        Policy.from_json(_policy_json(agreement["versions"][0]["policy"])).as_abi(),
    )
    consortium.sync()
    op = write(consortium, consortium.coordinator, f"/v1/agreements/{agreement_id}/project")
    linked = get(consortium, agreement_id, consortium.coordinator.headers).json()
    assert linked["projectId"] == int(op["resourceId"])
    assert consortium.store.index.projects_with_agreement("0x" + copied.hex()) == (
        linked["projectId"] - 1,
        linked["projectId"],
    )
    assert copied != AGREEMENT


@pytest.mark.parametrize("language", ["nl", "en"])
def test_document_of_a_version_reads_the_same_numbers_in_every_format(
    consortium: Consortium, language: str
) -> None:
    agreement = start(consortium, answers_for(consortium, dispute_window_days=45))
    base = f"/v1/agreements/{agreement['agreementId']}/versions/1/document"
    headers = consortium.partner_b.headers
    texts = {}
    for fmt in ("md", "txt", "html", "pdf"):
        response = consortium.client.get(
            f"{base}?format={fmt}&language={language}", headers=headers
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-language"] == language
        if fmt == "pdf":
            assert response.headers["content-type"] == "application/pdf"
            reader = PdfReader(io.BytesIO(response.content))
            texts[fmt] = "\n".join(page.extract_text() for page in reader.pages)
        else:
            texts[fmt] = response.text
    days = "45 dagen" if language == "nl" else "45 days"
    notice = "geen juridisch advies" if language == "nl" else "not legal advice"
    for fmt, text in texts.items():
        flat = " ".join(text.split())
        assert days in flat, fmt
        assert "60%" in flat and "5%" in flat, fmt
        assert notice in flat.lower(), fmt
    canonical = consortium.client.get(f"{base}?format=json", headers=headers)
    document = load_document(canonical.content)
    assert document.text(language) == texts["md"]


def test_preview_agreement_shows_what_its_policy_gives_on_a_readable_project(
    consortium: Consortium,
) -> None:
    # A one-day dispute window: the clock moves less than a custodial signature's lifetime.
    agreement_id = start(consortium, answers_for(consortium, dispute_window_days=1))["agreementId"]
    op = write(consortium, consortium.coordinator, f"/v1/agreements/{agreement_id}/project")
    project_id = int(op["resourceId"])
    for member in consortium.partners:
        write(consortium, member, f"/v1/agreements/{agreement_id}/acceptances")
    for member, label in ((consortium.coordinator, "a"), (consortium.partner_b, "b")):
        contribution = api_contribution(consortium, member, project_id, label)
        other = consortium.partner_c
        write(consortium, other, f"/v1/contributions/{contribution}/endorsements", {"rating": 3})
    consortium.chain.increase_time(2 * SECONDS_PER_DAY)
    consortium.chain.mine()
    consortium.sync()

    def example(headers: dict[str, str], **royalties: Any) -> Any:
        response = consortium.client.post(
            "/v1/agreements/preview",
            json={
                "answers": answers_for(consortium, dispute_window_days=1, **royalties),
                "exampleProjectId": project_id,
            },
            headers=headers,
        )
        assert response.status_code == 200, response.text
        return response.json()["example"]

    same = example(consortium.partner_b.headers)
    score = consortium.client.get(
        f"/v1/projects/{project_id}/score", headers=consortium.partner_b.headers
    ).json()
    assert same["split"] == score["split"] != []
    assert (same["counted"], same["contributions"]) == (2, 2)
    # Contributions still inside their window count in the example as they will once past
    # it (the project's own score counts nothing yet).
    fresh = api_contribution(consortium, consortium.partner_c, project_id, "fresh")
    write(
        consortium, consortium.partner_b, f"/v1/contributions/{fresh}/endorsements", {"rating": 3}
    )
    assert example(consortium.partner_b.headers)["counted"] == 3
    # A cap of 40% moves shares from the largest contributor to the others.
    capped = example(consortium.partner_b.headers, partner_cap_bps=4000)
    shares = {entry["partner"]: entry["bps"] for entry in capped["split"]}
    assert max(shares.values()) <= 4000 and sum(shares.values()) == 10_000
    # A project the key may not read gives no example (and says nothing about it).
    assert example(consortium.outsider.headers) is None


def test_accept_agreement_signed_by_the_partner_itself_lands(consortium: Consortium) -> None:
    agreement_id, _ = with_project(consortium)
    member = consortium.partner_c
    url = f"/v1/agreements/{agreement_id}/acceptances"
    prepared = consortium.client.post(f"{url}/prepare", json={}, headers=member.headers)
    assert prepared.status_code == 200, prepared.text
    data = prepared.json()
    version = get(consortium, agreement_id, member.headers).json()["versions"][0]
    assert data["typedData"]["message"]["agreementHash"] == version["agreementHash"]
    signature = sign_typed_data(member.account.key, data["typedData"])
    body = {
        "signature": "0x" + signature.hex(),
        "nonce": data["nonce"],
        "deadline": data["deadline"],
    }
    write(consortium, member, url, body)
    after = get(consortium, agreement_id, member.headers).json()
    assert [a["partner"] for a in after["versions"][0]["acceptances"]] == [member.address]


def test_set_exchange_settings_signed_by_the_coordinator_itself_lands(
    consortium: Consortium,
) -> None:
    agreement_id, project_id = with_project(consortium, settings=False)
    assert chain_settings(consortium, project_id)[1] == 0  # the contract's defaults
    url = f"/v1/agreements/{agreement_id}/exchange-settings"
    coordinator = consortium.coordinator
    prepared = consortium.client.post(f"{url}/prepare", json={}, headers=coordinator.headers)
    assert prepared.status_code == 200, prepared.text
    data = prepared.json()
    assert data["typedData"]["primaryType"] == "SetExchangeSettings"
    assert data["typedData"]["message"]["answerPeriod"] == 21 * SECONDS_PER_DAY
    signed = {"nonce": data["nonce"], "deadline": data["deadline"]}
    # Signed by another partner: refused before anything is sent.
    impostor = sign_typed_data(consortium.partner_b.account.key, data["typedData"])
    refused = consortium.client.post(
        url, json={**signed, "signature": "0x" + impostor.hex()}, headers=coordinator.headers
    )
    assert refused.status_code == 422 and refused.json()["code"] == "signature_mismatch"
    signature = sign_typed_data(coordinator.account.key, data["typedData"])
    write(consortium, coordinator, url, {**signed, "signature": "0x" + signature.hex()})
    assert_settings_on_chain_equal_text(consortium, agreement_id, 1, project_id)


def test_set_exchange_settings_refuses_others_early_repeated_and_in_force(
    consortium: Consortium,
) -> None:
    draft = start(consortium)["agreementId"]
    early = consortium.client.post(
        f"/v1/agreements/{draft}/exchange-settings", json={}, headers=consortium.coordinator.headers
    )
    assert early.status_code == 409 and early.json()["code"] == "agreement_not_on_chain"
    agreement_id, project_id = with_project(consortium, settings=False)
    url = f"/v1/agreements/{agreement_id}/exchange-settings"
    by_partner = consortium.client.post(url, json={}, headers=consortium.partner_b.headers)
    # The agreement's coordinator decides, not the key's role: B is not it.
    assert by_partner.status_code == 403 and by_partner.json()["code"] == "wrong_actor"
    outsider = consortium.client.post(url, json={}, headers=consortium.outsider.headers)
    assert outsider.status_code in (403, 404)
    assert chain_settings(consortium, project_id)[1] == 0
    write(consortium, consortium.coordinator, url)
    again = consortium.client.post(url, json={}, headers=consortium.coordinator.headers)
    assert again.status_code == 422 and again.json()["code"] == "exchange_settings_unchanged"
    assert chain_settings(consortium, project_id)[1] == 1
    # Never set, and now every partner accepted: only the partners together may set them.
    unset_id, unset_project = with_project(consortium, settings=False)
    for member in consortium.partners:
        write(consortium, member, f"/v1/agreements/{unset_id}/acceptances")
    for suffix in ("/prepare", ""):
        late = consortium.client.post(
            f"/v1/agreements/{unset_id}/exchange-settings{suffix}",
            json={},
            headers=consortium.coordinator.headers,
        )
        assert late.status_code == 409 and late.json()["code"] == "exchange_agreement_in_force"
    assert chain_settings(consortium, unset_project)[1] == 0


def test_amend_access_rights_changes_exchange_settings_through_governance(
    consortium: Consortium,
) -> None:
    agreement_id, project_id = with_project(consortium)
    b, c = consortium.partner_b, consortium.partner_c
    for member in consortium.partners:
        write(consortium, member, f"/v1/agreements/{agreement_id}/acceptances")
    amended = answers_for(consortium)
    amended["access_rights"] = {"answer_period_days": 45, "request_period_after_end_days": 730}
    response = consortium.client.post(
        f"/v1/agreements/{agreement_id}/amendments",
        json={"answers": amended},
        headers=consortium.partner_b.headers,
    )
    assert response.status_code == 201, response.text
    version = response.json()
    assert version["exchangeSettings"]["answerPeriod"] == 45 * SECONDS_PER_DAY
    url = f"/v1/agreements/{agreement_id}/versions/2/proposals"
    unchanged_policy = consortium.client.post(
        url, json={"kind": "change_policy"}, headers=consortium.partner_b.headers
    )
    assert unchanged_policy.status_code == 422
    assert unchanged_policy.json()["code"] == "policy_unchanged"
    prepared = consortium.client.post(
        f"{url}/prepare",
        json={"kind": "change_exchange_settings"},
        headers=consortium.partner_b.headers,
    )
    assert prepared.status_code == 200, prepared.text
    assert prepared.json()["typedData"]["primaryType"] == "ProposeExchangeSettings"
    proposal = write(consortium, consortium.partner_b, url, {"kind": "change_exchange_settings"})
    proposal_id = int(proposal["resourceId"])
    # Proposed, not yet applied: version 1's settings hold until the partners approve.
    assert chain_settings(consortium, project_id)[0].answer_period == 21 * SECONDS_PER_DAY
    proposals = f"/v1/projects/{project_id}/exchange-settings/proposals"
    approvals = f"{proposals}/{proposal_id}/approvals"
    missing = consortium.client.post(
        f"{proposals}/{proposal_id + 99}/approvals",
        json={},
        headers=consortium.partner_c.headers,
    )
    assert missing.status_code == 404
    assert missing.json()["code"] == "settings_proposal_not_found"
    # C's approval signed by B is refused before anything is sent.
    prepared = consortium.client.post(
        f"{approvals}/prepare", json={}, headers=consortium.partner_c.headers
    )
    assert prepared.status_code == 200, prepared.text
    data = prepared.json()
    assert data["typedData"]["primaryType"] == "ApproveExchangeSettings"
    impostor = sign_typed_data(consortium.partner_b.account.key, data["typedData"])
    refused = consortium.client.post(
        approvals,
        json={
            "signature": "0x" + impostor.hex(),
            "nonce": data["nonce"],
            "deadline": data["deadline"],
        },
        headers=consortium.partner_c.headers,
    )
    assert refused.status_code == 422 and refused.json()["code"] == "signature_mismatch"
    # The text's "2 of 3" (6,667 bps) is PocExchange's count too: B proposed (its approval
    # counts at once), C's approval applies the settings without the coordinator.
    assert chain_settings(consortium, project_id)[1] == 1
    write(consortium, consortium.partner_c, approvals)
    applied, settings_version = chain_settings(consortium, project_id)
    assert settings_version == 2
    (listed,) = consortium.client.get(proposals, headers=c.headers).json()
    assert (listed["proposalId"], listed["executed"], listed["required"]) == (proposal_id, True, 2)
    assert listed["approvals"] == [m.address for m in (b, c)]
    assert (listed["answerPeriod"], listed["projectEnd"]) == (
        45 * SECONDS_PER_DAY,
        applied.project_end,
    )
    assert (applied.answer_period, applied.request_period_after_end) == (
        45 * SECONDS_PER_DAY,
        730 * SECONDS_PER_DAY,
    )
    # The amended text goes on chain too; its numbers are the chain's settings.
    amend = write(consortium, consortium.partner_b, url, {"kind": "amend_agreement"})
    write(
        consortium,
        consortium.partner_c,
        f"/v1/projects/{project_id}/proposals/{amend['resourceId']}/approvals",
    )
    after = get(consortium, agreement_id, consortium.coordinator.headers).json()
    assert [v["state"] for v in after["versions"]] == ["recorded", "recorded"]
    document = assert_settings_on_chain_equal_text(consortium, agreement_id, 2, project_id)
    assert document.answers.access_rights.answer_period_days == 45
    again = consortium.client.post(
        f"{url}/prepare",
        json={"kind": "change_exchange_settings"},
        headers=consortium.partner_b.headers,
    )
    assert again.status_code == 422 and again.json()["code"] == "exchange_settings_unchanged"
