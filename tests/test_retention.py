"""Retention: the rules as a table caseworkers and records managers can read; the report (a dry
run) lists what is due by rule; apply deletes or pseudonymises exactly those records, keeps the
store's references whole, never touches a record under a legal hold, is audited with counts,
and changes nothing when run again. Storage tests run on SQLite and PostgreSQL (synthetic
people only; NHS numbers from the test range).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select

from ingest_helpers import test_nhs_number
from test_cli import run as run_cli
from wholechild.actions import retention as retention_module
from wholechild.actions._disposal import ON_DELETE, referring_columns
from wholechild.actions.legal_holds import list_holds, place_hold, release_hold
from wholechild.actions.retention import retention_apply, retention_report
from wholechild.errors import ConfigurationError, UserError
from wholechild.governance.pseudonyms import Pseudonymiser
from wholechild.governance.retention import (
    EventFacts,
    RecordFacts,
    Status,
    add_years,
    assess,
    default_rules,
    load_rules,
)
from wholechild.storage.schema import (
    AuditEvent,
    Event,
    IngestBatch,
    IngestFinding,
    LegalHold,
    Person,
    RecordLink,
    Rectification,
    RetentionRun,
    ReviewDecision,
    ReviewItem,
    SourceAddress,
    SourceRecord,
)

AS_OF = date(2026, 1, 1)
KEY = Pseudonymiser(b"k" * 32)
RULES = default_rules()

# --- the rules, as a table ----------------------------------------------------------------


def facts(
    fmt: str,
    *,
    dob: date | None = None,
    received: date = date(2024, 1, 1),
    category: str = "social_care",
    events: tuple[tuple[str, date | None, date | None], ...] = (),
) -> RecordFacts:
    return RecordFacts(
        "r", fmt, fmt, category, dob, received, tuple(EventFacts(*e) for e in events)
    )


CP_CLOSED = (("cp_plans", date(1990, 3, 1), date(1991, 6, 30)),)
CP_OPEN = (("cp_plans", date(1990, 3, 1), None),)

# (what the records manager reads, record, as of, status, deciding rule, due on)
SPEC = [
    ("looked-after child born 1950-05-01: kept to the 75th birthday",
     facts("ssda903", dob=date(1950, 5, 1)), date(2025, 4, 30), Status.NOT_DUE,
     "looked_after_case_file", date(2025, 5, 1)),
    ("... and due on it",
     facts("ssda903", dob=date(1950, 5, 1)), date(2025, 5, 1), Status.DUE,
     "looked_after_case_file", date(2025, 5, 1)),
    ("child protection closed 1991-06-30, born 1975: 40 years from closure outlasts DOB + 25",
     facts("cin", dob=date(1975, 1, 1), events=CP_CLOSED), AS_OF, Status.NOT_DUE,
     "child_protection", date(2031, 6, 30)),
    ("child protection plan still open: never due",
     facts("cin", dob=date(1940, 1, 1), events=CP_OPEN), AS_OF, Status.UNDETERMINED,
     "child_protection", None),
    ("child in need, born 1990-02-01: DOB + 25",
     facts("cin", dob=date(1990, 2, 1)), AS_OF, Status.DUE,
     "children_in_need_case_file", date(2015, 2, 1)),
    ("EHCP file, born 2000-02-29: DOB + 31 (28 February in a common year)",
     facts("sen2", dob=date(2000, 2, 29), category="send"), date(2031, 2, 28), Status.DUE,
     "ehcp_file", date(2031, 2, 28)),
    ("EHCP file with no date of birth: never due",
     facts("sen2", category="send"), AS_OF, Status.UNDETERMINED, "ehcp_file", None),
    ("school census received 2019-09-01: pseudonymised 6 years on",
     facts("school-census", received=date(2019, 9, 1), category="education"), AS_OF,
     Status.DUE, "school_census_pupil_level", date(2025, 9, 1)),
    ("health extract received 2021-01-02: kept 6 years",
     facts("mapped", received=date(2021, 1, 2), category="health"), AS_OF, Status.NOT_DUE,
     "partner_extract_health", date(2027, 1, 2)),
    ("a SEND agency extract no rule covers: kept",
     facts("mapped", received=date(1990, 1, 1), category="send"), AS_OF, Status.NO_RULE,
     None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("record", "as_of", "status", "rule", "due_on"),
    [s[1:] for s in SPEC],
    ids=[s[0] for s in SPEC],
)
def test_the_default_rules_decide_as_the_table_says(
    record: RecordFacts, as_of: date, status: Status, rule: str | None, due_on: date | None
) -> None:
    verdict = assess(record, RULES, as_of=as_of)
    assert (verdict.status, verdict.rule_id, verdict.due_on) == (status, rule, due_on)


def test_add_years_keeps_the_day_or_falls_back_to_28_february() -> None:
    assert add_years(date(2010, 7, 14), 25) == date(2035, 7, 14)
    assert add_years(date(2012, 2, 29), 4) == date(2016, 2, 29)
    assert add_years(date(2012, 2, 29), 1) == date(2013, 2, 28)


def test_every_default_rule_cites_its_source() -> None:
    assert len(RULES.rules) >= 8
    for rule in RULES.rules:
        assert len(rule.source) > 40, rule.id
    assert RULES.rule("looked_after_case_file").confirmed
    assert not RULES.rule("child_protection").confirmed  # a figure to confirm locally


def test_a_rules_file_reports_every_problem_at_once() -> None:
    text = """
