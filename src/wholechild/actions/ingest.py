"""The ingest action: one file, one batch, one transaction.

A file is read by its format's loader; every row is stored (as a source record and events) or
quarantined with its raw content; every finding is stored with its row and field; the batch,
its counts and its audit entry commit together or not at all. A file whose content was loaded
before (same source system, same SHA-256) loads nothing new.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from wholechild.actions.agreements import FileArrival, agreement_for_file
from wholechild.actions.audit import record_audit
from wholechild.core.normalise import normalise_postcode
from wholechild.core.records import FileReading, Finding, Row, Severity
from wholechild.core.standardise import standardise
from wholechild.errors import InputFileError
from wholechild.formats import LoadOptions, SourceFormat, detect_format, format_named
from wholechild.storage.schema import (
    Event,
    IngestBatch,
    IngestFinding,
    QuarantinedRow,
    SourceAddress,
    SourceRecord,
)

log = logging.getLogger(__name__)
Outcome = Literal["loaded", "already_loaded", "unreadable"]
Progress = Callable[[int], None]


@dataclass(slots=True)
class FileReport:
    """What happened to one file: the reconciliation and every finding."""

    file: str
    outcome: Outcome
    format: str | None = None
    source_system: str | None = None
    batch_id: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    records: int = 0
    events: int = 0
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_quarantined

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ingest_file(
    engine: Engine,
    path: Path,
    *,
    actor: str,
    purpose: str,
    format_name: str = "auto",
    options: LoadOptions | None = None,
    agreement_ref: str | None = None,
    chunk_rows: int = 5000,
    progress: Progress | None = None,
    today: date | None = None,
) -> FileReport:
    """Load one file as one batch. Bad content never raises: it becomes findings.

    A partner's file (any format but the council's own systems') is refused with
    ``NoAgreementError`` unless a data-sharing agreement covering its source system is in force
    on ``today``; the rows then carry that agreement's reference in their provenance."""
    options = options or LoadOptions()
    try:
        fmt = detect_format(path, options) if format_name == "auto" else format_named(format_name)
    except InputFileError as exc:
        return FileReport(file=path.name, outcome="unreadable", error=str(exc))
    source_system = options.source_system or _mapped_system(options) or fmt.default_source_system
    sha = file_sha256(path)
    existing = _existing_batch(engine, source_system, sha)
    if existing is not None:
        return FileReport(path.name, "already_loaded", fmt.name, source_system, batch_id=existing)
    today = today or datetime.now(UTC).date()
    # A partner's file needs a data-sharing agreement in force today (NoAgreementError).
    arrival = FileArrival(path.name, fmt.name, source_system, today, agreement_ref)
    agreement_ref = agreement_for_file(engine, arrival, actor=actor, purpose=purpose)
    reading = FileReading(format=fmt.name, source_system=source_system, agency=fmt.agency)
    context = _BatchContext(
        path=path,
        sha=sha,
        fmt=fmt,
        reading=reading,
        actor=actor,
        purpose=purpose,
        agreement_ref=agreement_ref,
        today=today,
    )
    try:
        with engine.begin() as conn:
            return _load(conn, context, fmt.read(path, reading, options), chunk_rows, progress)
    except IntegrityError:
        # Another process committed the same content between our check and our commit; any
        # other constraint failure (e.g. the audit write) is a real error.
        batch = _existing_batch(engine, source_system, sha)
        if batch is None:
            raise
        return FileReport(path.name, "already_loaded", fmt.name, source_system, batch_id=batch)


def _mapped_system(options: LoadOptions) -> str | None:
    value = (options.mapping or {}).get("source_system")
    return str(value) if value else None


def _existing_batch(engine: Engine, source_system: str, sha: str) -> int | None:
    query = select(IngestBatch.id).where(
        IngestBatch.source_system == source_system, IngestBatch.file_sha256 == sha
    )
    with engine.connect() as conn:
        return conn.execute(query).scalar_one_or_none()


@dataclass(slots=True)
class _BatchContext:
    path: Path
    sha: str
    fmt: SourceFormat
    reading: FileReading
    actor: str
    purpose: str
    agreement_ref: str | None
    today: date


