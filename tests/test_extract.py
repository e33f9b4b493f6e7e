"""The pseudonymised analytical extract: no identifying value of the store appears in any file;
the same child has the same pseudonym under one key and a different one under another; dates
are months, postcodes districts; each purpose gets only its fields; counts pass disclosure
control; audited, and nothing is written when the audit fails. On SQLite and PostgreSQL,
synthetic people only (NHS numbers from the test range).
"""

from __future__ import annotations

import csv
import json
import re
import stat
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, select

from ingest_helpers import test_nhs_number
from test_cli import run as run_cli
from wholechild.actions import extract as extract_module
from wholechild.actions.extract import write_extract
from wholechild.actions.pseudonym_key import load_or_create_pseudonymiser
from wholechild.core.disclosure import SUPPRESSED_MARK
from wholechild.errors import ConfigurationError, UserError
from wholechild.governance.extract import PURPOSES
from wholechild.governance.pseudonyms import Pseudonymiser, district, month
from wholechild.settings import Settings
from wholechild.storage.schema import (
    AuditEvent,
    DataSharingAgreement,
    Event,
    IngestBatch,
    Person,
    Sensitivity,
    SourceAddress,
    SourceRecord,
)

KEY_A = Pseudonymiser(bytes(range(32)))
KEY_B = Pseudonymiser(bytes(range(1, 33)))
CHILDREN = 12
MONTH = re.compile(r"^(\d{4}-(0[1-9]|1[0-2]))?$")


# --- a small store ------------------------------------------------------------------------


def _batch(
    conn: Any, fmt: str, agency: str, n: int, when: datetime, agreement: str | None = None
) -> tuple[int, dict[str, Any]]:
    row = {
        "file_name": f"{fmt}.csv", "file_sha256": f"{n:064d}", "format": fmt,
        "source_system": f"sys_{fmt}", "agency": agency, "agreement_ref": agreement, "actor": "t",
        "started_at": when, "completed_at": when, "rows_read": 1, "rows_loaded": 1,
        "rows_quarantined": 0, "records_loaded": 1, "events_loaded": 1, "findings_count": 0,
    }  # fmt: skip
    batch = int(conn.execute(insert(IngestBatch).returning(IngestBatch.id), row).scalar_one())
    where = {"batch_id": batch, "source_system": f"sys_{fmt}", "file_name": "f.csv",
             "row_number": 1, "ingested_at": when}  # fmt: skip
    return batch, where


def _record(
    conn: Any, n: int, person: int | None, fmt: str, agency: str, *, postcode: str,
    sealed: bool = False, when: datetime = datetime(2024, 1, 1, tzinfo=UTC),
    agreement: str | None = None,
) -> tuple[uuid.UUID, dict[str, Any]]:  # fmt: skip
    _, where = _batch(conn, fmt, agency, n, when, agreement)
    record, i = uuid.uuid4(), n // 2
    dob = date(2012, 1 + i % 12, 3 + i % 20)
    conn.execute(
        insert(SourceRecord),
        {**where, "id": record, "person_id": person, "source_key": f"SKEY{n:05d}",
         "raw_row": f"Wilhelmina,Featherstonehaugh{i},{dob:%d/%m/%Y}", "forename": "Wilhelmina",
         "surname": f"Featherstonehaugh{i}", "forename_norm": "WILHELMINA",
         "surname_norm": f"FEATHERSTONEHAUGH{i}", "date_of_birth": dob, "sex": "F",
         "ethnicity": "WIRT", "nhs_number": test_nhs_number(100 + i),
         "nhs_number_check": "valid", "upn": f"H80123450{i:04d}", "upn_check": "valid",
         "uln_check": "missing", "postcode": postcode, "la_child_id": f"LACHILD{i:04d}",
         "sealed": sealed},
    )  # fmt: skip
    conn.execute(
        insert(SourceAddress),
        {**where, "source_record_id": record, "subject_key": f"SKEY{n:05d}",
         "postcode_raw": postcode.lower(), "postcode": postcode,
         "address_line": f"{i} Quillfeather Close", "uprn": f"10009{i:06d}"},
    )  # fmt: skip
    return record, where


