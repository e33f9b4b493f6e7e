"""Reading tabular files the way agencies send them: CSV with BOMs, odd encodings and ragged
rows, and XLSX worksheets; plus the small field readers every tabular loader shares.

Field readers add a :class:`Finding` for each problem and never raise: a file with ten problems
reports ten findings. Messages name the field and the rule, never the value.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from wholechild.core.normalise import parse_date
from wholechild.core.records import Finding, Row, Severity
from wholechild.errors import InputFileError

_NOTHING = frozenset({"", "NULL", "NONE", "N/A", "NA", "NAN", "#N/A"})
_SPACES = re.compile(r"\s+")


@dataclass(slots=True)
class CsvLine:
    """One data row: its 1-based data row number, its raw text, and its fields by header.

    ``line`` is the physical line of the file the row starts on (the header is line 1).
    """

    number: int
    raw: str
    values: dict[str, str]
    problem: Finding | None = None  # set when the line cannot be read as a row
    line: int = 0


def decode(path: Path) -> str:
    """The file's text: UTF-8 (with or without BOM), else Windows-1252 as Excel writes it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(
            f"{path.name}: cannot be read ({exc.strerror or exc})",
            fix="check that the file exists and that you may read it",
        ) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def first_text(path: Path, size: int = 512) -> str:
    """The start of a file as text, BOM and leading white space removed."""
    try:
        with path.open("rb") as handle:
            data = handle.read(size)
    except OSError as exc:
        raise InputFileError(
            f"{path.name}: cannot be read ({exc.strerror or exc})",
            fix="check that the file exists and that you may read it",
        ) from exc
    return data.decode("utf-8", errors="replace").lstrip("\ufeff \r\n\t")


def header_of(head: str) -> list[str]:
    """The header fields of a CSV whose first 4 KiB is ``head``."""
    if head == "<zip>" or not head.strip():
        return []
    first = head.lstrip("\ufeff").splitlines()[0]
    try:
        return [h.strip().lstrip("\ufeff") for h in next(csv.reader([first]), [])]
    except csv.Error:
        return []


def read_csv(path: Path) -> tuple[list[str], Iterator[CsvLine]]:
    """The header and the data rows of a CSV. Ragged rows come back with a problem set.

    Wholly empty lines are not rows and are skipped; every other line is yielded.
    """
    text = decode(path)
    source = _RawLines(text)
    reader = csv.reader(source)
    try:
        first = next(reader, [])
    except csv.Error:
        first = []
    header = [h.strip().lstrip("\ufeff") for h in first]
    if not header:
        return [], iter(())
    return header, _rows(header, reader, source)


class _RawLines:
    """An iterator over a text's lines that remembers the raw text of the current record."""

    def __init__(self, text: str) -> None:
        self._lines = io.StringIO(text)
        self.consumed: list[str] = []
        self.line = 0  # physical lines read so far

    def __iter__(self) -> _RawLines:
        return self

    def __next__(self) -> str:
        line = self._lines.readline()
        if not line:
            raise StopIteration
        self.line += 1
        self.consumed.append(line)
        return line

    def take(self) -> str:
        raw = "".join(self.consumed).rstrip("\r\n")
        self.consumed.clear()
        return raw


def _rows(header: list[str], reader: Any, source: _RawLines) -> Iterator[CsvLine]:
    source.take()
    number = 0
    while True:
        start = source.line + 1
        try:
            fields: list[str] = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            number += 1
            problem = _shape(number, start, f"cannot be read as CSV ({exc})")
            yield CsvLine(number, source.take(), {}, problem, start)
            continue
        raw = source.take()
        if not fields:
            continue  # a wholly empty line is not a row
        number += 1
        yield _line(header, fields, raw, number, start)


def _line(header: list[str], fields: list[str], raw: str, number: int, start: int) -> CsvLine:
    if len(fields) != len(header):
        message = f"has {len(fields)} fields where the header has {len(header)}"
        return CsvLine(number, raw, {}, _shape(number, start, message), start)
    if not any(f.strip() for f in fields):
        return CsvLine(number, raw, {}, _shape(number, start, "has no values"), start)
    return CsvLine(number, raw, dict(zip(header, fields, strict=True)), None, start)