def _load(
    conn: Connection,
    ctx: _BatchContext,
    rows: Iterator[Row],
    chunk_rows: int,
    progress: Progress | None,
) -> FileReport:
    started = datetime.now(UTC)
    batch_id = _open_batch(conn, ctx, started)
    writer = _BatchWriter(conn, ctx, batch_id, started)
    report = FileReport(ctx.path.name, "loaded", ctx.fmt.name, ctx.reading.source_system, batch_id)
    for row in rows:
        writer.add(row, report)
        if writer.pending >= chunk_rows:
            writer.flush()
            if progress is not None:
                progress(report.rows_read)
    writer.add_file_findings(ctx.reading.file_findings, report)
    writer.flush()
    _close_batch(conn, batch_id, report)
    record_audit(
        conn,
        actor=ctx.actor,
        purpose=ctx.purpose,
        action="ingest.file",
        target_type="ingest_batch",
        target_id=str(batch_id),
        details=_audit_details(report),
    )
    log.info(
        "ingested batch %s: %s rows, %s quarantined",
        batch_id,
        report.rows_read,
        report.rows_quarantined,
    )
    return report


def _open_batch(conn: Connection, ctx: _BatchContext, started: datetime) -> int:
    values = {
        "file_name": ctx.path.name,
        "file_sha256": ctx.sha,
        "format": ctx.fmt.name,
        "source_system": ctx.reading.source_system,
        "agency": ctx.reading.agency,
        "agreement_ref": ctx.agreement_ref,
        "actor": ctx.actor,
        "started_at": started,
        "completed_at": started,
        "rows_read": 0,
        "rows_loaded": 0,
        "rows_quarantined": 0,
        "records_loaded": 0,
        "events_loaded": 0,
        "findings_count": 0,
    }
    result = conn.execute(insert(IngestBatch).returning(IngestBatch.id), values)
    return int(result.scalar_one())


def _close_batch(conn: Connection, batch_id: int, report: FileReport) -> None:
    conn.execute(
        update(IngestBatch)
        .where(IngestBatch.id == batch_id)
        .values(
            completed_at=datetime.now(UTC),
            rows_read=report.rows_read,
            rows_loaded=report.rows_loaded,
            rows_quarantined=report.rows_quarantined,
            records_loaded=report.records,
            events_loaded=report.events,
            findings_count=len(report.findings),
        )
    )


