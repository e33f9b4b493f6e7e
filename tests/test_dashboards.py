"""Dashboards: demand over time and linkage quality, small counts suppressed, through the
choke point and audited (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from web_support import add_account, signed_in, web_settings
from wholechild.access import AccessDenied
from wholechild.core.access import Category, Principal, Purpose, Role
from wholechild.read.dashboards import (
    MEASURES,
    dashboards,
    demand,
    demand_from_rows,
    month_window,
    read_evaluation,
)
from wholechild.storage.schema import (
    AuditEvent,
    Event,
    IngestBatch,
    LinkageModel,
    LinkageRun,
    Person,
    ReviewItem,
    SourceRecord,
)

ANALYST = Principal("analyst@council", Role.DATA_ANALYST, Category.OTHER)
SOCIAL_WORKER = Principal("sw@council", Role.SOCIAL_WORKER, Category.SOCIAL_CARE, "east")
NOW = datetime(2025, 6, 1, tzinfo=UTC)


# -- spec: which months, which starts --------------------------------------------------------


@pytest.mark.parametrize(
    ("last", "months", "window"),
    [
        (date(2025, 5, 31), 3, ("2025-03", "2025-04", "2025-05")),
        (date(2025, 2, 1), 3, ("2024-12", "2025-01", "2025-02")),
        (date(2024, 1, 15), 1, ("2024-01",)),
    ],
)
def test_month_window_ends_with_the_last_month_of_data(
    last: date, months: int, window: tuple[str, ...]
) -> None:
    assert month_window(last, months) == window


def test_twenty_four_months_by_default() -> None:
    window = month_window(date(2025, 5, 2))
    assert len(window) == 24 and window[0] == "2023-06" and window[-1] == "2025-05"


def _row(event_type: str, day: date, person: int | None, system: str = "cin_census") -> Any:
    return SimpleNamespace(
        event_type=event_type,
        start_date=day,
        person_id=person,
        source_record_id=None,
        source_system=system,
        subject_key=f"k{person}",
    )


def test_the_same_start_from_two_sources_counts_once() -> None:
    rows = [_row("cin_episodes", date(2025, 5, d), p) for p in range(12) for d in (1,)]
    rows += [_row("cin_episodes", date(2025, 5, 1), p, "annex_a") for p in range(12)]
    rows += [_row("cin_episodes", date(2025, 5, 20), 0)]  # a second referral, same child
    shown = demand_from_rows(rows, threshold=10, months=2)
    referrals = shown.series[0]
    assert referrals.months == ("2025-04", "2025-05")
    assert referrals.counts == (0, 13)
    assert referrals.total == 13


def test_unlinked_events_count_by_source_record_then_by_subject() -> None:
    rows = [
        SimpleNamespace(
            event_type="cp_plans",
            start_date=date(2025, 1, 3),
            person_id=None,
            source_record_id=uuid.UUID(int=i) if i < 6 else None,
            source_system="ssda903",
            subject_key=f"s{i}",
        )
        for i in range(11)
    ]
    shown = demand_from_rows(rows, threshold=10, months=1)
    cp = next(s for s in shown.series if s.key == "cp_plans")
    assert cp.counts == (11,)


def test_no_data_no_months() -> None:
    shown = demand_from_rows([], threshold=10)
    assert shown.months == ()
    assert all(s.counts == () and s.total == 0 for s in shown.series)


# -- the store ------------------------------------------------------------------------------


def _batch(conn: Any) -> int:
    values = {
        "file_name": "f.xml", "file_sha256": uuid.uuid4().hex, "format": "cin",
        "source_system": "cin_census", "agency": "children's social care", "actor": "test",
        "started_at": NOW, "completed_at": NOW, "rows_read": 0, "rows_loaded": 0,
        "rows_quarantined": 0, "records_loaded": 0, "events_loaded": 0, "findings_count": 0,
    }  # fmt: skip
    return int(conn.execute(insert(IngestBatch).returning(IngestBatch.id), values).scalar_one())


def _provenance(batch: int, row: int) -> dict[str, Any]:
    return {
        "batch_id": batch, "source_system": "cin_census", "file_name": "f.xml",
        "row_number": row, "ingested_at": NOW,
    }  # fmt: skip


def _people(conn: Any, n: int) -> list[int]:
    return [
        int(conn.execute(insert(Person).returning(Person.id), {"created_at": NOW}).scalar_one())
        for _ in range(n)
    ]


# referrals by month: 12 children in March, 3 in April (a small count), 15 in May 2025.
REFERRALS = {date(2025, 3, 4): 12, date(2025, 4, 9): 3, date(2025, 5, 14): 15}


def _load_events(engine: Engine) -> None:
    with engine.begin() as conn:
        batch = _batch(conn)
        people = _people(conn, 15)
        rows, n = [], 0
        for day, count in REFERRALS.items():
            for person in people[:count]:
                n += 1
                rows.append({
                    **_provenance(batch, n), "person_id": person, "event_type": "cin_episodes",
                    "agency": "children's social care", "start_date": day, "details": {},
                })  # fmt: skip
        # The same March referrals again, as another source system reports them.
        rows += [{**r, "source_system": "annex_a"} for r in rows[:12]]
        # A referral three years before the last month of data: outside the 24 months.
        rows.append({**rows[0], "row_number": 999, "start_date": date(2022, 1, 10)})
        conn.execute(insert(Event), rows)


def _record(conn: Any, batch: int, row: int) -> uuid.UUID:
    record_id = uuid.uuid4()
    conn.execute(
        insert(SourceRecord),
        {
            "id": record_id, **_provenance(batch, row), "raw_row": "{}",
            "nhs_number_check": "missing", "upn_check": "missing", "uln_check": "missing",
        },
    )  # fmt: skip
    return record_id


def _load_linkage(engine: Engine, *, open_items: int, decided: int) -> None:
    with engine.begin() as conn:
        batch = _batch(conn)
        conn.execute(insert(LinkageModel), {
            "model_hash": "ab" * 32, "settings": {}, "created_at": NOW, "thresholds": {},
        })  # fmt: skip
        counts = {"records": 1200, "clusters": 900, "linked": 400, "review_open": open_items,
                  "persons_new": 4, "records_moved": 0}  # fmt: skip
        run = conn.execute(insert(LinkageRun).returning(LinkageRun.id), {
            "started_at": NOW, "completed_at": NOW, "model_hash": "ab" * 32, "actor": "test",
            "purpose": "test", "mode": "full", "upper": 0.95, "lower": 0.5, "counts": counts,
        }).scalar_one()  # fmt: skip
        for i in range(open_items + decided):
            left, right = sorted([_record(conn, batch, 2 * i), _record(conn, batch, 2 * i + 1)])
            conn.execute(insert(ReviewItem), {
                "run_id": run, "record_l": left, "record_r": right, "match_weight": 1.0,
                "match_probability": 0.7, "status": "open" if i < open_items else "decided",
                "opened_at": NOW,
            })  # fmt: skip


def _audit(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(AuditEvent).order_by(AuditEvent.id)))


def test_demand_suppresses_a_small_month_and_its_complement(store: Engine) -> None:
    _load_events(store)
    shown = demand(store, ANALYST, purpose=Purpose.STATUTORY_RETURN, threshold=10)
    assert shown.months[-1] == "2025-05" and len(shown.months) == 24
    referrals = dict(zip(shown.months, shown.series[0].counts, strict=True))
    # 3 in April is hidden; March (12, the smallest other) is hidden so the total cannot
    # reveal April; the duplicate March referrals from annex_a are not counted twice.
    assert referrals["2025-03"] is None
    assert referrals["2025-04"] is None
    assert referrals["2025-05"] == 15
    assert referrals["2024-05"] == 0
    assert shown.series[0].total == 30  # not 31: the 2022 referral is outside the window
    assert [s.key for s in shown.series] == [m.key for m in MEASURES]


def test_viewing_dashboards_is_audited_with_counts_only(store: Engine) -> None:
    _load_events(store)
    dashboards(store, ANALYST, purpose=Purpose.STATUTORY_RETURN, threshold=10)
    entry = _audit(store)[-1]
    assert entry.action == "access.view_dashboard"
    assert entry.actor == ANALYST.username
    assert entry.purpose == "statutory_return"
    assert entry.details["allowed"] is True
    assert entry.details["months"] == 24
    assert entry.person_id is None


def test_a_role_without_dashboards_is_refused_and_the_refusal_audited(store: Engine) -> None:
    _load_events(store)
    with pytest.raises(AccessDenied, match="may not see dashboards"):
        dashboards(store, SOCIAL_WORKER, purpose=Purpose.SAFEGUARDING_ENQUIRY, threshold=10)
    entry = _audit(store)[-1]
    assert entry.action == "access.view_dashboard"
    assert entry.details["allowed"] is False


def test_linkage_quality_from_the_latest_run_and_the_review_queue(store: Engine) -> None:
    _load_linkage(store, open_items=12, decided=4)
    view = dashboards(store, ANALYST, purpose=Purpose.LINKAGE_REVIEW, threshold=10)
    quality = view.linkage
    assert quality.model_hash == "ab" * 32
    assert (quality.upper, quality.lower, quality.mode) == (0.95, 0.5, "full")
    figures = {f.label: f.value for f in quality.run_figures}
    assert figures["Source records linked"] == 1200
    assert figures["New persons"] is None  # 4: hidden
    assert figures["Records moved between persons"] == 0
    # The run's count of pairs sent to review (12) would reveal the hidden "decided" (16 - 12).
    assert 12 not in figures.values()
    # open 12, decided 4 (hidden), withdrawn 0: 12 is hidden too, or the total would tell.
    assert quality.review.values == (None, None, 0)
    assert quality.review.total == 16
    assert quality.evaluation is None


def test_no_linkage_run_yet(store: Engine) -> None:
    view = dashboards(store, ANALYST, purpose=Purpose.STATUTORY_RETURN, threshold=10)
    assert view.linkage.run_id is None and view.linkage.run_figures == ()
    assert view.linkage.review.values == (0, 0, 0)


# -- the evaluation report's figures -----------------------------------------------------------


def _report(folder: Path, groups: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    report = {
        "overall": {"precision": 0.99, "recall": 0.95, "f1": 0.97, "false_negatives": 40,
                    "false_positives": 3},
        "clusters": {"records": 1200, "children": 150},
        "by_group": groups,
    }  # fmt: skip
    (folder / "linkage-quality.json").write_text(json.dumps(report), encoding="utf-8")
    return folder


def test_evaluation_figures_are_suppressed_and_small_groups_lose_their_recall(
    tmp_path: Path,
) -> None:
    folder = _report(
        tmp_path / "q",
        [{"group": "White British", "children": 90, "recall": 0.96},
         {"group": "Gypsy/Roma", "children": 3, "recall": 0.5}],
    )  # fmt: skip
    found = read_evaluation(folder, 10)
    assert found is not None
    assert (found.precision, found.recall, found.f1) == (0.99, 0.95, 0.97)
    figures = {f.label: f.value for f in found.figures}
    assert figures["Missed links (pairs)"] == 40
    assert figures["False links (pairs)"] is None
    assert found.groups == (("White British", 90, 0.96), ("Gypsy/Roma", None, None))


def test_a_missing_or_unreadable_report_is_no_report(tmp_path: Path) -> None:
    assert read_evaluation(tmp_path / "absent", 10) is None
    (tmp_path / "linkage-quality.json").write_text("{not json", encoding="utf-8")
    assert read_evaluation(tmp_path, 10) is None
    assert read_evaluation(None, 10) is None


# -- the page and the API --------------------------------------------------------------------


def _web(store: Engine) -> tuple[Any, Any]:
    add_account(store, "dee.analyst", "data_analyst", "other")
    add_account(store, "sam.social", "social_worker", "social_care")
    return signed_in(store, "dee.analyst"), signed_in(store, "sam.social")


def test_the_page_shows_charts_and_a_table_with_hidden_counts_marked(store: Engine) -> None:
    _load_events(store)
    _load_linkage(store, open_items=12, decided=4)
    analyst, _ = _web(store)
    page = analyst.get("/dashboards")
    assert page.status_code == 200
    html = page.text
    assert html.count('role="img"') == len(MEASURES) + 1  # a chart per measure, and the queue
    assert '<desc id="demand-referrals-desc">' in html
    assert "Referrals to children's social care by month" in html
    assert "2 months hidden ([c])" in html
    assert '<th scope="row" class="govuk-table__header">Apr 2025</th>' in html
    assert "[c] means the count is hidden" in html
    assert ">15<" in html and ">30<" in html  # May 2025 and the total are shown
    assert ">3<" not in html  # April's three referrals appear nowhere


def test_the_page_refuses_a_social_worker_with_a_clear_page(store: Engine) -> None:
    _load_events(store)
    _, social = _web(store)
    page = social.get("/dashboards")
    assert page.status_code == 403
    assert "may not see dashboards" in page.text
    assert 'role="img"' not in page.text


def test_the_demand_api_answers_json_with_nulls_for_hidden_counts(store: Engine) -> None:
    _load_events(store)
    analyst, social = _web(store)
    answer = analyst.get("/api/dashboards/demand", params={"purpose": "statutory_return"})
    assert answer.status_code == 200
    body = answer.json()
    referrals = body["series"][0]
    assert body["months"][-3:] == ["2025-03", "2025-04", "2025-05"]
    assert referrals["counts"][-3:] == [None, None, 15]
    assert referrals["total"] == 30 and body["threshold"] == 10
    refused = social.get("/api/dashboards/demand", params={"purpose": "safeguarding_enquiry"})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "dashboards" in refused.json()["detail"]


def test_the_demand_api_is_in_the_openapi_document(store: Engine) -> None:
    analyst, _ = _web(store)
    schema = analyst.get("/api/openapi.json").json()
    assert "/api/dashboards/demand" in schema["paths"]
    assert "/dashboards" not in schema["paths"]


def test_the_page_shows_the_evaluation_report_with_small_groups_hidden(
    store: Engine, tmp_path: Path
) -> None:
    folder = _report(
        tmp_path / "q",
        [{"group": "White British", "children": 90, "recall": 0.964},
         {"group": "Gypsy/Roma", "children": 3, "recall": 0.5}],
    )  # fmt: skip
    add_account(store, "dee.analyst", "data_analyst", "other")
    client = signed_in(store, "dee.analyst", web_settings(linkage_report_dir=folder))
    html = client.get("/dashboards").text
    assert '<title id="recall-title">Linkage recall by ethnic group</title>' in html
    assert "White British 96.4%; Gypsy/Roma [c]" in html  # the chart's description
    assert "50.0%" not in html  # the small group's recall appears nowhere
    assert "Missed links (pairs)" in html and ">40<" in html
