"""A draft plan as a document: DOCX, PDF, Markdown or JSON, all from the same content.

``plan_blocks`` lays the plan out once: sections A to K (I left blank for the local
authority), needs, outcomes and provision grouped by area of need, each sentence followed by
its citation marker ``[n]``, and a provenance appendix giving, for every ``[n]``, the document,
page and character offsets of the advice it came from, and the model that rephrased it if any.
Each format then writes those blocks.

PDF: no PDF library is a project dependency (WeasyPrint, fpdf2 and ReportLab are not installed),
so ``pdf_bytes`` writes a plain PDF 1.4 itself: A4 pages of Helvetica text (the standard fonts
every reader has), lines wrapped by an approximate character width. Enough for a draft a
caseworker reads and annotates; pypdf reads its text back (the tests do).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from wholechild.ehcp.model import SECTION_TITLES, DraftPlan, NeedArea, PlanSentence, Section
from wholechild.ehcp.spans import tidy
from wholechild.errors import UserError

__all__ = [
    "EXPORT_FORMATS",
    "Block",
    "pdf_bytes",
    "plan_blocks",
    "plan_json",
    "plan_markdown",
    "text_pdf",
    "write_plan",
]

EXPORT_FORMATS = (".docx", ".pdf", ".md", ".json")
BlockStyle = Literal["title", "heading", "subheading", "text", "note"]
AREA_TITLES = {
    NeedArea.COMMUNICATION_INTERACTION: "Communication and interaction",
    NeedArea.COGNITION_LEARNING: "Cognition and learning",
    NeedArea.SEMH: "Social, emotional and mental health",
    NeedArea.SENSORY_PHYSICAL: "Sensory and/or physical",
}
BY_AREA = frozenset({Section.B, Section.E, Section.F})
TITLE = "Draft Education, Health and Care plan"
INTRODUCTION = (
    "This is a draft. Every sentence comes from the advice listed in section K; the number in "
    "square brackets after it points to the provenance appendix, which gives the document, page "
    "and characters it was taken from."
)
PLACEMENT_NOTE = "Left blank in a draft: the local authority names the placement."
EMPTY_NOTE = "No advice was placed in this section."


@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph of the exported plan and its style."""

    style: BlockStyle
    text: str


def plan_blocks(plan: DraftPlan) -> list[Block]:
    """The plan, laid out: title, sections A-K with citation markers, provenance appendix."""
    numbers = {id(s): n for n, s in enumerate(_in_order(plan), start=1)}
    blocks = [Block("title", TITLE), Block("note", INTRODUCTION)]
    for section in Section:
        blocks.append(Block("heading", f"Section {section.value}: {SECTION_TITLES[section]}"))
        blocks.extend(_section_blocks(plan, section, numbers))
    if plan.clarifications:
        names = {doc.doc_id: doc.file_name for doc in plan.advice}
        blocks.append(Block("heading", "Questions for the authors of the advice"))
        blocks.extend(
            Block("text", f"{names.get(c.doc_id, c.doc_id)}, page {c.span.page}: {c.question}")
            for c in plan.clarifications
        )
    blocks.append(Block("heading", "Provenance appendix"))
    blocks.extend(
        Block("text", line) for s in _in_order(plan) for line in _provenance(plan, s, numbers)
    )
    return blocks


def _in_order(plan: DraftPlan) -> Iterator[PlanSentence]:
    """Sentences in the order they are printed: by section, then area of need."""
    for section in Section:
        for _, sentences in _grouped(plan.section(section), section):
            yield from sentences


def _grouped(
    sentences: list[PlanSentence], section: Section
) -> list[tuple[NeedArea | None, list[PlanSentence]]]:
    if section not in BY_AREA:
        return [(None, sentences)] if sentences else []
    areas: list[NeedArea | None] = [*NeedArea, None]
    groups = [(area, [s for s in sentences if s.area == area]) for area in areas]
    return [(area, group) for area, group in groups if group]


def _section_blocks(plan: DraftPlan, section: Section, numbers: dict[int, int]) -> list[Block]:
    if section is Section.I:
        return [Block("note", PLACEMENT_NOTE)]
    groups = _grouped(plan.section(section), section)
    if not groups:
        return [Block("note", EMPTY_NOTE)]
    blocks: list[Block] = []
    for area, sentences in groups:
        if section in BY_AREA:
            blocks.append(Block("subheading", AREA_TITLES[area] if area else "Other"))
        blocks.extend(Block("text", f"{s.text} [{numbers[id(s)]}]") for s in sentences)
    return blocks


def _provenance(plan: DraftPlan, sentence: PlanSentence, numbers: dict[int, int]) -> list[str]:
    names = {doc.doc_id: doc.file_name for doc in plan.advice}
    lines = [
        f"[{numbers[id(sentence)]}] section {sentence.section.value}, "
        f"{names.get(span.doc_id, 'unlisted advice')} (document {span.doc_id}), page {span.page}, "
        f"characters {span.start}-{span.end}: \u201c{tidy(span.text)}\u201d"
        for span in sentence.citations
    ]
    if sentence.generation is not None:
        g = sentence.generation
        lines.append(
            f"[{numbers[id(sentence)]}] reworded by {g.model} (version {g.model_version}, "
            f"prompt SHA-256 {g.prompt_sha256}); drafted wording: \u201c{g.original_text}\u201d"
        )
    return lines


