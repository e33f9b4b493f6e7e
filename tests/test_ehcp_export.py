"""Export: the draft as DOCX, PDF, Markdown and JSON, sections A-K and a provenance appendix;
and the command ``wholechild ehcp draft``."""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace
from pathlib import Path

import docx
import pytest
import typer
from pypdf import PdfReader
from typer.testing import CliRunner

from wholechild.cli_draft import draft_command
from wholechild.ehcp.documents import read_advice
from wholechild.ehcp.drafting import draft_plan
from wholechild.ehcp.export import PLACEMENT_NOTE, Block, pdf_bytes, write_plan
from wholechild.ehcp.model import (
    SECTION_TITLES,
    ClarificationRequest,
    DraftPlan,
    Generation,
    Section,
)
from wholechild.ehcp.spans import tidy
from wholechild.errors import InputFileError, UserError

FIXTURES = Path(__file__).parent / "fixtures" / "advice"
SECTION_HEADINGS = [f"Section {s.value}: {SECTION_TITLES[s]}" for s in Section]


@pytest.fixture(scope="module")
def plan() -> DraftPlan:
    return draft_plan([read_advice(path) for path in sorted(FIXTURES.glob("*.txt"))])


def paragraphs(path: Path) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in docx.Document(str(path)).paragraphs]


def test_docx_has_sections_a_to_k_in_order_then_the_appendix(
    plan: DraftPlan, tmp_path: Path
) -> None:
    write_plan(plan, tmp_path / "plan.docx")
    headings = [text for style, text in paragraphs(tmp_path / "plan.docx") if style == "Heading 1"]
    assert headings == [*SECTION_HEADINGS, "Provenance appendix"]


def test_docx_sentences_carry_markers_that_the_appendix_resolves(
    plan: DraftPlan, tmp_path: Path
) -> None:
    write_plan(plan, tmp_path / "plan.docx")
    body = paragraphs(tmp_path / "plan.docx")
    appendix_at = body.index(("Heading 1", "Provenance appendix"))
    sentences = [text for style, text in body[:appendix_at] if re.search(r" \[\d+\]$", text)]
    appendix = [text for _, text in body[appendix_at + 1 :]]
    assert len(sentences) == len(plan.sentences)
    names = {doc.doc_id: doc.file_name for doc in plan.advice}
    for number, sentence in enumerate(sentences, start=1):
        drafted = next(s for s in plan.sentences if sentence == f"{s.text} [{number}]")
        [entry] = [line for line in appendix if line.startswith(f"[{number}] ")]
        span = drafted.citations[0]
        assert f"{names[span.doc_id]} (document {span.doc_id}), page {span.page}" in entry
        assert f"characters {span.start}-{span.end}" in entry
        assert tidy(span.text) in entry


def test_docx_leaves_placement_blank_and_groups_needs_by_area(
    plan: DraftPlan, tmp_path: Path
) -> None:
    write_plan(plan, tmp_path / "plan.docx")
    body = paragraphs(tmp_path / "plan.docx")
    at = body.index(("Heading 1", SECTION_HEADINGS[list(Section).index(Section.I)]))
    assert body[at + 1][1] == PLACEMENT_NOTE
    b_at = body.index(("Heading 1", SECTION_HEADINGS[1]))
    c_at = body.index(("Heading 1", SECTION_HEADINGS[2]))
    areas = [text for style, text in body[b_at:c_at] if style == "Heading 2"]
    assert areas == [
        "Communication and interaction",
        "Cognition and learning",
        "Social, emotional and mental health",
    ]


def test_pdf_has_the_same_sections_and_appendix(plan: DraftPlan, tmp_path: Path) -> None:
    write_plan(plan, tmp_path / "plan.pdf")
    reader = PdfReader(str(tmp_path / "plan.pdf"))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 2
    for section in Section:
        assert f"Section {section.value}:" in text
    assert "Provenance appendix" in text
    assert "30 minutes weekly" in " ".join(text.split())


