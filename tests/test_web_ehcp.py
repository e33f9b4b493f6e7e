"""The EHCP pages and API (TestClient, SQLite): the caseload, a case and the drafting workbench
render for a SEND caseworker and are refused for other roles; the whole drafting journey
(upload advice -> draft -> fix a flagged provision -> sign off -> export DOCX) works, and a
refused edit is shown on the form."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from unittest.mock import patch

import docx
import pytest
from sqlalchemy import Engine, insert, select

from web_support import (
    FAST_HASHER,
    PASSWORD,
    TestClient,
    fast_password_hashes,  # noqa: F401 - autouse fixture
    page_csrf,
    signed_in,
)
from wholechild.actions import accounts
from wholechild.actions.accounts import seed_demo_accounts
from wholechild.actions.ehcp_cases import open_case, record_step
from wholechild.core.access import Principal, Purpose
from wholechild.ehcp.clocks import Step
from wholechild.read.caseload import twenty_week_by_month_for
from wholechild.read.ehcp import caseload_view
from wholechild.storage.db import make_engine, migrate
from wholechild.storage.schema import AuditEvent, EhcpCase, EhcpDraft, Person

ADVICE = Path(__file__).parent / "fixtures" / "advice"
ME = "send.caseworker"
PHONICS = "7461461fcc79"  # Section F: "small group" (vague), no group size
FIXED = (
    "What: a structured phonics programme; Who: a trained teaching assistant; "
    "How often: daily; How long: 20 minutes; Group size: 1:1."
)
TODAY = date(2026, 11, 2)


def _case(engine: Engine, caseworker: str, received: date) -> int:
    with engine.begin() as conn:
        person = conn.execute(
            insert(Person).returning(Person.id), {"created_at": datetime.now(UTC)}
        ).scalar_one()
    return open_case(
        engine, person_id=int(person), caseworker=caseworker, team="North",
        request_received_on=received, actor="test", purpose="ehc_needs_assessment", today=TODAY,
    )  # fmt: skip


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("web_ehcp") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with patch.object(accounts, "_hasher", FAST_HASHER):
        seed_demo_accounts(engine, password=PASSWORD, actor="test")
    _case(engine, ME, date(2026, 9, 7))  # deciding whether to assess: due 19 October, overdue
    late = _case(engine, "north.cw02", date(2026, 8, 3))
    record_step(
        engine, case_id=late, step=Step("decision_to_assess", date(2026, 9, 1)), actor="test",
        purpose="ehc_needs_assessment", today=TODAY,
    )  # fmt: skip
    engine.dispose()
    return path


@pytest.fixture
def engine(template: Path, tmp_path: Path) -> Iterator[Engine]:
    copy = tmp_path / "wc.db"
    copy.write_bytes(template.read_bytes())
    engine = make_engine(f"sqlite:///{copy}")
    yield engine
    engine.dispose()


def _my_case(engine: Engine) -> int:
    with engine.connect() as conn:
        found = conn.scalar(select(EhcpCase.id).where(EhcpCase.caseworker == ME))
    assert found is not None
    return int(found)


def principal_of(engine: Engine, username: str) -> Principal:
    from wholechild.actions.accounts import DEMO_ACCOUNTS

    _, _, role, agency, team = next(a for a in DEMO_ACCOUNTS if a[0] == username)
    return Principal(username, role, agency, team)


def _sentence_html(page: str, sentence_id: str) -> str:
    """One sentence's item on the workbench: up to the next sentence or the section's end."""
    after = page.split(f'id="sentence-{sentence_id}"')[1]
    return re.split(r'<li class="app-sentence|</ol>', after)[0]


def _upload(client: TestClient, case_id: int) -> int:
    files = [("advice", (p.name, p.read_bytes(), "text/plain")) for p in sorted(ADVICE.glob("*"))]
    csrf = page_csrf(client, f"/ehcp/cases/{case_id}")
    response = client.post(
        f"/ehcp/cases/{case_id}/drafts",
        data={"csrf_token": csrf, "purpose": "ehc_needs_assessment"},
        files=files,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/ehcp/drafts/(\d+)", response.headers["location"])
    assert found
    return int(found.group(1))


def test_the_caseload_shows_my_cases_and_the_overdue_clock(engine: Engine) -> None:
    client = signed_in(engine, ME)
    page = client.get(f"/ehcp?on={TODAY.isoformat()}")
    assert page.status_code == 200, page.text
    case_id = _my_case(engine)
    assert "Cases of send.caseworker" in page.text
    assert f'href="/ehcp/cases/{case_id}"' in page.text
    overdue = page.text.split('id="overdue-table"')[1].split("</table>")[0]
    assert f"Case {case_id}" in overdue and "19 October 2026" in overdue
    # Two open cases in all: small counts are suppressed on the aggregate tables.
    stages = page.text.split('id="stage-table"')[1].split("</table>")[0]
    assert "[c]" in stages and ">2<" not in stages
    other = client.get("/ehcp?caseworker=north.cw02&on=2026-11-02")
    assert "Cases of north.cw02" in other.text and "EHC needs assessment" in other.text
    assert 'href="/ehcp"' in client.get("/").text  # in the navigation


@pytest.mark.parametrize("username", ["police.officer", "data.analyst", "social.worker"])
def test_other_roles_are_refused_every_ehcp_page(engine: Engine, username: str) -> None:
    client = signed_in(engine, username)
    case_id = _my_case(engine)
    for path in ("/ehcp", f"/ehcp/cases/{case_id}", f"/api/ehcp/cases/{case_id}"
                 "?purpose=ehc_needs_assessment"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 403, (path, response.status_code)
        assert "may not" in response.text or "only for" in response.text
    with engine.connect() as conn:
        refused = conn.scalars(select(AuditEvent.details).where(AuditEvent.actor == username))
        assert sum(not d.get("allowed", True) for d in refused) == 3


def test_the_drafting_journey_from_upload_to_signed_off_docx(engine: Engine) -> None:
    client = signed_in(engine, ME)
    case_id = _my_case(engine)
    assert "Draft a plan from advice" in client.get(f"/ehcp/cases/{case_id}").text
    draft_id = _upload(client, case_id)
    bench = client.get(f"/ehcp/drafts/{draft_id}")
    assert bench.status_code == 200
    sentence = _sentence_html(bench.text, PHONICS)
    anchor = re.search(r'data-sources="([^" ]+)', bench.text.split(f'id="sentence-{PHONICS}"')[1])
    assert anchor and f'id="{anchor.group(1)}"' in bench.text  # the source span is addressable
    assert 'data-rule="vague_wording"' in sentence
    assert 'data-rule="provision_group_size"' in sentence
    assert f'href="#{anchor.group(1)}"' in sentence  # without script, the link jumps to it
    assert '<script src="/static/app/ehcp-workbench.js"' in bench.text
    whole = bench.text.split('id="plan-findings-list"')[1].split("</ul>")[0]
    assert 'data-rule="clarification_outstanding"' in whole and 'href="#src-' in whole

    csrf = page_csrf(client, f"/ehcp/drafts/{draft_id}/sentences/{PHONICS}")
    saved = client.post(
        f"/ehcp/drafts/{draft_id}/sentences/{PHONICS}",
        data={"csrf_token": csrf, "text": FIXED}, follow_redirects=False,
    )  # fmt: skip
    assert saved.status_code == 303
    bench = client.get(f"/ehcp/drafts/{draft_id}")
    sentence = _sentence_html(bench.text, PHONICS)
    assert FIXED in sentence and "app-finding--critical" not in sentence
    assert 'data-rule="vague_wording"' not in sentence
    assert 'data-rule="provision_group_size"' not in sentence
    assert "edited by send.caseworker" in sentence
    assert "<del>" in sentence and "<ins>" in sentence  # advice wording against plan wording

    signed = client.post(
        f"/ehcp/drafts/{draft_id}/sign-off", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert signed.status_code == 303
    assert "Signed off by send.caseworker" in client.get(signed.headers["location"]).text
    with engine.connect() as conn:
        assert conn.scalar(select(EhcpDraft.signed_off_by)) == ME

    export = client.get(f"/ehcp/drafts/{draft_id}/export.docx")
    assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(export.content)).paragraphs)
    assert FIXED.rstrip(".") in text and "Provenance appendix" in text


def test_an_unsupported_edit_is_refused_on_the_form(engine: Engine) -> None:
    client = signed_in(engine, ME)
    draft_id = _upload(client, _my_case(engine))
    csrf = page_csrf(client, f"/ehcp/drafts/{draft_id}")
    wording = "What: phonics; How often: daily; How long: 45 minutes."
    refused = client.post(
        f"/ehcp/drafts/{draft_id}/sentences/{PHONICS}", data={"csrf_token": csrf, "text": wording}
    )
    assert refused.status_code == 400
    assert "There is a problem" in refused.text and "45 minutes" in refused.text
    assert f">{wording}</textarea>" in refused.text  # kept for correction
    assert wording not in client.get(f"/ehcp/drafts/{draft_id}").text


def test_the_api_gives_citations_and_findings_and_refuses_sign_off_with_critical(
    engine: Engine,
) -> None:
    client = signed_in(engine, ME)
    draft_id = _upload(client, _my_case(engine))
    why = "?purpose=ehc_needs_assessment"
    body = client.get(f"/api/ehcp/drafts/{draft_id}{why}").json()
    phonics = next(s for s in body["sentences"] if s["sentence_id"] == PHONICS)
    assert phonics["section"] == "F" and phonics["citations"][0]["end"] > 0
    assert {"vague_wording", "provision_group_size"} <= {f["rule"] for f in phonics["findings"]}
    csrf = client.get("/api/me").json()["csrf_token"]
    headers = {"X-CSRF-Token": csrf}
    bad = client.put(
        f"/api/ehcp/drafts/{draft_id}/sentences/{PHONICS}{why}",
        json={"text": "What: phonics for 45 minutes daily."}, headers=headers,
    )  # fmt: skip
    assert bad.status_code == 400 and "45 minutes" in bad.json()["detail"]
    good = client.put(
        f"/api/ehcp/drafts/{draft_id}/sentences/{PHONICS}{why}", json={"text": FIXED},
        headers=headers,
    )  # fmt: skip
    assert good.status_code == 200 and all(f["severity"] != "critical" for f in good.json())
    done = client.post(f"/api/ehcp/drafts/{draft_id}/sign-off{why}", headers=headers)
    assert done.status_code == 200 and done.json()["signed_off_by"] == ME
    again = client.post(f"/api/ehcp/drafts/{draft_id}/sign-off{why}", headers=headers)
    assert again.status_code == 400 and "signed off" in again.json()["detail"]


def test_an_upload_that_cannot_be_read_is_reported_with_every_file(engine: Engine) -> None:
    client = signed_in(engine, ME)
    case_id = _my_case(engine)
    csrf = page_csrf(client, f"/ehcp/cases/{case_id}")
    response = client.post(
        f"/ehcp/cases/{case_id}/drafts",
        data={"csrf_token": csrf},
        files=[("advice", ("a.exe", b"MZ", "application/octet-stream")),
               ("advice", ("b.txt", b"   ", "text/plain"))],
    )  # fmt: skip
    assert response.status_code == 400
    assert "2 of 2 advice files" in response.text and "a.exe" in response.text
    with engine.connect() as conn:
        assert conn.scalar(select(EhcpDraft.id)) is None


def _synthetic_council(tmp_path: Path) -> tuple[Engine, date]:
    """A linked synthetic council with its EHCP case histories loaded (`wholechild ehcp
    load-synthetic`), and the SEN2 census day the histories stand on."""
    from council import load_linked_council, synthesise_council
    from wholechild.actions.ehcp_cases import load_case_histories
    from wholechild.synth.ehcp_cases import reference_of, synthetic_case_histories

    folder = synthesise_council(tmp_path / "council", children=150, seed=1)
    engine = make_engine(f"sqlite:///{tmp_path / 'wc.db'}")
    migrate(engine)
    load_linked_council(engine, folder)
    with patch.object(accounts, "_hasher", FAST_HASHER):
        seed_demo_accounts(engine, password=PASSWORD, actor="test")
    sen2 = folder / "sen2.xml"
    census = reference_of(sen2)
    report = load_case_histories(
        engine, synthetic_case_histories(sen2), actor="test", purpose="synthetic data load",
        today=census,
    )  # fmt: skip
    assert report.cases >= 1 and not report.refused
    return engine, census


def test_the_caseload_shows_the_synthetic_council_after_load_synthetic(tmp_path: Path) -> None:
    """The demo: `wholechild ehcp load-synthetic` on a linked synthetic council fills the
    caseload (the SEND caseworker sees every team's cases, a caseworker's own list, the
    20-week figures), shown on the SEN2 census day the histories stand on."""
    engine, census = _synthetic_council(tmp_path)
    client = signed_in(engine, ME)
    page = client.get(f"/ehcp?on={census.isoformat()}")
    assert page.status_code == 200
    table = page.text.split('id="caseworker-table"')[1].split("</table>")[0]
    with engine.connect() as conn:
        row = conn.execute(select(EhcpCase.caseworker, EhcpCase.team)).first()
    assert row is not None
    caseworker, team = row
    assert f"{caseworker} ({team})" in table
    assert 'id="twenty-week-table"' in page.text or "No new plans" in page.text
    own = client.get(f"/ehcp?caseworker={caseworker}&on={census.isoformat()}")
    listed = own.text.split('id="cases-table"')[1].split("</table>")[0]
    assert listed.count('href="/ehcp/cases/') >= 1
    first = int(re.findall(r'href="/ehcp/cases/(\d+)"', listed)[0])
    assert client.get(f"/ehcp/cases/{first}?on={census.isoformat()}").status_code == 200
    # With no suppression, the page's 20-week figures are the reference computation's.
    view = caseload_view(
        engine, principal_of(engine, ME), purpose=Purpose.EHC_NEEDS_ASSESSMENT, today=census,
        threshold=1,
    )  # fmt: skip
    start = date(census.year - 1, census.month, 1) + timedelta(days=31)
    months = twenty_week_by_month_for(engine, start=start.replace(day=1), end=census)
    assert [(r[1], r[2], r[3]) for r in view.performance] == [
        (m.counted, m.within_20_weeks, m.percent) for m in months
    ]
    assert len(view.performance) == 12
    engine.dispose()