def write_plan(plan: DraftPlan, path: Path) -> None:
    """Write the plan in the format its file name says (.docx, .pdf, .md or .json)."""
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise UserError(
            f"cannot write a plan as {suffix or 'a file with no extension'}: {path}",
            fix="name the output .docx, .pdf, .md or .json",
        )
    if suffix == ".docx":
        _write_docx(plan_blocks(plan), path)
    elif suffix == ".pdf":
        path.write_bytes(pdf_bytes(plan_blocks(plan)))
    elif suffix == ".md":
        path.write_text(plan_markdown(plan), encoding="utf-8")
    else:
        path.write_text(json.dumps(plan_json(plan), indent=2, ensure_ascii=False), "utf-8")


def plan_markdown(plan: DraftPlan) -> str:
    marks = {"title": "# ", "heading": "## ", "subheading": "### ", "text": "", "note": "_"}
    ends = {"note": "_"}
    return "\n\n".join(
        f"{marks[b.style]}{b.text}{ends.get(b.style, '')}" for b in plan_blocks(plan)
    )


def plan_json(plan: DraftPlan) -> dict[str, Any]:
    """The plan as data: sentences with their citations, and the advice without its text."""
    return {
        "sentences": [asdict(s) for s in _in_order(plan)],
        "advice": [
            {
                "doc_id": d.doc_id,
                "file_name": d.file_name,
                "kind": d.kind.value,
                "author": d.author,
                "pages": len(d.pages),
            }
            for d in plan.advice
        ],
        "clarifications": [asdict(c) for c in plan.clarifications],
    }


def _write_docx(blocks: Sequence[Block], path: Path) -> None:
    import docx

    document = docx.Document()
    for block in blocks:
        if block.style == "title":
            document.add_heading(block.text, level=0)
        elif block.style in ("heading", "subheading"):
            document.add_heading(block.text, level=1 if block.style == "heading" else 2)
        else:
            paragraph = document.add_paragraph(block.text)
            if block.style == "note":
                for run in paragraph.runs:
                    run.italic = True
    document.save(str(path))


# --- PDF: a plain PDF 1.4 writer (Helvetica, A4) ---------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT, MARGIN = 595, 842, 56
STYLES: dict[BlockStyle, tuple[int, bool, int]] = {  # font size, bold, space before (pt)
    "title": (18, True, 0),
    "heading": (13, True, 14),
    "subheading": (11, True, 8),
    "text": (10, False, 5),
    "note": (10, False, 5),
}


def pdf_bytes(blocks: Sequence[Block]) -> bytes:
    """A PDF of the blocks: A4 pages, wrapped lines, a new page when one fills."""
    return _pdf_document(_paginate(blocks))


Line = tuple[float, float, int, bool, str]  # x, y, size, bold, text


def text_pdf(pages: Sequence[Sequence[str]], size: int = 10) -> bytes:
    """A PDF with the given lines on each page, unwrapped (advice for tests and examples)."""
    top = PAGE_HEIGHT - MARGIN
    return _pdf_document(
        [
            [(MARGIN, top - (n + 1) * size * 1.3, size, False, text) for n, text in enumerate(page)]
            for page in pages
        ]
    )


def _paginate(blocks: Sequence[Block]) -> list[list[Line]]:
    pages: list[list[Line]] = [[]]
    y: float = PAGE_HEIGHT - MARGIN
    for block in blocks:
        size, bold, before = STYLES[block.style]
        y -= before
        for text in _wrap(block.text, size):
            y -= size * 1.3
            if y < MARGIN:
                pages.append([])
                y = PAGE_HEIGHT - MARGIN - size * 1.3
            pages[-1].append((MARGIN, y, size, bold, text))
    return pages


def _wrap(text: str, size: int) -> list[str]:
    """Lines of at most the characters that fit (Helvetica averages about half its size)."""
    width = int((PAGE_WIDTH - 2 * MARGIN) / (size * 0.52))
    lines: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > width:  # a long reference: break it
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) > width and current:
            lines.append(current)
            candidate = word
        current = candidate
    return [*lines, current] if current else lines or [""]


def _pdf_text(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _content(lines: list[Line]) -> bytes:
    parts = [
        b"BT /%s %d Tf 1 0 0 1 %.1f %.1f Tm (%s) Tj ET"
        % (b"F2" if bold else b"F1", size, x, y, _pdf_text(text))
        for x, y, size, bold, text in lines
    ]
    return b"\n".join(parts)


def _pdf_document(pages: list[list[Line]]) -> bytes:
    """Objects: 1 catalog, 2 page tree, 3-4 fonts, then a page and its content stream per page."""
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>"
    kids = b" ".join(b"%d 0 R" % (5 + 2 * n) for n in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(pages)),
        font % b"Helvetica",
        font % b"Helvetica-Bold",
    ]
    for n, lines in enumerate(pages):
        stream = _content(lines)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>"
            % (PAGE_WIDTH, PAGE_HEIGHT, 6 + 2 * n)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    return _serialise(objects)


def _serialise(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
