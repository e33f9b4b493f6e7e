"""Reading advice: a DOCX, PDF or plain-text file to an ``AdviceDocument`` (text by page).

An adapter around the drafting core: the one module that touches files and document formats.
A page's text is stored exactly as spans will index it (``pages[page - 1][start:end]``).

- Plain text: UTF-8 (or Windows-1252), a form feed starts a new page.
- DOCX: paragraphs and table rows in document order; a DOCX has no pages, so page 1 unless the
  author put in explicit page breaks (a page-break run, or "page break before" on a paragraph).
- PDF: pypdf's text, page by page.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from wholechild.ehcp.model import AdviceDocument, AdviceKind
from wholechild.errors import InputFileError

log = logging.getLogger(__name__)

__all__ = ["advice_from_bytes", "guess_kind", "read_advice"]

FORMATS = (".docx", ".pdf", ".txt", ".text", ".md")

# The first cue found in the title (first lines) or file name decides the kind of advice.
KIND_CUES: tuple[tuple[AdviceKind, tuple[str, ...]], ...] = (
    (AdviceKind.EDUCATIONAL_PSYCHOLOGY, ("educational psycholog", "ep advice", "ep report")),
    (AdviceKind.SPEECH_LANGUAGE, ("speech and language", "speech & language", "salt", "slt")),
    (AdviceKind.OCCUPATIONAL_THERAPY, ("occupational therap", "ot advice", "ot report")),
    (AdviceKind.SOCIAL_CARE, ("social care", "social work", "children's services")),
    (AdviceKind.CHILD, ("my views", "child's views", "young person's views", "about me")),
    (AdviceKind.PARENT, ("parent", "carer's views", "family views")),
    (AdviceKind.HEALTH, ("health", "paediatric", "medical", "nursing", "camhs", "physiotherap")),
    (AdviceKind.SCHOOL, ("school", "senco", "nursery", "college", "education setting")),
)
AUTHOR_LINE = re.compile(
    r"^(?:author|written by|completed by|name of (?:professional|author))\s*:\s*(?P<name>.+?)\s*$",
    re.IGNORECASE | re.MULTILINE,
)


def read_advice(
    path: Path, *, kind: AdviceKind | None = None, author: str | None = None
) -> AdviceDocument:
    """Read one advice file; its kind and author are guessed from its text unless given."""
    if not path.is_file():
        raise InputFileError(
            f"advice file {path} does not exist", fix="check the path and file name"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(
            f"advice file {path} cannot be read ({exc.strerror})", fix="check its permissions"
        ) from None
    return advice_from_bytes(path.name, data, kind=kind, author=author)


def advice_from_bytes(
    file_name: str, data: bytes, *, kind: AdviceKind | None = None, author: str | None = None
) -> AdviceDocument:
    """The same as ``read_advice`` for bytes already in hand (an upload)."""
    suffix = Path(file_name).suffix.lower()
    if suffix not in FORMATS:
        raise InputFileError(
            f"{file_name}: advice must be DOCX, PDF or plain text, not {suffix or 'no extension'}",
            fix="save the advice as .docx, .pdf or .txt",
        )
    pages = _read_pages(file_name, suffix, data)
    if not any(page.strip() for page in pages):
        raise InputFileError(
            f"{file_name}: no text found",
            fix="a scanned PDF needs text recognition (OCR) before it can be drafted from",
        )
    doc = AdviceDocument(
        doc_id=hashlib.sha256(data).hexdigest()[:16],
        file_name=file_name,
        kind=kind or guess_kind(file_name, pages[0]),
        author=author or _find_author(pages),
        pages=pages,
    )
    log.info("read advice %s: %d pages, kind %s", doc.doc_id, len(pages), doc.kind.value)
    return doc


def guess_kind(file_name: str, first_page: str) -> AdviceKind:
    """The kind of advice from the cues in its title lines, then its file name."""
    title = " ".join(line for line in first_page.splitlines()[:3]).lower()
    name = re.sub(r"[_\-.]+", " ", file_name.lower())
    for haystack in (title, name):
        for advice_kind, cues in KIND_CUES:
            if any(re.search(rf"\b{re.escape(cue)}", haystack) for cue in cues):
                return advice_kind
    return AdviceKind.OTHER


def _find_author(pages: tuple[str, ...]) -> str | None:
    found = AUTHOR_LINE.search(pages[0])
    return found.group("name") if found else None


def _read_pages(file_name: str, suffix: str, data: bytes) -> tuple[str, ...]:
    try:
        if suffix == ".docx":
            return _docx_pages(data)
        if suffix == ".pdf":
            return _pdf_pages(data)
        return _text_pages(data)
    except InputFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is the file's problem
        raise InputFileError(
            f"{file_name}: cannot be read as {suffix[1:].upper()} ({type(exc).__name__})",
            fix="open it in its application and save it again, or save it as plain text",
        ) from None


def _text_pages(data: bytes) -> tuple[str, ...]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return tuple(_clean(page) for page in text.split("\f"))


def _clean(text: str) -> str:
    """Line endings as \\n and no trailing spaces: what spans index is what a reader sees."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines)


def _pdf_pages(data: bytes) -> tuple[str, ...]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return tuple(_clean(page.extract_text() or "") for page in reader.pages)


def _docx_pages(data: bytes) -> tuple[str, ...]:
    import docx

    document = docx.Document(io.BytesIO(data))
    pages: list[list[str]] = [[]]
    for text, breaks_before, breaks_after in _docx_blocks(document):
        if breaks_before and pages[-1]:
            pages.append([])
        pages[-1].append(text)
        pages.extend([] for _ in range(breaks_after))
    return tuple(_clean("\n".join(lines)) for lines in pages)


def _docx_blocks(document: Any) -> Iterator[tuple[str, bool, int]]:
    """(text, page break before, page breaks after) for each paragraph and table row in order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            before = bool(item.paragraph_format.page_break_before)
            after = len(item._p.xpath(".//w:br[@w:type='page']"))
            yield item.text, before, after
        elif isinstance(item, Table):
            for row in item.rows:
                cells = _unique_cells(row.cells)
                yield "; ".join(c for c in cells if c), False, 0


def _unique_cells(cells: Any) -> list[str]:
    """Merged cells repeat in python-docx's row view; keep each once."""
    seen: list[Any] = []
    texts: list[str] = []
    for cell in cells:
        if any(cell._tc is other for other in seen):
            continue
        seen.append(cell._tc)
        texts.append(" ".join(cell.text.split()))
    return texts
