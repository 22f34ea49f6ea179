"""The graduation download: everything an SME needs to continue for real, in one zip.

    evidence-pack.zip      the demo project's evidence pack (`ledger.evidence.packs`): a proof
                           bundle and certificate per contribution, split history, ROL, the
                           agreement; each bundle checks with `poc verify`
    openings.sealed.json   the openings of the contributions the workspace knows (the demo's),
                           sealed under the owner's passphrase (`ledger.openings.sealed`; open
                           with `poc openings import`)
    policy.json            the project's scoring policy as recorded on chain (latest version)
    agreement/             the consortium agreement: the canonical document and its texts
    GUIDE.en.md, GUIDE.nl.md   step by step: deploy with `poc deploy`, start again with the
                           same policy and agreement
    manifest.json          every file above with its SHA-256

Built from the workspace's own chain and store, in the workspace's process.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from api.i18n import certificate_text
from ledger.domain.codec import from_hex
from ledger.evidence.packs import AgreementEvidence, Opening, export_project
from ledger.openings.files import OpeningFile, make_opening
from ledger.openings.salts import SaltDerivation
from ledger.openings.sealed import ScryptParams, seal_openings
from poc.hosting.workspace import WorkspaceRuntime

GUIDES_DIR: Final = Path(__file__).resolve().parent / "guides"
#: The zip's own name inside a download.
EVIDENCE_PACK: Final = "evidence-pack.zip"


def demo_openings(runtime: WorkspaceRuntime) -> list[OpeningFile]:
    """The openings of the seeded contributions (the workspace holds their salts)."""
    seed = runtime.seed
    return [
        make_opening(
            chain_id=seed.chain_id,
            ledger=seed.ledger,
            project_id=seed.project_id,
            contributor=c.contributor,
            content_hash=from_hex(c.content_hash),
            salt=from_hex(c.salt),
            # Derived from the sandbox's seed secret, not from a proof secret a partner
            # holds: only this file can prove them, as for a random salt.
            derivation=SaltDerivation.RANDOM,
            file_name=Path(c.document).name,
        )
        for c in seed.contributions
    ]


def build_graduation(
    runtime: WorkspaceRuntime,
    passphrase: str,
    *,
    language: str = "en",
    scrypt: ScryptParams | None = None,
) -> bytes:
    """The graduation zip of `runtime`'s workspace, openings sealed under `passphrase`."""
    services = runtime.services
    access = services.require_chain()
    seed = runtime.seed
    project_id = seed.project_id
    openings = demo_openings(runtime)
    # Each contribution's card (its title and description, whose hash the contributor
    # signed) goes into its bundle, as the API's own evidence-pack export does.
    cards = services.records.project_cards(project_id)
    by_id = {
        o.contribution_id: Opening(o.content_hash, o.salt, card=cards.get(o.contribution_id))
        for o in openings
    }
    linked = services.store.agreements.by_project(project_id)
    agreement = (
        None
        if linked is None
        else AgreementEvidence(
            salt=from_hex(linked.salt),
            documents=[v.document for v in services.store.agreements.versions(linked.agreement_id)],
        )
    )
    pack = export_project(
        access.chain.w3,
        access.ledger_address,
        project_id,
        by_id,
        vault=access.vault_address,
        text=certificate_text("nl" if language == "nl" else "en"),
        exchange=None if access.exchange is None else access.exchange.address,
        workers=1,
        titles={cid: card.title for cid, card in cards.items()},
        agreement=agreement,
        evidence=services.evidence,
    )
    policies = services.store.index.policies(project_id)
    policy = json.loads(policies[-1].policy_json) if policies else None
    files: dict[str, bytes] = {EVIDENCE_PACK: pack.data}
    files["openings.sealed.json"] = seal_openings(openings, passphrase, params=scrypt)
    if policy is not None:
        files["policy.json"] = json.dumps(policy, indent=2, sort_keys=True).encode()
    documents = runtime.paths.documents
    for name in ("agreement.json", "agreement.nl.md", "agreement.en.md"):
        path = documents / name
        if path.is_file():
            files[f"agreement/{name}"] = path.read_bytes()
    values = {
        "workspace": runtime.slug,
        "project_id": str(project_id),
        "project_title": seed.project_title,
        "chain_id": str(seed.chain_id),
        "ledger": seed.ledger,
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
    }
    for language_code in ("en", "nl"):
        text = (GUIDES_DIR / f"graduation.{language_code}.md").read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace("{" + key + "}", value)
        files[f"GUIDE.{language_code}.md"] = text.encode()
    manifest = {
        "type": "poc-ledger graduation",
        "version": 1,
        "workspace": runtime.slug,
        "projectId": project_id,
        "chainId": seed.chain_id,
        "ledger": seed.ledger,
        "createdAt": values["date"],
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    return buffer.getvalue()
