"""The agreement's Markdown as HTML (for the pages), plain text and PDF.

All three parse the Markdown with markdown-it-py (CommonMark with tables, raw HTML off), so they
show the same text: what a partner reads in its browser, prints from the PDF or checks in the
canonical document is one text. The PDF is a reading copy: it carries the content hash of the
canonical document it was made from, and that document, not the PDF, is what the partners sign.

The PDF uses the Bitstream Vera fonts that ship with reportlab (embedded), so that accented
Dutch text and the euro sign print and extract correctly on any machine.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

import reportlab
from markdown_it import MarkdownIt
from markdown_it.token import Token
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ledger.agreement.answers import Language
from ledger.domain.codec import to_hex

_FONT: Final = "PocVera"
_MARGIN: Final = 18 * mm
_WIDTH: Final = A4[0] - 2 * _MARGIN
_FOOTER: Final = {
    Language.EN: "Reading copy of the canonical agreement with content hash {hash}, page {page}",
    Language.NL: "Leesversie van de canonieke overeenkomst met inhoudshash {hash}, pagina {page}",
}


@functools.cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def markdown_to_html(markdown: str) -> str:
    """The Markdown as an HTML fragment (raw HTML in the text is shown, never interpreted)."""
    return str(_parser().render(markdown))


def markdown_to_text(markdown: str) -> str:
    """The Markdown as plain text: one block a line, table cells separated by " | "."""
    lines: list[str] = []
    for block in _blocks(_parser().parse(markdown)):
        lines.append(block.text)
    return "\n".join(lines) + "\n"


class _Block:
    """One block of text: a heading, a paragraph, a list item or a table row."""

    __slots__ = ("cells", "kind", "level", "markup", "text")

    def __init__(self, kind: str, level: int, cells: Sequence[tuple[str, str]]) -> None:
        self.kind = kind
        self.level = level
        self.cells = list(cells)
        self.text = " | ".join(text for text, _ in self.cells)
        self.markup = [markup for _, markup in self.cells]


def _blocks(tokens: Sequence[Token]) -> Iterator[_Block]:
    """Blocks in document order; each inline run as (plain text, reportlab markup)."""
    heading = 0
    in_quote = False
    list_depth = 0
    row: list[tuple[str, str]] | None = None
    header_row = False
    for token in tokens:
        kind = token.type
        if kind == "heading_open":
            heading = int(token.tag[1])
        elif kind == "heading_close":
            heading = 0
        elif kind == "blockquote_open":
            in_quote = True
        elif kind == "blockquote_close":
            in_quote = False
        elif kind in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
        elif kind in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
        elif kind == "thead_open":
            header_row = True
        elif kind == "thead_close":
            header_row = False
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            yield _Block("header" if header_row else "row", 0, row)
            row = None
        elif kind == "inline":
            cell = (_plain(token), _markup(token))
            if row is not None:
                row.append(cell)
            elif heading:
                yield _Block("heading", heading, [cell])
            elif in_quote:
                yield _Block("quote", 0, [cell])
            elif list_depth:
                yield _Block("item", list_depth, [cell])
            else:
                yield _Block("paragraph", 0, [cell])


def _plain(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _markup(token: Token) -> str:
    """reportlab's paragraph markup of an inline run: bold, italics, line breaks."""
    parts: list[str] = []
    for child in token.children or ():
        match child.type:
            case "text" | "code_inline":
                parts.append(_escape(child.content))
            case "softbreak":
                parts.append(" ")
            case "hardbreak":
                parts.append("<br/>")
            case "strong_open":
                parts.append("<b>")
            case "strong_close":
                parts.append("</b>")
            case "em_open":
                parts.append("<i>")
            case "em_close":
                parts.append("</i>")
            case _:
                pass  # links are off; images and raw HTML do not occur (html off)
    return "".join(parts)


# ---------------------------------------------------------------------------------- PDF


