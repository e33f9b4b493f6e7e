"""School census extracts (CSV): pupils on and no longer on roll, exclusions, SEN needs, and
addresses of pupils no longer on roll. Each file kind is told apart by its header, never by
its name.

Pupil rows carry the person (``source_key`` is the pupil table id), a ``school_enrolment``
event and, when the extract holds sessions, an ``attendance`` event. Exclusion, SEN-need and
address rows carry events for the pupil named by their table id (``Row.subject_key``).
Addresses are ``address`` events (postcode and UPRN in ``details``) until the record contract
has a place for an address that arrives without its person.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from wholechild.core.codes import SEN_NEED_TYPES, normalise_sex
from wholechild.core.records import EventIn, FileReading, Finding, Row, Severity, SourceRecordIn
from wholechild.errors import InputFileError
from wholechild.formats import LoadOptions
from wholechild.formats._csv import (
    CsvLine,
    code_field,
    date_field,
    header_of,
    in_set,
    number_field,
    quarantined,
    read_csv,
    text_field,
)

AGENCY: Final = "education"
EXCLUSION_CATEGORY: Final = frozenset({"PERM", "FIXD", "LNCH"})
SESSIONS: Final = tuple(
    f"{period}sessions{kind}"
    for period in ("termly", "summerhalfterm2")
    for kind in ("possible", "authorised", "unauthorised")
)
ENROLMENT_DETAILS: Final = (
    "NativeId",
    "enrolstatus",
    "parttime",
    "boarder",
    "ncyearactual",
    "ncyearleaving",
    "senprovision",
    "moveoffrollflag",
    "moveonrollflag",
)

Builder = Callable[
    [dict[str, str], int, list[Finding]], tuple[SourceRecordIn | None, list[EventIn]]
]


@dataclass(frozen=True, slots=True)
class FileKind:
    """One school census file kind: the columns that identify it, whose rows it holds."""

    name: str
    signature: frozenset[str]
    key: str  # the column naming the pupil
    build: Builder
    carries_person: bool = False


def _sex_known(value: str) -> bool:
    return normalise_sex(value) is not None


def pupil(key: str) -> Builder:
    """A builder for pupil rows whose own id is in column ``key``."""

    def build(
        values: dict[str, str], number: int, findings: list[Finding]
    ) -> tuple[SourceRecordIn | None, list[EventIn]]:
        record = SourceRecordIn(
            source_key=text_field(values, key),
            forename=text_field(values, "forename"),
            middle_names=text_field(values, "middlenames"),
            surname=text_field(values, "surname"),
            preferred_surname=text_field(values, "preferredsurname"),
            former_surname=text_field(values, "formersurname"),
            date_of_birth=date_field(values, "dob", number, findings, required=True),
            sex=code_field(values, "sex", _sex_known, number, findings),
            upn=text_field(values, "upn"),
            former_upn=text_field(values, "formerupn"),
            uln=text_field(values, "uniquelearnernumber"),
        )
        events = [enrolment(values, number, findings), *attendance(values, number, findings)]
        return record, events

    return build


def enrolment(values: dict[str, str], number: int, findings: list[Finding]) -> EventIn:
    """The pupil's time on the roll of the school in ``NativeId``."""
    start = date_field(values, "entrydate", number, findings, required=True)
    end = date_field(values, "leavingdate", number, findings, required="leavingdate" in values)
    details: dict[str, object] = {
        c: text_field(values, c) for c in ENROLMENT_DETAILS if c in values
    }
    return EventIn(
        "school_enrolment",
        AGENCY,
        start_date=start,
        end_date=end,
        code=text_field(values, "NativeId"),
        details=details,
    )


def attendance(values: dict[str, str], number: int, findings: list[Finding]) -> list[EventIn]:
    """The census term's sessions, when the extract holds any."""
    sessions = {c: number_field(values, c, number, findings) for c in SESSIONS if c in values}
    if all(v is None for v in sessions.values()):
        return []
    details: dict[str, object] = {"NativeId": text_field(values, "NativeId"), **sessions}
    return [EventIn("attendance", AGENCY, details=details)]


def exclusion(
    values: dict[str, str], number: int, findings: list[Finding]
) -> tuple[SourceRecordIn | None, list[EventIn]]:
    category = code_field(values, "category", in_set(EXCLUSION_CATEGORY), number, findings)
    details: dict[str, object] = {
        c: text_field(values, c)
        for c in ("NativeId", "termlyexclusionsonrolltableid", "reason1", "reason2", "reason3")
    }
    details["senprovision"] = text_field(values, "senprovision")
    details["sessions"] = number_field(values, "sessions", number, findings)
    start = date_field(values, "startdate", number, findings, required=True)
    return None, [EventIn("exclusion", AGENCY, start_date=start, code=category, details=details)]


def sen_need(
    values: dict[str, str], number: int, findings: list[Finding]
) -> tuple[SourceRecordIn | None, list[EventIn]]:
    need = code_field(values, "sentype", in_set(frozenset(SEN_NEED_TYPES)), number, findings)
    details: dict[str, object] = {
        "NativeId": text_field(values, "NativeId"),
        "senneedstableid": text_field(values, "senneedstableid"),
        "rank": number_field(values, "sentyperank", number, findings),
    }
    return None, [EventIn("sen_need", AGENCY, code=need, details=details)]


