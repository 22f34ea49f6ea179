"""Consortium agreements made with the builder: who may read one, how a version is made from
answers, and how a version relates to what the chain holds.

Who reads an agreement (every agreement route asks `readable_agreement`; nothing else decides):

| key                    | reads an agreement when                                       |
| ---------------------- | ------------------------------------------------------------- |
| partner or coordinator | its partner is named in a version of it, or coordinates it;   |
|                        | or it may read the agreement's project (`api.services.access`) |
| auditor or admin       | the agreement's project exists and the key was granted it     |

Anyone else gets 404 `agreement_not_found`, the same answer as for an id that does not exist.

Linking a project: the coordinator asks for the project to be created with version 1's hash
(`POST /v1/agreements/{id}/project`); the draft is frozen then. Once the index shows a project
whose agreement version 1 has that hash, *and* whose coordinator, partners and first policy are
the document's, the agreement is linked to it. A project someone else created with a copy of
the hash (a partner who read the draft could) does not match and is never linked.

A version's state against the chain (`VersionState`): a draft (version 1, not yet sent), sent
(version 1, project being created), proposed (an amendment whose hash is not on chain yet),
recorded (the chain holds this hash for this version), or diverged (the chain holds another
hash for this version number: the document here is not the one in force, and nobody can accept
it through this service).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum

from api.auth import Principal
from api.deps import LEDGER, Services
from api.errors import ErrorDetail, NotFoundError, UnprocessableError
from api.services.access import can_read
from api.services.splits import index_history
from api.services.writes import SignedAction, Writes, signed_call
from ledger.agreement.answers import AgreementAnswers, parse_answers
from ledger.agreement.document import AgreementDocument, build_document, load_document
from ledger.chain.signing import accept_agreement_data
from ledger.domain.codec import to_hex
from ledger.domain.events import PolicySet
from ledger.domain.exchange import ExchangeSettings
from ledger.domain.hashing import policy_hash
from ledger.domain.values import Policy, checksum
from ledger.errors import ChainError, InvalidAnswersError, ScoringError, UnsupportedTermError
from ledger.evidence.splits import block_time
from ledger.scoring.scheme import score
from ledger.store.agreements import AgreementRecord, AgreementVersionRecord


class VersionState(StrEnum):
    """Where a stored version stands against the chain (the module's docstring)."""

    DRAFT = "draft"
    SENT = "sent"
    PROPOSED = "proposed"
    RECORDED = "recorded"
    DIVERGED = "diverged"


@dataclass(frozen=True)
class StoredVersion:
    """A stored version with its document read back and its state."""

    record: AgreementVersionRecord
    document: AgreementDocument
    state: VersionState
    on_chain_hash: str | None


def new_agreement_id() -> str:
    return secrets.token_hex(16)


def new_salt() -> str:
    return to_hex(secrets.token_bytes(32))


def answers_of(raw: object) -> AgreementAnswers:
    """Parsed answers, or 422 `invalid_answers` with each problem (location, code)."""
    try:
        return parse_answers(raw)
    except InvalidAnswersError as exc:
        details = [
            ErrorDetail(location=f"answers.{p.location}", message=p.message, code=p.code)
            for p in exc.problems
        ]
        raise UnprocessableError(str(exc), code="invalid_answers", details=details) from None


def document_of(
    answers: AgreementAnswers, previous: AgreementDocument | None = None
) -> AgreementDocument:
    """The document the answers give, or 422 with the code of a term the contracts cannot
    enforce (e.g. `parent_share_unsupported`)."""
    try:
        return build_document(answers, previous=previous)
    except UnsupportedTermError as exc:
        details = [ErrorDetail(location=f"answers.{exc.location}", message=str(exc), code=exc.code)]
        raise UnprocessableError(str(exc), code=exc.code, details=details) from None


def version_record(
    agreement_id: str, document: AgreementDocument, salt: str, created_by: str
) -> AgreementVersionRecord:
    return AgreementVersionRecord(
        agreement_id=agreement_id,
        version=document.version,
        document=document.canonical_bytes(),
        content_hash=to_hex(document.content_hash),
        agreement_hash=to_hex(document.agreement_hash(bytes.fromhex(salt[2:]))),
        created_by=created_by,
        created_at=time.time(),
    )


def readers_of(answers: AgreementAnswers) -> frozenset[str]:
    """The addresses a version names: its partners and its coordinator."""
    return frozenset(
        {checksum(p.address) for p in answers.partners} | {checksum(answers.coordinator)}
    )


# ------------------------------------------------------------------------------ reading


def _no_agreement(agreement_id: str) -> NotFoundError:
    return NotFoundError(f"no agreement {agreement_id}", code="agreement_not_found")


def can_read_agreement(services: Services, principal: Principal, record: AgreementRecord) -> bool:
    """Whether `principal` may read the agreement (the module's table)."""
    store = services.store
    if record.project_id is not None and can_read(store, principal, record.project_id):
        return True
    if principal.role.acts_for_partner and principal.partner is not None:
        return store.agreements.is_reader(record.agreement_id, checksum(principal.partner))
    return False


def readable_agreement(
    services: Services, principal: Principal, agreement_id: str
) -> AgreementRecord:
    """The agreement (linked to its project if the index now shows it), or 404
    `agreement_not_found` when it does not exist or the caller may not read it."""
    record = services.store.agreements.agreement(agreement_id)
    if record is None:
        raise _no_agreement(agreement_id)
    record = link_project(services, record)
    if not can_read_agreement(services, principal, record):
        raise _no_agreement(agreement_id)
    return record


def link_project(services: Services, record: AgreementRecord) -> AgreementRecord:
    """`record`, linked to the project created with its first version if the index has it."""
    if record.project_id is not None or not record.frozen:
        return record
    store = services.store
    versions = store.agreements.versions(record.agreement_id)
    if not versions:
        return record
    first = versions[0]
    document = load_document(first.document)
    wanted_partners = {checksum(p.address) for p in document.answers.partners}
    wanted_policy = to_hex(policy_hash(document.policy))
    for project_id in store.index.projects_with_agreement(first.agreement_hash):
        project = store.index.project(project_id)
        policies = store.index.policies(project_id)
        if (
            project is None
            or project.coordinator != checksum(record.coordinator)
            or {p.address for p in project.partners} != wanted_partners
            or not policies
            or policies[0].policy_hash != wanted_policy
        ):
            continue
        store.agreements.link_project(record.agreement_id, project_id)
        return store.agreements.agreement(record.agreement_id) or record
    return record


def stored_versions(services: Services, record: AgreementRecord) -> tuple[StoredVersion, ...]:
    """Every stored version with its state against the chain, oldest first."""
    on_chain = (
        services.store.index.agreement_hashes(record.project_id)
        if record.project_id is not None
        else {}
    )
    result = []
    for version in services.store.agreements.versions(record.agreement_id):
        chain_hash = on_chain.get(version.version)
        if chain_hash is not None:
            state = (
                VersionState.RECORDED
                if chain_hash == version.agreement_hash
                else VersionState.DIVERGED
            )
        elif version.version == 1:
            state = VersionState.SENT if record.frozen else VersionState.DRAFT
        else:
            state = VersionState.PROPOSED
        result.append(StoredVersion(version, load_document(version.document), state, chain_hash))
    return tuple(result)


def stored_version(services: Services, record: AgreementRecord, version: int) -> StoredVersion:
    for item in stored_versions(services, record):
        if item.record.version == version:
            return item
    raise NotFoundError(
        f"agreement {record.agreement_id} has no version {version}",
        code="agreement_version_not_found",
    )


def current_policy(services: Services, project_id: int) -> Policy | None:
    """The project's policy in force, as the index knows it."""
    policies = services.store.index.policies(project_id)
    if not policies:
        return None
    return Policy.from_json(json.loads(policies[-1].policy_json))


def agreement_of_project(services: Services, project_id: int) -> AgreementRecord | None:
    """The builder-made agreement the project was created with, if there is one (linking it
    now if nobody has read it since the project appeared in the index)."""
    store = services.store
    linked = store.agreements.by_project(project_id)
    if linked is not None:
        return linked
    first = store.index.agreement_hashes(project_id).get(1)
    if first is None:
        return None
    for record in store.agreements.with_first_hash(first):
        if link_project(services, record).project_id == project_id:
            return store.agreements.agreement(record.agreement_id)
    return None


@dataclass(frozen=True)
class PolicyExample:
    """What a policy would give on a project's recorded contributions, today."""

    project_id: int
    split: tuple[tuple[str, int], ...]
    counted: int
    contributions: int


def policy_example(
    services: Services, principal: Principal, project_id: int, policy: Policy
) -> PolicyExample | None:
    """Score the project's indexed history as if `policy` had come into force at its newest
    event, at the time every contribution recorded so far is past its dispute window (the
    builder's live example). None when the caller may not read the project, the
    index or chain is not there, or the policy cannot score that history (another list of
    categories, say)."""
    if services.chain is None or not can_read(services.store, principal, project_id):
        return None
    cursor = services.store.index.cursor()
    if cursor is None:
        return None
    history = index_history(services.store, project_id, to_block=cursor.block_number)
    if not history:
        return None
    versions = [e.version for e in history if isinstance(e, PolicySet)]
    last = history[-1]
    trial = PolicySet(
        project_id=project_id,
        version=max(versions, default=0) + 1,
        policy_hash=policy_hash(policy),
        policy=policy,
        block_number=last.block_number,
        log_index=last.log_index + 1,
    )
    try:
        # Once every contribution recorded so far is past this policy's dispute window: what
        # the rules give on them, not that nothing counts yet.
        as_of = block_time(services.chain.chain.w3, cursor.block_number) + policy.dispute_window
        result = score([*history, trial], as_of=as_of, policy_version=trial.version)
    except (ScoringError, ChainError):
        return None
    return PolicyExample(
        project_id=project_id,
        split=tuple((entry.partner, entry.bps) for entry in result.split),
        counted=result.counted_count,
        contributions=result.contribution_count,
    )


def exchange_settings_in_force(services: Services, project_id: int) -> tuple[ExchangeSettings, int]:
    """The project's settings on PocExchange and their version (0: the contract's defaults,
    nobody set any), read from the chain (503 `exchange_unavailable` without PocExchange)."""
    return services.require_chain().require_exchange().exchange_settings(project_id)


# ------------------------------------------------------------------------------ actions


def accept_agreement_action(
    writes: Writes, project_id: int, version: int, agreement_hash: bytes
) -> SignedAction:
    """The key's partner accepts agreement `version`, whose hash is `agreement_hash`
    (`acceptAgreementBySig`); one acceptance per partner and version (its dedupe key)."""
    gas = writes.services.require_chain().ledger.gas_limit("acceptAgreement", by_sig=True)
    return SignedAction(
        kind="accept_agreement",
        contract=LEDGER,
        project_id=project_id,
        typed_data=lambda domain, signer, nonce, deadline: accept_agreement_data(
            domain,
            project_id=project_id,
            version=version,
            agreement_hash=agreement_hash,
            signer=signer,
            nonce=nonce,
            deadline=deadline,
        ),
        call=lambda auth: signed_call(
            LEDGER, "acceptAgreementBySig", (project_id, version, agreement_hash), auth, gas
        ),
        dedupe_key=f"accept:{project_id}:{writes.actor}:{version}",
    )