@functools.cache
def _register_fonts() -> None:
    folder = Path(reportlab.__file__).parent / "fonts"
    faces = {
        "": "Vera.ttf",
        "-Bold": "VeraBd.ttf",
        "-Italic": "VeraIt.ttf",
        "-BoldItalic": "VeraBI.ttf",
    }
    for suffix, file_name in faces.items():
        pdfmetrics.registerFont(TTFont(_FONT + suffix, str(folder / file_name)))
    pdfmetrics.registerFontFamily(
        _FONT,
        normal=_FONT,
        bold=_FONT + "-Bold",
        italic=_FONT + "-Italic",
        boldItalic=_FONT + "-BoldItalic",
    )


class _Styles:
    def __init__(self) -> None:
        base = getSampleStyleSheet()
        body = ParagraphStyle(
            "body", parent=base["BodyText"], fontName=_FONT, fontSize=9.5, leading=12.5
        )
        self.body = body
        self.cell = ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5)
        self.header = ParagraphStyle("header", parent=self.cell, fontName=_FONT + "-Bold")
        self.quote = ParagraphStyle(
            "quote",
            parent=body,
            backColor=colors.HexColor("#fff4d6"),
            borderColor=colors.HexColor("#c98a00"),
            borderWidth=0.8,
            borderPadding=6,
            spaceBefore=6,
            spaceAfter=10,
        )
        self.headings = {
            1: ParagraphStyle(
                "h1", parent=body, fontName=_FONT + "-Bold", fontSize=16, leading=20, spaceAfter=8
            ),
            2: ParagraphStyle(
                "h2",
                parent=body,
                fontName=_FONT + "-Bold",
                fontSize=12,
                leading=15,
                spaceBefore=10,
                spaceAfter=4,
            ),
            3: ParagraphStyle(
                "h3",
                parent=body,
                fontName=_FONT + "-Bold",
                fontSize=10.5,
                leading=13,
                spaceBefore=6,
                spaceAfter=2,
            ),
        }


def markdown_to_pdf(markdown: str, *, language: Language, content_hash: bytes, title: str) -> bytes:
    """The Markdown as an A4 PDF reading copy; each page's footer names `content_hash`."""
    _register_fonts()
    styles = _Styles()
    story = _story(markdown, styles)
    buffer = io.BytesIO()
    footer = _FOOTER[language]
    hash_text = to_hex(content_hash)

    def on_page(canvas: object, doc: SimpleDocTemplate) -> None:
        canvas.saveState()  # type: ignore[attr-defined]
        canvas.setFont(_FONT, 7)  # type: ignore[attr-defined]
        canvas.drawString(  # type: ignore[attr-defined]
            18 * mm, 10 * mm, footer.format(hash=hash_text, page=doc.page)
        )
        canvas.restoreState()  # type: ignore[attr-defined]

    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=title,
        author="poc-ledger",
        subject=f"content hash {hash_text}",
        lang=language.value,
    )
    document.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def _story(markdown: str, styles: _Styles) -> list[Flowable]:
    story: list[Flowable] = []
    items: list[Paragraph] = []
    rows: list[list[Paragraph]] = []

    def flush() -> None:
        if items:
            story.append(
                ListFlowable(
                    [ListItem(p, leftIndent=12) for p in items],
                    bulletType="bullet",
                    start="\u2022",
                    bulletFontName=_FONT,
                    leftIndent=12,
                )
            )
            story.append(Spacer(1, 3))
            items.clear()
        if rows:
            columns = max(len(r) for r in rows)
            table = Table(rows, colWidths=[_WIDTH / columns] * columns, repeatRows=1, hAlign="LEFT")
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            story.append(table)
            story.append(Spacer(1, 6))
            rows.clear()

    for block in _blocks(_parser().parse(markdown)):
        if block.kind == "item":
            if rows:
                flush()
            items.append(Paragraph(block.markup[0], styles.body))
            continue
        if block.kind in ("header", "row"):
            if items:
                flush()
            style = styles.header if block.kind == "header" else styles.cell
            rows.append([Paragraph(cell, style) for cell in block.markup])
            continue
        flush()
        if block.kind == "heading":
            story.append(Paragraph(block.markup[0], styles.headings.get(block.level, styles.body)))
        elif block.kind == "quote":
            story.append(Paragraph(block.markup[0], styles.quote))
        else:
            story.append(Paragraph(block.markup[0], styles.body))
    flush()
    return story
