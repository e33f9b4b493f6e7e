"""What a source-format loader hands to ingestion: rows, source records, events, findings.

These are plain data, independent of storage. A loader reads one file and yields one
:class:`Row` per logical row (a CSV line, a ``<Child>`` or ``<Person>`` element, a sheet row).
Ingestion stores what the row carries and reconciles: rows read = loaded + quarantined.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How bad a finding is.

    ``ERROR`` means the row cannot be loaded: it is quarantined with its raw content.
    ``WARNING`` means the row loads but a value is wrong or doubtful (a failed check digit,
    an unknown code, a date in the future); it is stored with the record.
    ``INFO`` is worth knowing but needs no action.
    """

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in one place: which row, which field, which rule, and how to fix it.

    Messages never quote a child's details; they name the field and the rule.
    """

    rule: str  # a stable code, e.g. "upn.check_letter", "date.unparseable", "xsd"
    message: str
    fix: str
    severity: Severity = Severity.WARNING
    row: int | None = None  # 1-based data row (CSV), or the line number (XML)
    field: str | None = None  # the field as the file names it


@dataclass(slots=True)
class AddressIn:
    """One address in a person's history as the source holds it."""

    postcode: str | None
    line: str | None = None  # free-text address, if the source has one
    uprn: str | None = None
    start_date: date | None = None
    end_date: date | None = None


@dataclass(slots=True)
class SourceRecordIn:
    """A person as one source system sees them, raw values kept alongside the loader's parse.

    Normalised forms (normalised name, postcode, identifier checks) are computed by ingestion,
    not by loaders, so that every format is normalised the same way.
    """

    source_key: str | None  # the source system's own id for the child (LA child id, CHILD, ...)
    forename: str | None = None
    middle_names: str | None = None
    surname: str | None = None
    preferred_surname: str | None = None
    former_surname: str | None = None
    date_of_birth: date | None = None
    # The window of possible dates of birth when the source gives an age, not a date of birth.
    dob_earliest: date | None = None
    dob_latest: date | None = None
    sex: str | None = None  # raw code as received
    ethnicity: str | None = None  # raw code as received
    nhs_number: str | None = None
    upn: str | None = None
    former_upn: str | None = None
    upn_unknown: str | None = None  # UN1..UN10: why there is no UPN
    uln: str | None = None
    la_child_id: str | None = None
    police_ref: str | None = None
    addresses: list[AddressIn] = field(default_factory=list)


@dataclass(slots=True)
class EventIn:
    """Something that happened to a child, dated, from one agency.

    ``event_type`` uses the Standard Safeguarding Dataset table names where SSD covers it
    (``cin_episodes``, ``cin_assessments``, ``assessment_factors``, ``cin_plans``,
    ``s47_enquiry``, ``cp_plans``, ``cla_episodes``, ``cla_reviews``, ``missing``,
    ``sen_need``, ``ehcp_requests``, ``ehcp_assessment``, ``ehcp_named_plan``,
    ``ehcp_active_plans``) and plain names elsewhere (``school_enrolment``, ``exclusion``,
    ``attendance``, ``health_contact``, ``police_notification``, ``early_help_episode``).
    ``details`` keeps the source's own field names and codes.
    """

    event_type: str
    agency: str
    start_date: date | None = None
    end_date: date | None = None
    code: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Row:
    """One logical row of a file, as the loader understood it.

    A row with ``record is None and not events`` is quarantined with ``raw``. A loader must
    never drop a row: if it cannot parse it, it yields it with an ``ERROR`` finding.
    ``subject_key`` ties events to the child in the same source system when the row carries
    no person (SSDA903 episodes.csv, school census exclusions).
    """

    number: int
    raw: str
    record: SourceRecordIn | None = None
    events: list[EventIn] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    subject_key: str | None = None

    @property
    def quarantined(self) -> bool:
        return self.record is None and not self.events


@dataclass(slots=True)
class FileReading:
    """A loader's reading of a file: file-level facts, then its rows (an iterator)."""

    format: str
    source_system: str
    agency: str
    file_findings: list[Finding] = field(default_factory=list)
