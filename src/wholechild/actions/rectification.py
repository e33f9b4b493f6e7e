"""Rectification (UK GDPR Art. 16): correcting a value a source record holds about a person,
and recording that the source agency was told, so that its own system is corrected too.

Only the values a person can ask to have corrected are open to it: names, date of birth, sex,
ethnicity, identifiers and the latest postcode (:data:`CORRECTABLE`). A correction sets the
value as held and re-derives its normalised form the way ingestion does (``surname`` ->
``surname_norm``; an NHS number, UPN or ULN must pass its check digit), so the child view and
the next linkage run use the corrected value. The row as the agency sent it (``raw_row``) is
kept unchanged: the ``rectification`` row says what was corrected, from what, to what, why,
at whose request and when the source was told.

Each action writes its audit entry (ids and the field's name, never a value) in the same
transaction as the change: no audit, no correction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from sqlalchemy import Connection, Engine, insert, select, update

from wholechild.actions.audit import record_audit
from wholechild.core.codes import normalise_ethnicity, normalise_sex
from wholechild.core.identifiers import (
    IdCheck,
    check_nhs_number,
    check_uln,
    check_upn,
    clean_identifier,
)
from wholechild.core.normalise import normalise_name, normalise_postcode, parse_date
from wholechild.errors import UserError
from wholechild.linkage.truth import record_id_hex
from wholechild.storage.schema import Rectification, SourceRecord

__all__ = [
    "CORRECTABLE",
    "PendingNotification",
    "awaiting_notification",
    "record_source_notified",
    "rectify",
]

log = logging.getLogger(__name__)
NAME_LENGTH: Final = 128


def _name(column: str, norm: str | None = None) -> Callable[[str], dict[str, Any]]:
    def columns(value: str) -> dict[str, Any]:
        if normalise_name(value) is None or len(value) > NAME_LENGTH:
            raise _invalid("a name", f"letters, up to {NAME_LENGTH} characters")
        return {column: value, **({norm: normalise_name(value)} if norm else {})}

    return columns


def _date_of_birth(value: str) -> dict[str, Any]:
    parsed = parse_date(value)
    if parsed is None or parsed > datetime.now(UTC).date():
        raise _invalid("a date of birth", "a past date such as 2015-03-21 or 21/03/2015")
    return {"date_of_birth": parsed}


def _sex(value: str) -> dict[str, Any]:
    if (code := normalise_sex(value)) is None:
        raise _invalid("a sex code", "M or F (or 1 or 2 as the census codes them)")
    return {"sex_raw": value, "sex": code}


def _ethnicity(value: str) -> dict[str, Any]:
    if (code := normalise_ethnicity(value)) is None:
        raise _invalid("an ethnicity code", "a DfE main ethnicity code such as WBRI or MWBC")
    return {"ethnicity_raw": value, "ethnicity": code}


def _identifier(
    name: str, prefix: str, check: Callable[[str | None], IdCheck], how: str
) -> Callable[[str], dict[str, Any]]:
    def columns(value: str) -> dict[str, Any]:
        if check(value) is not IdCheck.VALID:
            raise _invalid(f"a valid {name}", how)
        if prefix == "former_upn":
            return {"former_upn_raw": value}
        return {f"{prefix}_raw": value, prefix: clean_identifier(value), f"{prefix}_check": "valid",
                **({"upn_unknown": None} if prefix == "upn" else {})}  # fmt: skip

    return columns


def _postcode(value: str) -> dict[str, Any]:
    if (postcode := normalise_postcode(value)) is None:
        raise _invalid("a UK postcode", "a full postcode such as SW1A 1AA")
    return {"postcode": postcode}


# field -> (the column whose value is shown and replaced, the columns a new value sets)
CORRECTABLE: Final[dict[str, tuple[str, Callable[[str], dict[str, Any]]]]] = {
    "forename": ("forename", _name("forename", "forename_norm")),
    "middle_names": ("middle_names", _name("middle_names")),
    "surname": ("surname", _name("surname", "surname_norm")),
    "preferred_surname": ("preferred_surname", _name("preferred_surname")),
    "former_surname": ("former_surname", _name("former_surname")),
    "date_of_birth": ("date_of_birth", _date_of_birth),
    "sex": ("sex_raw", _sex),
    "ethnicity": ("ethnicity_raw", _ethnicity),
    "nhs_number": ("nhs_number_raw", _identifier(
        "NHS number", "nhs_number", check_nhs_number, "10 digits with a valid check digit")),
    "upn": ("upn_raw", _identifier(
        "UPN", "upn", check_upn, "a check letter and 12 characters, e.g. from the school's MIS")),
    "former_upn": ("former_upn_raw", _identifier(
        "former UPN", "former_upn", check_upn, "a check letter and 12 characters")),
    "uln": ("uln_raw", _identifier("ULN", "uln", check_uln, "10 digits with a valid check digit")),
    "postcode": ("postcode", _postcode),
}  # fmt: skip


def _invalid(what: str, how: str) -> UserError:
    return UserError(f"the corrected value is not {what}", fix=f"give {how}")


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def _check_request(field: str, new_value: str, reason: str, requested_by: str) -> str:
    problems = []
    if field not in CORRECTABLE:
        problems.append(
            f"{field!r} cannot be corrected: a person may ask to correct {', '.join(CORRECTABLE)}"
        )
    if not new_value.strip():
        problems.append("the corrected value is empty")
    if not reason.strip():
        problems.append("a correction needs a reason")
    if not requested_by.strip():
        problems.append("say who asked for the correction (--requested-by)")
    if problems:
        raise UserError("; ".join(problems), fix="correct the request and try again")
    return new_value.strip()


def _record_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise UserError(
            f"not a source record id: {value!r}",
            fix="give the source record id as 32 hexadecimal characters (from the child's page)",
        ) from None


def _load_record(conn: Connection, record_id: uuid.UUID) -> Any:
    row = conn.execute(select(SourceRecord).where(SourceRecord.id == record_id)).first()
    if row is None:
        raise UserError(f"there is no source record {record_id.hex}", fix="check the record id")
    if row.pseudonymised_at is not None:
        raise UserError(
            f"source record {record_id.hex} was pseudonymised by retention: it holds no "
            "identifying values to correct",
            fix="correct the person's other records, or the source agency's own system",
        )
    return row


def rectify(
    engine: Engine,
    *,
    source_record_id: str,
    field: str,
    new_value: str,
    reason: str,
    requested_by: str,
    actor: str,
    purpose: str,
) -> int:
    """Correct ``field`` of a source record to ``new_value``; the rectification's id."""
    value = _check_request(field, new_value, reason, requested_by)
    record_id = _record_id(source_record_id)
    shown, to_columns = CORRECTABLE[field]
    columns = to_columns(value)
    with engine.begin() as conn:
        row = _load_record(conn, record_id)
        old = _as_text(getattr(row, shown))
        if old == _as_text(columns.get(shown, value)):
            raise UserError(f"the record already holds this {field}", fix="nothing to correct")
        conn.execute(update(SourceRecord).where(SourceRecord.id == record_id).values(**columns))
        rectification_id = _insert(conn, record_id, field, old, value, reason, requested_by, actor)
        record_audit(
            conn, actor=actor, purpose=purpose, action="rectification.rectify",
            target_type="source_record", target_id=record_id_hex(record_id),
            details={"rectification_id": rectification_id, "field": field},
            person_id=row.person_id,
        )  # fmt: skip
    log.info("rectification %s: %s of record %s", rectification_id, field, record_id.hex)
    return rectification_id


