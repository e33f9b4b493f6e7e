"""Rectification, on SQLite and PostgreSQL: a correction changes the value held and its
normalised form, shows on the child's page, is audited (the field's name, never a value), and
the source agency's notification is recorded once. Fields a person cannot ask to correct, and
values that are not valid, are refused with nothing written.

Synthetic people only; NHS numbers from the test range 999 000 0000 - 999 999 9999.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select

import wholechild.actions.rectification as rectification
from wholechild.actions.rectification import awaiting_notification, record_source_notified, rectify
from wholechild.core.access import Category, Principal, Purpose, Role
from wholechild.errors import UserError
from wholechild.read.child import child_view
from wholechild.storage.schema import (
    AuditEvent,
    IngestBatch,
    Person,
    Rectification,
    SourceRecord,
)

NOW = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
SOCIAL_WORKER = Principal("sw.jones@council", Role.SOCIAL_WORKER, Category.SOCIAL_CARE)
ACTOR, PURPOSE = "ig.officer@council", "subject_access_request"


def _record(conn: Any, person: int, system: str, agency: str, **values: Any) -> uuid.UUID:
    batch = conn.execute(insert(IngestBatch).returning(IngestBatch.id), {
        "file_name": f"{system}.csv", "file_sha256": uuid.uuid4().hex * 2, "format": "mapped",
        "source_system": system, "agency": agency, "agreement_ref": None, "actor": "test",
        "started_at": NOW, "completed_at": NOW, "rows_read": 1, "rows_loaded": 1,
        "rows_quarantined": 0, "records_loaded": 1, "events_loaded": 0, "findings_count": 0,
    }).scalar_one()  # fmt: skip
    record_id = uuid.uuid4()
    conn.execute(insert(SourceRecord), {
        "id": record_id, "batch_id": batch, "source_system": system, "file_name": f"{system}.csv",
        "row_number": 2, "ingested_at": NOW, "person_id": person, "raw_row": "as received",
        "nhs_number_check": "missing", "upn_check": "missing", "uln_check": "missing",
        **values,
    })  # fmt: skip
    return record_id


def child(engine: Engine) -> tuple[int, uuid.UUID, uuid.UUID]:
    """A person with a school record and a social-care record that disagree on the surname."""
    with engine.begin() as conn:
        person = conn.execute(insert(Person).returning(Person.id), {"created_at": NOW})
        person_id = int(person.scalar_one())
        school = _record(
            conn,
            person_id,
            "school_census",
            "education",
            forename="Amara",
            surname="Okafr",
            surname_norm="OKAFR",
            date_of_birth=date(2014, 5, 9),
        )
        care = _record(
            conn,
            person_id,
            "cin_census",
            "children's social care",
            forename="Amara",
            surname="Okafor",
            surname_norm="OKAFOR",
            date_of_birth=date(2014, 5, 9),
        )
    return person_id, school, care  # fmt: skip


def fix(engine: Engine, record: uuid.UUID, field: str, value: str) -> int:
    return rectify(engine, source_record_id=record.hex, field=field, new_value=value,
                   reason="the family showed the birth certificate",
                   requested_by="the young person", actor=ACTOR, purpose=PURPOSE)  # fmt: skip


def stored(engine: Engine, record: uuid.UUID) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(SourceRecord).where(SourceRecord.id == record)).one()


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.scalar(select(func.count()).select_from(Rectification)) or 0,
                conn.scalar(select(func.count()).select_from(AuditEvent)) or 0)  # fmt: skip


# What a correction sets: field, the value asked for, then each column and what it must hold.
CORRECTIONS = [
    ("surname", "o'Brien - Smith", {"surname": "o'Brien - Smith", "surname_norm": "O'BRIEN-SMITH"}),
    ("forename", "Zoë", {"forename": "Zoë", "forename_norm": "ZOE"}),
    ("middle_names", "Grace", {"middle_names": "Grace"}),
    ("former_surname", "Adeyemi", {"former_surname": "Adeyemi"}),
    ("date_of_birth", "21/03/2015", {"date_of_birth": date(2015, 3, 21)}),
    ("sex", "2", {"sex_raw": "2", "sex": "F"}),
    ("ethnicity", "wbri", {"ethnicity_raw": "wbri", "ethnicity": "WBRI"}),
    ("nhs_number", "999 000 0026",
     {"nhs_number_raw": "999 000 0026", "nhs_number": "9990000026", "nhs_number_check": "valid"}),
    ("upn", "U820200101001", {"upn_raw": "U820200101001", "upn": "U820200101001",
                              "upn_check": "valid"}),
    ("uln", "1234567899", {"uln_raw": "1234567899", "uln": "1234567899", "uln_check": "valid"}),
    ("postcode", "wh1 1aa", {"postcode": "WH1 1AA"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value", "expected"), CORRECTIONS, ids=[c[0] for c in CORRECTIONS]
)
def test_a_correction_sets_the_value_and_its_normalised_form(
    store: Engine, field: str, value: str, expected: dict[str, Any]
) -> None:
    _, school, _ = child(store)
    fix(store, school, field, value)
    row = stored(store, school)
    assert {column: getattr(row, column) for column in expected} == expected
    assert row.raw_row == "as received"  # the row as the agency sent it is kept


def test_the_child_view_shows_the_corrected_value_and_no_longer_a_conflict(store: Engine) -> None:
    person_id, school, _ = child(store)
    before = child_view(store, SOCIAL_WORKER, person_id=person_id,
                        purpose=Purpose.SAFEGUARDING_ENQUIRY)  # fmt: skip
    surname = next(f for f in before.identity if f.name == "surname")
    assert surname.conflict and {v.value for v in surname.values} == {"Okafr", "Okafor"}
    fix(store, school, "surname", "Okafor")
    after = child_view(store, SOCIAL_WORKER, person_id=person_id,
                       purpose=Purpose.SAFEGUARDING_ENQUIRY)  # fmt: skip
    surname = next(f for f in after.identity if f.name == "surname")
    assert not surname.conflict
    assert [(v.value, v.sources) for v in surname.values] == [
        ("Okafor", ("cin_census", "school_census"))
    ]


def test_the_correction_is_stored_and_audited_without_values(store: Engine) -> None:
    person_id, school, _ = child(store)
    rectification_id = fix(store, school, "surname", "Okafor")
    with store.connect() as conn:
        row = conn.execute(select(Rectification)).one()
        audit = conn.execute(
            select(AuditEvent).where(AuditEvent.action == "rectification.rectify")
        ).one()
    assert (row.id, row.field, row.old_value, row.new_value) == (
        rectification_id, "surname", "Okafr", "Okafor")  # fmt: skip
    assert (row.requested_by, row.recorded_by, row.source_notified_at) == (
        "the young person", ACTOR, None)  # fmt: skip
    assert (audit.actor, audit.purpose, audit.person_id) == (ACTOR, PURPOSE, person_id)
    assert audit.details == {"rectification_id": rectification_id, "field": "surname"}
    assert audit.target_id == school.hex
    assert "Okaf" not in json.dumps(audit.details)


def test_the_source_agency_being_told_is_recorded_once(store: Engine) -> None:
    person_id, school, _ = child(store)
    rectification_id = fix(store, school, "surname", "Okafor")
    assert [p.rectification_id for p in awaiting_notification(store)] == [rectification_id]
    told = datetime.now(UTC)
    record_source_notified(store, rectification_id=rectification_id, notified_at=told,
                           reference="LETTER-2025-031", actor=ACTOR, purpose=PURPOSE)  # fmt: skip
    with store.connect() as conn:
        row = conn.execute(select(Rectification)).one()
        audit = conn.execute(
            select(AuditEvent).where(AuditEvent.action == "rectification.source_notified")
        ).one()
    assert row.source_notification_ref == "LETTER-2025-031"
    assert abs(row.source_notified_at.replace(tzinfo=UTC) - told) < timedelta(seconds=1)
    assert audit.person_id == person_id
    assert awaiting_notification(store) == []
    with pytest.raises(UserError, match="already records that the source was told"):
        record_source_notified(store, rectification_id=rectification_id, notified_at=told,
                               reference="AGAIN", actor=ACTOR, purpose=PURPOSE)  # fmt: skip


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (datetime.now(UTC) + timedelta(days=2), "in the future"),
        (datetime(2000, 1, 1, tzinfo=UTC), "before the correction was recorded"),
    ],
)
def test_an_impossible_notification_date_is_refused(
    store: Engine, when: datetime, message: str
) -> None:
    _, school, _ = child(store)
    rectification_id = fix(store, school, "surname", "Okafor")
    with pytest.raises(UserError, match=message):
        record_source_notified(store, rectification_id=rectification_id, notified_at=when,
                               reference="REF", actor=ACTOR, purpose=PURPOSE)  # fmt: skip


# Requests refused, and the words the refusal must contain.
REFUSED = [
    ("raw_row", "anything", "'raw_row' cannot be corrected: a person may ask to correct forename"),
    ("source_key", "X1", "'source_key' cannot be corrected"),
    ("sealed", "false", "'sealed' cannot be corrected"),
    ("person_id", "7", "'person_id' cannot be corrected"),
    ("nhs_number", "9990000019", "not a valid NHS number"),
    ("upn", "A820200101001", "not a valid UPN"),
    ("date_of_birth", "31/02/2015", "not a date of birth"),
    ("date_of_birth", "01/01/2999", "not a date of birth"),
    ("sex", "Q", "not a sex code"),
    ("postcode", "not a postcode", "not a UK postcode"),
    ("surname", "  ", "the corrected value is empty"),
    ("surname", "Okafr", "already holds this surname"),
]  # fmt: skip


@pytest.mark.parametrize(("field", "value", "message"), REFUSED)
def test_a_refused_correction_writes_nothing(
    store: Engine, field: str, value: str, message: str
) -> None:
    _, school, _ = child(store)
    before = counts(store)
    with pytest.raises(UserError) as refused:
        fix(store, school, field, value)
    assert message in str(refused.value)
    assert refused.value.fix
    assert counts(store) == before
    assert stored(store, school).surname == "Okafr"


def test_an_unknown_record_is_refused(store: Engine) -> None:
    with pytest.raises(UserError, match="there is no source record"):
        fix(store, uuid.uuid4(), "surname", "Okafor")
    with pytest.raises(UserError, match="not a source record id"):
        rectify(store, source_record_id="nope", field="surname", new_value="X", reason="r",
                requested_by="me", actor=ACTOR, purpose=PURPOSE)  # fmt: skip


def test_no_audit_no_correction(store: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    _, school, _ = child(store)

    def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(rectification, "record_audit", broken)
    with pytest.raises(RuntimeError):
        fix(store, school, "surname", "Okafor")
    assert counts(store) == (0, 0)
    assert (stored(store, school).surname, stored(store, school).surname_norm) == ("Okafr", "OKAFR")