def _event(conn: Any, where: dict[str, Any], record: uuid.UUID, person: int | None,
           kind: str, agency: str, start: date, code: str) -> None:  # fmt: skip
    conn.execute(
        insert(Event),
        {**where, "source_record_id": record, "subject_key": "x", "person_id": person,
         "event_type": kind, "agency": agency, "start_date": start, "end_date": None,
         "code": code, "details": {"note": "Wilhelmina said"}},
    )  # fmt: skip


def seed(engine: Engine) -> dict[str, Any]:
    """12 children each with a social-care and a school record (the school one later, with a
    new postcode); one child whose only record is sealed; one record linked to no person."""
    persons: list[int] = []
    with engine.begin() as conn:
        for i in range(CHILDREN):
            person = int(conn.execute(
                insert(Person).returning(Person.id), {"created_at": datetime.now(UTC)}
            ).scalar_one())  # fmt: skip
            persons.append(person)
            cin, where = _record(conn, 2 * i, person, "cin", "children's social care",
                                 postcode=f"LS{6 + i % 3} {1 + i % 9}QT")  # fmt: skip
            _event(conn, where, cin, person, "cin_episodes", "children's social care",
                   date(2023, 1 + i % 12, 15), "N1")  # fmt: skip
            school, where = _record(conn, 2 * i + 1, person, "school-census", "education",
                                    postcode=f"BD{1 + i % 4} 7NX",
                                    when=datetime(2025, 1, 1, tzinfo=UTC))  # fmt: skip
            _event(conn, where, school, person, "school_enrolment", "education",
                   date(2020, 9, 1), "NATIVE77")  # fmt: skip
        sealed_person = int(conn.execute(
            insert(Person).returning(Person.id), {"created_at": datetime.now(UTC)}
        ).scalar_one())  # fmt: skip
        sealed, where = _record(conn, 90, sealed_person, "cin", "children's social care",
                                postcode="HX1 1AA", sealed=True)  # fmt: skip
        _event(conn, where, sealed, sealed_person, "cp_plans", "children's social care",
               date(2019, 5, 5), "PHY")  # fmt: skip
        _record(conn, 91, None, "mapped", "health", postcode="WF3 2BB")
    return {"persons": persons, "sealed_person": sealed_person}


def identifying_values(engine: Engine) -> set[str]:
    """Every identifying value in the store (by the column classification), in the forms it
    could be written: dates also as dd/mm/yyyy, postcodes also without the space."""
    found: set[str] = set()
    with engine.connect() as conn:
        for model in (SourceRecord, SourceAddress):
            table = model.__table__
            columns = [
                c for c in table.columns
                if c.info.get("sensitivity") == Sensitivity.IDENTIFYING and c.name != "sex"
            ]  # fmt: skip
            for row in conn.execute(select(*columns)):
                for value in row:
                    found.update(_forms(value))
    return {v for v in found if len(v) >= 4}


def _forms(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, date):
        return [value.isoformat(), f"{value:%d/%m/%Y}", f"{value:%Y%m%d}"]
    text = str(value)
    return [text, text.replace(" ", ""), *text.split(",")]


HEX = re.compile(r"^[0-9a-f]+$")


def leaks(text: str, values: set[str]) -> list[str]:
    """The values found in ``text``: as a whole word (cell, JSON string, Markdown word), or
    anywhere when long enough not to turn up by chance inside a hex pseudonym."""
    words = set(re.findall(r"[a-z0-9/\-]+", text))
    found = []
    for value in values:
        low = value.lower()
        anywhere = " " in low or (len(low) >= 8 and not HEX.match(low))
        if low in words or (anywhere and low in text):
            found.append(value)
    return sorted(found)


