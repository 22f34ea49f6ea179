"""Exports for lawyers: per contribution, per partner, per project (the evidence pack).

- `export_contribution`: a contribution's proof bundle (JSON) and its PDF certificate.
- `export_partner`: a zip of the bundles and certificates of one partner's contributions in a
  project, with a manifest and the verification README.
- `export_project`: the project's **evidence pack**, a zip holding
  - `manifest.json`: the SHA-256 and size of every other file in the pack;
  - `bundles/<id>.json` and `certificates/<id>.pdf` for every contribution that could be
    opened (its content hash and salt were supplied);
  - `split-history.json` / `.csv`: every split proposed, approved and finalized in the
    RoyaltyVault, with its input-set hash, policy version, block and transaction;
  - `disclosure-register.json` / `.csv` and `access-rights-register.json` / `.csv` (when the
    deployment has a PocExchange): who received what from whom and when, with each answer;
    every access-rights request and its answer (`ledger.evidence.exchange_registers`);
  - `results-ownership-list.csv` / `.md`: the Results Ownership List in the DESCA style:
    each Result, its owner, its date, and the Background (and earlier Results) it builds on
    through its parent links;
  - `agreement/`: the consortium agreement: `agreement.json` (every version the ledger
    recorded, with block and transaction, every acceptance by a partner, and, for an agreement
    made with the builder, its salt and each stored version's hashes and whether they match
    the ledger), `acceptances.csv`, and per stored version its canonical document
    (`v<n>.json`, the bytes the content hash is taken of) and its text in Dutch and English
    (`v<n>.nl.md`, `v<n>.en.md`, `v<n>.nl.pdf`, `v<n>.en.pdf`);
  - `README.md`: how to verify the pack, a bundle, and a certificate, without us;
  - `verifier.html`: the single-file verifier (`ledger/evidence/verifier.html`): opened in any
    browser, it checks a bundle and the original file offline, in Dutch or English.

The content hash and salt of a contribution are held by its partner (or, in custodial mode, by
the service): callers pass them as `openings`. A contribution without an opening still appears
in the Results Ownership List (that needs only chain data) and is listed in the manifest under
`unopened`; it gets no bundle. Everything else is read from the chain through one
`ProofBuilder` whose project logs are preloaded, so a pack of thousands of contributions costs a
handful of `eth_getLogs` plus one fetch per block. PDFs are rendered in worker processes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Final

from web3 import Web3

from ledger.agreement.answers import Language
from ledger.agreement.document import LANGUAGES, load_document
from ledger.agreement.render import markdown_to_pdf
from ledger.chain.events import get_events
from ledger.chain.translate import translating
from ledger.domain import hashing
from ledger.domain.cards import ContributionCard
from ledger.domain.codec import to_hex
from ledger.domain.events import (
    AgreementAccepted,
    AgreementSet,
    ContributionRegistered,
    ContributionSuperseded,
    ContributionWithdrawn,
    DisputeResolved,
    PolicySet,
    SplitApproved,
    SplitFinalized,
    SplitProposed,
)
from ledger.domain.values import ContributionStatus, DisputeOutcome, Origin, checksum
from ledger.errors import ProofError
from ledger.evidence.builder import FoundLog, ProjectLogs, ProofBuilder
from ledger.evidence.bundle import ProofBundle, bundle_bytes, iso_utc
from ledger.evidence.certificate import (
    CertificateDetails,
    CertificateText,
    certificate_file_name,
    chain_name,
    render_certificate,
)
from ledger.evidence.exchange_registers import access_csv, disclosure_csv, exchange_registers
from ledger.evidence.sources import Completer, EvidenceSources

PACK_VERSION: Final = 1
# Below this many certificates a process pool costs more than it saves.
_PARALLEL_MIN: Final = 64


@dataclass(frozen=True)
class Opening:
    """What opens a commitment: the file's SHA-256 and the salt (held by the partner), and
    the contribution card when the exporter holds it (it goes into the bundle)."""

    content_hash: bytes
    salt: bytes
    card: ContributionCard | None = None


@dataclass(frozen=True)
class AgreementEvidence:
    """A builder-made agreement as the service keeps it: the salt of its on-chain hashes and
    the canonical document of every stored version, oldest first."""

    salt: bytes
    documents: Sequence[bytes]


@dataclass(frozen=True)
class ExportFile:
    """One file of an export: its name inside the archive and its bytes."""

    name: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Archive:
    """A finished zip export and what is in it."""

    data: bytes
    files: tuple[ExportFile, ...]
    unopened: tuple[str, ...] = ()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


# ------------------------------------------------------------------------------ one contribution


def bundle_file(bundle: ProofBundle) -> ExportFile:
    return ExportFile(
        f"bundles/{to_hex(bundle.contribution.contribution_id)}.json", bundle.to_bytes()
    )


def export_contribution(
    builder: ProofBuilder,
    contribution_id: bytes,
    opening: Opening,
    *,
    text: CertificateText,
    details: CertificateDetails | None = None,
    evidence: EvidenceSources | None = None,
) -> tuple[ProofBundle, ExportFile, ExportFile]:
    """The bundle of one contribution, its JSON file and its PDF certificate in the language
    of `text` (with the timestamp, checkpoint and seal `evidence` has)."""
    bundle = builder.build(
        contribution_id, content_hash=opening.content_hash, salt=opening.salt, card=opening.card
    )
    if evidence is not None:
        bundle = evidence.completer(builder.w3)(bundle)
    json_file = bundle_file(bundle)
    pdf = render_certificate(bundle, text=text, details=details, bundle_sha256=json_file.sha256)
    if evidence is not None:
        pdf = evidence.seal(pdf)
    pdf_file = ExportFile(f"certificates/{certificate_file_name(bundle, text.language)}", pdf)
    return bundle, json_file, pdf_file


# ------------------------------------------------------------------------ Results Ownership List


@dataclass(frozen=True)
class ResultEntry:
    """One line of the Results Ownership List."""

    contribution_id: str
    # From the contribution's card, when the exporter holds it ("" otherwise).
    title: str
    owner: str
    owner_name: str
    owner_company_number: str
    category: str
    value: int
    unit: str
    date: str
    block: int
    status: str
    background: tuple[tuple[str, str], ...]  # (contribution id, owner name or address)
    earlier_results: tuple[tuple[str, str], ...]


def _statuses(index: ProjectLogs) -> dict[bytes, ContributionStatus]:
    status = {r.event.contribution_id: ContributionStatus.ACTIVE for r in index.registrations}
    for log in index.history:
        event = log.event
        if isinstance(event, ContributionWithdrawn):
            status[event.contribution_id] = ContributionStatus.WITHDRAWN
        elif isinstance(event, ContributionSuperseded):
            status[event.contribution_id] = ContributionStatus.SUPERSEDED
        elif isinstance(event, DisputeResolved) and event.outcome == DisputeOutcome.UPHELD:
            status[event.contribution_id] = ContributionStatus.INVALIDATED
    return status


def _categories(index: ProjectLogs) -> list[tuple[FoundLog[PolicySet], list[tuple[str, str]]]]:
    return [
        (log, [(c.name_text, c.unit_text) for c in log.event.policy.categories])
        for log in index.policies
    ]


def results_ownership_list(
    index: ProjectLogs, titles: Mapping[bytes, str] | None = None
) -> list[ResultEntry]:
    """The DESCA-style Results Ownership List of a project, from its logs: every Result (in
    registration order) with its title (from `titles`, the cards the exporter holds, by
    contribution id), owner, date, status, and what it builds on, following parent links
    through earlier Results down to the Background they rest on."""
    titles = titles or {}
    names = index.latest_identities()
    statuses = _statuses(index)
    policies = _categories(index)
    by_id = {r.event.contribution_id: r.event for r in index.registrations}

    def owner_label(cid: bytes) -> str:
        owner = by_id[cid].contributor
        name = names.get(owner.lower(), ("", ""))[0]
        return name or owner

    def category(reg: FoundLog[ContributionRegistered]) -> tuple[str, str]:
        in_force = [cats for log, cats in policies if log.block_number <= reg.block_number]
        cats = in_force[-1] if in_force else []
        cid = reg.event.category
        return cats[cid] if cid < len(cats) else (f"category {cid}", "")

    entries = []
    for reg in index.registrations:
        registered = reg.event
        if registered.origin != Origin.RESULT:
            continue
        background: dict[str, str] = {}
        earlier: dict[str, str] = {}
        stack = list(registered.parents)
        seen: set[bytes] = set()
        while stack:
            parent = stack.pop()
            if parent in seen or parent not in by_id:
                continue
            seen.add(parent)
            if by_id[parent].origin == Origin.BACKGROUND:
                background[to_hex(parent)] = owner_label(parent)
            else:
                earlier[to_hex(parent)] = owner_label(parent)
                stack.extend(by_id[parent].parents)
        owner = registered.contributor
        name, number = names.get(owner.lower(), ("", ""))
        cat_name, unit = category(reg)
        entries.append(
            ResultEntry(
                contribution_id=to_hex(registered.contribution_id),
                title=titles.get(registered.contribution_id, ""),
                owner=owner,
                owner_name=name,
                owner_company_number=number,
                category=cat_name,
                value=registered.value,
                unit=unit,
                date=iso_utc(registered.registered_at),
                block=reg.block_number,
                status=statuses.get(
                    registered.contribution_id, ContributionStatus.ACTIVE
                ).name.title(),
                background=tuple(sorted(background.items())),
                earlier_results=tuple(sorted(earlier.items())),
            )
        )
    return entries


ROL_COLUMNS: Final = (
    "result",
    "title",
    "owner",
    "owner_address",
    "company_number",
    "category",
    "value",
    "unit",
    "date_utc",
    "block",
    "status",
    "background_it_builds_on",
    "earlier_results_it_builds_on",
)


def rol_csv(entries: Sequence[ResultEntry]) -> bytes:
    """The Results Ownership List as CSV (one row per Result)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ROL_COLUMNS)
    for e in entries:
        writer.writerow(
            [
                e.contribution_id,
                _csv_text(e.title),
                _csv_text(e.owner_name or e.owner),
                e.owner,
                _csv_text(e.owner_company_number),
                e.category,
                e.value,
                e.unit,
                e.date,
                e.block,
                e.status,
                "; ".join(f"{cid} ({who})" for cid, who in e.background),
                "; ".join(f"{cid} ({who})" for cid, who in e.earlier_results),
            ]
        )
    return out.getvalue().encode("utf-8")


