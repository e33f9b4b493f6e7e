"""A subject access export laid out: what is held about one person, as a readable document,
as data, and as a list of third-party information for a reviewer to redact before release.

Pure: :class:`SubjectAccess` is gathered from the store by ``wholechild.actions.sar`` (which
applies the access policy and writes the audit entry); here it becomes

- :func:`sar_json`: the machine-readable export (every section, values as held);
- :func:`sar_blocks`: the readable document, laid out as blocks for the PDF writer that the
  EHCP export already has (``wholechild.ehcp.export.pdf_bytes``: a plain PDF 1.4 in
  Helvetica, which pypdf reads back);
- :func:`third_party_flags` and :func:`redaction_review`: the items that may identify someone
  other than the person (other children, parents, carers), for the reviewer to redact or
  release before the response is sent.

Staff names (who viewed or changed the record, reviewers, caseworkers) are usually disclosed:
they acted in a professional capacity. They are listed in the review for the reviewer to
confirm (for example where disclosing a name could put a member of staff at risk), not flagged
as third-party information. Sealed records are not exported: adoption records are exempt from
subject access (DPA 2018 Sch. 4 para 3), and the export does not say whether any exist.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final
from uuid import UUID

from wholechild.ehcp.export import Block

__all__ = [
    "ANOTHER_PERSONS_RECORD",
    "FORMAT_VERSION",
    "SECTION_TITLES",
    "SubjectAccess",
    "ThirdPartyFlag",
    "redaction_review",
    "sar_blocks",
    "sar_json",
    "sar_json_text",
    "staff_named",
    "third_party_flags",
]

FORMAT_VERSION: Final = 1
ANOTHER_PERSONS_RECORD: Final = "a record of another person (withheld)"
NO_AI_TEXT: Final = (
    "No AI-drafted text is held about you: no draft EHC plan has been made for you with the "
    "drafting assistant."
)

SECTION_TITLES: Final[dict[str, str]] = {
    "records": "Records by source",
    "linkage": "How and why your records were linked",
    "plans": "Plans and involvements",
    "ehcp": "EHCP cases and their steps",
    "ai_text": "AI-drafted text and who signed it off",
    "rectifications": "Corrections made to your records",
    "sharing": "Decisions about sharing your information",
    "legal_holds": "Records kept beyond their retention period (legal holds)",
    "households": "Households",
    "access_log": "Who has looked at or changed your record (access log)",
}

# The values of a source record shown as held (as the agency sent them), with their labels.
RECORD_VALUES: Final = (
    ("forename", "Forename"),
    ("middle_names", "Middle names"),
    ("surname", "Surname"),
    ("preferred_surname", "Preferred surname"),
    ("former_surname", "Former surname"),
    ("date_of_birth", "Date of birth"),
    ("sex", "Sex"),
    ("ethnicity", "Ethnicity"),
    ("nhs_number", "NHS number"),
    ("upn", "UPN"),
    ("former_upn", "Former UPN"),
    ("uln", "ULN"),
    ("la_child_id", "Local authority child id"),
    ("police_ref", "Police reference"),
    ("postcode", "Postcode (latest known)"),
)


@dataclass(frozen=True, slots=True)
class SubjectAccess:
    """Everything held about one person that the export discloses, section by section.

    Each section is a tuple of plain dicts (dates as ``date``/``datetime``, ids as strings), as
    gathered by ``wholechild.actions.sar``; ``links_to_others`` counts scored pairs between
    this person's records and other people's (disclosed as a count only)."""

    person_id: int
    generated_at: datetime
    generated_by: str
    purpose: str
    records: tuple[dict[str, Any], ...]
    links: tuple[dict[str, Any], ...]
    decisions: tuple[dict[str, Any], ...]
    links_to_others: int
    events: tuple[dict[str, Any], ...]
    involvements: tuple[dict[str, Any], ...]
    ehcp_cases: tuple[dict[str, Any], ...]
    ai_drafted_text: tuple[dict[str, Any], ...]
    rectifications: tuple[dict[str, Any], ...]
    sharing_decisions: tuple[dict[str, Any], ...]
    legal_holds: tuple[dict[str, Any], ...]
    households: tuple[dict[str, Any], ...]
    access_log: tuple[dict[str, Any], ...]

    def counts(self) -> dict[str, int]:
        """How much of each kind the export holds (for the audit entry: counts only)."""
        return {
            "records": len(self.records),
            "links": len(self.links),
            "decisions": len(self.decisions),
            "events": len(self.events),
            "ehcp_cases": len(self.ehcp_cases),
            "ai_drafted_text": len(self.ai_drafted_text),
            "rectifications": len(self.rectifications),
            "sharing_decisions": len(self.sharing_decisions),
            "legal_holds": len(self.legal_holds),
            "households": len(self.households),
            "access_entries": len(self.access_log),
        }


# -- JSON ------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return value.hex
    raise TypeError(f"not JSON: {type(value).__name__}")


def sar_json(sa: SubjectAccess) -> dict[str, Any]:
    """The export as data: one key per section, plus what the export is and when it was made."""
    return {
        "subject_access_export": {
            "format_version": FORMAT_VERSION,
            "person_id": sa.person_id,
            "generated_at": sa.generated_at,
            "generated_by": sa.generated_by,
            "purpose": sa.purpose,
            "sections": SECTION_TITLES,
        },
        "records": list(sa.records),
        "linkage": {
            "links": list(sa.links),
            "reviewer_decisions": list(sa.decisions),
            "pairs_with_other_peoples_records": sa.links_to_others,
        },
        "events": list(sa.events),
        "involvements": list(sa.involvements),
        "ehcp_cases": list(sa.ehcp_cases),
        "ai_drafted_text": {
            "held": bool(sa.ai_drafted_text),
            "items": list(sa.ai_drafted_text),
            "note": "" if sa.ai_drafted_text else NO_AI_TEXT,
        },
        "rectifications": list(sa.rectifications),
        "sharing_decisions": list(sa.sharing_decisions),
        "legal_holds": list(sa.legal_holds),
        "households": list(sa.households),
        "access_log": list(sa.access_log),
    }


def sar_json_text(sa: SubjectAccess) -> str:
    return json.dumps(sar_json(sa), indent=2, ensure_ascii=False, default=_plain) + "\n"


# -- the readable document -------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%d %B %Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d %B %Y")
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items()) or "-"
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value) or "-"
    return str(value)


def _lines(pairs: Iterable[tuple[str, Any]]) -> list[Block]:
    return [Block("text", f"{label}: {_text(value)}") for label, value in pairs]


def sar_blocks(sa: SubjectAccess) -> list[Block]:
    """The readable document: a title, what this is, then one heading per section."""
    blocks = [
        Block("title", f"Subject access: the information held about person {sa.person_id}"),
        Block(
            "note",
            f"Prepared on {_text(sa.generated_at)} by {sa.generated_by} for a "
            "subject access request (UK GDPR Article 15).",
        ),
        Block(
            "note",
            "Every record is shown with where it came from: the agency's system, the "
            "file and row, when it was loaded and the data-sharing agreement it "
            "arrived under.",
        ),
    ]
    for key, title in SECTION_TITLES.items():
        blocks.append(Block("heading", title))
        blocks.extend(_SECTION_WRITERS[key](sa) or [Block("note", "Nothing is held.")])
    return blocks


def _by_source(records: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        grouped.setdefault(record["source_system"], []).append(record)
    return grouped


def _record_blocks(sa: SubjectAccess) -> list[Block]:
    blocks: list[Block] = []
    for system, records in _by_source(sa.records).items():
        blocks.append(Block("subheading", f"From {system}"))
        for r in records:
            p = r["provenance"]
            blocks.append(Block("text", f"Record {r['record_id']} ({r['agency']}): file "
                                        f"{p['file_name']}, row {p['row_number']}, loaded "
                                        f"{_text(p['ingested_at'])}, data-sharing agreement "
                                        f"{p['agreement_ref'] or 'none recorded'}."))  # fmt: skip
            values = r["values"]
            blocks.extend(_lines((label, values[k]) for k, label in RECORD_VALUES if values.get(k)))
            blocks.extend(Block("text", _address(a)) for a in r["addresses"])
    return blocks


def _address(a: Mapping[str, Any]) -> str:
    parts = [a["address_line"], a["postcode"], f"(UPRN {a['uprn']})" if a["uprn"] else None]
    where = " ".join(str(part) for part in parts if part)
    when = [f"from {_text(a['start_date'])}"] if a["start_date"] else []
    when += [f"to {_text(a['end_date'])}"] if a["end_date"] else []
    return f"Address{' ' + ' '.join(when) if when else ''}: {where or '-'}"


def _linkage_blocks(sa: SubjectAccess) -> list[Block]:
    blocks = [
        Block("text", f"Records {link['record_l']} and {link['record_r']}: {link['status']} by "
                      f"linkage run {link['run_id']} (model {link['model_hash'][:12]}), match "
                      f"probability {link['match_probability']:.3f}. Evidence (match weight by "
                      f"comparison): {_evidence(link['contributions'])}.")
        for link in sa.links
    ]  # fmt: skip
    blocks.extend(
        Block("text", f"Reviewer decision ({d['action']}) on {_text(d['decided_at'])}: records "
                      f"{d['record_l']} and {d['record_r']} are "
                      f"{'the same child' if d['decision'] == 'same' else 'not the same child'}; "
                      f"decided by {d['reviewer']}; reason: {d['reason']}"
                      f"{' (superseded by a later decision)' if d['superseded'] else ''}.")
        for d in sa.decisions
    )  # fmt: skip
    if sa.links_to_others:
        blocks.append(Block("note", f"{sa.links_to_others} comparisons with other people's "
                                    "records were scored; those records are not yours and are "
                                    "not shown."))  # fmt: skip
    return blocks


def _evidence(contributions: Sequence[Sequence[Any]]) -> str:
    return ", ".join(f"{name} {weight:+.1f}" for name, weight in contributions) or "none recorded"


def _plan_blocks(sa: SubjectAccess) -> list[Block]:
    blocks = [
        Block("text", f"{i['label']} ({i['agency']}): from {_text(i['start_date'])} to "
                      f"{_text(i['end_date']) if not i['current'] else 'now'}.")
        for i in sa.involvements
    ]  # fmt: skip
    if sa.events:
        blocks.append(Block("subheading", "Everything that happened, by date"))
    blocks.extend(
        Block("text", f"{_text(e['start_date'])}: {e['label']} ({e['source_system']}, "
                      f"{e['agency']}); ended {_text(e['end_date'])}; code {_text(e['code'])}; "
                      f"details: {_text(e['details'])}.")
        for e in sa.events
    )  # fmt: skip
    return blocks


def _ehcp_blocks(sa: SubjectAccess) -> list[Block]:
    blocks: list[Block] = []
    for case in sa.ehcp_cases:
        blocks.append(Block("subheading", f"EHCP case {case['case_id']}: request received "
                                          f"{_text(case['request_received_on'])}"))  # fmt: skip
        blocks.extend(_lines([("Stage", case["stage"]), ("Caseworker", case["caseworker"]),
                              ("Team", case["team"]), ("Needs", case["sen_needs"]),
                              ("Setting (URN)", case["setting_urn"])]))  # fmt: skip
        blocks.extend(
            Block("text", f"{_text(s['occurred_on'])}: {s['step']}"
                          f"{_step_extra(s)}; recorded by {s['recorded_by']}.")
            for s in case["steps"]
        )  # fmt: skip
    return blocks


def _step_extra(step: Mapping[str, Any]) -> str:
    parts = [f"{k} {step[k]}" for k in ("subject", "outcome", "clock", "reason", "evidence")
             if step.get(k)]  # fmt: skip
    return f" ({'; '.join(parts)})" if parts else ""


def _ai_blocks(sa: SubjectAccess) -> list[Block]:
    if not sa.ai_drafted_text:
        return [Block("text", NO_AI_TEXT)]
    return [
        Block("text", f"{item['text']} (drafted by {item['model']}; signed off by "
                      f"{_text(item.get('signed_off_by'))} on {_text(item.get('signed_off_at'))})")
        for item in sa.ai_drafted_text
    ]  # fmt: skip


def _rectification_blocks(sa: SubjectAccess) -> list[Block]:
    return [
        Block("text", f"{_text(r['recorded_at'])}: {r['field']} on record {r['record_id']} "
                      f"corrected from {_text(r['old_value'])} to {_text(r['new_value'])} at the "
                      f"request of {r['requested_by']}; reason: {r['reason']}; the source agency "
                      f"was told: {_told(r)}.")
        for r in sa.rectifications
    ]  # fmt: skip


def _told(r: Mapping[str, Any]) -> str:
    if r["source_notified_at"] is None:
        return "not yet"
    return f"{_text(r['source_notified_at'])} (reference {_text(r['source_notification_ref'])})"


def _sharing_blocks(sa: SubjectAccess) -> list[Block]:
    return [
        Block("text", f"{_text(d['decided_at'])}: {d['requested_by']} asked to see "
                      f"{_text(d['categories'])} information for {d['purpose']}; decision: "
                      f"{'shared' if d['decision'] == 'share' else 'not shared'}, by "
                      f"{d['decided_by']}; reason: {d['reason']}.")
        for d in sa.sharing_decisions
    ]  # fmt: skip


def _hold_blocks(sa: SubjectAccess) -> list[Block]:
    return [
        Block("text", f"Placed {_text(h['placed_at'])} by {h['placed_by']}: {h['reason']}; "
                      f"released {_text(h['released_at'])}.")
        for h in sa.legal_holds
    ]  # fmt: skip


def _household_blocks(sa: SubjectAccess) -> list[Block]:
    return [
        Block("text", f"Household {h['household_id']}: you are recorded as {h['relationship']} "
                      f"from {_text(h['start_date'])} to {_text(h['end_date'])}, with "
                      f"{h['other_members']} other members (not named here).")
        for h in sa.households
    ]  # fmt: skip


def _access_blocks(sa: SubjectAccess) -> list[Block]:
    return [
        Block("text", f"{_text(a['occurred_at'])}: {a['actor']} ({_text(a['role'])}) "
                      f"{a['action']} for {_text(a['purpose'])}"
                      f"{'' if a['allowed'] else ' (refused)'}"
                      f"{'; break-glass: ' + a['justification'] if a['justification'] else ''}.")
        for a in sa.access_log
    ]  # fmt: skip


_SECTION_WRITERS: Final = {
    "records": _record_blocks,
    "linkage": _linkage_blocks,
    "plans": _plan_blocks,
    "ehcp": _ehcp_blocks,
    "ai_text": _ai_blocks,
    "rectifications": _rectification_blocks,
    "sharing": _sharing_blocks,
    "legal_holds": _hold_blocks,
    "households": _household_blocks,
    "access_log": _access_blocks,
}


# -- third-party information -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThirdPartyFlag:
    """One item in the export that may identify someone else, and what to check."""

    section: str
    item: str  # which entry: a record, event, case step, decision or audit id
    field: str
    why: str


WHY_FREE_TEXT: Final = "free text: may name a parent, carer, sibling or other child"
WHY_RAW_ROW: Final = "the row exactly as the agency sent it: may hold other people's details"
# Event detail keys that usually hold someone else's details.
_PERSON_KEYS: Final = re.compile(r"NAME|CARER|PARENT|MOTHER|FATHER|SIBLING|RELATIVE", re.I)

# (section, list attribute, id key, field, why) for free-text fields.
_FREE_TEXT: Final = (
    ("records", "records", "record_id", "raw_row", WHY_RAW_ROW),
    ("linkage", "decisions", "decision_id", "reason", WHY_FREE_TEXT),
    ("rectifications", "rectifications", "rectification_id", "reason", WHY_FREE_TEXT),
    ("rectifications", "rectifications", "rectification_id", "requested_by",
     "who asked for the correction: a parent or representative is a third party"),
    ("sharing", "sharing_decisions", "decision_id", "reason", WHY_FREE_TEXT),
    ("legal_holds", "legal_holds", "hold_id", "reason",
     "free text about litigation or a complaint: may name others, or be legally privileged"),
    ("access_log", "access_log", "audit_id", "justification", WHY_FREE_TEXT),
)  # fmt: skip


def third_party_flags(sa: SubjectAccess) -> list[ThirdPartyFlag]:
    """Every item a reviewer must check for other people's information before release."""
    flags = [
        ThirdPartyFlag(section, str(row[id_key]), field, why)
        for section, attribute, id_key, field, why in _FREE_TEXT
        for row in getattr(sa, attribute)
        if row.get(field)
    ]
    flags += _event_flags(sa.events)
    flags += _ehcp_flags(sa.ehcp_cases)
    flags += _address_flags(sa.records)
    flags += _decision_flags(sa.decisions)
    flags += [
        ThirdPartyFlag("households", str(h["household_id"]), "other_members",
                       f"{h['other_members']} other members: check nothing shown identifies them")
        for h in sa.households if h["other_members"]
    ]  # fmt: skip
    return flags


