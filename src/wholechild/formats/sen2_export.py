"""The SEN2 return (2024 schema), produced from the EHCP cases in the store.

``wholechild sen2 export --year Y`` writes one ``<Person>`` per child with a case in scope,
and one ``<Requests>`` per case, in the layout the SEN2 loader (``formats.sen2``) reads and
the synthetic council writes. The reference date is the third Thursday of January of year Y
(census day). A case is in scope when its request was received by the reference date and it
was received in calendar year Y-1, or its plan was active on the reference date, or it was
still undecided then; steps after the reference date are ignored.

Codes: RequestOutcome Y (assess) / N (not) / A (awaiting a decision), or H for requests
received before Y-1 (historic); AssessmentOutcome the same for the plan decision; Week20 is 1
when the final plan was issued within 20 weeks of the request (the DfE leaves exception cases
out when it computes timeliness; see ``ehcp.performance``). The child's details come from the
person's source records (the SEN2 record first). The export is audited (counts only); the file
is moved into place only when the audit entry commits.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Final, cast

from lxml import etree
from sqlalchemy import Connection, Engine, select

from wholechild.actions.audit import record_audit
from wholechild.ehcp.clocks import Step
from wholechild.ehcp.performance import within_20_weeks
from wholechild.errors import InputFileError, UserError
from wholechild.read.caseload import case_steps
from wholechild.storage.schema import EhcpCase, SourceAddress, SourceRecord

__all__ = ["Sen2Export", "export_sen2", "reference_date"]

SCHEMA: Final = "sen2/SEN2_schema_2024.xsd"
SEX: Final = frozenset({"M", "F", "U"})
ENDS_REQUEST: Final = frozenset({"decision_not_to_assess", "decision_not_to_issue", "plan_ceased"})


@dataclass(slots=True)
class Sen2Export:
    """What was written: counts, and each case left out with why (ids only)."""

    path: Path
    year: int
    reference: date
    persons: int = 0
    requests: int = 0
    plans: int = 0
    left_out: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Case:
    id: int
    person_id: int
    steps: list[Step]
    needs: tuple[str, ...]
    urn: str | None


def reference_date(year: int) -> date:
    """SEN2 census day: the third Thursday of January."""
    first = date(year, 1, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(weeks=2)


# --- what is in scope -------------------------------------------------------------------------


def _first(steps: Sequence[Step], *names: str) -> Step | None:
    return next((s for s in steps if s.step in names), None)


def _in_scope(case: _Case, year: int) -> bool:
    received = case.steps[0].on
    plan = _first(case.steps, "final_plan_issued")
    ended = _first(case.steps, *ENDS_REQUEST)
    active_plan = plan is not None and _first(case.steps, "plan_ceased") is None
    undecided = plan is None and ended is None
    return received >= date(year - 1, 1, 1) or active_plan or undecided


def _cases(conn: Connection, year: int, reference: date) -> list[_Case]:
    rows = conn.execute(
        select(EhcpCase.id, EhcpCase.person_id, EhcpCase.sen_needs, EhcpCase.setting_urn)
        .where(EhcpCase.request_received_on <= reference)
        .order_by(EhcpCase.person_id, EhcpCase.id)
    ).all()
    steps = case_steps(conn, [r.id for r in rows])
    cases = [
        _Case(r.id, r.person_id, [s for s in steps.get(r.id, []) if s.on <= reference],
              tuple((r.sen_needs or "").split()), r.setting_urn)
        for r in rows
    ]  # fmt: skip
    return [c for c in cases if c.steps and _in_scope(c, year)]


# --- who the child is -------------------------------------------------------------------------

_IDENTITY = (
    SourceRecord.id,
    SourceRecord.person_id,
    SourceRecord.source_system,
    SourceRecord.surname,
    SourceRecord.forename,
    SourceRecord.date_of_birth,
    SourceRecord.sex_raw,
    SourceRecord.sex,
    SourceRecord.ethnicity_raw,
    SourceRecord.ethnicity,
    SourceRecord.upn,
    SourceRecord.uln,
    SourceRecord.upn_unknown,
    SourceRecord.ingested_at,
)


def _rank(row: Any) -> tuple[bool, bool, datetime]:
    complete = bool(row.surname and row.forename and row.date_of_birth)
    return (row.source_system == "sen2", complete, row.ingested_at)


def _identities(conn: Connection, person_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Per person, each detail from the best record that has it: the SEN2 record first, then
    complete records, then the latest."""
    rows = conn.execute(select(*_IDENTITY).where(SourceRecord.person_id.in_(person_ids))).all()
    postcodes = _postcodes(conn, [r.id for r in rows])
    merged: dict[int, dict[str, Any]] = {}
    for row in sorted(rows, key=_rank, reverse=True):
        values = {**row._asdict(), "postcode": postcodes.get(row.id)}
        best = merged.setdefault(row.person_id, values)
        for name, value in values.items():
            if best.get(name) is None:
                best[name] = value
    return merged