def extract(engine: Engine, out: Path, purpose: str, key: Pseudonymiser = KEY_A) -> Any:
    return write_extract(
        engine, purpose=purpose, out_dir=out, actor="analyst", pseudonymiser=key, threshold=10
    )


def rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- the tests ----------------------------------------------------------------------------


@pytest.mark.parametrize("purpose", sorted(PURPOSES))
def test_no_identifying_value_of_the_store_appears_in_any_file(
    store: Engine, tmp_path: Path, purpose: str
) -> None:
    seed(store)
    out = tmp_path / purpose
    extract(store, out, purpose)
    values = identifying_values(store)
    assert len(values) > 100  # names, dates, NHS numbers, UPNs, postcodes, addresses, rows
    files = sorted(out.iterdir())
    assert {f.name for f in files} == {
        "children.csv", "events.csv", "summary.csv", "README.md", "manifest.json",
    }  # fmt: skip
    for path in files:
        text = path.read_text(encoding="utf-8").lower()
        leaked = leaks(text, values)
        assert leaked == [], f"{path.name} holds {leaked[:5]}"
        for word in ("wilhelmina", "native77", "quillfeather"):  # names, unlisted codes, text
            assert word not in text


def test_the_same_child_has_one_pseudonym_per_key_and_another_under_another_key(
    store: Engine, tmp_path: Path
) -> None:
    seeded = seed(store)
    extract(store, tmp_path / "a1", "statutory_return")
    extract(store, tmp_path / "a2", "service_planning")
    extract(store, tmp_path / "b", "statutory_return", key=KEY_B)
    a1, a2, b = (rows(tmp_path / d, "children.csv") for d in ("a1", "a2", "b"))
    people = {r["person_pseudonym"] for r in a1}
    assert len(a1) == CHILDREN + 1  # one row per child (two records each) + the unlinked record
    assert people == {r["person_pseudonym"] for r in a2}  # same key, another purpose
    assert not people & {r["person_pseudonym"] for r in b}  # another key
    expected = {KEY_A.of("person", f"person:{p}") for p in seeded["persons"]}
    assert expected <= people
    events = rows(tmp_path / "a1", "events.csv")
    assert {e["person_pseudonym"] for e in events} <= people
    upns = [r["upn_pseudonym"] for r in a1 if r["upn_pseudonym"]]
    assert len(upns) == len(set(upns)) == CHILDREN + 1 and all(len(u) == 64 for u in upns)


def test_dates_are_months_and_postcodes_districts(store: Engine, tmp_path: Path) -> None:
    seed(store)
    extract(store, tmp_path / "x", "statutory_return")
    children = rows(tmp_path / "x", "children.csv")
    for child in children:
        assert MONTH.match(child["birth_month"]), child["birth_month"]
        assert re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]?", child["district"]), child["district"]
    for event in rows(tmp_path / "x", "events.csv"):
        assert MONTH.match(event["start_month"]) and MONTH.match(event["end_month"])
    # the latest known postcode (the school record, loaded later) gives the district
    assert {c["district"] for c in children} == {"BD1", "BD2", "BD3", "BD4", "WF3"}
    assert month(date(2012, 3, 17)) == "2012-03" and district("ls6 2qt") == "LS6"


def test_each_purpose_gets_only_its_fields(store: Engine, tmp_path: Path) -> None:
    seed(store)
    extract(store, tmp_path / "planning", "service_planning")
    extract(store, tmp_path / "returns", "statutory_return")
    planning = (tmp_path / "planning" / "children.csv").read_text(encoding="utf-8")
    assert planning.splitlines()[0] == "person_pseudonym,birth_month,sex,district"
    for path in (tmp_path / "planning").iterdir():
        assert "WIRT" not in path.read_text(encoding="utf-8")  # no ethnicity for planning
    returns = rows(tmp_path / "returns", "children.csv")
    assert {r["ethnicity"] for r in returns} == {"WIRT"}
    events = rows(tmp_path / "returns", "events.csv")
    assert {e["event_type"] for e in events} == {"cin_episodes"}  # sealed cp_plans left out
    assert {e["code"] for e in events} == {"N1"}
    planned = rows(tmp_path / "planning", "events.csv")
    assert {e["event_type"] for e in planned} == {"cin_episodes", "school_enrolment"}
    assert {e["code"] for e in planned if e["event_type"] == "school_enrolment"} == {""}