def _free_text(value: Any) -> bool:
    return isinstance(value, str) and len(value.split()) >= 3


def _walk(details: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(details, Mapping):
        for k, v in details.items():
            yield from _walk(v, f"{key}.{k}" if key else str(k))
    elif isinstance(details, list):
        for v in details:
            yield from _walk(v, key)
    else:
        yield key, details


def _event_flags(events: Sequence[dict[str, Any]]) -> list[ThirdPartyFlag]:
    flags = []
    for event in events:
        for key, value in _walk(event.get("details") or {}):
            if value and (_PERSON_KEYS.search(key) or _free_text(value)):
                why = "may name another person" if _PERSON_KEYS.search(key) else WHY_FREE_TEXT
                flags.append(ThirdPartyFlag("plans", str(event["event_id"]), f"details.{key}", why))
    return flags


def _ehcp_flags(cases: Sequence[dict[str, Any]]) -> list[ThirdPartyFlag]:
    return [
        ThirdPartyFlag("ehcp", f"{case['case_id']}/{step['event_id']}", "evidence",
                       "evidence for an exception: may describe the family's circumstances")
        for case in cases
        for step in case["steps"]
        if step.get("evidence")
    ]  # fmt: skip


def _address_flags(records: Sequence[dict[str, Any]]) -> list[ThirdPartyFlag]:
    return [
        ThirdPartyFlag("records", str(r["record_id"]), f"addresses[{n}]",
                       f"address also held for {a['shared_with_others']} other people: "
                       "it tells the reader where they live")
        for r in records
        for n, a in enumerate(r["addresses"])
        if a.get("shared_with_others")
    ]  # fmt: skip


def _decision_flags(decisions: Sequence[dict[str, Any]]) -> list[ThirdPartyFlag]:
    return [
        ThirdPartyFlag("linkage", str(d["decision_id"]), "record_r",
                       "a decision about a record of another person: its id is withheld; "
                       "check the reason does not identify them")
        for d in decisions
        if ANOTHER_PERSONS_RECORD in (d["record_l"], d["record_r"])
    ]  # fmt: skip


def staff_named(sa: SubjectAccess) -> list[str]:
    """Staff and systems named in the export (usually disclosed: professional capacity)."""
    names = {a["actor"] for a in sa.access_log}
    names |= {d["reviewer"] for d in sa.decisions}
    names |= {c["caseworker"] for c in sa.ehcp_cases}
    names |= {s["recorded_by"] for c in sa.ehcp_cases for s in c["steps"]}
    names |= {r["recorded_by"] for r in sa.rectifications}
    names |= {d["decided_by"] for d in sa.sharing_decisions}
    return sorted(n for n in names if n)


def redaction_review(sa: SubjectAccess, flags: Sequence[ThirdPartyFlag]) -> str:
    """REDACTION-REVIEW.md: what the reviewer must check before the export is released."""
    rows = [f"| {f.section} | {f.item} | {f.field} | {f.why} |" for f in flags]
    staff = staff_named(sa)
    return "\n".join(
        [
            f"# Redaction review: subject access export for person {sa.person_id}",
            "",
            f"Prepared {_text(sa.generated_at)} by {sa.generated_by}. Do not release the export "
            "until each item below has been checked. Information about other people (other "
            "children, parents, carers, household members) is withheld unless they consent or it "
            "is reasonable to disclose without consent (DPA 2018 Sch. 2 para 16); redact it in "
            "both the PDF and the JSON.",
            "",
            f"## Third-party information to check ({len(flags)} items)",
            "",
            "| section | item | field | why |",
            "|---|---|---|---|",
            *(rows or ["| - | - | - | nothing flagged |"]),
            "",
            f"## Staff named ({len(staff)}): usually disclosed",
            "",
            "Staff acted in a professional capacity and are usually named in a response. Check "
            "whether naming any of them could put them at risk; if so, replace the name with "
            "their role.",
            "",
            *(f"- {name}" for name in staff),
            "",
            "## Not in this export",
            "",
            "Sealed records (for example records from before an adoption) are exempt from "
            "subject access (DPA 2018 Sch. 4 para 3) and are not exported; the export does not "
            "say whether any exist.",
            "",
        ]
    )
