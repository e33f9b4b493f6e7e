"""Verifying the audit trail: every edited, deleted, inserted or reordered entry, by id.

The algorithm (docs/adr/0007-audit-hash-chain.md):

1. Read every entry in id order; recompute each one's hash from its stored ``prev_hash`` and
   content. An entry is *intact* when the recomputed hash equals its stored ``entry_hash``.
2. Resolve each entry's predecessor: the entry whose stored (or, if that was tampered with,
   recomputed) hash equals its ``prev_hash``; the genesis; or *missing*.
3. Rebuild the chain as the links say it runs: from the genesis (and from each missing
   predecessor) follow the links, taking at a fork the branch that goes on longest.
4. Classify: an entry the rebuilt chain never reaches was *inserted*; an intact entry whose
   predecessor is missing follows a *deletion* (or, with no id gap, an entry *edited* and
   re-hashed); an entry that does not hash to its stored hash was *edited* unless its content
   hashes correctly at another entry's place (*reordered*); an entry the chain reaches in a
   different place than its id says was *reordered*.
5. Check each signed checkpoint: its signature, and that the entry it names still hashes to
   what was signed (*checkpoint mismatch*: catches a chain re-hashed after an edit).
6. Check each audit note (free text kept beside the chain, ``wholechild.audit.notes``) against
   the hash its entry holds: a note whose text no longer matches, that the chain does not
   know, or that was blanked without an erasure entry was *note edited*; a hash whose note is
   gone, *note deleted*. Notes erased through ``erase_note`` are listed as erased, not problems.

``chain_is_intact`` is the plain reference the classification is tested against: the chain is
intact exactly when every entry is intact and links to the one before it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Engine, select

from wholechild.audit.chain import GENESIS_HASH, chain_hash, content_of
from wholechild.audit.checkpoint import Checkpoint, checkpoint_from_row, signature_valid
from wholechild.audit.keys import key_id
from wholechild.audit.notes import (
    ErasedNote,
    NoteLedger,
    NoteMismatch,
    note_mismatches,
    read_all_notes,
)
from wholechild.storage.schema import AuditCheckpoint, AuditEvent

__all__ = ["ChainEntry", "Problem", "TamperKind", "VerifyReport", "chain_is_intact", "verify_chain"]

_GENESIS: Final = -1
_MOVED_CONTENT_LIMIT: Final = 1000  # pairwise search for moved content, when few entries fail


class TamperKind(StrEnum):
    EDITED = "edited"
    DELETED = "deleted"
    INSERTED = "inserted"
    REORDERED = "reordered"
    CHECKPOINT_MISMATCH = "checkpoint mismatch"
    BAD_SIGNATURE = "bad signature"
    NOTE_EDITED = "note edited"
    NOTE_DELETED = "note deleted"


INVESTIGATE: Final[dict[TamperKind, str]] = {
    TamperKind.EDITED: (
        "compare the entry with the latest backup that verifies, and look in the database "
        "server's log for an UPDATE on audit_event; restore the entry from the backup"
    ),
    TamperKind.DELETED: (
        "look in the database server's log for a DELETE on audit_event and restore the "
        "missing entries from the latest backup that verifies"
    ),
    TamperKind.INSERTED: (
        "wholechild did not write this entry in this place: find who inserted it (database "
        "server's log, connections at that time) and treat what it says as unreliable"
    ),
    TamperKind.REORDERED: (
        "entries were renumbered or swapped; compare ids and times with the latest backup "
        "that verifies and look in the database server's log for UPDATEs on audit_event"
    ),
    TamperKind.CHECKPOINT_MISMATCH: (
        "the chain was changed and re-hashed after the checkpoint was signed: compare the "
        "entries in the range with the latest backup that verifies"
    ),
    TamperKind.BAD_SIGNATURE: (
        "check that you verify with the right public key (wholechild audit export-key where "
        "the signing key is); if so, the checkpoint was forged or altered"
    ),
    TamperKind.NOTE_EDITED: (
        "compare the note with the latest backup that verifies and look in the database "
        "server's log for an UPDATE or INSERT on audit_note; a note is only ever erased "
        "through `wholechild audit erase-note`, which writes its own audit entry"
    ),
    TamperKind.NOTE_DELETED: (
        "look in the database server's log for a DELETE on audit_note and restore the note "
        "from the latest backup that verifies"
    ),
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the audit trail, at an entry (and checkpoint, for those kinds)."""

    entry_id: int | None
    kind: TamperKind
    explanation: str
    checkpoint_id: int | None = None

    @property
    def investigate(self) -> str:
        return INVESTIGATE[self.kind]


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What ``verify_chain`` checked and every problem it found (empty: the trail is intact)."""

    entries: int
    checkpoints: int
    signatures_checked: bool
    last_checkpointed_entry: int | None
    problems: tuple[Problem, ...]
    notes: int = 0  # audit notes checked against the chain
    erased_notes: tuple[ErasedNote, ...] = ()  # erased through wholechild: not problems

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(slots=True)
class ChainEntry:
    """What verification needs of a stored entry: its links, and its recomputed hash."""

    id: int
    prev_hash: str
    entry_hash: str
    computed_hash: str
    # Kept only when the entry does not hash correctly (to look for where its content belongs).
    content: str | None = field(default=None, repr=False)

    @property
    def intact(self) -> bool:
        return self.computed_hash == self.entry_hash


def chain_entry(entry_id: int, prev_hash: str, entry_hash: str, content: str) -> ChainEntry:
    computed = chain_hash(prev_hash, content)
    kept = None if computed == entry_hash else content
    return ChainEntry(entry_id, prev_hash, entry_hash, computed, kept)


def verify_chain(engine: Engine, *, public_key: Ed25519PublicKey | None = None) -> VerifyReport:
    """Check the whole audit trail; report every problem found, each with its entry id.

    Without ``public_key`` the checkpoints are compared with the chain but their signatures
    are not checked (``signatures_checked`` is False).
    """
    with engine.connect() as conn:
        # Checkpoints first: entries only grow, so every checkpoint read names a read entry.
        signed = select(AuditCheckpoint).order_by(AuditCheckpoint.id)
        checkpoints = [checkpoint_from_row(r) for r in conn.execute(signed)]
        query = select(AuditEvent).order_by(AuditEvent.id)
        rows = conn.execution_options(yield_per=5000).execute(query)
        ledger = NoteLedger()
        entries = [_read_entry(r, ledger) for r in rows]
        notes = read_all_notes(conn)
    mismatched, erased = note_mismatches(ledger, notes)
    problems = [
        *find_problems(entries),
        *checkpoint_problems(entries, checkpoints, public_key),
        *(_note_problem(m) for m in mismatched),
    ]
    return VerifyReport(
        entries=len(entries),
        checkpoints=len(checkpoints),
        signatures_checked=public_key is not None,
        last_checkpointed_entry=max((c.last_event_id for c in checkpoints), default=None),
        problems=tuple(problems),
        notes=len(notes),
        erased_notes=tuple(erased),
    )


def _read_entry(row: Any, ledger: NoteLedger) -> ChainEntry:
    ledger.read(row.id, row.action, row.details if isinstance(row.details, dict) else {})
    return chain_entry(row.id, row.prev_hash, row.entry_hash, content_of(row))


def _note_problem(mismatch: NoteMismatch) -> Problem:
    kind = TamperKind.NOTE_DELETED if mismatch.deleted else TamperKind.NOTE_EDITED
    return Problem(mismatch.entry_id, kind, f"its {mismatch.kind} note: {mismatch.explanation}")


def chain_is_intact(entries: Sequence[ChainEntry]) -> bool:
    """The plain reference: every entry hashes correctly and links to the one before it."""
    expected = GENESIS_HASH
    for entry in entries:
        if entry.prev_hash != expected or not entry.intact:
            return False
        expected = entry.entry_hash
    return True


def find_problems(entries: Sequence[ChainEntry]) -> list[Problem]:
    """Every problem in the chain (``entries`` in id order), one per entry at most."""
    if chain_is_intact(entries):
        return []
    return _Analysis(entries).problems()


class _Analysis:
    """The chain as its links say it runs, compared with the order of the ids."""

    def __init__(self, entries: Sequence[ChainEntry]) -> None:
        self.entries = entries
        self.pred = _predecessors(entries)
        self.children = _children(self.pred)
        self.found: dict[int, Problem] = {}

    def problems(self) -> list[Problem]:
        walks = _walks(self.entries, self.pred, self.children)
        reached = {i for walk in walks for i in walk}
        for i in range(len(self.entries)):
            if i not in reached:
                self._inserted(i)
        for walk in walks:
            if self.pred[walk[0]] is None:
                self._after_missing(walk)
        self._moved_content([i for i in sorted(reached) if not self.entries[i].intact])
        for i in sorted(reached):
            if not self.entries[i].intact:
                self._add(i, TamperKind.EDITED, "its content no longer hashes to its stored hash")
        inserted = {i for i, p in self.found.items() if p.kind is TamperKind.INSERTED}
        self._out_of_order([i for walk in walks for i in walk if i not in inserted])
        return [self.found[i] for i in sorted(self.found)]

    def _add(self, i: int, kind: TamperKind, explanation: str) -> None:
        if i not in self.found:
            self.found[i] = Problem(self.entries[i].id, kind, explanation)

    def _inserted(self, i: int) -> None:
        pred = self.pred[i]
        after = "the start of the trail" if pred == _GENESIS else f"entry {self._id(pred)}"
        why = (
            f"it claims to follow {after}, but the chain goes on from there without it"
            if pred is not None
            else "it links to no entry, and no entry links to it"
        )
        self._add(i, TamperKind.INSERTED, f"not written in this place by wholechild: {why}")

    def _after_missing(self, walk: list[int]) -> None:
        """The first entry of a walk whose predecessor is missing from the trail."""
        i = walk[0]
        entry = self.entries[i]
        if not entry.intact:
            if len(walk) == 1 and i < len(self.entries) - 1:
                self._inserted(i)
            else:
                self._add(i, TamperKind.EDITED, "its link to the previous entry was changed")
            return
        before = i - 1 if i > 0 else None
        if before is not None and self._replaced(before, i):
            self._add(
                before,
                TamperKind.EDITED,
                f"it was changed and its hash recomputed: entry {entry.id} still points to "
                "its original hash",
            )
            return
        first = self.entries[before].id + 1 if before is not None else 1
        gone = f"ids {first}..{entry.id - 1}" if first < entry.id else "its id was reused"
        self._add(i, TamperKind.DELETED, f"the entry it follows is missing from the trail ({gone})")

    def _replaced(self, before: int, i: int) -> bool:
        """An intact, unfollowed entry just before ``i``, with no id gap: edited and re-hashed."""
        prior = self.entries[before]
        return prior.intact and not self.children.get(before) and prior.id + 1 == self.entries[i].id

    def _moved_content(self, failing: list[int]) -> None:
        """Content that hashes correctly at another failing entry's place was moved there."""
        if len(failing) > _MOVED_CONTENT_LIMIT:
            return
        for i in failing:
            content = self.entries[i].content or ""
            for j in failing:
                slot = self.entries[j]
                if i != j and chain_hash(slot.prev_hash, content) == slot.entry_hash:
                    self._add(
                        i,
                        TamperKind.REORDERED,
                        f"it holds the content written as entry {slot.id}",
                    )
                    break

    def _out_of_order(self, chain_order: list[int]) -> None:
        """Entries the links place elsewhere than their ids do."""
        for place, (linked, by_id) in enumerate(zip(chain_order, sorted(chain_order), strict=True)):
            if linked != by_id:
                previous = self._id(chain_order[place - 1]) if place else None
                after = f"after entry {previous}" if previous is not None else "first"
                self._add(
                    linked,
                    TamperKind.REORDERED,
                    f"its links place it {after}, not where its id puts it",
                )

    def _id(self, i: int | None) -> int | None:
        return None if i is None or i == _GENESIS else self.entries[i].id