def test_the_manifest_and_dictionary_describe_the_files(store: Engine, tmp_path: Path) -> None:
    seed(store)
    manifest = extract(store, tmp_path / "x", "statutory_return")
    data = json.loads((tmp_path / "x" / "manifest.json").read_text(encoding="utf-8"))
    assert data["purpose"] == "statutory_return" and data["key_id"] == KEY_A.key_id
    assert data["rows"]["children.csv"] == len(rows(tmp_path / "x", "children.csv"))
    assert data["rows"]["events.csv"] == len(rows(tmp_path / "x", "events.csv")) == CHILDREN
    assert data["fields"]["children.csv"] == list(PURPOSES["statutory_return"].child_fields)
    assert datetime.fromisoformat(data["generated_at"]) == manifest.generated_at
    readme = (tmp_path / "x" / "README.md").read_text(encoding="utf-8")
    for field in (*data["fields"]["children.csv"], *data["fields"]["events.csv"]):
        assert f"| `{field}` |" in readme


def test_the_summary_passes_disclosure_control(store: Engine, tmp_path: Path) -> None:
    seed(store)
    extract(store, tmp_path / "x", "service_planning")
    with (tmp_path / "x" / "summary.csv").open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0] == ["event_type", "2020", "2023", "total"]
    cells = {row[0]: row[1:] for row in table[1:]}
    assert cells["cin_episodes"] == ["0", "12", "12"] and cells["total"] == ["12", "12", "24"]
    for row in table[1:]:
        for value in row[1:]:
            assert value == SUPPRESSED_MARK or value == "0" or int(value) >= 10


def test_an_extract_is_audited_with_counts(store: Engine, tmp_path: Path) -> None:
    seed(store)
    extract(store, tmp_path / "x", "statutory_return")
    with store.connect() as conn:
        entry = conn.execute(select(AuditEvent).where(AuditEvent.action == "extract.write")).one()
    assert entry.purpose == "statutory_return" and entry.actor == "analyst"
    assert entry.details["rows"]["events.csv"] == CHILDREN
    assert entry.details["key_id"] == KEY_A.key_id
    assert "Wilhelmina" not in json.dumps(entry.details)