def _shape(number: int, line: int, message: str) -> Finding:
    return Finding(
        rule="csv.shape",
        message=f"data row {number} (line {line}) {message}",
        fix="check for an unquoted comma, a stray line break or a cut line in the export, "
        "and re-export the file",
        severity=Severity.ERROR,
        row=number,
    )


def quarantined(number: int, raw: str, finding: Finding) -> Row:
    """A row that cannot be loaded: no record, no events, its raw content and why."""
    return Row(number=number, raw=raw, findings=[finding])


def canonical(header: str) -> str:
    """A header as compared: lower case, punctuation and line breaks folded to single spaces."""
    return _SPACES.sub(" ", re.sub(r"[^a-z0-9]+", " ", header.lower())).strip()


def blank_to_none(value: str | None) -> str | None:
    """Strip; empty and the usual spellings of 'nothing' become ``None``."""
    if value is None:
        return None
    text = value.strip()
    return None if text.upper() in _NOTHING else text


def text_field(values: dict[str, str], column: str | None) -> str | None:
    """``values[column]`` stripped, or ``None`` when empty or the column is not mapped."""
    return None if column is None else blank_to_none(values.get(column))


def date_field(
    values: dict[str, str],
    column: str,
    row: int,
    findings: list[Finding],
    *,
    required: bool = False,
    label: str | None = None,
) -> date | None:
    """Parse ``values[column]`` as a date, adding a finding when it is missing or not a date.

    ``label`` is the field as findings name it (default: the column).
    """
    where = label or column
    raw = blank_to_none(values.get(column))
    if raw is None:
        if required:
            findings.append(
                Finding(
                    "date.missing",
                    f"{where} is empty",
                    f"fill in {where}; the row loads without it meanwhile",
                    row=row,
                    field=where,
                )
            )
        return None
    parsed = parse_date(raw)
    if parsed is None:
        findings.append(
            Finding(
                "date.unparseable",
                f"{where} is not a real date",
                "write dates as DD/MM/YYYY or YYYY-MM-DD; the row loads without this date",
                row=row,
                field=where,
            )
        )
    return parsed


def code_field(
    values: dict[str, str],
    column: str,
    known: Callable[[str], bool],
    row: int,
    findings: list[Finding],
    *,
    label: str | None = None,
) -> str | None:
    """``values[column]`` as received, adding a WARNING when it is not a known code."""
    where = label or column
    raw = blank_to_none(values.get(column))
    if raw is not None and not known(raw):
        findings.append(
            Finding(
                "code.unknown",
                f"{where} is not one of the codes this field allows",
                f"use a code from the {where} code list; the row loads with the code as received",
                row=row,
                field=where,
            )
        )
    return raw


def number_field(
    values: dict[str, str], column: str, row: int, findings: list[Finding]
) -> int | float | None:
    """``values[column]`` as a number ('132.0' -> 132), adding a WARNING when it is not one."""
    raw = blank_to_none(values.get(column))
    if raw is None:
        return None
    try:
        number = float(raw)
    except ValueError:
        findings.append(
            Finding(
                "number.unparseable",
                f"{column} is not a number",
                f"write {column} as a number; the row loads without it",
                row=row,
                field=column,
            )
        )
        return None
    return int(number) if number.is_integer() else number


def in_set(codes: frozenset[str]) -> Callable[[str], bool]:
    """A code check against a fixed list, ignoring case and surrounding spaces."""
    return lambda value: value.strip().upper() in codes


def iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def cell_text(value: object) -> str:
    """A worksheet cell as the text a CSV export would hold ('' for empty, ISO for dates)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def open_workbook(path: Path) -> Any:
    """An openpyxl workbook, read-only with cached formula values; InputFileError if unreadable."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as exc:
        raise InputFileError(
            f"{path.name}: cannot be read as an Excel workbook ({type(exc).__name__})",
            fix="check the file is an .xlsx workbook (not .xls or a renamed CSV) and re-save it",
        ) from exc


def sheet_rows(sheet: Any) -> Iterator[tuple[int, list[str]]]:
    """(sheet row number, cell texts) for every row of a worksheet."""
    for number, cells in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
        yield number, [cell_text(c) for c in cells]


def raw_of(cells: list[str]) -> str:
    """A worksheet row's raw content, written as one CSV line."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()
