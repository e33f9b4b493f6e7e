"""Source-format loaders: one module per format, each exposing ``FORMAT``.

A loader reads one file and yields :class:`~wholechild.core.records.Row` objects; it never
touches storage. A new source format is one new module added to ``_MODULES``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from wholechild.core.records import FileReading, Row
from wholechild.errors import InputFileError

# --format name -> module. Order matters for detection: the first whose sniff() says yes wins.
_MODULES = {
    "cin": "cin",
    "sen2": "sen2",
    "ssda903": "ssda903",
    "school-census": "school_census",
    "annex-a": "annex_a",
    "mapped": "mapped",
}


@dataclass(frozen=True, slots=True)
class LoadOptions:
    """What the user said about a file beyond its path."""

    source_system: str | None = None
    mapping: dict[str, Any] | None = None  # a parsed column mapping (see formats.mapped)
    extra: dict[str, Any] = field(default_factory=dict)


class SourceFormat(Protocol):
    """The contract every format module's ``FORMAT`` object meets."""

    name: str  # the --format value, e.g. "cin"
    description: str
    agency: str  # e.g. "children's social care"
    default_source_system: str

    def sniff(self, path: Path, head: str) -> bool:
        """True when this format can read the file (``head`` is its first 4 KiB as text)."""
        ...

    def read(self, path: Path, reading: FileReading, options: LoadOptions) -> Iterator[Row]:
        """Yield every row of the file. File-level findings go to ``reading.file_findings``."""
        ...


def _load_module_format(module_name: str) -> SourceFormat:
    module = importlib.import_module(f"wholechild.formats.{module_name}")
    fmt: SourceFormat = module.FORMAT
    return fmt


def all_formats() -> list[SourceFormat]:
    return [_load_module_format(m) for m in _MODULES.values()]


def format_named(name: str) -> SourceFormat:
    module_name = _MODULES.get(name.replace("_", "-"))
    if module_name is None:
        known = ", ".join(_MODULES)
        raise InputFileError(f"unknown format '{name}'", fix=f"use one of: auto, {known}")
    return _load_module_format(module_name)


def read_head(path: Path, size: int = 4096) -> str:
    with path.open("rb") as handle:
        data = handle.read(size)
    if data.startswith(b"PK"):
        return "<zip>"  # xlsx
    return data.decode("utf-8-sig", errors="replace")


def detect_format(path: Path, options: LoadOptions) -> SourceFormat:
    """The format of a file, by its content (and a declared mapping, if any)."""
    if options.mapping is not None:
        return format_named("mapped")
    head = read_head(path)
    for fmt in all_formats():
        if fmt.name != "mapped" and fmt.sniff(path, head):
            return fmt
    raise InputFileError(
        f"{path.name}: could not tell which format this file is",
        fix="name it with --format (cin, ssda903, sen2, school-census, annex-a) or declare "
        "its columns in a mapping (--mapping FILE, or FILE.mapping.yaml beside it)",
    )