def _predecessors(entries: Sequence[ChainEntry]) -> list[int | None]:
    """Each entry's predecessor: an index, ``_GENESIS``, or None when missing."""
    by_hash: dict[str, int] = {}
    by_computed: dict[str, int] = {}
    for i, entry in enumerate(entries):
        by_hash.setdefault(entry.entry_hash, i)
        if not entry.intact:
            by_computed.setdefault(entry.computed_hash, i)
    pred: list[int | None] = []
    for i, entry in enumerate(entries):
        if entry.prev_hash == GENESIS_HASH:
            pred.append(_GENESIS)
            continue
        found = by_hash.get(entry.prev_hash, by_computed.get(entry.prev_hash))
        pred.append(found if found is not None and found != i else None)
    return pred


def _children(pred: Sequence[int | None]) -> dict[int, list[int]]:
    children: dict[int, list[int]] = defaultdict(list)
    for i, p in enumerate(pred):
        if p is not None:
            children[p].append(i)
    return children


def _walks(
    entries: Sequence[ChainEntry], pred: Sequence[int | None], children: dict[int, list[int]]
) -> list[list[int]]:
    """The chain as its links run: from the genesis, then from each entry whose predecessor
    is missing; at a fork, the branch that goes on longest (then the earliest) is followed."""
    size = _subtree_sizes(len(entries), pred, children)
    starts = [_GENESIS, *(i for i, p in enumerate(pred) if p is None)]
    walks = []
    for start in starts:
        walk = [] if start == _GENESIS else [start]
        node = start
        while children.get(node):
            node = max(children[node], key=lambda c: (size[c], -c))
            walk.append(node)
        if walk:
            walks.append(walk)
    return walks


