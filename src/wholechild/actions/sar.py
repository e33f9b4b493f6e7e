"""Subject access export: everything held about one person, in one ZIP.

``subject_access_export`` asks the access policy first (an information-governance officer may
``export`` a person for a subject access request), gathers every section from the store in one
transaction, shows only what the policy lets the officer see (sealed records never), writes the
audit entry (counts and the ZIP's SHA-256, never a value) in that transaction and, once it has
committed, the ZIP:

- ``subject-access-PERSON.pdf``: the readable document (``wholechild.governance.sar``);
- ``subject-access-PERSON.json``: the same, machine-readable;
- ``REDACTION-REVIEW.md``: third-party information for a reviewer to check before release.

``subject_access_zip`` returns the ZIP's name and bytes (for a page to send as a download);
``subject_access_export`` writes them into a folder (the command line). No audit, no export:
if the audit entry cannot be written, no ZIP is returned or written.
"""

from __future__ import annotations

import hashlib
import io
import logging
import uuid
import zipfile
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, or_, select

from wholechild.access import Resource, record_access, require
from wholechild.audit.notes import note_text, notes_for
from wholechild.core.access import Principal, Purpose
from wholechild.ehcp.export import pdf_bytes
from wholechild.errors import UserError
from wholechild.governance.sar import (
    ANOTHER_PERSONS_RECORD,
    SubjectAccess,
    redaction_review,
    sar_blocks,
    sar_json_text,
    third_party_flags,
)
from wholechild.linkage.truth import record_id_hex
from wholechild.read._records import Held, event_label, person_events, person_records, split
from wholechild.read.child import involvements
from wholechild.storage.schema import (
    AuditEvent,
    EhcpCase,
    EhcpCaseEvent,
    EhcpDraft,
    EhcpDraftSentence,
    HouseholdMember,
    LegalHold,
    LinkageRun,
    Person,
    RecordLink,
    Rectification,
    ReviewDecision,
    SharingDecision,
    SourceAddress,
    SourceRecord,
)

__all__ = ["SubjectAccessZip", "gather", "subject_access_export", "subject_access_zip"]

log = logging.getLogger(__name__)
ACTION = "export"


@dataclass(frozen=True, slots=True)
class SubjectAccessZip:
    """The export as a page sends it: the ZIP's file name and its bytes."""

    file_name: str
    content: bytes


def subject_access_zip(
    engine: Engine, *, person_id: int, actor: Principal, purpose: Purpose
) -> SubjectAccessZip:
    """The subject access ZIP for ``person_id``, audited; for a page to send as a download."""
    target = Resource("Person", str(person_id))
    allowed = require(engine, actor, ACTION, target, purpose=purpose, person_id=person_id)
    with engine.begin() as conn:
        sa = gather(conn, actor, person_id=person_id, purpose=purpose)
        flags = third_party_flags(sa)
        name = f"subject-access-{person_id}"
        content = _zip_bytes(name, sa, redaction_review(sa, flags))
        details = {**sa.counts(), "third_party_flags": len(flags),
                   "zip_sha256": hashlib.sha256(content).hexdigest()}  # fmt: skip
        record_access(
            conn, actor, ACTION, target, allowed, purpose=purpose, person_id=person_id,
            details=details,
        )  # fmt: skip
    log.info("subject access export for person %s: %s records", person_id, len(sa.records))
    stamp = sa.generated_at.strftime("%Y%m%dT%H%M%SZ")
    return SubjectAccessZip(f"{name}-{stamp}.zip", content)


def subject_access_export(
    engine: Engine, *, person_id: int, out_dir: Path, actor: Principal, purpose: Purpose
) -> Path:
    """Write the subject access ZIP for ``person_id`` into ``out_dir``; its path. The file is
    written only once the export's audit entry has committed."""
    export = subject_access_zip(engine, person_id=person_id, actor=actor, purpose=purpose)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / export.file_name
    path.write_bytes(export.content)
    return path


