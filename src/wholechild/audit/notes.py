"""Audit notes: free text written with an audit entry, kept beside the hash chain.

A break-glass justification or a reason is written by staff and may name a child. The chain
makes entries immutable, so such text must not be in them: it goes into ``audit_note`` and the
entry's details hold only its SHA-256, as ``<kind>_sha256``. The chain thereby commits to the
text without holding it; the text can be erased (retention, rectification) while the hash, and
the chain, stay intact. See docs/adr/0007-audit-hash-chain.md ("Free text lives beside the
chain").

``note_problems`` is what ``verify_chain`` adds: a note whose text no longer matches the hash
the chain holds, a note the chain does not know, a note gone missing, or one erased without the
erasure's own audit entry. Notes erased through ``wholechild.actions.audit.erase_note`` are
reported as erased, never as tampered with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection, insert, select

from wholechild.storage.schema import AuditNote

__all__ = [
    "ERASED",
    "ERASE_ACTION",
    "NOTE_KINDS",
    "ErasedNote",
    "Note",
    "NoteLedger",
    "NoteMismatch",
    "check_notes",
    "hash_key",
    "note_hash",
    "note_mismatches",
    "note_text",
    "notes_for",
    "read_all_notes",
    "write_notes",
]

# The kinds of note an entry may carry. Declared, so that verification knows which details keys
# are note hashes (``zip_sha256`` and the like are not) and so notice a note gone missing.
NOTE_KINDS: Final = frozenset({"justification", "reason"})
ERASE_ACTION: Final = "audit.erase_note"
ERASED: Final = "(erased)"


def note_hash(text: str) -> str:
    """The SHA-256 (hex) of the note's UTF-8 text: what the chain holds."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hash_key(kind: str) -> str:
    """The details key under which an entry holds the hash of its ``kind`` note."""
    return f"{kind}_sha256"


@dataclass(frozen=True, slots=True)
class Note:
    """One note: its text, or None once erased (and when)."""

    audit_event_id: int
    kind: str
    text: str | None
    sha256: str
    erased_at: datetime | None

    @property
    def shown(self) -> str:
        """The text to show a reader: the note, or "(erased)"."""
        return self.text if self.text is not None else ERASED


def note_text(
    notes: Mapping[tuple[int, str], Note], event_id: int, kind: str, details: Mapping[str, Any]
) -> str:
    """What a reader shows for an entry's ``kind`` note: its text, "(erased)", or "".

    Entries written before notes existed (migration 0007) still hold the text in their details;
    it is shown from there.
    """
    note = notes.get((event_id, kind))
    if note is not None:
        return note.shown
    return str(details.get(kind, "")) if hash_key(kind) not in details else ERASED


def check_notes(notes: Mapping[str, str], details: Mapping[str, Any]) -> None:
    """A programming error (not a user's) if a note's kind is undeclared or its key is taken."""
    for kind in notes:
        if kind not in NOTE_KINDS:
            raise ValueError(f"undeclared audit note kind {kind!r}: add it to NOTE_KINDS")
        if kind in details or hash_key(kind) in details:
            raise ValueError(f"details already hold {kind!r}: free text goes in notes only")


def write_notes(conn: Connection, event_id: int, notes: Mapping[str, str]) -> None:
    """Insert the entry's notes in ``conn``'s transaction (``record_audit`` calls this)."""
    if notes:
        conn.execute(
            insert(AuditNote),
            [
                {"audit_event_id": event_id, "kind": kind, "text": text, "sha256": note_hash(text)}
                for kind, text in notes.items()
            ],
        )


def _note(row: Any) -> Note:
    erased = row.erased_at
    if erased is not None and erased.tzinfo is None:  # SQLite keeps no time zone: it was UTC
        erased = erased.replace(tzinfo=UTC)
    return Note(row.audit_event_id, row.kind, row.text, row.sha256, erased)


def notes_for(
    conn: Connection, event_ids: Collection[int], *, kinds: Iterable[str] = NOTE_KINDS
) -> dict[tuple[int, str], Note]:
    """The notes of these entries, by (entry id, kind)."""
    found: dict[tuple[int, str], Note] = {}
    ids = sorted(set(event_ids))
    wanted = sorted(kinds)
    for start in range(0, len(ids), 1000):  # bounded IN lists
        query = select(AuditNote).where(
            AuditNote.audit_event_id.in_(ids[start : start + 1000]), AuditNote.kind.in_(wanted)
        )
        for row in conn.execute(query):
            note = _note(row)
            found[(note.audit_event_id, note.kind)] = note
    return found


def read_all_notes(conn: Connection) -> list[Note]:
    query = select(AuditNote).order_by(AuditNote.audit_event_id, AuditNote.kind)
    return [_note(row) for row in conn.execute(query)]


@dataclass(frozen=True, slots=True)
class ErasedNote:
    """A note whose text was erased through wholechild (``by_entry`` recorded the erasure)."""

    entry_id: int
    kind: str
    erased_at: datetime | None
    by_entry: int


@dataclass(frozen=True, slots=True)
class NoteMismatch:
    """A note that does not agree with the chain; ``deleted``: the chain holds a hash for a
    note that is not there at all."""

    entry_id: int
    kind: str
    explanation: str
    deleted: bool = False


@dataclass(slots=True)
class NoteLedger:
    """What the chain says about notes, gathered while verification reads the entries: each
    note's hash, and the entry that recorded each erasure."""

    hashes: dict[tuple[int, str], str] = field(default_factory=dict)
    erasures: dict[tuple[int, str], int] = field(default_factory=dict)

    def read(self, entry_id: int, action: str, details: Mapping[str, Any]) -> None:
        for kind in NOTE_KINDS:
            held = details.get(hash_key(kind))
            if isinstance(held, str):
                self.hashes[(entry_id, kind)] = held
        if action == ERASE_ACTION:
            target = (details.get("audit_event_id"), details.get("kind"))
            if isinstance(target[0], int) and isinstance(target[1], str):
                self.erasures.setdefault((target[0], target[1]), entry_id)


def note_mismatches(
    ledger: NoteLedger, notes: Iterable[Note]
) -> tuple[list[NoteMismatch], list[ErasedNote]]:
    """Every note that disagrees with the chain, and every note properly erased."""
    problems: list[NoteMismatch] = []
    erased: list[ErasedNote] = []
    seen: set[tuple[int, str]] = set()
    for note in notes:
        key = (note.audit_event_id, note.kind)
        seen.add(key)
        held = ledger.hashes.get(key)
        if held is None:
            why = "the chain holds no hash for it: it was not written with its entry"
            problems.append(NoteMismatch(*key, why))
        elif note.text is not None:
            if note_hash(note.text) != held:
                why = "its text no longer matches the hash its entry holds"
                problems.append(NoteMismatch(*key, why))
        elif key in ledger.erasures and note.erased_at is not None:
            erased.append(ErasedNote(*key, note.erased_at, ledger.erasures[key]))
        else:
            why = "its text is gone, but no audit entry records its erasure"
            problems.append(NoteMismatch(*key, why))
    for key in sorted(set(ledger.hashes) - seen):
        why = "its entry holds the hash of a note that is no longer stored"
        problems.append(NoteMismatch(*key, why, deleted=True))
    return problems, erased
