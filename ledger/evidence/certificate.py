"""PDF certificates: a proof bundle told for a reader who is not a technician.

`render_certificate(bundle)` returns the PDF bytes of one page (or a few): who contributed
(organisation and address), what (category, origin, declared value and unit, the content's
fingerprint, never the content), when (UTC and block), on which chain and contract, how the
partner authorised it, who endorsed it with which rating, which disputes it met and how they
ended, what it builds on and what builds on it, how to verify it (the `poc verify` command and
the transaction in any block explorer), and the SHA-256 of the bundle file it summarises.

The certificate is a summary: the bundle is the evidence, and the last section says so. Names of
endorsers and disputers come from `names` (address -> organisation), which the exporter reads
from the same chain's `IdentitySet` logs; without a name the address is shown alone.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any, Final

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from ledger.domain.codec import to_hex
from ledger.domain.values import DisputeOutcome, Origin
from ledger.evidence.bundle import LogProof, ProofBundle, iso_utc

# Chains a reader may recognise by name; any other is shown by its id alone.
KNOWN_CHAINS: Final = {
    1: "Ethereum mainnet",
    10: "OP Mainnet",
    8453: "Base",
    42161: "Arbitrum One",
    11155111: "Sepolia testnet",
    31337: "local development chain (sandbox)",
    131277322940537: "in-process test chain (eth-tester)",
}
_ORIGIN_TEXT: Final = {
    Origin.BACKGROUND: "Background: knowledge the partner brought into the project",
    Origin.RESULT: "Result: created in the project",
}
_OUTCOME_TEXT: Final = {
    DisputeOutcome.OPEN: "open",
    DisputeOutcome.UPHELD: "upheld (the contribution was invalidated)",
    DisputeOutcome.REJECTED: "rejected (the contribution stands)",
    DisputeOutcome.WITHDRAWN: "withdrawn by the disputer",
}
_MONO: Final = "Courier"


def chain_name(chain_id: int) -> str:
    """A readable name of the chain, e.g. "Ethereum mainnet (chain id 1)"."""
    known = KNOWN_CHAINS.get(chain_id)
    return f"{known} (chain id {chain_id})" if known else f"chain id {chain_id}"


class _Styles:
    def __init__(self) -> None:
        base = getSampleStyleSheet()
        self.title = base["Title"]
        self.heading = ParagraphStyle("h", parent=base["Heading2"], spaceBefore=8, spaceAfter=3)
        self.body = ParagraphStyle("b", parent=base["BodyText"], fontSize=9.5, leading=12)
        self.small = ParagraphStyle("s", parent=self.body, fontSize=8.5, leading=10.5)
        self.mono = ParagraphStyle("m", parent=self.body, fontName=_MONO, fontSize=7.5, leading=9)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _who(address: str, names: Mapping[str, str]) -> str:
    name = names.get(address.lower()) or names.get(address)
    return f"{name} ({address})" if name else address


class _Builder:
    def __init__(self, bundle: ProofBundle, names: Mapping[str, str], bundle_sha256: str) -> None:
        self.b = bundle
        self.names = {k.lower(): v for k, v in names.items()}
        self.sha = bundle_sha256
        self.s = _Styles()
        self.story: list[Flowable] = []

    def para(self, text: str, style: ParagraphStyle | None = None) -> None:
        self.story.append(Paragraph(text, style or self.s.body))

    def heading(self, text: str) -> None:
        self.story.append(Paragraph(_esc(text), self.s.heading))

    def table(self, rows: Sequence[tuple[str, str | Paragraph]], mono: Sequence[int] = ()) -> None:
        cells: list[list[Any]] = []
        for index, (label, value) in enumerate(rows):
            if isinstance(value, str):
                value = Paragraph(_esc(value), self.s.mono if index in mono else self.s.body)
            cells.append([Paragraph(f"<b>{_esc(label)}</b>", self.s.body), value])
        table = Table(cells, colWidths=[42 * mm, 128 * mm])
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        self.story.append(table)

    def list_table(
        self, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]
    ) -> None:
        cells = [[Paragraph(f"<b>{_esc(h)}</b>", self.s.small) for h in header]]
        cells += [[Paragraph(_esc(c), self.s.small) for c in row] for row in rows]
        table = Table(cells, colWidths=[w * mm for w in widths], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ]
            )
        )
        self.story.append(table)

    # -- sections -------------------------------------------------------------------------------

    def build(self) -> list[Flowable]:
        b = self.b
        c = b.contribution
        self.story.append(Paragraph("Certificate of contribution", self.s.title))
        self.para(
            "This certificate summarises a <b>proof bundle</b>: a file that proves, without "
            "relying on the service that produced it, that the contribution below was recorded "
            f"on a blockchain ledger at the time stated. Status today: <b>{c.status.name.title()}"
            "</b>."
        )
        self.who()
        self.what()
        self.when()
        self.where()
        self.endorsements()
        self.disputes()
        self.links()
        self.verify()
        return self.story

    def who(self) -> None:
        b = self.b
        self.heading("Who")
        identity = b.identity
        organisation = identity.name if identity else "not declared on the ledger"
        rows: list[tuple[str, str | Paragraph]] = [("Organisation", organisation)]
        if identity and identity.company_number:
            rows.append(("Company number", identity.company_number))
        rows.append(("Ledger address", b.contribution.contributor))
        if b.authorisation.method == "eip712":
            how = (
                "signed by the partner's own key (EIP-712 signature), "
                "relayed to the ledger by the service"
            )
        else:
            how = "sent from the partner's own account (signed transaction)"
        rows.append(("Authorised", how))
        self.table(rows, mono=(len(rows) - 2,))

    def what(self) -> None:
        c = self.b.contribution
        self.heading("What")
        rows: list[tuple[str, str | Paragraph]] = [*self.card_rows()]
        first = len(rows)
        rows += [
            ("Category", c.category.name),
            ("Origin", _ORIGIN_TEXT[c.origin]),
            ("Declared value", f"{c.value:,} {c.category.unit}".replace(",", " ")),
            ("Project", f"project {c.project_id}"),
            ("Content fingerprint", f"SHA-256 {to_hex(c.content_hash)}"),
            ("Contribution id", to_hex(c.contribution_id)),
        ]
        if c.uri:
            rows.append(("Reference", c.uri))
        self.table(rows, mono=(first + 4, first + 5))
        self.para(
            "The document itself is not on the ledger and not in this certificate: only its "
            "SHA-256 fingerprint, salted before it was committed, so that nobody can test a "
            "guess against the ledger. Whoever holds the original file can show that it "
            "matches the fingerprint.",
            self.s.small,
        )

    def card_rows(self) -> list[tuple[str, str | Paragraph]]:
        """The contribution card's words, when the bundle carries the card (its hash is
        checked by the verifier against the one the contributor signed)."""
        card = self.b.card
        if not card:
            return []
        rows: list[tuple[str, str | Paragraph]] = [("Title", str(card["title"]))]
        if card.get("description"):
            rows.append(("Description", str(card["description"])))
        file = card.get("file")
        if file:
            size = f"{int(file['size']):,}".replace(",", " ")
            rows.append(("File", f"{file['name']} ({file['mediaType']}, {size} bytes)"))
        if card.get("keywords"):
            rows.append(("Keywords", ", ".join(str(k) for k in card["keywords"])))
        return rows

    def when(self) -> None:
        b = self.b
        c = b.contribution
        self.heading("When")
        rows: list[tuple[str, str | Paragraph]] = [
            ("Recorded at (UTC)", iso_utc(c.registered_at).replace("T", " ").replace("Z", " UTC")),
            ("Block", f"{b.chain.block_number:,}".replace(",", " ")),
        ]
        if b.batch is not None:
            rows.append(
                (
                    "Batch",
                    f"one of {b.batch.count} records anchored together in block "
                    f"{b.batch.anchor.block_number} (Merkle root {to_hex(b.batch.root)}); "
                    f"revealed in block {b.chain.block_number}. The recorded time is the "
                    "anchoring time.",
                )
            )
        self.table(rows)

    def where(self) -> None:
        b = self.b
        self.heading("On which chain")
        self.table(
            [
                ("Chain", chain_name(b.chain.chain_id)),
                ("Ledger contract", b.chain.contract),
                ("Transaction", to_hex(b.chain.tx_hash)),
                ("Block hash", to_hex(b.chain.block_hash)),
                ("Event", f"ContributionRegistered, log index {b.chain.log_index}"),
            ],
            mono=(1, 2, 3),
        )

    def endorsements(self) -> None:
        self.heading("Endorsed by")
        entries = self.b.endorsements()
        if not entries:
            self.para("No partner has endorsed this contribution.")
            return
        self.list_table(
            ["Partner", "Rating (1-5)", "When (UTC)"],
            [
                [_who(e.args["endorser"], self.names), str(e.args["rating"]), _when(e)]
                for e in entries
            ],
            (100, 22, 48),
        )

    def disputes(self) -> None:
        self.heading("Disputes")
        opened = [e for e in self.b.disputes() if e.event == "DisputeOpened"]
        if not opened:
            self.para("No dispute was opened against this contribution.")
            return
        outcomes = {
            e.args["disputeNumber"]: DisputeOutcome(e.args["outcome"])
            for e in self.b.disputes()
            if e.event == "DisputeResolved"
        }
        votes: dict[int, list[str]] = {}
        for e in self.b.disputes():
            if e.event == "DisputeVoted":
                side = "uphold" if e.args["uphold"] else "reject"
                votes.setdefault(e.args["disputeNumber"], []).append(
                    f"{_who(e.args['voter'], self.names)}: {side}"
                )
        self.list_table(
            ["Opened by", "When (UTC)", "Votes", "Outcome"],
            [
                [
                    _who(e.args["disputer"], self.names),
                    _when(e),
                    "; ".join(votes.get(e.args["disputeNumber"], [])) or "none",
                    _OUTCOME_TEXT[outcomes.get(e.args["disputeNumber"], DisputeOutcome.OPEN)],
                ]
                for e in opened
            ],
            (50, 34, 50, 36),
        )

    def links(self) -> None:
        b = self.b
        c = b.contribution
        rows: list[tuple[str, str | Paragraph]] = []
        for parent in c.parents:
            rows.append(("Builds on", to_hex(parent)))
        if c.supersedes != bytes(32):
            rows.append(("Replaces", to_hex(c.supersedes)))
        for child in b.children():
            rows.append(("Used by", str(child.args["contributionId"])))
        replacement = b.superseded_by()
        if replacement is not None:
            rows.append(("Replaced by", to_hex(replacement)))
        self.heading("Links to other contributions")
        if not rows:
            self.para("None recorded.")
            return
        self.table(rows, mono=tuple(range(len(rows))))

    def verify(self) -> None:
        b = self.b
        self.heading("How to verify")
        self.para(
            "1. With the verifier, which needs no account with any service: "
            "<font face='Courier'>poc verify bundle.json --file ORIGINAL-FILE --rpc-url "
            "URL-OF-ANY-NODE</font>. It recomputes the fingerprint of the file, the commitment, "
            "the partner's signature and the Merkle-Patricia proofs from the bundle alone, then "
            "asks the node for the block hash, the contract's code and the current status, and "
            "prints PASS or FAIL for each check."
        )
        self.para(
            f"2. With any block explorer of {_esc(chain_name(b.chain.chain_id))}: look up the "
            f"transaction <font face='Courier' size='7.5'>{to_hex(b.chain.tx_hash)}</font>. "
            f"It must be in block {b.chain.block_number} (block hash as above), be addressed to "
            f"the ledger contract {b.chain.contract} and show, among its logs, the "
            "ContributionRegistered event whose contribution id is the one above."
        )
        self.table([("Bundle SHA-256", self.sha)], mono=(0,))
        self.para(
            "The SHA-256 above identifies the exact bundle file this certificate summarises "
            "(e.g. <font face='Courier'>sha256sum bundle.json</font>). Proof bundle format "
            f"version {b.version}.",
            self.s.small,
        )


def _when(entry: LogProof) -> str:
    moment = iso_utc(entry.block_timestamp).replace("T", " ").replace("Z", "")
    return f"{moment} (block {entry.block_number})"


def render_certificate(
    bundle: ProofBundle,
    *,
    names: Mapping[str, str] | None = None,
    bundle_sha256: str | None = None,
) -> bytes:
    """The PDF certificate of `bundle`. `bundle_sha256` defaults to the SHA-256 of
    `bundle.to_bytes()`, the file an export writes next to it."""
    sha = bundle_sha256 or bundle.sha256
    output = io.BytesIO()
    document = SimpleDocTemplate(
        output,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"Certificate of contribution {to_hex(bundle.contribution.contribution_id)}",
        author="poc-ledger",
        subject="Proof-of-Contribution certificate",
        # Fixed so the same bundle gives the same PDF bytes (reproducible evidence packs).
        invariant=True,
    )
    document.build(_Builder(bundle, names or {}, sha).build())
    return output.getvalue()