def address(
    values: dict[str, str], number: int, findings: list[Finding]
) -> tuple[SourceRecordIn | None, list[EventIn]]:
    uprn = number_field(values, "uniquepropertyreferencenumber", number, findings)
    details: dict[str, object] = {
        "postcode": text_field(values, "postcode"),
        "uprn": str(uprn) if isinstance(uprn, int) and uprn > 0 else None,  # -1: not known
        "NativeId": text_field(values, "NativeId"),
        "order": text_field(values, "addressesoffrollorderseqcolumn"),
    }
    if details["postcode"] is None and details["uprn"] is None:
        return None, []
    return None, [EventIn("address", AGENCY, details=details)]


KINDS: Final = (
    FileKind(
        "pupilonroll",
        frozenset({"pupilonrolltableid", "dob", "upn", "surname", "forename", "entrydate"}),
        "pupilonrolltableid",
        pupil("pupilonrolltableid"),
        carries_person=True,
    ),
    FileKind(
        "pupilnolongeronroll",
        frozenset({"pupilnolongeronrolltableid", "dob", "upn", "surname", "leavingdate"}),
        "pupilnolongeronrolltableid",
        pupil("pupilnolongeronrolltableid"),
        carries_person=True,
    ),
    FileKind(
        "termlyexclusionsonroll",
        frozenset({"pupilonrolltableid", "startdate", "category", "sessions"}),
        "pupilonrolltableid",
        exclusion,
    ),
    FileKind(
        "senneeds",
        frozenset({"pupilonrolltableid", "sentype", "sentyperank"}),
        "pupilonrolltableid",
        sen_need,
    ),
    FileKind(
        "addressesoffroll",
        frozenset({"pupilnolongeronrolltableid", "postcode"}),
        "pupilnolongeronrolltableid",
        address,
    ),
)
_LOWER: Final = {c.lower(): c for k in KINDS for c in (*k.signature, k.key, *ENROLMENT_DETAILS)}


def kind_of(header: list[str]) -> FileKind | None:
    """The file kind whose identifying columns the header has (the most specific one)."""
    columns = {_column(h) for h in header}
    matches = [k for k in KINDS if k.signature <= columns]
    return max(matches, key=lambda k: len(k.signature), default=None)


def _column(name: str) -> str:
    """A header as this module spells it ('nativeid' -> 'NativeId'); others lower-cased."""
    lowered = name.strip().lower()
    return _LOWER.get(lowered, lowered)


def _no_subject(kind: FileKind, number: int) -> Finding:
    return Finding(
        "school_census.pupil_missing",
        f"{kind.key} is empty, so the row cannot be tied to a pupil",
        f"fill in {kind.key} and load the file again",
        severity=Severity.ERROR,
        row=number,
        field=kind.key,
    )


def _nothing(kind: FileKind, number: int) -> Finding:
    return Finding(
        "school_census.empty",
        f"the {kind.name} row holds nothing to load",
        "remove the row, or fill in what it should record",
        severity=Severity.ERROR,
        row=number,
    )


def census_row(kind: FileKind, number: int, raw: str, values: dict[str, str]) -> Row:
    """One row of a school census file of the given kind."""
    values = {_column(k): v for k, v in values.items()}
    subject = text_field(values, kind.key)
    if subject is None:
        return quarantined(number, raw, _no_subject(kind, number))
    findings: list[Finding] = []
    record, events = kind.build(values, number, findings)
    if record is None and not events:
        return quarantined(number, raw, _nothing(kind, number))
    return Row(
        number,
        raw,
        record=record,
        events=events,
        findings=findings,
        subject_key=None if kind.carries_person else subject,
    )


class SchoolCensusFormat:
    """School census extracts: one CSV per census table."""

    name: str = "school-census"
    description: str = (
        "School census extracts (pupils on/off roll, exclusions, SEN needs, addresses)"
    )
    agency: str = AGENCY
    default_source_system: str = "school_census"

    def sniff(self, path: Path, head: str) -> bool:
        return kind_of(header_of(head)) is not None

    def read(self, path: Path, reading: FileReading, options: LoadOptions) -> Iterator[Row]:
        header, lines = read_csv(path)
        kind = kind_of(header)
        if kind is None:
            raise InputFileError(
                f"{path.name}: the header matches none of the school census tables",
                fix="check the file is a school census CSV with its header line, or load it "
                "with a column mapping (--mapping)",
            )
        reading.file_findings.append(
            Finding("school_census.kind", f"read as the {kind.name} table", "", Severity.INFO)
        )
        return self._rows(kind, lines)

    def _rows(self, kind: FileKind, lines: Iterator[CsvLine]) -> Iterator[Row]:
        for line in lines:
            if line.problem is not None:
                yield quarantined(line.number, line.raw, line.problem)
            else:
                yield census_row(kind, line.number, line.raw, line.values)


FORMAT: Final = SchoolCensusFormat()