def _zip_bytes(name: str, sa: SubjectAccess, review: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{name}.pdf", pdf_bytes(sar_blocks(sa)))
        archive.writestr(f"{name}.json", sar_json_text(sa))
        archive.writestr("REDACTION-REVIEW.md", review)
    return buffer.getvalue()


def gather(
    conn: Connection, principal: Principal, *, person_id: int, purpose: Purpose
) -> SubjectAccess:
    """Every section of the export, as far as the policy lets ``principal`` see."""
    if conn.scalar(select(Person.id).where(Person.id == person_id)) is None:
        raise UserError(f"there is no person {person_id}", fix="search for the child again")
    held = person_records(conn, person_id)
    records = split(conn, principal, held, purpose=purpose).shown
    events = split(conn, principal, person_events(conn, person_id, held), purpose=purpose).shown
    ids = [r.row.id for r in records]
    return SubjectAccess(
        person_id=person_id,
        generated_at=datetime.now(UTC),
        generated_by=principal.username,
        purpose=purpose.value,
        records=tuple(_records(conn, records)),
        links=tuple(_links(conn, ids)),
        decisions=tuple(_decisions(conn, ids)),
        links_to_others=_links_to_others(conn, ids),
        events=tuple(_event(e) for e in events),
        involvements=tuple(asdict(i) for i in involvements(events)),
        ehcp_cases=tuple(_ehcp_cases(conn, person_id)),
        ai_drafted_text=tuple(_ai_drafted_text(conn, person_id)),
        rectifications=tuple(_rectifications(conn, ids)),
        sharing_decisions=tuple(_sharing(conn, person_id)),
        legal_holds=tuple(_holds(conn, person_id, ids)),
        households=tuple(_households(conn, person_id)),
        access_log=tuple(_access_log(conn, person_id)),
    )


# -- records ---------------------------------------------------------------------------------


def _values(row: Any) -> dict[str, Any]:
    return {
        "forename": row.forename, "middle_names": row.middle_names, "surname": row.surname,
        "preferred_surname": row.preferred_surname, "former_surname": row.former_surname,
        "date_of_birth": row.date_of_birth, "sex": row.sex_raw, "ethnicity": row.ethnicity_raw,
        "nhs_number": row.nhs_number_raw, "upn": row.upn_raw, "former_upn": row.former_upn_raw,
        "uln": row.uln_raw, "la_child_id": row.la_child_id, "police_ref": row.police_ref,
        "postcode": row.postcode,
    }  # fmt: skip


def _normalised(row: Any) -> dict[str, Any]:
    keys = ("forename_norm", "surname_norm", "sex", "ethnicity", "nhs_number",
            "nhs_number_check", "upn", "upn_check", "upn_unknown", "uln", "uln_check")  # fmt: skip
    return {k: getattr(row, k) for k in keys}


def _provenance(row: Any) -> dict[str, Any]:
    return {
        "source_system": row.source_system, "file_name": row.file_name,
        "row_number": row.row_number, "batch_id": row.batch_id, "ingested_at": row.ingested_at,
        "agreement_ref": row.agreement_ref,
    }  # fmt: skip


def _records(conn: Connection, records: Sequence[Held]) -> list[dict[str, Any]]:
    addresses = _addresses(conn, [h.row.id for h in records])
    return [
        {
            "record_id": record_id_hex(h.row.id),
            "source_system": h.row.source_system,
            "agency": h.row.agency,
            "category": h.category.value,
            "source_key": h.row.source_key,
            "values": _values(h.row),
            "normalised": _normalised(h.row),
            "provenance": _provenance(h.row),
            "addresses": addresses.get(h.row.id, []),
            "raw_row": h.row.raw_row,
            "pseudonymised_at": h.row.pseudonymised_at,
        }
        for h in records
    ]


def _addresses(conn: Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    a = SourceAddress
    rows = conn.execute(
        select(a.id, a.source_record_id, a.postcode, a.address_line, a.uprn, a.start_date,
               a.end_date).where(a.source_record_id.in_(ids)).order_by(a.start_date, a.id)
    ).all()  # fmt: skip
    shared = _shared_with_others(conn, ids, rows)
    found: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for r in rows:
        found.setdefault(r.source_record_id, []).append(
            {"postcode": r.postcode, "address_line": r.address_line, "uprn": r.uprn,
             "start_date": r.start_date, "end_date": r.end_date,
             "shared_with_others": shared.get(_address_key(r), 0)}
        )  # fmt: skip
    return found


def _address_key(row: Any) -> tuple[str, str]:
    """Two addresses are one place when their UPRNs match, else postcode and first line do."""
    if row.uprn:
        return ("uprn", row.uprn)
    line = (row.address_line or "").split(",")[0].strip().upper()
    return ("postcode", f"{row.postcode}|{line}")


def _shared_with_others(
    conn: Connection, ids: list[uuid.UUID], rows: Sequence[Any]
) -> Counter[tuple[str, str]]:
    """How many other persons have each of these addresses on one of their records."""
    postcodes = {r.postcode for r in rows if r.postcode}
    uprns = {r.uprn for r in rows if r.uprn}
    if not postcodes and not uprns:
        return Counter()
    a, s = SourceAddress, SourceRecord
    others = conn.execute(
        select(s.person_id, a.postcode, a.address_line, a.uprn)
        .join(s, s.id == a.source_record_id)
        .where(or_(a.postcode.in_(postcodes), a.uprn.in_(uprns)), s.id.not_in(ids),
               s.person_id.is_not(None))
    ).all()  # fmt: skip
    mine = {_address_key(r) for r in rows}
    pairs = {(_address_key(o), o.person_id) for o in others}
    return Counter(key for key, _ in pairs if key in mine)


# -- linkage ---------------------------------------------------------------------------------


def _links(conn: Connection, ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """The latest run's scoring of each pair of this person's records."""
    rows = conn.execute(
        select(*RecordLink.__table__.columns, LinkageRun.started_at)
        .join(LinkageRun, LinkageRun.id == RecordLink.run_id)
        .where(RecordLink.record_l.in_(ids), RecordLink.record_r.in_(ids))
        .order_by(RecordLink.run_id)
    ).all()
    latest = {(r.record_l, r.record_r): r for r in rows}
    return [
        {"record_l": record_id_hex(r.record_l), "record_r": record_id_hex(r.record_r),
         "status": r.status, "match_weight": r.match_weight,
         "match_probability": r.match_probability,
         "contributions": _contributions(r.contributions), "model_hash": r.model_hash,
         "run_id": r.run_id, "run_started_at": r.started_at}
        for r in latest.values()
    ]  # fmt: skip


def _contributions(raw: dict[str, Any] | None) -> list[tuple[str, float]]:
    weights = [(k, float(v)) for k, v in (raw or {}).items() if v]
    return sorted(weights, key=lambda kv: -abs(kv[1]))


def _touching(column_l: Any, column_r: Any, ids: Collection[uuid.UUID]) -> Any:
    return or_(column_l.in_(ids), column_r.in_(ids))


def _links_to_others(conn: Connection, ids: list[uuid.UUID]) -> int:
    both = and_(RecordLink.record_l.in_(ids), RecordLink.record_r.in_(ids))
    query = select(func.count()).where(
        _touching(RecordLink.record_l, RecordLink.record_r, ids), ~both
    )
    return int(conn.scalar(query) or 0)


def _decisions(conn: Connection, ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """Every reviewer decision on a pair with one of this person's records, superseded ones
    too; the other side is named only when it is this person's record too."""
    d = ReviewDecision
    rows = conn.execute(
        select(d).where(_touching(d.record_l, d.record_r, ids)).order_by(d.decided_at, d.id)
    ).all()
    mine = set(ids)

    def side(record: uuid.UUID) -> str:
        return record_id_hex(record) if record in mine else ANOTHER_PERSONS_RECORD

    return [
        {"decision_id": r.id, "record_l": side(r.record_l), "record_r": side(r.record_r),
         "decision": r.decision, "reviewer": r.reviewer, "reason": r.reason,
         "action": r.action, "decided_at": r.decided_at,
         "superseded": r.superseded_by is not None}
        for r in rows
    ]  # fmt: skip


# -- events, plans, EHCP ---------------------------------------------------------------------


def _event(held: Held) -> dict[str, Any]:
    row = held.row
    return {
        "event_id": row.id, "source_system": row.source_system, "agency": row.agency,
        "category": held.category.value, "event_type": row.event_type,
        "label": event_label(row.event_type), "start_date": row.start_date,
        "end_date": row.end_date, "code": row.code, "details": row.details or {},
        "source_record_id": record_id_hex(row.source_record_id) if row.source_record_id else None,
        "provenance": _provenance(row),
    }  # fmt: skip


def _ehcp_cases(conn: Connection, person_id: int) -> list[dict[str, Any]]:
    cases = conn.execute(
        select(EhcpCase).where(EhcpCase.person_id == person_id).order_by(EhcpCase.id)
    ).all()
    e = EhcpCaseEvent
    steps = conn.execute(
        select(e).where(e.case_id.in_([c.id for c in cases])).order_by(e.occurred_on, e.id)
    ).all()
    return [
        {"case_id": c.id, "request_received_on": c.request_received_on, "stage": c.stage,
         "caseworker": c.caseworker, "team": c.team, "sen_needs": c.sen_needs,
         "setting_urn": c.setting_urn, "opened_by": c.opened_by, "opened_at": c.opened_at,
         "steps": [_step(s) for s in steps if s.case_id == c.id]}
        for c in cases
    ]  # fmt: skip


def _step(s: Any) -> dict[str, Any]:
    keys = ("step", "occurred_on", "subject", "outcome", "transfer_year", "transfer_kind",
            "clock", "reason", "evidence", "recorded_by", "recorded_at")  # fmt: skip
    return {"event_id": s.id, **{k: getattr(s, k) for k in keys}}


# -- governance records and the access log ---------------------------------------------------


def _ai_drafted_text(conn: Connection, person_id: int) -> list[dict[str, Any]]:
    """Every sentence of the child's stored EHCP drafts: as drafted, as it stands, by what
    (the drafting assistant, and any rephrasing model), and who signed the draft off."""
    d, s = EhcpDraft, EhcpDraftSentence
    query = (
        select(
            d.id,
            s.section,
            s.current_text,
            s.original_text,
            s.edited_by,
            d.rephraser,
            d.drafted_by,
            d.status,
            d.signed_off_by,
            d.signed_off_at,
        )
        .join(s, s.draft_id == d.id)
        .where(d.person_id == person_id)
        .order_by(d.id, s.position)
    )
    return [
        {
            "draft_id": row.id,
            "section": row.section,
            "text": row.current_text,
            "as_drafted": row.original_text,
            "edited_by": row.edited_by,
            "model": row.rephraser or "wholechild drafting assistant (extracts and templates)",
            "drafted_by": row.drafted_by,
            "status": row.status,
            "signed_off_by": row.signed_off_by,
            "signed_off_at": row.signed_off_at.isoformat() if row.signed_off_at else None,
        }
        for row in conn.execute(query)
    ]


def _rectifications(conn: Connection, ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    r = Rectification
    rows = conn.execute(select(r).where(r.source_record_id.in_(ids)).order_by(r.id)).all()
    return [
        {"rectification_id": x.id, "record_id": record_id_hex(x.source_record_id),
         "field": x.field, "old_value": x.old_value, "new_value": x.new_value,
         "reason": x.reason, "requested_by": x.requested_by, "recorded_by": x.recorded_by,
         "recorded_at": x.recorded_at, "source_notified_at": x.source_notified_at,
         "source_notification_ref": x.source_notification_ref}
        for x in rows
    ]  # fmt: skip


def _sharing(conn: Connection, person_id: int) -> list[dict[str, Any]]:
    d = SharingDecision
    rows = conn.execute(select(d).where(d.person_id == person_id).order_by(d.id)).all()
    return [
        {"decision_id": x.id, "requested_by": x.requested_by, "purpose": x.purpose,
         "categories": list(x.categories or []), "decision": x.decision, "reason": x.reason,
         "decided_by": x.decided_by, "decided_at": x.decided_at}
        for x in rows
    ]  # fmt: skip


def _holds(conn: Connection, person_id: int, ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    h = LegalHold
    rows = conn.execute(
        select(h).where(or_(h.person_id == person_id, h.source_record_id.in_(ids))).order_by(h.id)
    ).all()
    return [
        {"hold_id": x.id, "reason": x.reason, "placed_by": x.placed_by,
         "placed_at": x.placed_at, "released_at": x.released_at,
         "record_id": record_id_hex(x.source_record_id) if x.source_record_id else None}
        for x in rows
    ]  # fmt: skip


def _households(conn: Connection, person_id: int) -> list[dict[str, Any]]:
    m = HouseholdMember
    mine = conn.execute(select(m).where(m.person_id == person_id).order_by(m.id)).all()
    households = [x.household_id for x in mine]
    members = conn.execute(
        select(m.household_id, func.count(func.distinct(m.person_id)))
        .where(m.household_id.in_(households), m.person_id != person_id)
        .group_by(m.household_id)
    ).all()
    others = {household: int(n) for household, n in members}
    return [
        {"household_id": x.household_id, "relationship": x.relationship,
         "start_date": x.start_date, "end_date": x.end_date,
         "other_members": others.get(x.household_id, 0)}
        for x in mine
    ]  # fmt: skip


def _access_log(conn: Connection, person_id: int) -> list[dict[str, Any]]:
    """Every audit entry about the person, oldest first: who, when, what, why."""
    rows = conn.execute(
        select(AuditEvent).where(AuditEvent.person_id == person_id).order_by(AuditEvent.id)
    ).all()
    # The justification is an audit note beside the chain: its text, or "(erased)".
    notes = notes_for(conn, [x.id for x in rows if x.flagged], kinds=["justification"])
    return [
        {"audit_id": x.id, "occurred_at": x.occurred_at, "actor": x.actor,
         "role": str((x.details or {}).get("role", "")), "action": x.action,
         "purpose": x.purpose, "allowed": bool((x.details or {}).get("allowed", True)),
         "flagged": bool(x.flagged),
         "justification": note_text(notes, x.id, "justification", x.details or {})}
        for x in rows
    ]  # fmt: skip