def _subtree_sizes(
    count: int, pred: Sequence[int | None], children: dict[int, list[int]]
) -> dict[int, int]:
    """How many entries follow from each entry (itself included), reachable ones only."""
    order = list(_reachable(pred, children))
    size = dict.fromkeys(order, 1)
    for node in reversed(order):
        parent = pred[node]
        if parent is not None and parent != _GENESIS:
            size[parent] += size[node]
    return size


def _reachable(pred: Sequence[int | None], children: dict[int, list[int]]) -> Iterator[int]:
    """Entries reachable from the genesis or a missing predecessor, parents before children."""
    frontier = [*children.get(_GENESIS, []), *(i for i, p in enumerate(pred) if p is None)]
    while frontier:
        node = frontier.pop()
        yield node
        frontier.extend(children.get(node, []))


def checkpoint_problems(
    entries: Sequence[ChainEntry],
    checkpoints: Iterable[Checkpoint],
    public_key: Ed25519PublicKey | None,
) -> list[Problem]:
    """Each checkpoint's signature, and whether the entry it names still hashes as signed."""
    by_id = {entry.id: entry for entry in entries}
    problems: list[Problem] = []
    matched_up_to = 0
    for checkpoint in checkpoints:
        if public_key is not None:
            problems.extend(_signature_problem(checkpoint, public_key))
        entry = by_id.get(checkpoint.last_event_id)
        if entry is not None and entry.entry_hash == checkpoint.chain_hash:
            matched_up_to = max(matched_up_to, checkpoint.last_event_id)
            continue
        state = "is missing" if entry is None else "no longer has the hash that was signed"
        problems.append(
            Problem(
                checkpoint.last_event_id,
                TamperKind.CHECKPOINT_MISMATCH,
                f"checkpoint {checkpoint.id} signed entries 1..{checkpoint.last_event_id}, but "
                f"entry {checkpoint.last_event_id} {state}: something in entries "
                f"{matched_up_to + 1}..{checkpoint.last_event_id} was changed",
                checkpoint.id,
            )
        )
    return problems


def _signature_problem(checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> list[Problem]:
    if checkpoint.key_id != key_id(public_key):
        why = f"it names another key ({checkpoint.key_id[:16]}...)"
    elif not signature_valid(checkpoint, public_key):
        why = "its signature does not match what it states"
    else:
        return []
    return [
        Problem(
            checkpoint.last_event_id,
            TamperKind.BAD_SIGNATURE,
            f"checkpoint {checkpoint.id} was not signed by this public key: {why}",
            checkpoint.id,
        )
    ]