version: 1
rules:
  - id: a
    formats: [cin, telepathy]
    trigger: birthday
    years: 0
    action: shred
  - id: a
    trigger: closure
    years: 10
    action: delete
    source: somewhere
    categories: [send]
    colour: blue
"""
    with pytest.raises(ConfigurationError) as caught:
        load_rules(text, where="council.yaml")
    message = caught.value.message
    for expected in (
        "council.yaml",
        "'telepathy' is not one of",
        "trigger: 'birthday'",
        "years: a whole number",
        "action: 'shred'",
        "rule 1 (a): source",
        "unknown key 'colour'",
        "name the event_types whose end closes the record",
    ):
        assert expected in message
    assert "problems" in message


def test_rules_are_configurable_and_their_hash_is_kept() -> None:
    text = (
        "version: 1\nrules:\n  - {id: all_police, categories: [police], trigger: received, "
        "years: 2, action: delete, source: 'the police agreement, clause 9'}\n"
    )
    rules = load_rules(text)
    record = facts("mapped", received=date(2023, 1, 1), category="police")
    assert assess(record, rules, as_of=AS_OF).status is Status.DUE
    assert rules.rules_hash != RULES.rules_hash


# --- a store with one record for each case ------------------------------------------------


@dataclass
class Seeded:
    ids: dict[str, uuid.UUID]  # name -> source record id
    persons: dict[str, int]
    released_hold: int


def _batch(conn: Any, fmt: str, agency: str, n: int, when: datetime) -> int:
    row = {
        "file_name": f"{fmt}-{n}.csv", "file_sha256": f"{n:064d}", "format": fmt,
        "source_system": f"sys_{fmt}", "agency": agency, "agreement_ref": None, "actor": "test",
        "started_at": when, "completed_at": when, "rows_read": 1, "rows_loaded": 1,
        "rows_quarantined": 0, "records_loaded": 1, "events_loaded": 1, "findings_count": 1,
    }  # fmt: skip
    return int(conn.execute(insert(IngestBatch).returning(IngestBatch.id), row).scalar_one())


# name: (format, agency, dob, received, events)
RECORDS: dict[str, tuple[str, str, date | None, date, list[tuple[str, date, date | None]]]] = {
    "looked_after_old": ("ssda903", "children's social care", date(1950, 5, 1),
                         date(2020, 1, 1), [("cla_episodes", date(1960, 1, 1), date(1968, 1, 1))]),
    "looked_after_young": ("ssda903", "children's social care", date(2010, 1, 1),
                           date(2020, 1, 1), [("cla_episodes", date(2015, 1, 1), None)]),
    "cp_closed_held": ("cin", "children's social care", date(1960, 1, 1), date(2020, 1, 1),
                       [("cp_plans", date(1970, 1, 1), date(1980, 6, 30))]),
    "cp_open": ("cin", "children's social care", date(1960, 1, 1), date(2020, 1, 1),
                [("cp_plans", date(1970, 1, 1), None)]),
    "census_old": ("school-census", "education", date(2008, 3, 17), date(2015, 1, 1),
                   [("school_enrolment", date(2012, 9, 1), None)]),
    "ehcp_person_held": ("sen2", "SEND", date(1980, 1, 1), date(2020, 1, 1),
                         [("ehcp_requests", date(1990, 1, 1), date(1990, 3, 1))]),
    "health_recent": ("mapped", "health", date(2012, 1, 1), date(2024, 1, 1),
                      [("health_contact", date(2024, 1, 1), None)]),
    "send_no_rule": ("mapped", "send", date(2012, 1, 1), date(2000, 1, 1), []),
}  # fmt: skip
DUE_DELETE = {"looked_after_old"}
DUE_PSEUDONYMISE = {"census_old"}
HELD = {"cp_closed_held", "ehcp_person_held"}


def _person(conn: Any) -> int:
    return int(
        conn.execute(
            insert(Person).returning(Person.id), {"created_at": datetime.now(UTC)}
        ).scalar_one()
    )


def _record(conn: Any, n: int, name: str, person: int) -> uuid.UUID:
    fmt, agency, dob, received, events = RECORDS[name]
    when = datetime(received.year, received.month, received.day, tzinfo=UTC)
    batch, record = _batch(conn, fmt, agency, n, when), uuid.uuid4()
    where = {"batch_id": batch, "source_system": f"sys_{fmt}", "file_name": "f.csv",
             "row_number": 1, "ingested_at": when}  # fmt: skip
    conn.execute(
        insert(SourceRecord),
        {**where, "id": record, "person_id": person, "source_key": f"KEY{n:04d}",
         "raw_row": f"Rowena,Quartermaine{n},{dob}", "forename": "Rowena",
         "surname": f"Quartermaine{n}", "date_of_birth": dob, "sex": "F",
         "ethnicity": "WBRI", "nhs_number": test_nhs_number(n), "nhs_number_check": "valid",
         "upn": None, "upn_check": "missing", "uln_check": "missing", "postcode": "LS6 2QT",
         "la_child_id": f"LA{n:05d}"},
    )  # fmt: skip
    conn.execute(
        insert(SourceAddress),
        {**where, "source_record_id": record, "subject_key": f"KEY{n:04d}",
         "postcode_raw": "ls6 2qt", "postcode": "LS6 2QT", "address_line": "1 Vicarage Lane"},
    )  # fmt: skip
    for event_type, start, end in events:
        conn.execute(
            insert(Event),
            {**where, "source_record_id": record, "subject_key": f"KEY{n:04d}",
             "person_id": person, "event_type": event_type, "agency": agency,
             "start_date": start, "end_date": end, "details": {}},
        )  # fmt: skip
    # an event loaded without its record id (as SSDA903 episode files are), found by key
    conn.execute(
        insert(Event),
        {**where, "source_record_id": None, "subject_key": f"KEY{n:04d}", "person_id": None,
         "event_type": "note", "agency": agency, "start_date": None, "end_date": None,
         "details": {}},
    )  # fmt: skip
    conn.execute(
        insert(IngestFinding),
        {"batch_id": batch, "source_record_id": record, "row_number": 1, "field": "DOB",
         "rule": "test", "severity": "warning", "message": "a test finding", "fix": "none"},
    )  # fmt: skip
    return record


def seed(engine: Engine) -> Seeded:
    """One record of each case (each its own person), with links and a rectification on the
    record to be deleted, a released hold on it, and holds in force on two due records."""
    ids: dict[str, uuid.UUID] = {}
    persons: dict[str, int] = {}
    with engine.begin() as conn:
        for n, name in enumerate(RECORDS):
            persons[name] = _person(conn)
            ids[name] = _record(conn, n + 1, name, persons[name])
        _links(conn, ids["looked_after_old"], ids["looked_after_young"])
    place_hold(engine, actor="ig", purpose="administration", reason="claim 2025/17",
               source_record_id=ids["cp_closed_held"].hex)  # fmt: skip
    place_hold(engine, actor="ig", purpose="administration", reason="inquiry",
               person_id=persons["ehcp_person_held"])  # fmt: skip
    released = place_hold(engine, actor="ig", purpose="administration", reason="old claim",
                          source_record_id=ids["looked_after_old"].hex)  # fmt: skip
    release_hold(engine, hold_id=released, actor="ig", purpose="administration", reason="settled")
    return Seeded(ids, persons, released)


def _links(conn: Any, a: uuid.UUID, b: uuid.UUID) -> None:
    left, right = sorted((a, b))
    now = datetime.now(UTC)
    conn.execute(
        insert(Rectification),
        {"source_record_id": a, "field": "surname", "old_value": "Quartermain",
         "new_value": "Quartermaine1", "reason": "typo", "requested_by": "the child's mother",
         "recorded_by": "ig", "recorded_at": now},
    )  # fmt: skip
    from wholechild.storage.schema import LinkageModel, LinkageRun

    conn.execute(insert(LinkageModel), {"model_hash": "a" * 64, "settings": {},
                 "created_at": now, "thresholds": {}})  # fmt: skip
    run = conn.execute(
        insert(LinkageRun).returning(LinkageRun.id),
        {"started_at": now, "model_hash": "a" * 64, "actor": "t", "purpose": "t",
         "mode": "full", "upper": 0.9, "lower": 0.5, "counts": {}},
    ).scalar_one()  # fmt: skip
    pair = {"run_id": run, "record_l": left, "record_r": right, "match_weight": 3.0,
            "match_probability": 0.7}  # fmt: skip
    conn.execute(insert(RecordLink), {**pair, "contributions": {}, "model_hash": "a" * 64,
                 "status": "review"})  # fmt: skip
    conn.execute(insert(ReviewItem), {**pair, "status": "decided", "opened_at": now})
    first = conn.execute(
        insert(ReviewDecision).returning(ReviewDecision.id),
        {"record_l": left, "record_r": right, "decision": "same", "reviewer": "r",
         "reason": "same school", "action": "decide_pair", "decided_at": now},
    ).scalar_one()  # fmt: skip
    second = conn.execute(
        insert(ReviewDecision).returning(ReviewDecision.id),
        {"record_l": left, "record_r": right, "decision": "not_same", "reviewer": "r",
         "reason": "twins", "action": "decide_pair", "decided_at": now},
    ).scalar_one()  # fmt: skip
    from sqlalchemy import update

    conn.execute(
        update(ReviewDecision).where(ReviewDecision.id == first).values(superseded_by=second)
    )


def names_of(seeded: Seeded, ids: tuple[str, ...]) -> set[str]:
    back = {v.hex: k for k, v in seeded.ids.items()}
    return {back[i] for i in ids}


def count(engine: Engine, model: Any, *where: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


# --- report, apply, holds -----------------------------------------------------------------


def test_the_report_lists_due_records_by_rule_and_changes_nothing(store: Engine) -> None:
    seeded = seed(store)
    before = count(store, SourceRecord)
    report = retention_report(store, as_of=AS_OF, actor="ig", purpose="administration")
    by_rule = {r.rule_id: r for r in report.rules}
    assert names_of(seeded, by_rule["looked_after_case_file"].due) == {"looked_after_old"}
    assert names_of(seeded, by_rule["school_census_pupil_level"].due) == {"census_old"}
    assert names_of(seeded, by_rule["child_protection"].held) == {"cp_closed_held"}
    assert names_of(seeded, by_rule["ehcp_file"].held) == {"ehcp_person_held"}
    assert by_rule["child_protection"].undetermined == 1  # the open plan
    assert by_rule["looked_after_case_file"].not_due == 1
    assert (report.due, report.held, report.no_rule) == (2, 2, 1)
    assert report.records == len(RECORDS)
    assert count(store, SourceRecord) == before  # a dry run
    with store.connect() as conn:
        run = conn.execute(select(RetentionRun)).one()
        entry = conn.execute(
            select(AuditEvent).where(AuditEvent.action == "retention.report")
        ).one()
    assert run.mode == "report" and run.counts["due"] == 2 and run.rules_hash == RULES.rules_hash
    assert entry.target_id == str(run.id) and entry.details["by_rule"]["ehcp_file"]["held"] == 1


def _apply(engine: Engine) -> Any:
    return retention_apply(
        engine, as_of=AS_OF, actor="ig", purpose="administration", pseudonymiser=KEY
    )


def test_apply_deletes_exactly_the_due_records_and_what_refers_to_them(store: Engine) -> None:
    seeded = seed(store)
    records_before = count(store, SourceRecord)
    report = _apply(store)
    assert (report.deleted, report.pseudonymised) == (1, 1)
    gone = seeded.ids["looked_after_old"]
    assert count(store, SourceRecord) == records_before - report.deleted
    assert count(store, SourceRecord, SourceRecord.id == gone) == 0
    for model in (SourceAddress, Event, Rectification):
        assert count(store, model, model.source_record_id == gone) == 0
    assert count(store, Event, Event.subject_key == "KEY0001") == 0  # its record-less event
    for linked in (RecordLink, ReviewItem, ReviewDecision):
        assert count(store, linked) == 0, linked  # the only pair involved the deleted record
    assert count(store, IngestFinding) == len(RECORDS)  # findings stay, unlinked
    assert count(store, IngestFinding, IngestFinding.source_record_id.is_(None)) == 1
    holds = {h.id: h for h in list_holds(store, include_released=True)}
    assert holds[seeded.released_hold].source_record_id is None  # the released hold is kept
    for name in set(RECORDS) - DUE_DELETE:
        assert count(store, SourceRecord, SourceRecord.id == seeded.ids[name]) == 1, name
        assert count(store, SourceAddress, SourceAddress.source_record_id == seeded.ids[name])


def _row(engine: Engine, record: uuid.UUID) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(SourceRecord).where(SourceRecord.id == record)).one()


def test_apply_pseudonymises_every_identifying_value_of_the_due_record(store: Engine) -> None:
    seeded = seed(store)
    _apply(store)
    row = _row(store, seeded.ids["census_old"])
    assert row.pseudonymised_at is not None
    assert row.source_key == KEY.of("source_key:sys_school-census", "KEY0005")
    assert row.postcode == "LS6"  # the district
    assert row.raw_row == ""
    for column in ("forename", "surname", "date_of_birth", "nhs_number", "la_child_id", "sex"):
        assert getattr(row, column) is None, column
    assert row.ethnicity == "WBRI"  # special category, not identifying: kept for statistics
    with store.connect() as conn:
        address = conn.execute(
            select(SourceAddress).where(SourceAddress.source_record_id == row.id)
        ).one()
        keys = set(
            conn.execute(
                select(Event.subject_key).where(Event.source_system == row.source_system)
            ).scalars()
        )
    assert (address.address_line, address.postcode_raw, address.postcode) == (None, None, "LS6")
    assert address.subject_key == row.source_key
    assert keys == {row.source_key}  # events, with or without their record id, follow
    kept = _row(store, seeded.ids["cp_closed_held"])
    assert kept.surname == "Quartermaine3" and kept.pseudonymised_at is None


def test_apply_is_audited_with_counts_and_never_values(store: Engine) -> None:
    seed(store)
    _apply(store)
    with store.connect() as conn:
        entry = conn.execute(select(AuditEvent).where(AuditEvent.action == "retention.apply")).one()
        run = conn.execute(select(RetentionRun).where(RetentionRun.mode == "apply")).one()
    assert entry.details["deleted"] == 1 and entry.details["pseudonymised"] == 1
    assert entry.details["held"] == 2 and run.counts == {
        k: v for k, v in entry.details.items() if k not in ("as_of", "rules_hash")
    }
    text = json.dumps(entry.details)
    for value in ("Quartermaine", "Rowena", "LS6", "KEY0", test_nhs_number(1)):
        assert value not in text


def test_apply_again_changes_nothing(store: Engine) -> None:
    seed(store)
    _apply(store)
    records, events = count(store, SourceRecord), count(store, Event)
    again = _apply(store)
    assert (again.deleted, again.pseudonymised, again.due) == (0, 0, 0)
    assert again.already_pseudonymised == 1 and again.held == 2
    assert (count(store, SourceRecord), count(store, Event)) == (records, events)


def test_releasing_a_hold_lets_retention_reach_the_record(store: Engine) -> None:
    seeded = seed(store)
    _apply(store)
    hold = next(h for h in list_holds(store) if h.person_id == seeded.persons["ehcp_person_held"])
    release_hold(store, hold_id=hold.id, actor="ig", purpose="administration", reason="closed")
    report = _apply(store)
    assert report.deleted == 1 and report.held == 1
    assert count(store, SourceRecord, SourceRecord.id == seeded.ids["ehcp_person_held"]) == 0
    assert count(store, SourceRecord, SourceRecord.id == seeded.ids["cp_closed_held"]) == 1
    with store.connect() as conn:
        actions = list(conn.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars())
    assert actions.count("legal_hold.place") == 3 and actions.count("legal_hold.release") == 2


def test_apply_writes_nothing_when_its_audit_entry_fails(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(store)
    records, runs = count(store, SourceRecord), count(store, RetentionRun)

    def broken_audit(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("audit store full")

    monkeypatch.setattr(retention_module, "record_audit", broken_audit)
    with pytest.raises(RuntimeError):
        _apply(store)
    assert count(store, SourceRecord) == records and count(store, RetentionRun) == runs
    assert count(store, SourceRecord, SourceRecord.pseudonymised_at.is_not(None)) == 0


def test_apply_needs_confirming_and_a_key_for_pseudonyms(store: Engine) -> None:
    seed(store)
    with pytest.raises(UserError, match="needs confirming"):
        retention_apply(store, as_of=AS_OF, actor="ig", purpose="administration", confirm=False)
    with pytest.raises(UserError, match="no key"):
        retention_apply(store, as_of=AS_OF, actor="ig", purpose="administration")
    assert count(store, SourceRecord) == len(RECORDS)


def test_holds_need_a_reason_and_a_real_target(store: Engine) -> None:
    with pytest.raises(UserError, match="person or a source record"):
        place_hold(store, actor="ig", purpose="administration", reason="x")
    with pytest.raises(UserError, match="no person 999"):
        place_hold(store, actor="ig", purpose="administration", reason="x", person_id=999)
    with pytest.raises(UserError, match="needs a reason"):
        place_hold(store, actor="ig", purpose="administration", reason=" ", person_id=1)
    assert count(store, LegalHold) == 0


def test_every_table_referring_to_source_records_says_what_deletion_does() -> None:
    tables = {table.name for table, _ in referring_columns()}
    assert tables == set(ON_DELETE)


def test_the_cli_reports_and_applies_with_a_hold(tmp_path: Path) -> None:
    from wholechild.storage.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    migrate(engine)
    seeded = seed(engine)
    engine.dispose()
    report = run_cli(["retention", "report", "--as-of", "2026-01-01"], tmp_path)
    assert report.returncode == 0, report.stderr
    assert "looked_after_case_file" in report.stdout and "rules are not confirmed" in report.stdout
    refused = run_cli(["retention", "apply", "--as-of", "2026-01-01"], tmp_path)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    held = run_cli(["hold", "place", "--record", seeded.ids["census_old"].hex, "--reason",
                    "complaint 42"], tmp_path)  # fmt: skip
    assert held.returncode == 0, held.stderr
    applied = run_cli(["retention", "apply", "--as-of", "2026-01-01", "--yes"], tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert "deleted 1; pseudonymised 0" in applied.stdout
    listed = run_cli(["hold", "list"], tmp_path)
    assert seeded.ids["census_old"].hex in listed.stdout


def test_apply_handles_more_records_than_one_statement_takes(store: Engine) -> None:
    """1,200 due records with events loaded without a record id: bounded statements (SQLite
    refuses an expression of a thousand ORs)."""
    when = datetime(2000, 1, 1, tzinfo=UTC)
    with store.begin() as conn:
        batch = _batch(conn, "mapped", "health", 1, when)
        where = {"batch_id": batch, "source_system": "sys_mapped", "file_name": "f.csv",
                 "row_number": 1, "ingested_at": when}  # fmt: skip
        ids = [uuid.uuid4() for _ in range(1200)]
        conn.execute(
            insert(SourceRecord),
            [{**where, "id": r, "source_key": f"H{n:05d}", "raw_row": "", "upn_check": "missing",
              "nhs_number_check": "missing", "uln_check": "missing"}
             for n, r in enumerate(ids)],
        )  # fmt: skip
        conn.execute(
            insert(Event),
            [{**where, "source_record_id": None, "subject_key": f"H{n:05d}",
              "event_type": "health_contact", "agency": "health", "details": {}}
             for n in range(1200)],
        )  # fmt: skip
    report = _apply(store)
    assert report.deleted == 1200
    assert count(store, SourceRecord) == 0 and count(store, Event) == 0


def test_runs_are_listed_newest_first_for_the_governance_page(store: Engine) -> None:
    from wholechild.read.retention import retention_runs

    seed(store)
    retention_report(store, as_of=AS_OF, actor="ig", purpose="administration")
    _apply(store)
    runs = retention_runs(store)
    assert [r.mode for r in runs] == ["apply", "report"]
    assert runs[0].counts["deleted"] == 1 and runs[1].counts["due"] == 2
