"""Reading the DfE XML returns (CIN census, SEN2): streamed, checked against the XSD, never raising.

A return is ``<Message>`` with a ``<Header>`` and a container (``<Children>``, ``<Persons>``) of
items (``<Child>``, ``<Person>``). :func:`read_xml` streams the file with ``lxml.etree.iterparse``
and yields one :class:`Row` per item, freeing each item once read, so memory stays flat however
large the file.

Schema checks run per item, in the same single pass: each item is moved into a small envelope
(``Message`` > copy of the header > container > the item) and the envelope is validated against
the XSD. Errors inside the item become ``xsd`` findings on its row; errors in the header or the
file's overall structure are found once, at the end, by validating what is left of the document
(the header, the container and anything stray in it, with a copy of the first item standing in
for the rest) and go to ``FileReading.file_findings``. File-level findings are therefore complete
once the row iterator is exhausted.

A file that stops being well-formed yields every row read before the break, then one quarantined
row holding the rest of the file's text.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, cast

from lxml import etree

from wholechild.core.normalise import parse_date
from wholechild.core.records import FileReading, Finding, Row, Severity, SourceRecordIn
from wholechild.errors import InputFileError

Element = etree._Element

RAW_FIX = "correct the value in the source system and send the file again"


# --- where the schemas are ----------------------------------------------------------------


def samples_dir() -> Path:
    """The shared sample folder: ``WHOLECHILD_SAMPLES``, else ``shared/samples`` beside the repo."""
    configured = os.environ.get("WHOLECHILD_SAMPLES")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[4] / "shared" / "samples"


def schema_file(extra: Mapping[str, Any], relative: str) -> Path:
    """The XSD to check against: ``options.extra["xsd"]`` if given, else ``relative`` under
    ``options.extra["schemas_dir"]`` (WHOLECHILD_SCHEMAS_DIR), else under the samples folder."""
    override = extra.get("xsd")
    if override:
        return Path(str(override))
    folder = extra.get("schemas_dir")
    return (Path(str(folder)) if folder else samples_dir()) / relative


@lru_cache(maxsize=8)
def _load_schema(path: str) -> etree.XMLSchema | None:
    try:
        return etree.XMLSchema(etree.parse(path))
    except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError):
        return None


def sniff_collection(head: str, collection: str) -> bool:
    """True when ``head`` starts a ``<Message>`` whose header names ``collection``."""
    if not re.search(r"<Message[\s>]", head):
        return False
    return re.search(rf"<Collection>\s*{re.escape(collection)}\s*</Collection>", head) is not None


# --- reading values from an item ------------------------------------------------------------


def text(parent: Element | None, path: str) -> str | None:
    """The stripped text at ``path`` under ``parent``; ``None`` when absent or empty."""
    if parent is None:
        return None
    found = parent.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def compact(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` without the empty entries (``None``, empty lists)."""
    return {k: v for k, v in values.items() if v is not None and v != []}


@dataclass(slots=True)
class FieldReader:
    """Reads one item's fields, adding a finding for each value that is missing its mark.

    Findings name the field and the line of its element, never the value.
    """

    findings: list[Finding] = field(default_factory=list)
    today: dt.date = field(default_factory=dt.date.today)

    def add(self, rule: str, message: str, fix: str, node: Element | None, tag: str) -> None:
        """A warning on ``tag``, at the line of ``node`` (the element, or its parent)."""
        line = line_of(node) if node is not None else None
        self.findings.append(Finding(rule, message, fix, Severity.WARNING, row=line, field=tag))

    def date(self, parent: Element | None, tag: str, *, future_ok: bool = False) -> dt.date | None:
        """The date at ``tag`` under ``parent`` (see :meth:`date_of`)."""
        node = parent.find(tag) if parent is not None else None
        return self.date_of(node, tag, future_ok=future_ok)

    def date_of(self, node: Element | None, tag: str, *, future_ok: bool = False) -> dt.date | None:
        """The date in ``node``; unparseable or (unless ``future_ok``) future dates are findings."""
        raw = node.text.strip() if node is not None and node.text else None
        if not raw:
            return None
        parsed = _iso_date(raw) or parse_date(raw)
        if parsed is None:
            fix = "write the date as YYYY-MM-DD, as the return's specification requires"
            self.add("date.unparseable", f"{tag} is not a date", fix, node, tag)
        elif parsed > self.today and not future_ok:
            self.add("date.future", f"{tag} is in the future", RAW_FIX, node, tag)
        return parsed

    def period(self, parent: Element | None, start: str, end: str) -> tuple[dt.date | None, ...]:
        """Two dates that bound a period; an end before its start is a finding on the end."""
        began, ended = self.date(parent, start), self.date(parent, end)
        if began is not None and ended is not None and ended < began:
            node = parent.find(end) if parent is not None else None
            self.add("date.order", f"{end} is before {start}", RAW_FIX, node, end)
        return began, ended

    def code(
        self, parent: Element | None, tag: str, known: Collection[str], what: str, width: int = 0
    ) -> str | None:
        """The raw code at ``tag``; a code not in ``known`` is a finding.

        The code is upper-cased and, when ``width`` is given, cut to its first ``width``
        characters before the look-up (extended ethnicity codes carry a main code's prefix).
        """
        raw = text(parent, tag)
        key = raw.upper()[:width] if raw is not None and width else (raw or "").upper()
        if raw is not None and key not in known:
            fix = f"use one of the {what} codes in the return's specification"
            node = parent.find(tag) if parent is not None else None
            self.add("code.unknown", f"{tag} is not a known {what} code", fix, node, tag)
        return raw

    def values(self, parent: Element | None, tags: Collection[str]) -> dict[str, Any]:
        """The text of each of ``tags`` under ``parent`` that has a value."""
        return compact({tag: text(parent, tag) for tag in tags})