def _insert(
    conn: Connection, record_id: uuid.UUID, field: str, old: str | None, new: str, reason: str,
    requested_by: str, actor: str,
) -> int:  # fmt: skip
    return int(
        conn.execute(
            insert(Rectification).returning(Rectification.id),
            {"source_record_id": record_id, "field": field, "old_value": old, "new_value": new,
             "reason": reason.strip(), "requested_by": requested_by.strip(),
             "recorded_by": actor, "recorded_at": datetime.now(UTC)},
        ).scalar_one()
    )  # fmt: skip


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def record_source_notified(
    engine: Engine,
    *,
    rectification_id: int,
    notified_at: datetime,
    reference: str,
    actor: str,
    purpose: str,
) -> None:
    """Record when the source agency was told of a correction, and its reference."""
    when = _aware(notified_at)
    if not reference.strip():
        raise UserError("give the notification's reference", fix="e.g. the letter or ticket id")
    if when > datetime.now(UTC):
        raise UserError("the notification date is in the future", fix="give the day it was sent")
    with engine.begin() as conn:
        row = conn.execute(
            select(Rectification, SourceRecord.person_id)
            .join(SourceRecord, SourceRecord.id == Rectification.source_record_id)
            .where(Rectification.id == rectification_id)
        ).first()
        person_id = _check_notification(row, rectification_id, when)
        conn.execute(
            update(Rectification)
            .where(Rectification.id == rectification_id)
            .values(source_notified_at=when, source_notification_ref=reference.strip())
        )
        record_audit(
            conn, actor=actor, purpose=purpose, action="rectification.source_notified",
            target_type="rectification", target_id=str(rectification_id),
            details={"rectification_id": rectification_id}, person_id=person_id,
        )  # fmt: skip


def _check_notification(row: Any, rectification_id: int, when: datetime) -> int | None:
    """The person concerned, once the notification is known to be recordable."""
    if row is None:
        raise UserError(f"there is no rectification {rectification_id}", fix="check the id")
    if row.source_notified_at is not None:
        raise UserError(
            f"rectification {rectification_id} already records that the source was told "
            f"(reference {row.source_notification_ref})",
            fix="nothing to record",
        )
    if when < _aware(row.recorded_at).replace(microsecond=0):
        raise UserError(
            "the notification date is before the correction was recorded",
            fix="give the day the source agency was told, on or after the correction",
        )
    return row.person_id  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class PendingNotification:
    """A correction whose source agency has not yet been recorded as told."""

    rectification_id: int
    record_id: str
    source_system: str
    field: str
    recorded_at: datetime
    person_id: int | None


def awaiting_notification(engine: Engine) -> list[PendingNotification]:
    """Corrections whose source agency is not yet recorded as told, oldest first."""
    r, s = Rectification, SourceRecord
    query = (
        select(r.id, r.source_record_id, s.source_system, r.field, r.recorded_at, s.person_id)
        .join(s, s.id == r.source_record_id)
        .where(r.source_notified_at.is_(None))
        .order_by(r.recorded_at, r.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        PendingNotification(x.id, record_id_hex(x.source_record_id), x.source_system, x.field,
                            x.recorded_at, x.person_id)
        for x in rows
    ]  # fmt: skip