def _csv_text(text: str) -> str:
    """A partner-written text as a CSV cell that a spreadsheet shows and does not run: a cell
    starting with =, +, -, @, a tab or a carriage return gets a leading apostrophe (titles and
    organisation names are written by partners; a lawyer opens the list in a spreadsheet)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def rol_json(entries: Sequence[ResultEntry]) -> list[dict[str, Any]]:
    """The Results Ownership List as JSON-ready data."""
    return [
        {
            "result": e.contribution_id,
            "title": e.title,
            "owner": {
                "name": e.owner_name,
                "companyNumber": e.owner_company_number,
                "address": e.owner,
            },
            "category": e.category,
            "value": e.value,
            "unit": e.unit,
            "date": e.date,
            "block": e.block,
            "status": e.status,
            "background": [{"contribution": c, "owner": w} for c, w in e.background],
            "earlierResults": [{"contribution": c, "owner": w} for c, w in e.earlier_results],
        }
        for e in entries
    ]


def rol_markdown(entries: Sequence[ResultEntry], project_id: int) -> bytes:
    """The Results Ownership List as a readable Markdown table."""
    lines = [
        f"# Results Ownership List — project {project_id}",
        "",
        "Each Result created in the project, its owner, when it was recorded, and the "
        "Background (knowledge brought in) and earlier Results it builds on, following the "
        "parent links recorded on the ledger.",
        "",
        "| Result | Title | Owner | Date (UTC) | What | Status | Builds on Background | "
        "Builds on Results |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in entries:
        owner = f"{e.owner_name} ({e.owner})" if e.owner_name else e.owner
        title = _md_cell(e.title) or "—"
        lines.append(
            f"| `{e.contribution_id}` | {title} | {owner} | {e.date} | "
            f"{e.category}: {e.value} {e.unit} "
            f"| {e.status} | "
            + ("<br>".join(f"`{c}` ({w})" for c, w in e.background) or "—")
            + " | "
            + ("<br>".join(f"`{c}` ({w})" for c, w in e.earlier_results) or "—")
            + " |"
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


def _md_cell(text: str) -> str:
    """Text that stays inside one Markdown table cell and adds no markup of its own."""
    out = text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
    for mark in ("*", "_", "`", "[", "]", "<", ">"):
        out = out.replace(mark, "\\" + mark)
    return out


# ------------------------------------------------------------------------------ split history


@dataclass(frozen=True)
class SplitRecord:
    """One split proposal of the vault and what became of it."""

    proposal_id: int
    proposer: str
    partners: tuple[str, ...]
    bps: tuple[int, ...]
    policy_version: int
    computed_at_block: int
    input_set_hash: str
    proposed_tx: str
    proposed_block: int
    approvals: tuple[str, ...]
    split_version: int | None
    finalized_tx: str | None
    finalized_block: int | None


def split_history(
    w3: Web3, vault: str, project_id: int, *, from_block: int = 0
) -> list[SplitRecord]:
    """Every split proposal of `project_id` in the RoyaltyVault at `vault`, with approvals and
    finalization, from its events (`SplitProposed` carries the input-set hash)."""
    events = get_events(
        w3,
        vault,
        from_block,
        event_types=(SplitProposed, SplitApproved, SplitFinalized),
        project_id=project_id,
    )
    proposed: dict[int, SplitProposed] = {}
    approvals: dict[int, list[str]] = {}
    finalized: dict[int, SplitFinalized] = {}
    for event in events:
        if isinstance(event, SplitProposed):
            proposed[event.proposal_id] = event
            approvals[event.proposal_id] = []
        elif isinstance(event, SplitApproved) and event.proposal_id in proposed:
            approvals[event.proposal_id].append(event.approver)
        elif isinstance(event, SplitFinalized) and event.proposal_id in proposed:
            finalized[event.proposal_id] = event
    records = []
    for pid, p in sorted(proposed.items()):
        final = finalized.get(pid)
        records.append(
            SplitRecord(
                proposal_id=pid,
                proposer=p.proposer,
                partners=p.partners,
                bps=p.bps,
                policy_version=p.policy_version,
                computed_at_block=p.computed_at_block,
                input_set_hash=to_hex(p.input_set_hash),
                proposed_tx=p.tx_hash,
                proposed_block=p.block_number,
                approvals=tuple(approvals[pid]),
                split_version=final.split_version if final else None,
                finalized_tx=final.tx_hash if final else None,
                finalized_block=final.block_number if final else None,
            )
        )
    return records


def split_json(records: Sequence[SplitRecord]) -> list[dict[str, Any]]:
    return [
        {
            "proposalId": r.proposal_id,
            "proposer": r.proposer,
            "split": [{"partner": p, "bps": b} for p, b in zip(r.partners, r.bps, strict=True)],
            "policyVersion": r.policy_version,
            "computedAtBlock": r.computed_at_block,
            "inputSetHash": r.input_set_hash,
            "proposed": {"txHash": r.proposed_tx, "blockNumber": r.proposed_block},
            "approvals": list(r.approvals),
            "finalized": None
            if r.split_version is None
            else {
                "splitVersion": r.split_version,
                "txHash": r.finalized_tx,
                "blockNumber": r.finalized_block,
            },
        }
        for r in records
    ]


def split_csv(records: Sequence[SplitRecord]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "proposal_id",
            "split_version",
            "partner",
            "bps",
            "policy_version",
            "computed_at_block",
            "input_set_hash",
            "proposed_tx",
            "finalized_tx",
        ]
    )
    for r in records:
        for partner, bps in zip(r.partners, r.bps, strict=True):
            writer.writerow(
                [
                    r.proposal_id,
                    r.split_version if r.split_version is not None else "",
                    partner,
                    bps,
                    r.policy_version,
                    r.computed_at_block,
                    r.input_set_hash,
                    r.proposed_tx,
                    r.finalized_tx or "",
                ]
            )
    return out.getvalue().encode("utf-8")


# ------------------------------------------------------------------------------ archives


def _readme(project_id: int, chain_id: int, ledger: str, what: str) -> bytes:
    text = f"""# Evidence: {what}