def _audit_details(report: FileReport) -> dict[str, Any]:
    return {
        "file": report.file,
        "format": report.format,
        "rows_read": report.rows_read,
        "rows_loaded": report.rows_loaded,
        "rows_quarantined": report.rows_quarantined,
        "records": report.records,
        "events": report.events,
        "findings": len(report.findings),
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


class _BatchWriter:
    """Buffers a batch's rows and writes them in chunks, parents before children."""

    def __init__(self, conn: Connection, ctx: _BatchContext, batch_id: int, at: datetime):
        self.conn = conn
        self.ctx = ctx
        self.provenance = {
            "batch_id": batch_id,
            "source_system": ctx.reading.source_system,
            "file_name": ctx.path.name,
            "ingested_at": at,
            "agreement_ref": ctx.agreement_ref,
        }
        self.batch_id = batch_id
        self.buffers: dict[Any, list[dict[str, Any]]] = {
            SourceRecord: [],
            SourceAddress: [],
            Event: [],
            QuarantinedRow: [],
            IngestFinding: [],
        }

    @property
    def pending(self) -> int:
        return len(self.buffers[SourceRecord]) + len(self.buffers[Event])

    def add(self, row: Row, report: FileReport) -> None:
        report.rows_read += 1
        findings = list(row.findings)
        record_id = None
        if row.quarantined:
            report.rows_quarantined += 1
            self._quarantine(row)
        else:
            report.rows_loaded += 1
            if row.record is not None:
                record_id = self._record(row, findings)
                report.records += 1
            self._events(row, record_id)
            report.events += len(row.events)
        self._findings(findings, record_id, report)

    def add_file_findings(self, findings: Iterable[Finding], report: FileReport) -> None:
        self._findings(list(findings), None, report)

    def _record(self, row: Row, findings: list[Finding]) -> uuid.UUID:
        record = row.record
        assert record is not None
        std, more = standardise(record, row=row.number, today=self.ctx.today)
        findings.extend(more)
        record_id = uuid.uuid4()
        self.buffers[SourceRecord].append(
            {
                **self.provenance,
                "row_number": row.number,
                "id": record_id,
                "person_id": None,
                "source_key": record.source_key,
                "raw_row": row.raw,
                "forename": record.forename,
                "middle_names": record.middle_names,
                "surname": record.surname,
                "preferred_surname": record.preferred_surname,
                "former_surname": record.former_surname,
                "date_of_birth": record.date_of_birth,
                "dob_earliest": record.dob_earliest,
                "dob_latest": record.dob_latest,
                "sex_raw": record.sex,
                "ethnicity_raw": record.ethnicity,
                "nhs_number_raw": record.nhs_number,
                "upn_raw": record.upn,
                "former_upn_raw": record.former_upn,
                "uln_raw": record.uln,
                "la_child_id": record.la_child_id,
                "police_ref": record.police_ref,
                "forename_norm": std.forename_norm,
                "surname_norm": std.surname_norm,
                "sex": std.sex,
                "ethnicity": std.ethnicity,
                "nhs_number": _fit(std.nhs_number, 10),
                "nhs_number_check": std.nhs_number_check.value,
                "upn": _fit(std.upn, 13),
                "upn_check": std.upn_check.value,
                "upn_unknown": std.upn_unknown,
                "uln": _fit(std.uln, 10),
                "uln_check": std.uln_check.value,
                "postcode": std.postcode,
            }
        )
        self._addresses(row, record_id)
        return record_id

    def _addresses(self, row: Row, record_id: uuid.UUID) -> None:
        assert row.record is not None
        for address in row.record.addresses:
            self.buffers[SourceAddress].append(
                {
                    **self.provenance,
                    "row_number": row.number,
                    "source_record_id": record_id,
                    "subject_key": row.record.source_key,
                    "postcode_raw": address.postcode,
                    "postcode": normalise_postcode(address.postcode),
                    "address_line": address.line,
                    "uprn": address.uprn,
                    "start_date": address.start_date,
                    "end_date": address.end_date,
                }
            )

    def _events(self, row: Row, record_id: uuid.UUID | None) -> None:
        subject = row.subject_key or (row.record.source_key if row.record else None)
        for event in row.events:
            self.buffers[Event].append(
                {
                    **self.provenance,
                    "row_number": row.number,
                    "source_record_id": record_id,
                    "subject_key": subject,
                    "person_id": None,
                    "event_type": event.event_type,
                    "agency": event.agency,
                    "start_date": event.start_date,
                    "end_date": event.end_date,
                    "code": event.code,
                    "details": _jsonable(event.details),
                }
            )

    def _quarantine(self, row: Row) -> None:
        reasons = [f.message for f in row.findings if f.severity is Severity.ERROR]
        self.buffers[QuarantinedRow].append(
            {
                **self.provenance,
                "row_number": row.number,
                "raw": row.raw,
                "reason": "; ".join(reasons) or "the row could not be read",
            }
        )

    def _findings(
        self, findings: list[Finding], record_id: uuid.UUID | None, report: FileReport
    ) -> None:
        report.findings.extend(findings)
        for f in findings:
            self.buffers[IngestFinding].append(
                {
                    "batch_id": self.batch_id,
                    "source_record_id": record_id,
                    "row_number": f.row,
                    "field": f.field,
                    "rule": f.rule,
                    "severity": f.severity.value,
                    "message": f.message,
                    "fix": f.fix,
                }
            )

    def flush(self) -> None:
        for table, rows in self.buffers.items():
            if rows:
                self.conn.execute(insert(table), rows)
                rows.clear()


def _fit(value: str | None, length: int) -> str | None:
    """An identifier too long for its column is kept raw only (the finding says why)."""
    return value if value is None or len(value) <= length else None
