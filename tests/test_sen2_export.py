"""The SEN2 return from the case data: valid against the 2024 XSD (when the XSD is here), and a
round trip: synthetic SEN2 → cases → export → ingest gives the same persons, requests, plans."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import Engine, insert, select, update

from conftest import sample_file
from wholechild.actions.ehcp_cases import load_case_histories
from wholechild.actions.ingest import ingest_file
from wholechild.ehcp.clocks import ClockStatus, default_spec, evaluate
from wholechild.formats import LoadOptions
from wholechild.formats import sen2_export as export_module
from wholechild.formats.sen2_export import export_sen2, reference_date
from wholechild.storage.schema import AuditEvent, Event, Person, SourceRecord
from wholechild.synth import synthesise
from wholechild.synth.ehcp_cases import reference_of, synthetic_case_histories

NO_XSD = LoadOptions(extra={"xsd": "no-such-schema.xsd"})
NEEDS = "ActivePlans/SENneed/SENtype"
CENSUS = "2025-01-16"


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("council")
    synthesise(children=1500, seed=5, out_dir=out)
    return out


def load_cases(engine: Engine, council: Path) -> None:
    """Ingest the synthetic SEN2 file, give each record a person (standing in for linkage),
    and load the case histories made from it."""
    report = ingest_file(engine, council / "sen2.xml", actor="test", purpose="test",
                         format_name="sen2", options=NO_XSD)  # fmt: skip
    assert report.rows_loaded > 20
    _a_person_per_record(engine)
    sen2 = council / "sen2.xml"
    loaded = load_case_histories(engine, synthetic_case_histories(sen2), actor="test",
                                 purpose="test", today=reference_of(sen2))  # fmt: skip
    assert loaded.refused == [] and loaded.unmatched == 0 and loaded.cases > 20


def _a_person_per_record(engine: Engine) -> None:
    """Standing in for linkage: each source record its own person."""
    with engine.begin() as conn:
        for record_id in conn.scalars(select(SourceRecord.id)).all():
            stmt = insert(Person).returning(Person.id)
            person = conn.execute(stmt, {"created_at": datetime.now(UTC)}).scalar_one()
            conn.execute(
                update(SourceRecord).where(SourceRecord.id == record_id).values(person_id=person)
            )


def requests_in(path: Path) -> dict[tuple[str, str], dict[str, str | None]]:
    """(UPN or ULN, ReceivedDate) -> outcome, its date, plan start, needs, as the file says."""
    found = {}
    for person in etree.parse(str(path)).getroot().iterfind("Persons/Person"):
        key = person.findtext("UPN") or person.findtext("UniqueLearnerNumber")
        if key is None:
            continue
        for request in person.iterfind("Requests"):
            found[(key, request.findtext("ReceivedDate") or "")] = {
                "outcome": request.findtext("RequestOutcome"),
                "decided": request.findtext("RequestOutcomeDate"),
                "plan": request.findtext("Assessment/NamedPlan/StartDate"),
                "needs": " ".join(t.text or "" for t in request.iterfind(NEEDS)),
            }
    return found


@pytest.mark.parametrize(("year", "census"), [(2024, "2024-01-18"), (2025, "2025-01-16"),
                                                (2026, "2026-01-15")])  # fmt: skip
def test_the_reference_date_is_the_third_thursday_of_january(year: int, census: str) -> None:
    assert reference_date(year) == date.fromisoformat(census)


def test_the_export_has_the_requests_and_plans_of_the_sen2_it_was_made_from(
    store: Engine, council: Path, tmp_path: Path
) -> None:
    load_cases(store, council)
    out = tmp_path / "sen2_2025.xml"
    report = export_sen2(store, year=2025, out=out, la_code="990", actor="test",
                         purpose="statutory_return")  # fmt: skip
    original, exported = requests_in(council / "sen2.xml"), requests_in(out)
    assert report.requests == len(exported) > 20
    assert set(exported) <= set(original)
    for key, request in exported.items():
        assert request["outcome"] == _as_at_census(original[key]), key
        was = original[key]
        assert (request["plan"], request["needs"]) == (was["plan"], was["needs"]), key


def _as_at_census(request: dict[str, str | None]) -> str | None:
    """The synthetic SEN2's outcome as the case data records it: a withdrawn request (W) is a
    decision not to assess (N); a decision dated after census day had not happened (A)."""
    if request["decided"] and request["decided"] > CENSUS:
        return "A"
    return "N" if request["outcome"] == "W" else request["outcome"]


def test_round_trip_export_then_ingest_gives_the_same_persons_requests_and_plans(
    store: Engine, council: Path, tmp_path: Path
) -> None:
    load_cases(store, council)
    out = tmp_path / "sen2_2025.xml"
    export_sen2(store, year=2025, out=out, la_code="990", actor="test", purpose="statutory_return")
    options = LoadOptions(source_system="sen2_export", extra=NO_XSD.extra)
    report = ingest_file(
        store, out, actor="test", purpose="test", format_name="sen2", options=options
    )
    assert report.rows_quarantined == 0 and report.reconciles
    persons = _persons(store)
    assert persons["sen2_export"] <= persons["sen2"]
    assert len(persons["sen2_export"]) == report.rows_loaded
    events = _events(store)
    assert events["sen2_export"] <= {_at_census(e) for e in events["sen2"]}
    assert {e for e in events["sen2_export"] if e[0] == "ehcp_named_plan"} == {
        e for e in events["sen2"] if e[0] == "ehcp_named_plan" and e[1] in _keys(persons)
    }


def _persons(engine: Engine) -> dict[str, set[tuple[object, ...]]]:
    """Per source system: each person's key, names, date of birth, sex, ethnicity."""
    r = SourceRecord
    with engine.connect() as conn:
        rows = conn.execute(select(r.source_system, r.source_key, r.surname, r.forename,
                                   r.date_of_birth, r.sex, r.ethnicity)).all()  # fmt: skip
    found: dict[str, set[tuple[object, ...]]] = {"sen2": set(), "sen2_export": set()}
    for row in rows:
        if row.source_key is not None:
            found[row.source_system].add(tuple(row[1:]))
    return found