def test_pdf_escapes_brackets_and_backslashes_and_starts_new_pages() -> None:
    blocks = [Block("text", f"Line {n} (with) a \\ backslash") for n in range(80)]
    reader = PdfReader(io.BytesIO(pdf_bytes(blocks)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) > 1
    assert "Line 79 (with) a \\ backslash" in text


def test_markdown_and_json_carry_the_same_sentences(plan: DraftPlan, tmp_path: Path) -> None:
    write_plan(plan, tmp_path / "plan.md")
    write_plan(plan, tmp_path / "plan.json")
    markdown = (tmp_path / "plan.md").read_text(encoding="utf-8")
    data = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert markdown.count("\n## Section ") == len(Section)
    assert {s["text"] for s in data["sentences"]} == {s.text for s in plan.sentences}
    assert all(s["citations"] for s in data["sentences"])
    assert {a["file_name"] for a in data["advice"]} == {d.file_name for d in plan.advice}


def test_an_unknown_output_format_is_a_user_error(plan: DraftPlan, tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"\.odt"):
        write_plan(plan, tmp_path / "plan.odt")


def cli() -> typer.Typer:
    """The command as the lead registers it: ``ehcp draft``."""
    app = typer.Typer()
    ehcp = typer.Typer()
    ehcp.command("draft")(draft_command)
    app.add_typer(ehcp, name="ehcp")
    return app


def test_the_command_drafts_a_plan_from_advice_files(tmp_path: Path) -> None:
    files = [str(FIXTURES / "salt_report.txt"), str(FIXTURES / "parent_view.txt")]
    out = tmp_path / "out" / "plan.docx"
    result = CliRunner().invoke(cli(), ["ehcp", "draft", *files, "--out", str(out)])
    assert result.exit_code == 0, result.output
    headings = [text for style, text in paragraphs(out) if style == "Heading 1"]
    assert headings[0] == SECTION_HEADINGS[0]
    assert "from 2 pieces of advice" in result.output


def test_the_command_names_every_unreadable_file_at_once(tmp_path: Path) -> None:
    (tmp_path / "a.rtf").write_text("x")
    args = ["ehcp", "draft", str(tmp_path / "missing.txt"), str(tmp_path / "a.rtf"),
            str(FIXTURES / "salt_report.txt"), "--out", str(tmp_path / "plan.pdf")]  # fmt: skip
    result = CliRunner().invoke(cli(), args)
    assert isinstance(result.exception, InputFileError)
    assert "2 of 3 advice files" in result.exception.message
    assert "missing.txt" in result.exception.message and "a.rtf" in result.exception.message
    assert not (tmp_path / "plan.pdf").exists()


def test_clarification_requests_are_listed_before_the_appendix(tmp_path: Path) -> None:
    doc = read_advice(FIXTURES / "school_report.txt")
    plan = draft_plan([doc])
    vague = plan.section(Section.F)[0].citations[0]
    plan.clarifications.append(ClarificationRequest(doc.doc_id, vague, "How many minutes?"))
    write_plan(plan, tmp_path / "plan.docx")
    texts = [text for _, text in paragraphs(tmp_path / "plan.docx")]
    at = texts.index("Questions for the authors of the advice")
    assert texts[at + 1] == "school_report.txt, page 1: How many minutes?"
    assert texts[at + 2] == "Provenance appendix"


def test_the_appendix_names_the_model_that_reworded_a_sentence(tmp_path: Path) -> None:
    doc = read_advice(FIXTURES / "child_view.txt")
    [first, *rest] = draft_plan([doc]).sentences
    generation = Generation("tiny", "fp_42", "ab" * 32, first.text)
    reworded = replace(first, text="Sam likes football.", generation=generation)
    plan = DraftPlan(sentences=[reworded, *rest], advice=[doc])
    write_plan(plan, tmp_path / "plan.md")
    markdown = (tmp_path / "plan.md").read_text(encoding="utf-8")
    assert "Sam likes football. [1]" in markdown
    assert f"[1] reworded by tiny (version fp_42, prompt SHA-256 {'ab' * 32})" in markdown
