"""Subject access export, on SQLite and PostgreSQL: a synthetic child with records from three
agencies (and a sealed one), links and reviewer decisions, events, an EHCP case with an
exception, a correction, a decision not to share, a household, and views of their page. The
ZIP is opened: the JSON holds each kind of data, the PDF reads back with each section, the
redaction review flags the third-party information, and the sealed record is nowhere.

Synthetic people only; NHS numbers from the test range 999 000 0000 - 999 999 9999.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, insert, select

import wholechild.actions.sar as sar_action
from wholechild.access import AccessDenied
from wholechild.actions.audit import erase_note
from wholechild.actions.ehcp_cases import open_case, record_exception
from wholechild.actions.rectification import rectify
from wholechild.actions.sar import subject_access_export
from wholechild.core.access import Category, Principal, Purpose, Role
from wholechild.governance.sar import ANOTHER_PERSONS_RECORD, SECTION_TITLES
from wholechild.read.child import child_view
from wholechild.storage.db import make_engine, migrate
from wholechild.storage.schema import (
    AuditEvent,
    EhcpCase,
    Event,
    Household,
    HouseholdMember,
    IngestBatch,
    LinkageModel,
    LinkageRun,
    Person,
    RecordLink,
    ReviewDecision,
    SharingDecision,
    SourceAddress,
    SourceRecord,
)

FIXTURES = Path(__file__).parent / "fixtures" / "advice"

IG = Principal("ig.officer@council", Role.IG_OFFICER, Category.OTHER)
SOCIAL_WORKER = Principal("sw.jones@council", Role.SOCIAL_WORKER, Category.SOCIAL_CARE)
POLICE = Principal("pc.smith@police", Role.POLICE_OFFICER, Category.POLICE)
SAR = Purpose.SUBJECT_ACCESS_REQUEST
NOW = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
MODEL = "ab" * 32
SEALED_SURNAME = "Hiddenname"
FREE_TEXT = "seen at the walk-in centre with mother and younger brother"
JUSTIFICATION = "Police protection order tonight, need social care history now"


@dataclass(frozen=True)
class Child:
    person_id: int
    sibling_id: int
    school: uuid.UUID  # the record the address and the links hang on
    health: uuid.UUID
    social_care: uuid.UUID
    sealed: uuid.UUID
    sibling: uuid.UUID


def _one(conn: Any, table: Any, values: dict[str, Any]) -> Any:
    return conn.execute(insert(table).returning(table.id), values).scalar_one()


def _batch(conn: Any, system: str, agency: str, fmt: str) -> int:
    return int(_one(conn, IngestBatch, {
        "file_name": f"{system}.csv", "file_sha256": uuid.uuid4().hex * 2, "format": fmt,
        "source_system": system, "agency": agency, "agreement_ref": f"DSA-{system}",
        "actor": "test", "started_at": NOW, "completed_at": NOW, "rows_read": 1,
        "rows_loaded": 1, "rows_quarantined": 0, "records_loaded": 1, "events_loaded": 1,
        "findings_count": 0,
    }))  # fmt: skip


def _provenance(batch: int, system: str, row: int = 2) -> dict[str, Any]:
    return {"batch_id": batch, "source_system": system, "file_name": f"{system}.csv",
            "row_number": row, "ingested_at": NOW, "agreement_ref": f"DSA-{system}"}  # fmt: skip


def _record(conn: Any, batch: int, system: str, person: int, **values: Any) -> uuid.UUID:
    record_id = uuid.uuid4()
    conn.execute(insert(SourceRecord), {
        **_provenance(batch, system), "id": record_id, "person_id": person,
        "source_key": f"{system}-{person}", "raw_row": f"{values.get('surname')},row from {system}",
        "nhs_number_check": "valid", "upn_check": "missing", "uln_check": "missing",
        "sealed": False, **values,
    })  # fmt: skip
    return record_id


def _event(conn: Any, batch: int, system: str, agency: str, record: uuid.UUID, person: int,
           event_type: str, details: dict[str, Any], start: str) -> None:  # fmt: skip
    conn.execute(insert(Event), {
        **_provenance(batch, system), "source_record_id": record, "person_id": person,
        "event_type": event_type, "agency": agency, "start_date": date.fromisoformat(start),
        "details": details,
    })  # fmt: skip


def _address(conn: Any, batch: int, system: str, record: uuid.UUID) -> None:
    conn.execute(insert(SourceAddress), {
        **_provenance(batch, system), "source_record_id": record, "postcode": "WH1 1AA",
        "postcode_raw": "wh1 1aa", "address_line": "1 Oak Road, Wholetown",
        "start_date": date(2020, 1, 1),
    })  # fmt: skip


def _persons_and_records(conn: Any) -> Child:
    child, sibling = (int(_one(conn, Person, {"created_at": NOW})) for _ in range(2))
    school = _batch(conn, "school_census", "education", "school_census")
    health = _batch(conn, "health_trust", "health", "mapped")
    cin = _batch(conn, "cin_census", "children's social care", "cin")
    names = {"forename": "Amara", "surname": "Okafor", "date_of_birth": date(2014, 5, 9)}
    ids = Child(
        child, sibling,
        _record(conn, school, "school_census", child, **names, upn_raw="A123456789012"),
        _record(conn, health, "health_trust", child, **names, nhs_number_raw="9990000018",
                nhs_number="9990000018"),
        _record(conn, cin, "cin_census", child, **names, la_child_id="LA77"),
        _record(conn, cin, "cin_census", child, forename="Amara", surname=SEALED_SURNAME,
                sealed=True),
        _record(conn, school, "school_census", sibling, forename="Tobi", surname="Okafor"),
    )  # fmt: skip
    for record, batch, system in ((ids.school, school, "school_census"),
                                  (ids.sibling, school, "school_census")):  # fmt: skip
        _address(conn, batch, system, record)
    _event(conn, health, "health_trust", "health", ids.health, child, "health_contact",
           {"Service": "Emergency department", "Notes": FREE_TEXT}, "2024-11-02")  # fmt: skip
    _event(conn, cin, "cin_census", "children's social care", ids.social_care, child,
           "cin_plans", {"CINreferralDate": "2024-06-01"}, "2024-07-01")  # fmt: skip
    _event(conn, cin, "cin_census", "children's social care", ids.sealed, child,
           "cla_episodes", {"RNE": "S"}, "2016-01-01")  # fmt: skip
    return ids


def _links(conn: Any, ids: Child) -> None:
    conn.execute(insert(LinkageModel), {"model_hash": MODEL, "settings": {}, "created_at": NOW,
                                        "thresholds": {}})  # fmt: skip
    run = _one(conn, LinkageRun, {
        "started_at": NOW, "completed_at": NOW, "model_hash": MODEL, "actor": "test",
        "purpose": "record linkage", "mode": "full", "upper": 0.95, "lower": 0.5, "counts": {},
    })  # fmt: skip
    pairs = [(ids.school, ids.health, 0.999, "linked"), (ids.school, ids.social_care, 0.7,
             "review"), (ids.school, ids.sibling, 0.6, "review")]  # fmt: skip
    for a, b, probability, status in pairs:
        left, right = sorted((a, b))
        conn.execute(insert(RecordLink), {
            "run_id": run, "record_l": left, "record_r": right, "match_weight": 9.5,
            "match_probability": probability, "contributions": {"dob": 6.1, "surname": 3.4},
            "model_hash": MODEL, "status": status,
        })  # fmt: skip
    for a, b, decision, reason in (
        (ids.school, ids.social_care, "same", "same school and LA id"),
        (ids.school, ids.sibling, "not_same", "twin brother Tobi"),
    ):
        left, right = sorted((a, b))
        conn.execute(insert(ReviewDecision), {
            "record_l": left, "record_r": right, "decision": decision, "reviewer": "r.patel",
            "reason": reason, "action": "decide_pair", "decided_at": NOW,
        })  # fmt: skip


def _governance(conn: Any, ids: Child) -> None:
    household = _one(conn, Household, {"created_at": NOW})
    for person, relationship in ((ids.person_id, "child"), (ids.sibling_id, "sibling")):
        conn.execute(insert(HouseholdMember), {"household_id": household, "person_id": person,
                                               "relationship": relationship})  # fmt: skip
    conn.execute(insert(SharingDecision), {
        "requested_by": "Wholetown Housing", "purpose": "safeguarding_enquiry",
        "categories": ["health"], "person_id": ids.person_id, "decision": "not_share",
        "reason": "not necessary for the housing assessment", "decided_by": "dpo@council",
        "decided_at": NOW,
    })  # fmt: skip


def build_child(engine: Engine) -> Child:
    with engine.begin() as conn:
        ids = _persons_and_records(conn)
        _links(conn, ids)
        _governance(conn, ids)
    case = open_case(engine, person_id=ids.person_id, caseworker="cw.ahmed", team="North",
                     request_received_on=date(2025, 1, 6), actor="cw.ahmed",
                     purpose="ehc_needs_assessment", today=date(2025, 1, 7))  # fmt: skip
    record_exception(engine, case_id=case, clock="decision_whether_to_assess",
                     reason="exceptional_personal_circumstances",
                     evidence="bereavement in the family: letter 2025-01-20",
                     occurred_on=date(2025, 1, 21), actor="cw.ahmed",
                     purpose="ehc_needs_assessment", today=date(2025, 1, 22))  # fmt: skip
    rectify(engine, source_record_id=ids.health.hex, field="surname", new_value="Okafor-Bello",
            reason="name changed by deed poll", requested_by="Mrs B Okafor (mother)",
            actor="ig.officer@council", purpose="subject_access_request")  # fmt: skip
    child_view(engine, SOCIAL_WORKER, person_id=ids.person_id,
               purpose=Purpose.SAFEGUARDING_ENQUIRY)  # fmt: skip
    child_view(engine, POLICE, person_id=ids.person_id, purpose=Purpose.SAFEGUARDING_ENQUIRY,
               justification=JUSTIFICATION)  # fmt: skip
    return ids


@dataclass(frozen=True)
class Opened:
    names: list[str]
    data: dict[str, Any]
    pdf_text: str
    review: str
    raw: bytes


def open_export(path: Path, person_id: int) -> Opened:
    raw = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        names = sorted(archive.namelist())
        data = json.loads(archive.read(f"subject-access-{person_id}.json"))
        pdf = PdfReader(io.BytesIO(archive.read(f"subject-access-{person_id}.pdf")))
        review = archive.read("REDACTION-REVIEW.md").decode("utf-8")
    text = "\n".join(page.extract_text() for page in pdf.pages)
    return Opened(names, data, " ".join(text.split()), review, raw)


@pytest.fixture
def exported(store: Engine, tmp_path: Path) -> tuple[Child, Opened, Engine]:
    ids = build_child(store)
    path = subject_access_export(store, person_id=ids.person_id, out_dir=tmp_path / "out",
                                 actor=IG, purpose=SAR)  # fmt: skip
    return ids, open_export(path, ids.person_id), store


def test_the_zip_holds_the_pdf_the_json_and_the_redaction_review(exported: Any) -> None:
    ids, opened, _ = exported
    person = ids.person_id
    assert opened.names == sorted(
        [f"subject-access-{person}.pdf", f"subject-access-{person}.json", "REDACTION-REVIEW.md"]
    )
    assert opened.data["subject_access_export"]["person_id"] == person
    assert opened.data["subject_access_export"]["generated_by"] == IG.username


def test_records_are_grouped_by_source_with_values_and_provenance(exported: Any) -> None:
    ids, opened, _ = exported
    records = {r["record_id"]: r for r in opened.data["records"]}
    assert set(records) == {ids.school.hex, ids.health.hex, ids.social_care.hex}
    health = records[ids.health.hex]
    assert health["source_system"] == "health_trust" and health["category"] == "health"
    assert health["values"]["nhs_number"] == "9990000018"
    assert health["values"]["surname"] == "Okafor-Bello"  # as corrected
    assert health["provenance"]["file_name"] == "health_trust.csv"
    assert health["provenance"]["agreement_ref"] == "DSA-health_trust"
    assert records[ids.school.hex]["addresses"][0]["shared_with_others"] == 1
    assert records[ids.social_care.hex]["values"]["la_child_id"] == "LA77"


def test_links_explain_how_and_why_and_decisions_hide_the_other_persons_record(
    exported: Any,
) -> None:
    ids, opened, _ = exported
    linkage = opened.data["linkage"]
    pairs = {frozenset((x["record_l"], x["record_r"])): x for x in linkage["links"]}
    assert set(pairs) == {
        frozenset((ids.school.hex, ids.health.hex)),
        frozenset((ids.school.hex, ids.social_care.hex)),
    }
    linked = pairs[frozenset((ids.school.hex, ids.health.hex))]
    assert linked["status"] == "linked" and linked["model_hash"] == MODEL
    assert linked["contributions"] == [["dob", 6.1], ["surname", 3.4]]
    assert linkage["pairs_with_other_peoples_records"] == 1
    decisions = {d["decision"]: d for d in linkage["reviewer_decisions"]}
    assert decisions["same"]["reviewer"] == "r.patel"
    assert ANOTHER_PERSONS_RECORD in (decisions["not_same"]["record_l"],
                                      decisions["not_same"]["record_r"])  # fmt: skip
    assert ids.sibling.hex not in json.dumps(opened.data)


def test_plans_events_ehcp_and_governance_records_are_present(exported: Any) -> None:
    _, opened, _ = exported
    data = opened.data
    assert sorted(e["event_type"] for e in data["events"]) == ["cin_plans", "health_contact"]
    assert [i["kind"] for i in data["involvements"]] == ["child_in_need_plan"]
    (case,) = data["ehcp_cases"]
    assert [s["step"] for s in case["steps"]] == ["request_received", "exception_recorded"]
    assert case["caseworker"] == "cw.ahmed"
    assert data["ai_drafted_text"]["held"] is False and data["ai_drafted_text"]["note"]
    (fix,) = data["rectifications"]
    assert (fix["field"], fix["old_value"], fix["new_value"]) == ("surname", "Okafor",
                                                                  "Okafor-Bello")  # fmt: skip
    assert fix["source_notified_at"] is None
    assert data["sharing_decisions"][0]["decision"] == "not_share"
    assert data["households"] == [{"household_id": 1, "relationship": "child",
                                   "start_date": None, "end_date": None,
                                   "other_members": 1}]  # fmt: skip


def test_the_access_log_names_who_looked_and_why(exported: Any) -> None:
    _, opened, _ = exported
    log = opened.data["access_log"]
    views = [a for a in log if a["action"] == "access.view_child"]
    assert [a["actor"] for a in views] == [SOCIAL_WORKER.username, POLICE.username]
    assert all(a["purpose"] == "safeguarding_enquiry" for a in views)
    assert views[1]["justification"] == JUSTIFICATION and views[1]["flagged"]
    actions = {a["action"] for a in log}
    assert {"ehcp.open_case", "ehcp.record_step", "rectification.rectify"} <= actions


def test_an_erased_justification_reads_as_erased_in_the_access_log(
    store: Engine, tmp_path: Path
) -> None:
    ids = build_child(store)
    with store.connect() as conn:
        glass = conn.execute(select(AuditEvent.id).where(AuditEvent.flagged)).scalar_one()
    erase_note(store, audit_event_id=glass, kind="justification", actor=IG.username,
               purpose="records_management", reason="SAR correction 2026/4")  # fmt: skip
    path = subject_access_export(store, person_id=ids.person_id, out_dir=tmp_path / "out",
                                 actor=IG, purpose=SAR)  # fmt: skip
    opened = open_export(path, ids.person_id)
    (erased,) = [a for a in opened.data["access_log"] if a["audit_id"] == glass]
    assert erased["justification"] == "(erased)" and erased["flagged"]
    assert JUSTIFICATION not in json.dumps(opened.data) and JUSTIFICATION not in opened.pdf_text


def test_the_pdf_reads_back_with_every_section_and_the_values(exported: Any) -> None:
    _, opened, _ = exported
    text = opened.pdf_text
    for title in SECTION_TITLES.values():
        assert title in text, title
    assert "From health_trust" in text and "From school_census" in text
    assert "Surname: Okafor-Bello" in text and "NHS number: 9990000018" in text
    assert "exception_recorded" in text and "r.patel" in text
    assert "No AI-drafted text is held about you" in text
    assert POLICE.username in text


def test_sealed_records_and_their_events_are_nowhere_in_the_export(exported: Any) -> None:
    ids, opened, _ = exported
    everything = json.dumps(opened.data) + opened.pdf_text + opened.review
    assert SEALED_SURNAME not in everything and ids.sealed.hex not in everything
    assert "cla_episodes" not in everything


def test_the_redaction_review_flags_third_party_information(exported: Any) -> None:
    ids, opened, _ = exported
    review = opened.review
    expected = [
        f"| plans | {_event_id(opened, 'health_contact')} | details.Notes |",
        f"| records | {ids.school.hex} | addresses[0] | address also held for 1 other",
        "| households | 1 | other_members |",
        "| linkage |",  # the decision about the sibling's record
        "| rectifications |",
        "| access_log |",  # the break-glass justification
        "| sharing |",
        f"| records | {ids.health.hex} | raw_row |",
        "| ehcp |",  # the exception's evidence
    ]
    for row in expected:
        assert row in review, row
    assert "## Staff named" in review and "r.patel" in review and "cw.ahmed" in review


def _event_id(opened: Opened, event_type: str) -> int:
    return int(next(e["event_id"] for e in opened.data["events"] if e["event_type"] == event_type))


def test_the_export_is_audited_with_counts_never_values(exported: Any) -> None:
    ids, _, store = exported
    with store.connect() as conn:
        entry = conn.execute(select(AuditEvent).where(AuditEvent.action == "access.export")).one()
    assert (entry.actor, entry.purpose, entry.person_id) == (IG.username, SAR.value, ids.person_id)
    details = entry.details
    assert details["records"] == 3 and details["events"] == 2 and details["ehcp_cases"] == 1
    assert details["third_party_flags"] >= 9
    assert "Okafor" not in json.dumps(details)


def test_only_an_information_governance_officer_may_export(store: Engine, tmp_path: Path) -> None:
    ids = build_child(store)
    with pytest.raises(AccessDenied):
        subject_access_export(
            store, person_id=ids.person_id, out_dir=tmp_path / "out", actor=SOCIAL_WORKER,
            purpose=Purpose.SAFEGUARDING_ENQUIRY,
        )  # fmt: skip
    assert not (tmp_path / "out").exists()
    with store.connect() as conn:
        refused = conn.execute(select(AuditEvent).where(AuditEvent.action == "access.export")).one()
    assert refused.details["allowed"] is False


def test_no_audit_no_export(store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = build_child(store)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(sar_action, "record_access", broken)
    with pytest.raises(RuntimeError):
        subject_access_export(store, person_id=ids.person_id, out_dir=tmp_path / "out",
                              actor=IG, purpose=SAR)  # fmt: skip
    assert not (tmp_path / "out").exists()


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "WHOLECHILD_DATABASE_URL": f"sqlite:///{tmp_path / 'wc.db'}",
                   "WHOLECHILD_ENVIRONMENT": "development", "COLUMNS": "200"}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "wholechild.cli", *args], capture_output=True, text=True,
        env=environment, cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip


def test_the_command_line_exports_corrects_and_records_the_notification(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wc.db'}")
    migrate(engine)
    ids = build_child(engine)
    fixed = _cli(tmp_path, "rectify", ids.school.hex, "--field", "date_of_birth", "--value",
                 "2014-05-19", "--reason", "typo at the school", "--requested-by", "the child",
                 "--actor", "dpo")  # fmt: skip
    assert fixed.returncode == 0, fixed.stderr
    assert "rectify-notified 2 --reference" in fixed.stdout  # the first was in build_child
    told = _cli(tmp_path, "rectify-notified", "2", "--reference", "EMAIL-77", "--actor", "dpo")
    assert told.returncode == 0, told.stderr
    exported = _cli(tmp_path, "sar", str(ids.person_id), "--out", "out", "--actor", "dpo")
    assert exported.returncode == 0, exported.stderr
    (path,) = (tmp_path / "out").iterdir()
    data = open_export(path, ids.person_id).data
    fixes = {f["rectification_id"]: f for f in data["rectifications"]}
    assert fixes[2]["new_value"] == "2014-05-19"
    assert fixes[2]["source_notification_ref"] == "EMAIL-77"
    refused = _cli(tmp_path, "rectify", ids.school.hex, "--field", "raw_row", "--value", "x",
                   "--reason", "r", "--requested-by", "me")  # fmt: skip
    assert refused.returncode == 2 and "cannot be corrected" in refused.stderr
    assert "Traceback" not in refused.stderr
    missing = _cli(tmp_path, "sar", "999", "--out", "out")
    assert missing.returncode == 2 and "there is no person 999" in missing.stderr


def test_ai_drafted_text_is_exported_with_who_signed_it_off(store: Engine, tmp_path: Path) -> None:
    from wholechild.actions.ehcp_drafts import create_draft, sign_off
    from wholechild.ehcp.documents import read_advice

    ids = build_child(store)
    with store.connect() as conn:
        case_id = conn.scalar(select(EhcpCase.id).where(EhcpCase.person_id == ids.person_id))
    advice = [read_advice(FIXTURES / "ep_report.txt")]
    draft = create_draft(store, case_id=case_id, documents=advice, actor="cw.ahmed",
                         purpose="ehc_needs_assessment")  # fmt: skip
    sign_off(store, draft_id=draft, actor="cw.ahmed", purpose="ehc_needs_assessment")
    path = subject_access_export(store, person_id=ids.person_id, out_dir=tmp_path / "out",
                                 actor=IG, purpose=SAR)  # fmt: skip
    opened = open_export(path, ids.person_id)
    held = opened.data["ai_drafted_text"]
    assert held["held"] is True and held["items"]
    assert {i["signed_off_by"] for i in held["items"]} == {"cw.ahmed"}
    assert {i["draft_id"] for i in held["items"]} == {draft}
    first = held["items"][0]["text"]
    assert " ".join(first.split())[:40] in opened.pdf_text
