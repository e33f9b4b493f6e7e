"""Reading advice: text, DOCX and PDF to pages of text, kind and author."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_BREAK

from wholechild.ehcp.documents import advice_from_bytes, guess_kind, read_advice
from wholechild.ehcp.export import text_pdf
from wholechild.ehcp.model import AdviceKind
from wholechild.errors import InputFileError

FIXTURES = Path(__file__).parent / "fixtures" / "advice"


KINDS = [
    ("ep_report.txt", AdviceKind.EDUCATIONAL_PSYCHOLOGY,
     "Dr Priya Natarajan, Educational Psychologist"),
    ("salt_report.txt", AdviceKind.SPEECH_LANGUAGE,
     "Grace Okafor, Highly Specialist Speech and Language Therapist"),
    ("parent_view.txt", AdviceKind.PARENT, "Sam's mother"),
    ("child_view.txt", AdviceKind.CHILD, None),
    ("social_care_report.txt", AdviceKind.SOCIAL_CARE, "Tom Reyes, Social Worker"),
    ("health_report.txt", AdviceKind.HEALTH, "Dr Helen Marsh, Consultant Community Paediatrician"),
    ("school_report.txt", AdviceKind.SCHOOL, "Mrs Jane Holt, SENCO, Brookfield Primary School"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "kind", "author"), KINDS)
def test_the_kind_and_author_of_advice_are_read_from_its_text(
    name: str, kind: AdviceKind, author: str | None
) -> None:
    doc = read_advice(FIXTURES / name)
    assert (doc.kind, doc.author, doc.file_name) == (kind, author, name)
    assert doc.pages[0] == (FIXTURES / name).read_text(encoding="utf-8")


GUESSES = [
    ("report.txt", "Occupational Therapy Report\nName: Sam", AdviceKind.OCCUPATIONAL_THERAPY),
    ("salt_2026.txt", "Report\nSam", AdviceKind.SPEECH_LANGUAGE),  # from the file name
    ("notes.txt", "Minutes of a meeting", AdviceKind.OTHER),
    ("x.txt", "CAMHS letter", AdviceKind.HEALTH),
]


@pytest.mark.parametrize(("file_name", "text", "kind"), GUESSES)
def test_the_kind_falls_back_to_the_file_name_then_other(
    file_name: str, text: str, kind: AdviceKind
) -> None:
    assert guess_kind(file_name, text) is kind


def test_a_kind_and_author_given_win_over_the_guess() -> None:
    doc = advice_from_bytes("a.txt", b"School advice", kind=AdviceKind.HEALTH, author="Dr X")
    assert (doc.kind, doc.author) == (AdviceKind.HEALTH, "Dr X")


def test_a_form_feed_starts_a_new_page_and_line_endings_are_tidied() -> None:
    doc = advice_from_bytes("a.txt", b"One.\r\nTwo.  \fThree.\rFour.")
    assert doc.pages == ("One.\nTwo.", "Three.\nFour.")


def test_text_that_is_not_utf8_is_read_as_windows_1252() -> None:
    doc = advice_from_bytes("a.txt", "Sam\u2019s caf\u00e9 \u201cplan\u201d.".encode("cp1252"))
    assert doc.pages == ("Sam\u2019s caf\u00e9 \u201cplan\u201d.",)


def test_the_document_id_is_a_hash_of_its_content() -> None:
    first = advice_from_bytes("a.txt", b"Sam reads.")
    assert first.doc_id == advice_from_bytes("renamed.txt", b"Sam reads.").doc_id
    assert first.doc_id != advice_from_bytes("a.txt", b"Sam writes.").doc_id
    assert len(first.doc_id) == 16


def docx_bytes() -> bytes:
    document = docx.Document()
    document.add_heading("Speech and Language Therapy Advice", level=0)
    document.add_heading("Needs", level=1)
    document.add_paragraph("Sam understands two key words.")
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    document.add_heading("Provision", level=1)
    table = document.add_table(rows=1, cols=3)
    for cell, text in zip(
        table.rows[0].cells, ["Therapy", "30 minutes weekly", "SLT"], strict=True
    ):
        cell.text = text
    later = document.add_paragraph("Reviewed termly.")
    later.paragraph_format.page_break_before = True
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_paragraphs_tables_and_page_breaks() -> None:
    doc = advice_from_bytes("salt.docx", docx_bytes())
    assert doc.kind is AdviceKind.SPEECH_LANGUAGE
    assert doc.pages == (
        "Speech and Language Therapy Advice\nNeeds\nSam understands two key words.\n",
        "Provision\nTherapy; 30 minutes weekly; SLT",
        "Reviewed termly.",
    )


def test_pdf_is_read_page_by_page(tmp_path: Path) -> None:
    pdf = text_pdf([["Educational Psychology Advice", "Sam reads (slowly)."], ["Outcomes"]])
    path = tmp_path / "ep.pdf"
    path.write_bytes(pdf)
    doc = read_advice(path)
    assert doc.kind is AdviceKind.EDUCATIONAL_PSYCHOLOGY
    assert doc.pages == ("Educational Psychology Advice\nSam reads (slowly).", "Outcomes")


UNREADABLE = [
    ("advice.rtf", b"{\\rtf1 Sam}", "must be DOCX, PDF or plain text"),
    ("advice", b"Sam", "no extension"),
    ("advice.docx", b"not a zip file", "cannot be read as DOCX"),
    ("advice.pdf", b"%PDF-1.4 broken", "cannot be read as PDF"),
    ("blank.txt", b"  \n\f\n", "no text found"),
]


@pytest.mark.parametrize(("name", "data", "message"), UNREADABLE)
def test_unreadable_advice_is_a_user_error_saying_how_to_fix_it(
    name: str, data: bytes, message: str
) -> None:
    with pytest.raises(InputFileError, match=message) as raised:
        advice_from_bytes(name, data)
    assert raised.value.fix


def test_a_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="does not exist"):
        read_advice(tmp_path / "nowhere.txt")