def line_of(node: Element) -> int | None:
    """The element's line in the file, when lxml knows it."""
    line = node.sourceline
    return line if isinstance(line, int) else None


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(raw: str) -> dt.date | None:
    """A fast path for the YYYY-MM-DD the returns use; anything else goes to ``parse_date``."""
    if not _ISO_DATE.fullmatch(raw):
        return None
    try:
        value = dt.date.fromisoformat(raw)
    except ValueError:
        return None
    return value if 1900 <= value.year <= 2100 else None


def has_identity(record: SourceRecordIn) -> bool:
    keys = (record.source_key, record.forename, record.surname, record.date_of_birth)
    ids = (record.upn, record.former_upn, record.uln, record.la_child_id, record.nhs_number)
    return any(v is not None for v in (*keys, *ids))


def assemble_row(
    number: int, raw: str, record: SourceRecordIn, events: list[Any], reader: FieldReader, noun: str
) -> Row:
    """The row for one item: loaded if it names a person or has events, else quarantined."""
    findings = reader.findings
    if has_identity(record):
        return Row(number, raw, record, events, findings)
    if events:
        message = f"this {noun} has no identifier, name or date of birth; its events are kept"
        fix = "add the identifiers in the source system so the events can be linked to a person"
        findings.append(Finding("identity.missing", message, fix, Severity.WARNING, row=number))
        return Row(number, raw, record, events, findings)
    findings.append(_unreadable(number, noun, "has no identifier and no events"))
    return Row(number, raw, None, [], findings)


def _unreadable(number: int, noun: str, why: str) -> Finding:
    return Finding(
        "xml.unreadable_item",
        f"this {noun} {why}; it is quarantined with its XML",
        "check the element against the return's specification and send it again",
        Severity.ERROR,
        row=number,
    )


# --- schema errors in plain words -----------------------------------------------------------

_ELEMENT = re.compile(r"^Element '([^']+)'(?:, attribute '[^']+')?: ")
_SET = re.compile(r"set \{(.*)\}")
_EXPECTED = re.compile(r"Expected is (?:one of )?\( (.*) \)")
_PATTERN = re.compile(r"pattern '(.*)'")
_TYPE = re.compile(r"atomic type '([^']+)'")
_TYPE_WORDS = {
    "xs:date": "a date in the form YYYY-MM-DD",
    "xs:dateTime": "a date and time in the form YYYY-MM-DDThh:mm:ss",
    "xs:integer": "a whole number",
    "xs:gYear": "a four-digit year",
}
_SPEC_FIX = "check the element against the return's specification"


def xsd_finding(error: Any) -> Finding:
    """One XSD error (an lxml log entry) as a finding; the value itself is never quoted."""
    match = _ELEMENT.match(error.message)
    name = match.group(1) if match else None
    detail = error.message[match.end() :] if match else error.message
    message, fix = _xsd_words(error.type_name, name or "the document", detail)
    return Finding("xsd", message, fix, Severity.WARNING, row=error.line or None, field=name)


