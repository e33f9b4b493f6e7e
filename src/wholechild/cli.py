"""The command line: ``wholechild --help``.

Exit codes (one place; see README):
  0  done
  1  done, but a file could not be read, or (with --strict) rows were quarantined
  2  a usage problem (bad argument, missing path)
  3  configuration problem (WHOLECHILD_* settings)
  4  the store could not be reached or opened
  5  an input file could not be read at all
  7  a partner's file has no data-sharing agreement in force covering it (nothing loaded)
  70 an internal error (a bug): the details go to the log file, never to the screen
"""

from __future__ import annotations

import csv
import logging
import sys
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from wholechild.errors import UserError
from wholechild.settings import Settings, load_settings

EXIT_PROBLEMS = 1
EXIT_INTERNAL = 70
INTERNAL_LOG = Path("var/log/wholechild-errors.log")

app = typer.Typer(
    help="wholechild: an open, audited information platform for children's services.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="The store: create or upgrade its schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
link_app = typer.Typer(help="Record linkage: every source record to a person.")
app.add_typer(link_app, name="link")
review_app = typer.Typer(help="The clerical-review queue of uncertain pairs.", no_args_is_help=True)
app.add_typer(review_app, name="review")
from wholechild.cli_draft import draft_command  # noqa: E402 - the drafting assistant
from wholechild.cli_ehcp import ehcp_app, sen2_app  # noqa: E402 - EHCP cases, clocks, SEN2

ehcp_app.command("draft")(draft_command)
app.add_typer(ehcp_app, name="ehcp")
app.add_typer(sen2_app, name="sen2")
from wholechild.cli_audit import audit_app  # noqa: E402 - the audit trail's commands

app.add_typer(audit_app, name="audit")
from wholechild.cli_records import records_app  # noqa: E402 - sealing source records

app.add_typer(records_app, name="records")
from wholechild.cli_agreements import agreements_app, sharing_app  # noqa: E402 - governance

app.add_typer(agreements_app, name="agreements")
app.add_typer(sharing_app, name="sharing")
from wholechild.cli_web import serve, users_app  # noqa: E402 - the web app's commands

app.add_typer(users_app, name="users")
from wholechild.cli_governance import extract_command, hold_app, retention_app  # noqa: E402

app.add_typer(retention_app, name="retention")
app.add_typer(hold_app, name="hold")
app.command("extract")(extract_command)
from wholechild.cli_gov_people import gov_people_app  # noqa: E402 - sar, rectify, transparency

app.add_typer(gov_people_app)
app.command("serve")(serve)
console = Console()
errors = Console(stderr=True)


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Splink explains its training at length; its warnings are for modellers (-v shows them).
    logging.getLogger("splink").setLevel(logging.INFO if verbose else logging.ERROR)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
        disable=not errors.is_terminal,
    )


@app.command()
def synth(
    out: Annotated[Path, typer.Option(help="Folder to write the extracts into.")],
    children: Annotated[int, typer.Option(min=1, help="How many children.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same files.")] = 1,
    ehcp_cases: Annotated[
        int, typer.Option(min=0, help="Also write EHCP advice for N cases into OUT/advice/.")
    ] = 0,
) -> None:
    """Write a synthetic council: each agency's extract in its native format, plus ground truth."""
    from wholechild.synth import synthesise

    with _progress() as progress:
        task = progress.add_task("synthesising", total=None)

        def tick(stage: str, done: int) -> None:
            progress.update(task, description=f"{stage}: {done:,}")

        summary = synthesise(children=children, seed=seed, out_dir=out, progress=tick)
    table = Table("file", "rows", title=f"Synthetic council: {children:,} children, seed {seed}")
    for name, rows in sorted(summary.rows.items()):
        table.add_row(name, f"{rows:,}")
    console.print(table)
    console.print(f"written to {out} in {summary.seconds:.1f} s")
    if ehcp_cases:
        from wholechild.synth.advice import write_advice_cases

        advice = write_advice_cases(out / "advice", cases=ehcp_cases, seed=seed)
        console.print(
            f"EHCP advice: {advice.cases} cases, {advice.documents} documents, {advice.facts} "
            f"gold facts ({advice.vague_provisions} vague provisions) in {out / 'advice'}"
        )


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files, or folders of files, to load.")],
    format_name: Annotated[
        str, typer.Option("--format", help="auto|cin|ssda903|sen2|school-census|annex-a|csv")
    ] = "auto",
    mapping: Annotated[
        Path | None, typer.Option(help="YAML column mapping for an agency CSV/XLSX.")
    ] = None,
    source_system: Annotated[str | None, typer.Option(help="Override the source system.")] = None,
    agreement: Annotated[
        str | None, typer.Option(help="The data-sharing agreement the data arrived under.")
    ] = None,
    findings_out: Annotated[
        Path | None, typer.Option("--findings", help="Write every finding to this CSV.")
    ] = None,
    strict: Annotated[bool, typer.Option(help="Exit 1 when any row is quarantined.")] = False,
    actor: Annotated[str, typer.Option(help="Who is loading (recorded in the audit).")] = "cli",
) -> None:
    """Load agency files; report every problem (file, row, field, rule, fix) and reconcile."""
    from wholechild.actions.ingest import FileReport, ingest_file
    from wholechild.formats.discover import plan_files

    settings = load_settings()
    engine = _open_store(settings)
    fmt = "mapped" if format_name == "csv" else format_name
    reports: list[FileReport] = []
    with _progress() as progress:
        extra = {"schemas_dir": settings.schemas_dir} if settings.schemas_dir else {}
        for planned in plan_files(paths, mapping=mapping, source_system=source_system, extra=extra):
            task = progress.add_task(planned.path.name, total=None)
            reports.append(
                ingest_file(
                    engine,
                    planned.path,
                    actor=actor,
                    purpose="data load",
                    format_name="mapped" if planned.options.mapping else fmt,
                    options=planned.options,
                    agreement_ref=agreement,
                    chunk_rows=settings.ingest_chunk_rows,
                    progress=_ticker(progress, task),
                )
            )
            progress.remove_task(task)
    _print_reconciliation(reports)
    if findings_out is not None:
        _write_findings(findings_out, reports)
    unreadable = any(r.outcome == "unreadable" for r in reports)
    quarantined = any(r.rows_quarantined for r in reports)
    if unreadable or (strict and quarantined):
        raise typer.Exit(EXIT_PROBLEMS)


