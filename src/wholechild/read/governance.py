"""Reads for the governance pages: the values a correction would replace, and the subject
access exports waiting on the server for release (and their deletion once released).

Each read of a child's data passes the one choke point (``wholechild.access``): the
correction page asks ``rectify`` of the child and of each record (a sealed record is never
offered), and is audited with counts; a subject access ZIP is listed and downloaded only by
someone who may ``export`` the child, and each download is audited with the file's SHA-256.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, Engine, select

from wholechild.access import Resource, decide, record_access, require
from wholechild.actions.rectification import CORRECTABLE
from wholechild.core.access import Principal, Purpose
from wholechild.errors import UserError
from wholechild.governance.sar import ThirdPartyFlag
from wholechild.linkage.truth import record_id_hex
from wholechild.read._records import Held, person_records
from wholechild.storage.schema import Person

__all__ = [
    "FIELD_LABELS",
    "CorrectableValue",
    "CorrectionPage",
    "NotFoundError",
    "SubjectAccessFile",
    "check_rectification_target",
    "correction_page",
    "delete_subject_access_file",
    "redaction_items",
    "subject_access_download",
    "subject_access_files",
]

RECTIFY: Final = "rectify"
EXPORT: Final = "export"
FIELD_LABELS: Final[dict[str, str]] = {
    "forename": "Forename",
    "middle_names": "Middle names",
    "surname": "Surname",
    "preferred_surname": "Preferred surname",
    "former_surname": "Former surname",
    "date_of_birth": "Date of birth",
    "sex": "Sex",
    "ethnicity": "Ethnicity",
    "nhs_number": "NHS number",
    "upn": "UPN",
    "former_upn": "Former UPN",
    "uln": "ULN",
    "postcode": "Postcode",
}
_ZIP_NAME: Final = re.compile(r"subject-access-(\d+)-\d{8}T\d{6}Z\.zip")
_REVIEW: Final = "REDACTION-REVIEW.md"


class NotFoundError(UserError):
    """Nothing here, or nothing the user may know exists (answered 404 by the web app)."""


# -- corrections ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CorrectableValue:
    """One of the child's records and the value it holds for the field being corrected."""

    record_id: str
    source_system: str
    agency: str
    value: str | None


@dataclass(frozen=True, slots=True)
class CorrectionPage:
    person_id: int
    field: str
    label: str
    records: tuple[CorrectableValue, ...]


def _field(field: str) -> str:
    if field not in CORRECTABLE:
        raise UserError(
            f"{field or 'nothing'} is not a value that can be corrected",
            fix="use a 'Correct this value' link on the child's page",
        )
    return field


def _may_rectify(principal: Principal, held: Held, purpose: Purpose | None) -> bool:
    record = Resource("Record", record_id_hex(held.row.id), held.category, held.sealed)
    return decide(principal, RECTIFY, record, purpose=purpose).allowed


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _require_person(conn: Connection, person_id: int) -> None:
    if conn.scalar(select(Person.id).where(Person.id == person_id)) is None:
        raise NotFoundError(f"there is no person {person_id}", fix="search for the child again")


def correction_page(
    engine: Engine, principal: Principal, *, person_id: int, field: str, purpose: Purpose | None
) -> CorrectionPage:
    """The child's records that may be corrected, each with the value it holds for ``field``
    (sealed and pseudonymised records are never offered); audited with counts."""
    child = Resource("Person", str(person_id))
    allowed = require(engine, principal, RECTIFY, child, purpose=purpose, person_id=person_id)
    name = _field(field)
    column = CORRECTABLE[name][0]
    with engine.begin() as conn:
        _require_person(conn, person_id)
        held = person_records(conn, person_id)
        open_ = [
            h for h in held if _may_rectify(principal, h, purpose) and not h.row.pseudonymised_at
        ]
        records = tuple(
            CorrectableValue(
                record_id_hex(h.row.id),
                h.row.source_system,
                h.row.agency,
                _as_text(getattr(h.row, column)),
            )
            for h in open_
        )
        details = {
            "field": name,
            "records_shown": len(records),
            "records_not_offered": len(held) - len(records),
        }
        record_access(
            conn, principal, RECTIFY, child, allowed, purpose=purpose, person_id=person_id,
            details=details,
        )  # fmt: skip
    return CorrectionPage(person_id, name, FIELD_LABELS[name], records)