def _keys(persons: dict[str, set[tuple[object, ...]]]) -> set[object]:
    return {p[0] for p in persons["sen2_export"]}


def _events(engine: Engine) -> dict[str, set[tuple[object, ...]]]:
    """Per source system: (event type, child's key, start, end, code) of request and plan."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Event.source_system, Event.event_type, SourceRecord.source_key,
                   Event.start_date, Event.end_date, Event.code)
            .join(SourceRecord, Event.source_record_id == SourceRecord.id)
            .where(Event.event_type.in_(["ehcp_requests", "ehcp_named_plan"]))
        ).all()  # fmt: skip
    found: dict[str, set[tuple[object, ...]]] = {"sen2": set(), "sen2_export": set()}
    for row in rows:
        found[row.source_system].add(tuple(row[1:]))
    return found


def _at_census(event: tuple[object, ...]) -> tuple[object, ...]:
    """An ingested synthetic SEN2 request as the case data records it (see _as_at_census)."""
    kind, key, start, end, code = event
    if kind == "ehcp_requests" and end is not None and str(end) > CENSUS:
        return (kind, key, start, None, "A")
    return (kind, key, start, end, "N" if code == "W" else code)


def test_the_export_is_valid_against_the_2024_xsd(
    store: Engine, council: Path, tmp_path: Path
) -> None:
    xsd = sample_file("sen2", "SEN2_schema_2024.xsd")
    load_cases(store, council)
    out = tmp_path / "sen2_2025.xml"
    export_sen2(store, year=2025, out=out, la_code="990", actor="test",
                purpose="statutory_return", xsd=xsd)  # fmt: skip
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    assert schema.validate(etree.parse(str(out))), schema.error_log


def test_the_export_is_audited_and_no_audit_means_no_file(
    store: Engine, council: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_cases(store, council)
    (tmp_path / "returns").mkdir()
    out = tmp_path / "returns" / "sen2_2025.xml"
    report = export_sen2(store, year=2025, out=out, la_code="990", actor="analyst",
                         purpose="statutory_return")  # fmt: skip
    with store.connect() as conn:
        entry = conn.execute(select(AuditEvent).where(AuditEvent.action == "sen2.export")).one()
    assert (entry.actor, entry.details["requests"]) == ("analyst", report.requests)

    def broken_audit(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(export_module, "record_audit", broken_audit)
    again = out.parent / "again.xml"
    with pytest.raises(RuntimeError):
        export_sen2(store, year=2025, out=again, la_code="990", actor="analyst",
                    purpose="statutory_return")  # fmt: skip
    assert not again.exists()
    assert [p.name for p in out.parent.iterdir()] == ["sen2_2025.xml"]


def test_synthetic_histories_are_reproducible_and_cover_the_whole_process(council: Path) -> None:
    sen2 = council / "sen2.xml"
    histories = synthetic_case_histories(sen2, seed=1)
    assert histories == synthetic_case_histories(sen2, seed=1)
    assert histories != synthetic_case_histories(sen2, seed=2)
    steps = Counter(s.step for h in histories for s in h.steps)
    covered = (
        "advice_received",
        "exception_recorded",
        "annual_review_meeting",
        "amended_plan_issued",
        "phase_transfer_planned",
        "decision_not_to_assess",
    )
    assert [s for s in covered if steps[s] == 0] == []
    today = reference_of(sen2)
    final = Counter(
        c.status
        for h in histories
        for c in evaluate(default_spec(), h.steps, today)
        if c.name == "final_plan"
    )
    assert final[ClockStatus.MET] and final[ClockStatus.LATE] and final[ClockStatus.EXCEPTION]


def _child_orders(path: Path) -> dict[str, set[tuple[str, str]]]:
    """Per element name: each (earlier, later) pair of child element names seen in the file."""
    pairs: dict[str, set[tuple[str, str]]] = {}
    for element in etree.parse(str(path)).getroot().iter():
        names = [str(child.tag) for child in element]
        found = pairs.setdefault(str(element.tag), set())
        found.update((a, b) for i, a in enumerate(names) for b in names[i + 1 :] if a != b)
    return pairs


def test_the_export_keeps_the_layout_of_the_synthetic_sen2(
    store: Engine, council: Path, tmp_path: Path
) -> None:
    """Without the XSD here, the next best check: the export uses only the elements the
    synthetic SEN2 writer uses (validated against the 2024 XSD), in the same order."""
    load_cases(store, council)
    out = tmp_path / "sen2_2025.xml"
    export_sen2(store, year=2025, out=out, la_code="990", actor="test", purpose="statutory_return")
    synthetic, exported = _child_orders(council / "sen2.xml"), _child_orders(out)
    assert set(exported) <= set(synthetic)
    reversed_pairs = {
        (parent, a, b)
        for parent, pairs in exported.items()
        for a, b in pairs
        if (b, a) in synthetic[parent] and (a, b) not in synthetic[parent]
    }
    assert reversed_pairs == set()


def test_the_shared_sen2_mockup_round_trips(store: Engine, tmp_path: Path) -> None:
    """The public SEN2 mock-up → case histories → export → ingest: each exported request is one
    of the mock-up's, with its plan's start date, and the export loads without quarantine."""
    mockup = sample_file("sen2", "SEN2-2024-mockup.xml")
    census = reference_of(mockup)
    ingest_file(store, mockup, actor="test", purpose="test", format_name="sen2", options=NO_XSD)
    _a_person_per_record(store)
    loaded = load_case_histories(store, synthetic_case_histories(mockup), actor="test",
                                 purpose="test", today=census)  # fmt: skip
    assert loaded.cases >= 1 and loaded.refused == []
    out = tmp_path / "sen2_mockup_export.xml"
    export_sen2(store, year=census.year, out=out, la_code="201", actor="test", purpose="test")
    options = LoadOptions(source_system="sen2_export", extra=NO_XSD.extra)
    report = ingest_file(store, out, actor="test", purpose="test", format_name="sen2",
                         options=options)  # fmt: skip
    assert report.rows_loaded >= 1 and report.rows_quarantined == 0 and report.reconciles
    original, exported = requests_in(mockup), requests_in(out)
    assert set(exported) <= set(original)
    for key, request in exported.items():
        started = original[key]["plan"]
        if started is not None and started <= census.isoformat():
            assert request["plan"] == started, key