def _xsd_words(kind: str, name: str, detail: str) -> tuple[str, str]:
    found = (_SET.search(detail), _EXPECTED.search(detail), _PATTERN.search(detail))
    allowed, expected, pattern = (m.group(1).replace("'", "") if m else "" for m in found)
    if kind == "SCHEMAV_CVC_ENUMERATION_VALID":
        return f"{name} is not one of the codes the schema allows", f"use one of: {allowed}"
    if kind == "SCHEMAV_CVC_PATTERN_VALID":
        return f"{name} is not in the form the schema requires", f"match the form {pattern}"
    if kind.startswith("SCHEMAV_CVC_DATATYPE_VALID"):
        wanted = _TYPE.search(detail)
        words = _TYPE_WORDS.get(wanted.group(1), wanted.group(1)) if wanted else "valid"
        return f"{name} is not {words}", f"write {name} as {words}"
    if kind == "SCHEMAV_CVC_MINLENGTH_VALID":
        return f"{name} is empty", f"fill in {name} or leave the element out"
    if "not expected" in detail:
        where = f" (expected here: {expected})" if expected else ""
        return f"{name} is not expected here{where}", f"{_SPEC_FIX}: order and spelling"
    if "Missing child element" in detail:
        return f"{name} is missing {expected or 'a required element'}", f"add {expected}"
    if kind == "SCHEMAV_CVC_COMPLEX_TYPE_2_3":
        return f"{name} has text where only elements belong", _SPEC_FIX
    if kind == "SCHEMAV_CVC_ELT_1":
        return "the root element is not the one the schema expects", _SPEC_FIX
    return f"{name} does not meet the schema ({kind})", _SPEC_FIX


def merge_xsd(row: Row, xsd: list[Finding]) -> None:
    """Add schema findings, except where the loader already reported that field on that line."""
    seen = {(f.row, f.field) for f in row.findings}
    row.findings.extend(f for f in xsd if (f.row, f.field) not in seen)


# --- malformed files --------------------------------------------------------------------------

_SYNTAX_WORDS = (
    (
        re.compile(r"Opening and ending tag mismatch: (\S+) line (\d+) and (\S+)"),
        r"element <\1> opened on line \2 is closed by </\3>",
    ),
    (
        re.compile(r"Premature end of data in tag (\S+).*"),
        r"the file ends before element <\1> is closed (it may have been cut short)",
    ),
    (re.compile(r"EndTag: '</' not found.*"), "the file ends before its elements are closed"),
    (
        re.compile(r"Extra content at the end of the document.*"),
        "there is more content after the end of the root element",
    ),
    (re.compile(r"xmlParseEntityRef: no name.*"), "an '&' in a value is not written as &amp;"),
    (
        re.compile(r"StartTag: invalid element name.*"),
        "a '<' starts something that is not an element (an unescaped '<' in a value?)",
    ),
    (
        re.compile(r"Input is not proper UTF-8.*"),
        "the text is not UTF-8 and the file does not declare its encoding",
    ),
    (re.compile(r"Document is empty.*"), "the file has no XML in it"),
)


def plain_syntax(message: str) -> str:
    """lxml's well-formedness message in plain words (lxml's own words when not recognised)."""
    for pattern, words in _SYNTAX_WORDS:
        if pattern.match(message):
            return pattern.sub(words, message, count=1)
    return message


def _text_from_line(path: Path, start: int) -> str:
    with path.open("rb") as handle:
        for _ in range(start - 1):
            if not handle.readline():
                break
        return handle.read().decode("utf-8-sig" if start == 1 else "utf-8", errors="replace")


# --- the stream -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class XmlLayout:
    """Where the items are: ``Message`` > ``container`` > ``item``; ``noun`` is for messages."""

    container: str
    item: str
    noun: str


@dataclass(slots=True)
class SchemaChoice:
    """The XSD picked for a file, and what the user should know about the pick."""

    path: Path
    findings: list[Finding] = field(default_factory=list)


Build = Callable[[Element, int, str], Row]
PickSchema = Callable[[Element | None, Element | None], SchemaChoice]


class _Validator:
    """Validates items one at a time inside an envelope built from the file's header."""

    def __init__(self, schema: etree.XMLSchema, layout: XmlLayout, header: Element | None):
        self._schema = schema
        self._envelope = etree.Element("Message")
        if header is not None:
            self._envelope.append(copy.deepcopy(header))
        self._container = etree.SubElement(self._envelope, layout.container)
        self._layout = layout
        self._in_item = re.compile(rf"^/Message/{layout.container}/{layout.item}(\[\d+\])?(/|$)")

    def item_findings(self, item: Element) -> list[Finding]:
        """Schema errors inside ``item`` (the item is moved out of its tree for good)."""
        self._container.append(item)
        try:
            self._schema.validate(self._envelope)
        finally:
            self._container.remove(item)
        return [xsd_finding(e) for e in _entries(self._schema) if self._in_item.match(e.path or "")]

    def skeleton_findings(self, root: Element, first_item: Element | None) -> list[Finding]:
        """Schema errors outside the items: header, container, stray elements, order."""
        container = root.find(self._layout.container)
        if first_item is not None and container is not None:
            container.insert(0, first_item)
        self._schema.validate(root)
        errors = _entries(self._schema)
        return [xsd_finding(e) for e in errors if not self._in_item.match(e.path or "")]


