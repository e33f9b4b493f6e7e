"""``wholechild ehcp draft ADVICE_FILES... --out PLAN``: a draft EHC plan from advice files.

The lead registers ``draft_command`` on the ``ehcp`` group (``ehcp_app.command("draft")``);
errors are ``UserError``s, which ``wholechild.cli.main`` turns into messages and exit codes.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from wholechild.ehcp.documents import read_advice
from wholechild.ehcp.drafting import draft_plan
from wholechild.ehcp.export import EXPORT_FORMATS, write_plan
from wholechild.ehcp.model import AdviceDocument, DraftPlan, Section
from wholechild.ehcp.rephrase import rephraser_from_settings
from wholechild.errors import InputFileError, UserError
from wholechild.settings import load_settings

__all__ = ["draft_command"]

report = Console(stderr=True)


def draft_command(
    advice_files: Annotated[
        list[Path], typer.Argument(help="Advice as DOCX, PDF or plain text, one file each.")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The draft plan: PLAN.docx, .pdf, .md or .json.")
    ],
) -> None:
    """Draft an EHC plan from advice: every sentence cites the advice it came from."""
    if out.suffix.lower() not in EXPORT_FORMATS:
        raise UserError(
            f"cannot write a plan as {out.suffix or 'a file with no extension'}: {out}",
            fix="name the output .docx, .pdf, .md or .json",
        )
    settings = load_settings()
    documents = read_all(advice_files)
    started = time.perf_counter()
    plan = draft_plan(documents, rephraser=rephraser_from_settings(settings))
    elapsed = time.perf_counter() - started
    out.parent.mkdir(parents=True, exist_ok=True)
    write_plan(plan, out)
    _summarise(plan, out, elapsed)


def read_all(paths: list[Path]) -> list[AdviceDocument]:
    """Every advice file, or one error naming every file that could not be read."""
    documents: list[AdviceDocument] = []
    problems: list[str] = []
    for path in paths:
        try:
            documents.append(read_advice(path))
        except InputFileError as exc:
            problems.append(f"{exc.message} ({exc.fix})" if exc.fix else exc.message)
    if problems:
        raise InputFileError(
            f"{len(problems)} of {len(paths)} advice files cannot be read:\n"
            + "\n".join(f"  - {p}" for p in problems),
            fix="correct each file as its line says, then run the command again",
        )
    return documents


def _summarise(plan: DraftPlan, out: Path, elapsed: float) -> None:
    counts = Counter(s.section for s in plan.sentences)
    table = Table("section", "sentences")
    for section in Section:
        table.add_row(section.value, str(counts.get(section, 0)))
    report.print(table)
    report.print(
        f"Draft plan written to {out}: {len(plan.sentences)} sentences from "
        f"{len(plan.advice)} pieces of advice in {elapsed:.2f} s; each cites its source "
        "(see the provenance appendix).",
        highlight=False,
    )