def _postcodes(conn: Connection, record_ids: Sequence[Any]) -> dict[Any, str]:
    rows = conn.execute(
        select(SourceAddress.source_record_id, SourceAddress.postcode_raw, SourceAddress.postcode)
        .where(SourceAddress.source_record_id.in_(record_ids))
        .order_by(SourceAddress.id)
    )
    return {r.source_record_id: r.postcode_raw or r.postcode for r in rows}


def _gaps(case: _Case, identity: dict[str, Any] | None) -> list[str]:
    """What the return needs but the store lacks for this case (field names only)."""
    if identity is None:
        return ["a source record for the person"]
    needed = ("surname", "forename", "date_of_birth", "postcode")
    gaps = [name for name in needed if not identity.get(name)]
    if not case.needs and _first(case.steps, "final_plan_issued"):
        gaps.append("SEN need")
    return gaps


# --- writing the XML --------------------------------------------------------------------------


def _sub(parent: etree._Element, tag: str, text: str | date | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = text.isoformat() if isinstance(text, date) else str(text)
    return element


def _header(root: etree._Element, year: int, reference: date, la_code: str) -> None:
    header = _sub(root, "Header")
    details = _sub(header, "CollectionDetails")
    _sub(details, "Collection", "SEN2")
    _sub(details, "Year", str(year))
    _sub(details, "ReferenceDate", reference)
    source = _sub(header, "Source")
    _sub(source, "SourceLevel", "L")
    _sub(source, "LEA", la_code)
    _sub(source, "SoftwareCode", "wholechild")
    _sub(source, "Release", "1")
    _sub(source, "SerialNo", "001")
    _sub(source, "DateTime", f"{reference.isoformat()}T09:00:00")
    _sub(source, "DMO", "Y")
    _sub(source, "DCO", "Y")


def _person(parent: etree._Element, who: dict[str, Any], reference: date) -> etree._Element:
    person = _sub(parent, "Person")
    _sub(person, "Surname", who["surname"])
    _sub(person, "Forename", who["forename"])
    _sub(person, "PersonBirthDate", who["date_of_birth"])
    sex = who["sex_raw"] if who["sex_raw"] in SEX else who["sex"]
    _sub(person, "Sex", sex if sex in SEX else "U")
    _sub(person, "Ethnicity", who["ethnicity_raw"] or who["ethnicity"] or "NOBT")
    _sub(person, "PostCode", who["postcode"])
    if who["upn"]:
        _sub(person, "UPN", who["upn"])
    if who["uln"]:
        _sub(person, "UniqueLearnerNumber", who["uln"])
    if not who["upn"]:
        under_five = who["date_of_birth"] > reference.replace(year=reference.year - 5)
        _sub(person, "UPNunknown", who["upn_unknown"] or ("UN2" if under_five else "UN5"))
    return person


def _setting(parent: etree._Element, case: _Case) -> None:
    if case.urn:
        _sub(parent, "URN", case.urn)
    _sub(parent, "SENSetting", "OTH" if case.urn else "EYP")
    _sub(parent, "PlacementRank", "1")


def _request_outcome(decided: Step | None, historic: bool) -> str:
    if historic:
        return "H"
    if decided is None:
        return "A"
    return "Y" if decided.step == "decision_to_assess" else "N"


def _request(person: etree._Element, case: _Case, historic: bool) -> None:
    request = _sub(person, "Requests")
    _sub(request, "ReceivedDate", case.steps[0].on)
    _sub(request, "RYA", "0")
    decided = _first(case.steps, "decision_to_assess", "decision_not_to_assess")
    if decided is not None and not historic:
        _sub(request, "RequestOutcomeDate", decided.on)
    _sub(request, "RequestOutcome", _request_outcome(decided, historic))
    if decided is not None and decided.step == "decision_to_assess":
        _assessment(request, case, historic)
    if _first(case.steps, "final_plan_issued") and not _first(case.steps, "plan_ceased"):
        _active_plan(request, case)


def _assessment(request: etree._Element, case: _Case, historic: bool) -> None:
    plan = _first(case.steps, "final_plan_issued")
    refused = _first(case.steps, "decision_not_to_issue")
    assessment = _sub(request, "Assessment")
    outcome = "H" if historic and plan else "Y" if plan else "N" if refused else "A"
    _sub(assessment, "AssessmentOutcome", outcome)
    decided = plan or refused
    if decided is not None:
        _sub(assessment, "AssessmentOutcomeDate", decided.on)
    if plan is None:
        return
    if not historic:
        _sub(assessment, "Week20", "1" if within_20_weeks(case.steps[0].on, plan.on) else "0")
    named = _sub(assessment, "NamedPlan")
    _sub(named, "StartDate", plan.on)
    detail = _sub(named, "PlanDetail")
    _setting(detail, case)
    _sub(detail, "SENunitIndicator", "0")
    _sub(detail, "ResourcedProvisionIndicator", "0")


def _active_plan(request: etree._Element, case: _Case) -> None:
    plan = _first(case.steps, "final_plan_issued")
    assert plan is not None  # the caller checked
    active = _sub(request, "ActivePlans")
    placement = _sub(active, "PlacementDetail")
    _setting(placement, case)
    _sub(placement, "EntryDate", plan.on)
    _sub(placement, "SENunitIndicator", "0")
    _sub(placement, "ResourcedProvisionIndicator", "0")
    for rank, need in enumerate(case.needs, start=1):
        sen_need = _sub(active, "SENneed")
        _sub(sen_need, "SENtype", need)
        _sub(sen_need, "SENtypeRank", str(rank))
    _review(active, case.steps)


def _review(active: etree._Element, steps: Sequence[Step]) -> None:
    """The latest review, written when its decision was to maintain the plan."""
    meetings = [s for s in steps if s.step == "annual_review_meeting"]
    decisions = [s for s in steps if s.step == "review_decision"]
    if not meetings or not decisions or decisions[-1].on < meetings[-1].on:
        return
    if decisions[-1].outcome != "maintain":
        return
    _sub(active, "ReviewMeeting", meetings[-1].on)
    _sub(active, "ReviewOutcome", "M")
    _sub(active, "LastReview", meetings[-1].on)


# --- the export -------------------------------------------------------------------------------


def _build(conn: Connection, year: int, la_code: str, report: Sen2Export) -> etree._ElementTree:
    root = etree.Element("Message")
    _header(root, year, report.reference, la_code)
    persons = _sub(root, "Persons")
    cases = _cases(conn, year, report.reference)
    identities = _identities(conn, sorted({c.person_id for c in cases}))
    current: tuple[int, etree._Element] | None = None
    for case in cases:
        who = identities.get(case.person_id)
        gaps = _gaps(case, who)
        if gaps or who is None:
            report.left_out.append(f"case {case.id}: missing {', '.join(gaps)}")
            continue
        if current is None or current[0] != case.person_id:
            current = (case.person_id, _person(persons, who, report.reference))
            report.persons += 1
        _request(current[1], case, historic=case.steps[0].on < date(year - 1, 1, 1))
        report.requests += 1
        report.plans += _first(case.steps, "final_plan_issued") is not None
    return etree.ElementTree(root)


def _validate(document: etree._ElementTree, xsd: Path | None) -> None:
    if xsd is None or not xsd.is_file():
        return
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    if not schema.validate(document):
        errors = cast(Iterable[Any], schema.error_log)
        problems = "; ".join(f"line {e.line}: {e.message}" for e in errors)
        raise UserError(
            f"the SEN2 return does not validate against {xsd.name}: {problems}",
            fix="correct the case data named, or report a bug in the export",
        )


def _audit(conn: Connection, report: Sen2Export, *, actor: str, purpose: str) -> None:
    details = {
        "persons": report.persons,
        "requests": report.requests,
        "plans": report.plans,
        "left_out": len(report.left_out),
    }
    record_audit(
        conn,
        actor=actor,
        purpose=purpose,
        action="sen2.export",
        target_type="sen2_return",
        target_id=str(report.year),
        details=details,
    )


def export_sen2(
    engine: Engine,
    *,
    year: int,
    out: Path,
    la_code: str,
    actor: str,
    purpose: str,
    xsd: Path | None = None,
) -> Sen2Export:
    """Write the SEN2 return for ``year`` to ``out`` (validated against ``xsd`` if given)."""
    if not out.parent.is_dir():
        raise InputFileError(f"no folder {out.parent}", fix="create the folder first")
    report = Sen2Export(path=out, year=year, reference=reference_date(year))
    handle, tmp_name = tempfile.mkstemp(dir=out.parent, suffix=".part")
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        with engine.begin() as conn:
            document = _build(conn, year, la_code, report)
            _validate(document, xsd)
            document.write(str(tmp), xml_declaration=True, encoding="UTF-8", pretty_print=True)
            _audit(conn, report, actor=actor, purpose=purpose)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return report