def _ticker(progress: Progress, task: Any) -> Callable[[int], None]:
    def tick(rows: int) -> None:
        progress.update(task, description=f"{rows:,} rows")

    return tick


def _open_store(settings: Settings) -> Any:
    from wholechild.audit.checkpoint import enable_automatic_checkpoints
    from wholechild.storage.db import make_engine, migrate

    engine = make_engine(settings.database_url)
    migrate(engine)
    enable_automatic_checkpoints(engine, settings)
    return engine


def _print_reconciliation(reports: Sequence[Any]) -> None:
    table = Table(
        "file",
        "format",
        "read",
        "loaded",
        "quarantined",
        "records",
        "events",
        "errors",
        "warnings",
        "reconciles",
        title="Ingestion: rows read = loaded + quarantined",
    )
    for r in reports:
        if r.outcome == "unreadable":
            table.add_row(r.file, "-", "-", "-", "-", "-", "-", "-", "-", "not read")
            continue
        status = (
            "already loaded" if r.outcome == "already_loaded" else ("yes" if r.reconciles else "NO")
        )
        table.add_row(
            r.file,
            r.format or "-",
            f"{r.rows_read:,}",
            f"{r.rows_loaded:,}",
            f"{r.rows_quarantined:,}",
            f"{r.records:,}",
            f"{r.events:,}",
            f"{_count(r, 'error'):,}",
            f"{_count(r, 'warning'):,}",
            status,
        )
    console.print(table)
    for r in reports:
        _print_findings(r)


def _count(report: Any, severity: str) -> int:
    return sum(1 for f in report.findings if f.severity.value == severity)


def _print_findings(report: Any, limit: int = 10) -> None:
    """Per file: each rule needing action, with its count and first occurrence as an example.

    Info notes are counted here and listed in full by --findings.
    """
    if report.error:
        errors.print(f"[bold]{report.file}[/]: {report.error}")
    actionable = [f for f in report.findings if f.severity.value != "info"]
    if not actionable:
        return
    first: dict[str, Any] = {}
    for finding in actionable:
        first.setdefault(finding.rule, finding)
    by_rule = Counter(f.rule for f in actionable)
    notes = len(report.findings) - len(actionable)
    console.print(f"\n[bold]{report.file}[/]: {len(actionable):,} findings (+{notes} info)")
    for rule, count in by_rule.most_common(limit):
        f = first[rule]
        where = f"row {f.row}" if f.row is not None else "file"
        console.print(
            f"  {count:>6,} x {f.severity.value:7} [{rule}] e.g. {where}, {f.field or '-'}: "
            f"{f.message}. Fix: {f.fix}",
            markup=False,
            highlight=False,
        )
    if len(by_rule) > limit:
        console.print(f"  ... and {len(by_rule) - limit} more rules (--findings FILE.csv)")


