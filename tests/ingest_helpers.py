"""Small synthetic agency files for ingestion tests (NHS numbers from the test range only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wholechild.core.identifiers import nhs_check_digit

HEADER = "PatientID,GivenName,FamilyName,DOB,Gender,NHSNumber,Postcode,ContactDate,ContactType"

MAPPING: dict[str, Any] = {
    "source_system": "test_health",
    "agency": "health",
    "record": {
        "source_key": "PatientID",
        "forename": "GivenName",
        "surname": "FamilyName",
        "date_of_birth": "DOB",
        "sex": "Gender",
        "nhs_number": "NHSNumber",
        "postcode": "Postcode",
    },
    "events": [
        {"event_type": "health_contact", "start_date": "ContactDate", "code": "ContactType"}
    ],
}


def test_nhs_number(n: int) -> str:
    """The n-th valid NHS number in the test range 999 000 0000 - 999 999 9999."""
    stem = 999_000_000 + n
    while nhs_check_digit(str(stem)) is None:
        stem += 1
    return f"{stem}{nhs_check_digit(str(stem))}"


test_nhs_number.__test__ = False  # type: ignore[attr-defined]


def good_line(n: int) -> str:
    return (
        f"P{n:06d},Child{n},Family{n % 97},{1 + n % 28:02d}/{1 + n % 12:02d}/2015,"
        f"{'M' if n % 2 else 'F'},{test_nhs_number(n)},LS6 {1 + n % 9}AB,01/02/2024,GP"
    )


def write_health_csv(path: Path, rows: int, extra_lines: list[str] | None = None) -> Path:
    lines = [HEADER, *(good_line(n) for n in range(rows)), *(extra_lines or [])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