def test_nothing_is_written_when_the_audit_fails(
    store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(store)

    def broken_audit(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("audit store full")

    monkeypatch.setattr(extract_module, "record_audit", broken_audit)
    with pytest.raises(RuntimeError):
        extract(store, tmp_path / "exports" / "x", "statutory_return")
    assert list((tmp_path / "exports").iterdir()) == []  # no extract, no staging folder


def test_refuses_an_unknown_purpose_and_a_used_folder(store: Engine, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="service_planning, statutory_return"):
        extract(store, tmp_path / "x", "marketing")
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "old.csv").write_text("x", encoding="utf-8")
    with pytest.raises(UserError, match="not an empty folder"):
        extract(store, tmp_path / "used", "statutory_return")


def test_the_pseudonym_key_is_required_in_production_and_created_elsewhere(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigurationError, match="WHOLECHILD_PSEUDONYM_KEY"):
        load_or_create_pseudonymiser(Settings(environment="production"), keys_dir=tmp_path)
    created = load_or_create_pseudonymiser(Settings(environment="test"), keys_dir=tmp_path)
    path = tmp_path / "pseudonym.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_or_create_pseudonymiser(Settings(environment="test"), keys_dir=tmp_path)
    assert again.key_id == created.key_id
    short = tmp_path / "short.key"
    short.write_text("abcd\n", encoding="ascii")
    with pytest.raises(ConfigurationError, match="at least 32"):
        load_or_create_pseudonymiser(Settings(pseudonym_key=short), keys_dir=tmp_path)


def test_the_cli_writes_an_extract(tmp_path: Path) -> None:
    from wholechild.storage.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    migrate(engine)
    seed(engine)
    engine.dispose()
    done = run_cli(["extract", "--purpose", "service_planning", "--out", "out"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "children.csv 13" in done.stdout
    assert (tmp_path / "var" / "keys" / "pseudonym.key").exists()
    refused = run_cli(["extract", "--purpose", "profiling", "--out", "out2"], tmp_path)
    assert refused.returncode == 2 and "statutory_return" in refused.stderr


def _agreement(conn: Any, ref: str, purposes: list[str]) -> None:
    conn.execute(
        insert(DataSharingAgreement),
        {"ref": ref, "title": ref, "parties": ["Council", "Partner"],
         "source_systems": ["sys_mapped"], "partner_category": "education",
         "purposes": purposes, "categories": ["education"],
         "lawful_basis": "Art. 6(1)(e) public task", "start_date": date(2020, 1, 1),
         "created_by": "t", "created_at": datetime.now(UTC)},
    )  # fmt: skip


def test_only_data_shared_for_the_purpose_and_never_sealed_data_is_used(
    store: Engine, tmp_path: Path
) -> None:
    """A partner's records go only into extracts for purposes their agreement lists; a sealed
    record's events stay out even when loaded without its record id."""
    seeded = seed(store)
    person = seeded["persons"][0]
    with store.begin() as conn:
        _agreement(conn, "DSA-SAFEGUARDING", ["safeguarding_enquiry"])
        _agreement(conn, "DSA-PLANNING", ["safeguarding_enquiry", "service_planning"])
        for n, ref in ((92, "DSA-SAFEGUARDING"), (93, "DSA-PLANNING")):
            record, where = _record(conn, n, person, "mapped", "school", postcode="YO1 7HH",
                                    agreement=ref)  # fmt: skip
            _event(conn, where, record, person, "exclusion", "school", date(2024, 2, 2), ref)
        _, where = _record(conn, 94, person, "ssda903", "children's social care",
                                postcode="YO1 7HH", sealed=True)  # fmt: skip
        conn.execute(
            insert(Event),
            {**where, "source_record_id": None, "subject_key": "SKEY00094", "person_id": person,
             "event_type": "cla_episodes", "agency": "children's social care",
             "start_date": date(2018, 1, 1), "details": {}},
        )  # fmt: skip
    manifest = extract(store, tmp_path / "x", "service_planning")
    events = rows(tmp_path / "x", "events.csv")
    # the code (exclusion category) was set to the agreement's ref: only one got in
    assert [e["code"] for e in events if e["event_type"] == "exclusion"] == ["DSA-PLANNING"]
    assert "cla_episodes" not in {e["event_type"] for e in events}
    assert manifest.left_out == {"records_sealed": 2, "records_agreement": 1, "events": 3}
    data = json.loads((tmp_path / "x" / "manifest.json").read_text(encoding="utf-8"))
    assert data["left_out"] == manifest.left_out


@given(st.dates(), st.text(max_size=20), st.binary(min_size=32, max_size=64))
def test_months_and_pseudonyms_hold_their_properties(day: date, value: str, key: bytes) -> None:
    assert month(day) == day.isoformat()[:7] and MONTH.match(month(day) or "")
    one = Pseudonymiser(key)
    assert one.of("person", value) == Pseudonymiser(bytes(key)).of("person", value)
    assert one.of("person", value) != one.of("upn", value)
    other = Pseudonymiser(bytes([key[0] ^ 1]) + key[1:])
    assert one.of("person", value) != other.of("person", value)
    assert one.key_id != other.key_id and len(one.of("upn", value)) == 64