def _entries(schema: etree.XMLSchema) -> list[Any]:
    """The entries of the schema's last error log (the stubs do not know it is iterable)."""
    return list(cast(Iterable[Any], schema.error_log))


class _XmlStream:
    """One pass over one file: rows out, file-level findings into the reading."""

    def __init__(
        self, path: Path, reading: FileReading, layout: XmlLayout, build: Build, pick: PickSchema
    ):
        self._path, self._reading, self._layout = path, reading, layout
        self._build, self._pick = build, pick
        self._header: Element | None = None
        self._validator: _Validator | None = None
        self._schema_picked = False
        self._first: Element | None = None
        self._open_line: int | None = None
        self._items = 0

    def rows(self) -> Iterator[Row]:
        with self._path.open("rb") as handle:
            yield from self._parse(handle)

    def _parse(self, handle: IO[bytes]) -> Iterator[Row]:
        tags = (self._layout.item, "Header")
        context = etree.iterparse(
            handle, events=("start", "end"), tag=tags, resolve_entities=False, no_network=True
        )
        try:
            for event, elem in context:
                if elem.tag == "Header":
                    self._keep_header(event, elem)
                elif event == "start":
                    self._open_line = line_of(elem)
                else:
                    yield self._item_row(elem)
        except etree.XMLSyntaxError as exc:
            yield self._broken(exc)
            return
        self._finish(context.root)

    def _keep_header(self, event: str, elem: Element) -> None:
        parent = elem.getparent()
        at_top = parent is not None and parent.getparent() is None
        if event == "end" and self._header is None and at_top:
            self._header = elem

    def _item_row(self, elem: Element) -> Row:
        number = line_of(elem) or 0
        raw = etree.tostring(elem, encoding="unicode", with_tail=False)
        row = self._build_safely(elem, number, raw)
        if self._items == 0:
            self._first = copy.deepcopy(elem)
        validator = self._validator_for(elem)
        if validator is not None:
            merge_xsd(row, validator.item_findings(elem))
        self._items += 1
        self._open_line = None
        parent = elem.getparent()
        if parent is not None:
            parent.remove(elem)
        elem.clear()
        return row

    def _build_safely(self, elem: Element, number: int, raw: str) -> Row:
        try:
            return self._build(elem, number, raw)
        except Exception:  # noqa: BLE001 - content must never raise; the row is quarantined
            return Row(
                number, raw, findings=[_unreadable(number, self._layout.noun, "cannot be read")]
            )

    def _validator_for(self, first_item: Element | None) -> _Validator | None:
        if self._schema_picked:
            return self._validator
        self._schema_picked = True
        choice = self._pick(self._header, first_item)
        self._reading.file_findings.extend(choice.findings)
        schema = _load_schema(str(choice.path))
        if schema is None:
            self._reading.file_findings.append(_no_schema(choice.path))
            return None
        self._validator = _Validator(schema, self._layout, self._header)
        return self._validator

    def _finish(self, root: Element | None) -> None:
        validator = self._validator_for(None)
        if validator is not None and root is not None:
            self._reading.file_findings.extend(validator.skeleton_findings(root, self._first))

    def _broken(self, exc: etree.XMLSyntaxError) -> Row:
        line = exc.lineno or 1
        # The quarantined text starts at the child being read, else at the break (or line 1).
        start = self._open_line if self._open_line is not None else (line if self._items else 1)
        message = f"the file is not well-formed XML at line {line}: {plain_syntax(exc.msg)}"
        fix = "correct the XML there (or export the file again) and load it again"
        finding = Finding("xml.malformed", message, fix, Severity.ERROR, row=line)
        return Row(start, _text_from_line(self._path, start), findings=[finding])


def _no_schema(path: Path) -> Finding:
    return Finding(
        "xsd.unavailable",
        f"schema not available ({path.name}), structural checks only",
        f"put {path.name} in the samples folder (WHOLECHILD_SAMPLES) or name an XSD to use",
        Severity.INFO,
    )


def read_xml(
    path: Path, reading: FileReading, layout: XmlLayout, build: Build, pick: PickSchema
) -> Iterator[Row]:
    """Every item of ``path`` as a row. Raises :class:`InputFileError` only when unopenable."""
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise InputFileError(
            f"{path.name}: cannot be opened ({exc.strerror or type(exc).__name__})",
            fix="check the path exists and that you may read it",
        ) from exc
    return _XmlStream(path, reading, layout, build, pick).rows()
