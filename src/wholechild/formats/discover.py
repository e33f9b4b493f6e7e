"""Which files a command line names: folders expanded, sidecar mappings found."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wholechild.errors import InputFileError
from wholechild.formats import LoadOptions

# Files in a folder that are never data: mappings, documentation, ground truth, dotfiles.
_NOT_DATA = {".yaml", ".yml", ".md", ".txt", ".json", ".xsd", ".log"}
MAPPING_SUFFIX = ".mapping.yaml"


@dataclass(frozen=True, slots=True)
class PlannedFile:
    path: Path
    options: LoadOptions


def _expand(paths: Sequence[Path]) -> list[Path]:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise InputFileError(
            f"not found: {', '.join(missing)}",
            fix="check the paths; folders are read one level deep",
        )
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.iterdir()
                    if p.is_file()
                    and not p.name.startswith(".")
                    and p.suffix.lower() not in _NOT_DATA
                )
            )
        else:
            files.append(path)
    return files


def sidecar_mapping(path: Path) -> Path | None:
    """``health.csv`` -> ``health.mapping.yaml`` beside it, if there is one."""
    candidate = path.with_name(path.stem + MAPPING_SUFFIX)
    return candidate if candidate.is_file() else None


def plan_files(
    paths: Sequence[Path],
    *,
    mapping: Path | None,
    source_system: str | None,
    extra: dict[str, Any] | None = None,
) -> Iterator[PlannedFile]:
    """Each file to load with its options; a declared mapping is read and checked first."""
    from wholechild.formats.mapped import load_mapping

    declared = load_mapping(mapping) if mapping is not None else None
    for path in _expand(paths):
        sidecar = sidecar_mapping(path) if declared is None else None
        parsed = declared if declared is not None else (load_mapping(sidecar) if sidecar else None)
        yield PlannedFile(
            path, LoadOptions(source_system=source_system, mapping=parsed, extra=dict(extra or {}))
        )