def check_rectification_target(
    engine: Engine,
    principal: Principal,
    *,
    person_id: int,
    record_id: str,
    purpose: Purpose | None,
) -> None:
    """Before a correction: the user may correct this child's records, and ``record_id`` is
    one of them that they may correct. A refusal is audited (``require``)."""
    child = Resource("Person", str(person_id))
    require(engine, principal, RECTIFY, child, purpose=purpose, person_id=person_id)
    with engine.connect() as conn:
        held = {record_id_hex(h.row.id): h for h in person_records(conn, person_id)}
    try:
        wanted = record_id_hex(record_id)
    except ValueError:
        wanted = ""
    if wanted not in held:
        raise NotFoundError(
            f"record {record_id or '(none)'} is not one of person {person_id}'s records",
            fix="choose one of the records listed on the correction page",
        )
    item = held[wanted]
    record = Resource("Record", wanted, item.category, item.sealed)
    require(engine, principal, RECTIFY, record, purpose=purpose, person_id=person_id)


# -- subject access exports kept for release --------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubjectAccessFile:
    name: str
    size: int
    generated_at: datetime


def _person_folder(folder: Path, person_id: int) -> Path:
    return folder / str(person_id)


def subject_access_files(
    engine: Engine, principal: Principal, *, folder: Path, person_id: int, purpose: Purpose | None
) -> list[SubjectAccessFile]:
    """The exports generated for ``person_id`` and not yet deleted, newest first."""
    child = Resource("Person", str(person_id))
    require(engine, principal, EXPORT, child, purpose=purpose, person_id=person_id)
    here = _person_folder(folder, person_id)
    found = [p for p in here.glob("*.zip") if _ZIP_NAME.fullmatch(p.name)] if here.is_dir() else []
    return sorted(
        (
            SubjectAccessFile(
                p.name, p.stat().st_size, datetime.fromtimestamp(p.stat().st_mtime, UTC)
            )
            for p in found
        ),
        key=lambda f: f.name,
        reverse=True,
    )


def _named(folder: Path, person_id: int, name: str) -> Path:
    match = _ZIP_NAME.fullmatch(name)
    path = _person_folder(folder, person_id) / name
    if match is None or int(match.group(1)) != person_id or not path.is_file():
        raise NotFoundError(
            f"there is no subject access export {name!r} for person {person_id}",
            fix="generate the export again from the subject access page",
        )
    return path


def redaction_items(folder: Path, person_id: int, name: str) -> list[ThirdPartyFlag]:
    """The third-party items an export's REDACTION-REVIEW.md asks a reviewer to check (ids
    and field names, never values). Callers have listed the export with
    ``subject_access_files`` (which asked the policy)."""
    with zipfile.ZipFile(_named(folder, person_id, name)) as archive:
        text = archive.read(_REVIEW).decode("utf-8")
    section = text.split("## Third-party information", 1)[-1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    flags = []
    for line in rows[1:]:  # the first row is the table's header
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) == 4 and cells[0] != "-":
            flags.append(ThirdPartyFlag(*cells))
    return flags


def _export_access(
    engine: Engine, principal: Principal, folder: Path, person_id: int, name: str,
    purpose: Purpose | None,
) -> tuple[Path, Callable[[Connection, dict[str, str]], None]]:  # fmt: skip
    """The export ``name`` of ``person_id``, once the choke point allows ``export`` of the
    child (a refusal is audited), and how to audit the access (in the caller's transaction)."""
    child = Resource("Person", str(person_id))
    allowed = require(engine, principal, EXPORT, child, purpose=purpose, person_id=person_id)
    path = _named(folder, person_id, name)

    def audit(conn: Connection, details: dict[str, str]) -> None:
        record_access(
            conn, principal, EXPORT, child, allowed, purpose=purpose, person_id=person_id,
            details=details,
        )  # fmt: skip

    return path, audit


def subject_access_download(
    engine: Engine,
    principal: Principal,
    *,
    folder: Path,
    person_id: int,
    name: str,
    purpose: Purpose | None,
) -> bytes:
    """An export's bytes, for someone who may export the child; the download is audited."""
    path, audit = _export_access(engine, principal, folder, person_id, name, purpose)
    content = path.read_bytes()
    with engine.begin() as conn:
        audit(conn, {"downloaded": name, "zip_sha256": hashlib.sha256(content).hexdigest()})
    return content


def delete_subject_access_file(
    engine: Engine,
    principal: Principal,
    *,
    folder: Path,
    person_id: int,
    name: str,
    purpose: Purpose | None,
) -> None:
    """Delete an export from the server once it has been released (or is no longer needed):
    the deletion is audited in the transaction that removes the file, so a failed audit
    leaves the file, and a file that cannot be removed leaves no audit entry."""
    path, audit = _export_access(engine, principal, folder, person_id, name, purpose)
    with engine.begin() as conn:
        audit(conn, {"deleted": name})
        path.unlink()