def _write_findings(path: Path, reports: Sequence[Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "row", "field", "rule", "severity", "message", "fix"])
        for r in reports:
            for f in r.findings:
                writer.writerow(
                    [r.file, f.row, f.field, f.rule, f.severity.value, f.message, f.fix]
                )
    console.print(f"findings written to {path}")


class LinkEngine(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


@link_app.callback(invoke_without_command=True)
def link(
    ctx: typer.Context,
    engine_name: Annotated[
        LinkEngine,
        typer.Option("--engine", help="Where pairs are scored: duckdb (in process) or spark."),
    ] = LinkEngine.duckdb,
    spark_master: Annotated[
        str | None,
        typer.Option(
            help="With --engine spark: the cluster (spark://HOST:7077, yarn); unset: local."
        ),
    ] = None,
    incremental: Annotated[
        bool, typer.Option(help="Reuse the stored model; keep persons; score new records too.")
    ] = False,
    truth: Annotated[
        Path | None,
        typer.Option(help="Synthetic council truth folder: set thresholds from a labelled sample."),
    ] = None,
    sample: Annotated[int, typer.Option(help="Pairs to label from --truth.")] = 2000,
    actor: Annotated[str, typer.Option(help="Who is linking (recorded in the audit).")] = "cli",
) -> None:
    """Link every source record to a person (Splink on DuckDB, or Spark), and store the run."""
    if ctx.invoked_subcommand is not None:
        return
    from wholechild.actions.link import link_store

    engine = _open_store(load_settings())
    labeller = _truth_labeller(engine, truth, sample) if truth else None
    session = _spark_session(spark_master) if engine_name is LinkEngine.spark else None
    try:
        with _progress() as progress:
            progress.add_task("linking", total=None)
            report = link_store(
                engine,
                actor=actor,
                purpose="record linkage",
                incremental=incremental,
                labeller=labeller,
                db_api=_spark_api(session) if session is not None else None,
            )
    finally:
        if session is not None:
            session.stop()
    _print_link_report(report)


def _spark_session(master: str | None) -> Any:
    from wholechild.linkage.spark import cluster_session, local_session

    return cluster_session(master) if master else local_session()


def _spark_api(session: Any) -> Any:
    from wholechild.linkage.spark import spark_api

    return spark_api(session)


def _truth_labeller(engine: Any, truth: Path, sample: int) -> Callable[[Any, Any], Any]:
    """Labels a sample of scored pairs from ground truth (synthetic council only)."""
    from wholechild.linkage.labels import labels_from_truth
    from wholechild.linkage.truth import truth_frame

    truth_records = truth_frame(engine, truth)

    def label(pairs: Any, membership: Any) -> Any:
        return labels_from_truth(pairs, membership, truth_records, sample=sample)

    return label


def _print_link_report(report: Any) -> None:
    summary = report.summary
    table = Table("measure", "value", title=f"Linkage run {summary.run_id}")
    rows = [
        ("source records", report.records),
        ("entities (records sharing a source key)", report.entities),
        ("scored candidate pairs", report.scored_pairs),
        ("persons", summary.clusters),
        ("persons kept from earlier runs", summary.persons_kept),
        ("new persons", summary.persons_new),
        ("links stored", summary.links),
        ("pairs for clerical review", summary.review_open),
    ]
    for name, value in rows:
        table.add_row(name, f"{value:,}")
    t = report.thresholds
    table.add_row("thresholds (upper / lower)", f"{t.upper:.4f} / {t.lower:.4f} ({t.source})")
    table.add_row("model hash", summary.model_hash[:16])
    table.add_row("seconds", ", ".join(f"{k} {v:.1f}" for k, v in report.timings.items()))
    console.print(table)


@link_app.command("evaluate")
def link_evaluate(
    truth: Annotated[Path, typer.Option(help="The synthetic council's truth folder.")],
    out: Annotated[Path, typer.Option(help="Folder for the Markdown report and chart.")] = Path(
        "var/linkage-quality"
    ),
) -> None:
    """Measure the stored linkage against ground truth: precision, recall, F1, by group."""
    from wholechild.linkage.chart import write_report
    from wholechild.linkage.evaluate import evaluate
    from wholechild.linkage.quality import blocking_evaluation, stored_clusters
    from wholechild.linkage.truth import truth_frame

    engine = _open_store(load_settings())
    truth_records = truth_frame(engine, truth)
    report = evaluate(stored_clusters(engine), truth_records)
    path = write_report(report, out)
    blocking = blocking_evaluation(engine, truth_records)
    blocking_path = write_report(blocking, out / "entities")
    overall = report.overall
    console.print(
        f"pairwise precision {overall.precision:.4f}, recall {overall.recall:.4f}, "
        f"F1 {overall.f1:.4f}; report: {path}"
    )
    if blocking.blocking is not None and blocking.blocking.recall is not None:
        console.print(
            f"blocking recall (entity pairs) {blocking.blocking.recall:.4f}; by group and "
            f"source pair: {blocking_path}"
        )


@review_app.command("list")
def review_list(
    limit: Annotated[int, typer.Option(help="How many pairs, most likely matches first.")] = 20,
) -> None:
    """Open review items: pair, match probability, and what each comparison contributed."""
    from wholechild.linkage.review_queue import open_items

    engine = _open_store(load_settings())
    items = open_items(engine, limit=limit)
    table = Table(
        "record",
        "record",
        "probability",
        "evidence (match weight by comparison)",
        title=f"Clerical review: {len(items)} shown",
    )
    for item in items:
        evidence = ", ".join(f"{k} {v:+.1f}" for k, v in item.contributions.items() if v)
        table.add_row(item.record_l, item.record_r, f"{item.match_probability:.3f}", evidence)
    console.print(table)


@review_app.command("decide")
def review_decide(
    record_l: Annotated[str, typer.Argument(help="One source record id.")],
    record_r: Annotated[str, typer.Argument(help="The other source record id.")],
    same: Annotated[bool, typer.Option("--same/--not-same", help="The reviewer's decision.")],
    reviewer: Annotated[str, typer.Option(help="Your name (recorded with the decision).")],
    reason: Annotated[str, typer.Option(help="Why (recorded with the decision).")],
) -> None:
    """Record that two records are (--same) or are not (--not-same) the same child."""
    from wholechild.actions.review import decide_pair

    outcome = decide_pair(
        _open_store(load_settings()),
        record_l=record_l,
        record_r=record_r,
        decision="same" if same else "not_same",
        reviewer=reviewer,
        reason=reason,
        purpose="linkage review",
    )
    console.print(
        f"decision {outcome.decision_ids[0]} recorded; {len(outcome.moved)} records moved person"
    )


@review_app.command("merge")
def review_merge(
    person_ids: Annotated[list[int], typer.Argument(help="Two or more person ids: one child.")],
    actor: Annotated[str, typer.Option(help="Your name (recorded with the decision).")],
    reason: Annotated[str, typer.Option(help="Why (recorded with the decision).")],
) -> None:
    """Merge persons that are one child; the decision survives every later linkage run."""
    from wholechild.actions.review import merge_persons

    outcome = merge_persons(
        _open_store(load_settings()),
        person_ids=person_ids,
        actor=actor,
        reason=reason,
        purpose="linkage review",
    )
    console.print(f"merged: {len(outcome.moved)} records moved person")


@review_app.command("split")
def review_split(
    record_id: Annotated[str, typer.Argument(help="The source record that is another child.")],
    actor: Annotated[str, typer.Option(help="Your name (recorded with the decision).")],
    reason: Annotated[str, typer.Option(help="Why (recorded with the decision).")],
) -> None:
    """Split a record off its person; the decision survives every later linkage run."""
    from wholechild.actions.review import split_record

    outcome = split_record(
        _open_store(load_settings()),
        record_id=record_id,
        actor=actor,
        reason=reason,
        purpose="linkage review",
    )
    console.print(f"split: {len(outcome.moved)} records moved person")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the store's schema to the current version."""
    from wholechild.storage.db import describe

    engine = _open_store(load_settings())
    console.print(f"store at {describe(engine)} is up to date")


@contextmanager
def _user_errors() -> Iterator[None]:
    try:
        yield
    except UserError as exc:
        errors.print(f"error: {exc}", markup=False, highlight=False)
        raise SystemExit(exc.exit_code) from None
    except KeyboardInterrupt:
        errors.print("interrupted: the batch in progress was rolled back; nothing half-written")
        raise SystemExit(130) from None
    except Exception:  # noqa: BLE001 - the one place bugs are caught, logged, never shown raw
        INTERNAL_LOG.parent.mkdir(parents=True, exist_ok=True)
        with INTERNAL_LOG.open("a", encoding="utf-8") as handle:
            handle.write(f"--- {datetime.now(UTC).isoformat()}\n{traceback.format_exc()}\n")
        errors.print(
            f"internal error: this is a bug in wholechild, not in your data. The details are "
            f"in {INTERNAL_LOG}; please report them. Any batch in progress was rolled back."
        )
        raise SystemExit(EXIT_INTERNAL) from None


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the CLI with user errors mapped to exit codes, never a traceback."""
    with _user_errors():
        app(args=list(argv) if argv is not None else None)


if __name__ == "__main__":
    main()