Project {project_id} on the Proof-of-Contribution ledger {ledger}, {chain_name(chain_id)}.

## What is here

- `manifest.json`: the SHA-256 and size of every other file in this archive. Check it first:
  `sha256sum` of each file must equal the manifest's value.
- `bundles/<contribution id>.json`: one proof bundle per contribution (format 3, or 1 for
  contracts 1.x; JSON Schema `docs/proof-bundle.schema.json` of poc-ledger; in format 3 the
  integers of uint64 and wider are decimal strings, so any JSON reader keeps them exact). Each
  proves its contribution on its own.
- `certificates/<contribution id>.pdf`: the same, readable; each states the SHA-256 of its
  bundle file.
- `results-ownership-list.csv` / `.md` (project packs): every Result, its owner, date and the
  Background it builds on.
- `split-history.json` / `.csv` (project packs): every royalty split proposed and finalized,
  with the hash of the scoring input set it was computed from.

## How to verify a bundle without us

0. In a browser: open `verifier.html` (it needs no network and no install), choose the bundle
   and the original file, and read the verdict check by check, in Dutch or English. It checks
   everything `poc verify` checks offline except the timestamp authority's signature.
1. Offline, with the verifier: `poc verify bundles/<id>.json --file <the original file>`.
   It recomputes the file's SHA-256, the salted commitment, the partner's EIP-712 signature
   (from the bundle's own fields), and the Merkle-Patricia proofs of the receipt and the
   transaction against the block header, and the header against the block hash.
2. Online, against any node of the chain you choose (not ours):
   `poc verify bundles/<id>.json --rpc-url https://…`. It checks the chain id, that the node's
   block at that height has the bundle's block hash, the receipt proof against the node's own
   header, the contract's code, and the contribution's current status and history.
3. The independent evidence, when a bundle has it: `timestamp` is an RFC 3161 token of a
   timestamp authority over the registration (`--tsa-roots tsa-roots.pem` checks its
   signature against the authorities you trust; `openssl ts -verify` checks it too, see
   docs/proofs.md), `checkpoint` the record of the block's hash on a public chain
   (`--public-rpc-url https://…` checks it against a node of that chain). Without them these
   checks print SKIP and say what they need.
4. By hand, in any block explorer: look up the bundle's `chain.txHash`; it must be in block
   `chain.blockNumber` with hash `chain.blockHash`, sent to `chain.contract`, and emit
   `ContributionRegistered` with the bundle's contribution id.

Every check prints PASS or FAIL with its reason; any FAIL names the field at fault.

## The consortium agreement (project packs)

`agreement/agreement.json` lists every agreement version the ledger recorded (`AgreementSet`)
and every acceptance (`AgreementAccepted`), each with its block and transaction. For an
agreement made with the builder it also holds the salt and, per version, the canonical
document `agreement/v<n>.json`. To check a version without us: its SHA-256 is the content
hash; `keccak256(abi.encode(contentHash, salt))` must equal the hash the ledger recorded for
that version (`agreementHashAt(projectId, n)` on the contract, or the `AgreementSet` event).
The `.md` and `.pdf` files are the texts inside that document, in Dutch and English
(docs/agreements.md describes the format).
"""
    return text.encode("utf-8")


@cache
def verifier_page() -> bytes:
    """The single-file HTML verifier every pack carries (built by
    scripts/build_verifier_html.py)."""
    return (Path(__file__).with_name("verifier.html")).read_bytes()


def _zip(files: Sequence[ExportFile], manifest: Mapping[str, Any]) -> Archive:
    manifest_doc = dict(manifest)
    files = [*files, ExportFile("verifier.html", verifier_page())]
    manifest_doc["files"] = [
        {"path": f.name, "sha256": f.sha256, "size": len(f.data)} for f in files
    ]
    manifest_file = ExportFile("manifest.json", bundle_bytes(manifest_doc))
    everything = (manifest_file, *files)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for f in everything:
            # Fixed timestamps: the same evidence gives the same archive bytes.
            info = zipfile.ZipInfo(f.name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, f.data)
    return Archive(out.getvalue(), everything, tuple(manifest_doc.get("unopened", ())))


def _render(job: tuple[dict[str, Any], CertificateText, CertificateDetails, str]) -> bytes:
    document, text, details, sha = job
    return render_certificate(
        ProofBundle.from_json(document), text=text, details=details, bundle_sha256=sha
    )


def _certificates(
    bundles: Sequence[tuple[ProofBundle, ExportFile]],
    text: CertificateText,
    details: CertificateDetails,
    workers: int | None,
    evidence: EvidenceSources | None = None,
) -> list[ExportFile]:
    jobs = [(b.to_json(), text, details, f.sha256) for b, f in bundles]
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers > 1 and len(jobs) >= _PARALLEL_MIN:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            pdfs = list(pool.map(_render, jobs, chunksize=32))
    else:
        pdfs = [_render(job) for job in jobs]
    if evidence is not None:
        # Sealed here, not in the workers: each seal asks the TSA, which the pool cannot share.
        pdfs = [evidence.seal(pdf) for pdf in pdfs]
    return [
        ExportFile(f"certificates/{to_hex(b.contribution.contribution_id)}.pdf", pdf)
        for (b, _), pdf in zip(bundles, pdfs, strict=True)
    ]


@dataclass
class _Collected:
    bundles: list[tuple[ProofBundle, ExportFile]] = field(default_factory=list)
    unopened: list[str] = field(default_factory=list)


def _collect(
    builder: ProofBuilder,
    regs: Iterable[FoundLog[ContributionRegistered]],
    openings: Mapping[bytes, Opening],
    complete: Completer | None = None,
) -> _Collected:
    collected = _Collected()
    for reg in regs:
        cid = reg.event.contribution_id
        opening = openings.get(cid)
        if opening is None:
            collected.unopened.append(to_hex(cid))
            continue
        bundle = builder.build(
            cid, content_hash=opening.content_hash, salt=opening.salt, card=opening.card
        )
        if complete is not None:
            bundle = complete(bundle)
        collected.bundles.append((bundle, bundle_file(bundle)))
    return collected


def _names(index: ProjectLogs) -> dict[str, str]:
    return {address: name for address, (name, _) in index.latest_identities().items() if name}


def export_partner(
    w3: Web3,
    ledger: str,
    project_id: int,
    partner: str,
    openings: Mapping[bytes, Opening],
    *,
    text: CertificateText,
    exchange: str | None = None,
    workers: int | None = None,
    evidence: EvidenceSources | None = None,
    issued_at: datetime | None = None,
) -> Archive:
    """A zip of the bundles and certificates of `partner`'s contributions in the project."""
    builder = ProofBuilder(w3, ledger, exchange_address=exchange)
    index = builder.preload(project_id)
    wanted = checksum(partner).lower()
    regs = [r for r in index.registrations if r.event.contributor.lower() == wanted]
    complete = evidence.completer(w3) if evidence is not None else None
    collected = _collect(builder, regs, openings, complete)
    details = CertificateDetails(names=_names(index), issued_at=issued_at)
    files = [f for _, f in collected.bundles]
    files += _certificates(collected.bundles, text, details, workers, evidence)
    files.append(
        ExportFile(
            "README.md",
            _readme(
                project_id,
                builder.chain_id,
                builder.ledger,
                f"contributions of {checksum(partner)}",
            ),
        )
    )
    return _zip(files, _manifest(builder, project_id, "partner", collected, partner=partner))


def _manifest(
    builder: ProofBuilder, project_id: int, kind: str, collected: _Collected, **extra: Any
) -> dict[str, Any]:
    with translating():
        head = int(builder.w3.eth.block_number)
    return {
        "packVersion": PACK_VERSION,
        "kind": kind,
        "projectId": project_id,
        "chainId": builder.chain_id,
        "chain": chain_name(builder.chain_id),
        "ledger": builder.ledger,
        "asOfBlock": head,
        **extra,
        "contributions": len(collected.bundles) + len(collected.unopened),
        "bundled": len(collected.bundles),
        "unopened": collected.unopened,
    }


def export_project(
    w3: Web3,
    ledger: str,
    project_id: int,
    openings: Mapping[bytes, Opening],
    *,
    vault: str | None = None,
    text: CertificateText,
    exchange: str | None = None,
    workers: int | None = None,
    titles: Mapping[bytes, str] | None = None,
    agreement: AgreementEvidence | None = None,
    evidence: EvidenceSources | None = None,
    issued_at: datetime | None = None,
) -> Archive:
    """The project's evidence pack (see the module docstring); `titles` are the contributions'
    card titles the exporter holds (for the Results Ownership List); `agreement` adds the
    stored documents of a builder-made agreement to what the chain says of it."""
    builder = ProofBuilder(w3, ledger, exchange_address=exchange)
    index = builder.preload(project_id)
    if not index.registrations and not index.policies:
        raise ProofError(f"project {project_id} has no events on this ledger")
    complete = evidence.completer(w3) if evidence is not None else None
    collected = _collect(builder, index.registrations, openings, complete)
    details = CertificateDetails(names=_names(index), issued_at=issued_at)
    files = [f for _, f in collected.bundles]
    files += _certificates(collected.bundles, text, details, workers, evidence)
    entries = results_ownership_list(index, titles)
    files.append(ExportFile("results-ownership-list.csv", rol_csv(entries)))
    files.append(ExportFile("results-ownership-list.md", rol_markdown(entries, project_id)))
    files.append(
        ExportFile(
            "results-ownership-list.json",
            bundle_bytes({"projectId": project_id, "results": rol_json(entries)}),
        )
    )
    if vault is not None:
        splits = split_history(w3, vault, project_id)
        files.append(
            ExportFile(
                "split-history.json",
                bundle_bytes(
                    {
                        "projectId": project_id,
                        "vault": checksum(vault),
                        "splits": split_json(splits),
                    }
                ),
            )
        )
        files.append(ExportFile("split-history.csv", split_csv(splits)))
    files += agreement_files(builder, project_id, agreement)
    if exchange is not None:
        registers = exchange_registers(w3, exchange, project_id)
        head = {"projectId": project_id, "exchange": checksum(exchange)}
        files.append(
            ExportFile(
                "disclosure-register.json",
                bundle_bytes({**head, "disclosures": registers.disclosures}),
            )
        )
        files.append(ExportFile("disclosure-register.csv", disclosure_csv(registers.disclosures)))
        files.append(
            ExportFile(
                "access-rights-register.json",
                bundle_bytes({**head, "requests": registers.access_requests}),
            )
        )
        files.append(
            ExportFile("access-rights-register.csv", access_csv(registers.access_requests))
        )
    files.append(
        ExportFile(
            "README.md",
            _readme(project_id, builder.chain_id, builder.ledger, f"project {project_id}"),
        )
    )
    extra = {"vault": checksum(vault)} if vault else {}
    if exchange:
        extra["exchange"] = checksum(exchange)
    return _zip(files, _manifest(builder, project_id, "project", collected, **extra))


def agreement_files(
    builder: ProofBuilder, project_id: int, agreement: AgreementEvidence | None
) -> list[ExportFile]:
    """The pack's `agreement/` folder (see the module docstring): what the chain recorded of
    the project's agreement, and the stored documents checked against it."""
    recorded = builder.project_logs_of(AgreementSet, project_id)
    accepted = builder.project_logs_of(AgreementAccepted, project_id)
    on_chain = {log.event.version: to_hex(log.event.agreement_hash) for log in recorded}
    summary: dict[str, Any] = {
        "projectId": project_id,
        "recorded": [
            {
                "version": log.event.version,
                "agreementHash": to_hex(log.event.agreement_hash),
                "blockNumber": log.block_number,
                "txHash": log.event.tx_hash,
            }
            for log in recorded
        ],
        "acceptances": [
            {
                "partner": log.event.partner,
                "version": log.event.version,
                "blockNumber": log.block_number,
                "txHash": log.event.tx_hash,
            }
            for log in accepted
        ],
    }
    files: list[ExportFile] = []
    if agreement is not None:
        summary["salt"] = to_hex(agreement.salt)
        versions = []
        for data in agreement.documents:
            document = load_document(data)
            content_hash = hashing.sha256_bytes(data)
            agreement_hash = to_hex(hashing.agreement_hash(content_hash, agreement.salt))
            stem = f"agreement/v{document.version}"
            versions.append(
                {
                    "version": document.version,
                    "file": f"{stem}.json",
                    "contentHash": to_hex(content_hash),
                    "agreementHash": agreement_hash,
                    "onChainHash": on_chain.get(document.version),
                    "matchesLedger": on_chain.get(document.version) == agreement_hash,
                    "changes": [c.to_json() for c in document.changes],
                }
            )
            files.append(ExportFile(f"{stem}.json", data))
            for language in LANGUAGES:
                text = document.text(language)
                files.append(ExportFile(f"{stem}.{language.value}.md", text.encode("utf-8")))
                files.append(
                    ExportFile(
                        f"{stem}.{language.value}.pdf",
                        markdown_to_pdf(
                            text,
                            language=Language(language),
                            content_hash=content_hash,
                            title=document.answers.project.title,
                        ),
                    )
                )
        summary["versions"] = versions
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["partner", "version", "block_number", "tx_hash"])
    for item in summary["acceptances"]:
        writer.writerow([item["partner"], item["version"], item["blockNumber"], item["txHash"]])
    files.append(ExportFile("agreement/acceptances.csv", out.getvalue().encode("utf-8")))
    files.append(ExportFile("agreement/agreement.json", bundle_bytes(summary)))
    return files


def check_manifest(archive: bytes) -> list[str]:
    """Problems with a pack's manifest: files missing, extra, or with another SHA-256.
    Empty when the pack is intact."""
    problems = []
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        manifest = json.loads(z.read("manifest.json"))
        listed = {f["path"]: f for f in manifest["files"]}
        present = set(z.namelist()) - {"manifest.json"}
        for path in sorted(present - set(listed)):
            problems.append(f"{path}: not in the manifest")
        for path, entry in sorted(listed.items()):
            if path not in present:
                problems.append(f"{path}: missing")
                continue
            digest = hashlib.sha256(z.read(path)).hexdigest()
            if digest != entry["sha256"]:
                problems.append(f"{path}: SHA-256 {digest}, manifest says {entry['sha256']}")
    return problems
