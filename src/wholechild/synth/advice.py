"""Synthetic EHCP advice: known facts about a child written up as professionals' advice.

Each case draws its facts first (needs by area, provision with its quantities, outcomes, health
and social care needs and provision, the family's and the child's views), then writes them as
the advice an EHC needs assessment gathers: educational psychology, speech and language
therapy, occupational therapy, health, social care, school, parent's and child's views, in
varied professional styles (prose, bullets, numbered lists) and formats (DOCX, PDF, text).
About a quarter of the provisions are written vaguely ("would benefit from regular support"),
as much real advice is. ``gold.json`` lists every fact: its section of the plan, its area of
need, its key words, its quantities, and whether it was written vaguely. No real person is in
it; the same seed gives the same bytes.
"""

from __future__ import annotations

import json
import random
import textwrap
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from wholechild.ehcp.model import AdviceKind, NeedArea, Section
from wholechild.synth import names

VAGUE_SHARE: Final = 0.25
"""The share of provisions written vaguely, as a clarification request should catch."""

FORMAT_WEIGHTS: Final = {".txt": 0.4, ".docx": 0.35, ".pdf": 0.25}
STYLES: Final = ("prose", "bullets", "numbered")

_C, _L, _M, _P = (
    NeedArea.COMMUNICATION_INTERACTION,
    NeedArea.COGNITION_LEARNING,
    NeedArea.SEMH,
    NeedArea.SENSORY_PHYSICAL,
)


@dataclass(frozen=True, slots=True)
class AreaCatalogue:
    """What can be written about one area of need: needs, provision (what, who), outcomes."""

    needs: tuple[str, ...]
    provisions: tuple[tuple[str, str], ...]
    outcomes: tuple[str, ...]


CATALOGUE: Final[dict[NeedArea, AreaCatalogue]] = {
    _C: AreaCatalogue(
        (
            "difficulty understanding spoken instructions with several parts",
            "a limited expressive vocabulary for their age",
            "difficulty with social communication, including turn-taking",
            "speech sound difficulties that make their speech hard for strangers to follow",
        ),
        (
            ("speech and language therapy targeting understanding of spoken language",
             "an HCPC-registered speech and language therapist"),
            ("a structured vocabulary programme",
             "a teaching assistant trained by the speech and language therapist"),
            ("a social communication group", "an ELKLAN-trained teaching assistant"),
            ("speech sound therapy", "an HCPC-registered speech and language therapist"),
        ),
        (
            "follow a three-part spoken instruction in class without adult repetition",
            "use 50 new topic words correctly in their own speech",
            "start and keep up a conversation with a peer for at least four turns",
            "be understood by unfamiliar adults in 8 out of 10 attempts",
        ),
    ),
    _L: AreaCatalogue(
        (
            "difficulties with phonological awareness that slow their reading",
            "a working memory well below that expected for their age",
            "difficulty recalling number facts and using them in calculations",
            "slow handwriting and difficulty organising written work",
        ),
        (
            ("a structured synthetic phonics programme", "a specialist dyslexia teacher"),
            ("precision teaching of high-frequency words", "a teaching assistant"),
            ("a numeracy intervention focused on number facts", "a qualified teacher"),
            ("touch-typing practice", "a learning support assistant"),
            ("pre-teaching of topic vocabulary", "a teaching assistant"),
        ),
        (
            "read 100 high-frequency words accurately",
            "recall number bonds to 20 within three seconds",
            "write a paragraph of five sentences independently",
            "decode unfamiliar two-syllable words",
        ),
    ),
    _M: AreaCatalogue(
        (
            "high levels of anxiety, particularly at transitions between lessons",
            "difficulty regulating their emotions when frustrated",
            "low self-esteem and reluctance to attempt new tasks",
        ),
        (
            ("emotional literacy sessions", "an ELSA (emotional literacy support assistant)"),
            ("mentoring focused on managing anxiety", "a learning mentor"),
            ("a structured check-in to plan the day", "a teaching assistant"),
            ("counselling", "a counsellor"),
        ),
        (
            "use a chosen calming strategy independently in 4 out of 5 difficult moments",
            "move between lessons without adult support on 9 out of 10 occasions",
            "attempt a new task without reassurance in 3 out of 4 lessons",
        ),
    ),
    _P: AreaCatalogue(
        (
            "weak fine motor skills that affect their handwriting and dressing",
            "difficulty processing sensory information, becoming overwhelmed in noisy rooms",
            "poor core stability and balance, which affect sitting at a desk",
        ),
        (
            ("a fine motor skills programme",
             "a teaching assistant trained by the occupational therapist"),
            ("a sensory diet of planned movement breaks", "a teaching assistant"),
            ("occupational therapy", "an HCPC-registered occupational therapist"),
            ("a handwriting programme", "a learning support assistant"),
        ),
        (
            "fasten their own coat and shoes independently",
            "write legibly for 10 minutes without a break",
            "stay in a lesson for 20 minutes using their ear defenders",
        ),
    ),
}  # fmt: skip
AREA_AUTHORS: Final = {
    _C: (AdviceKind.SPEECH_LANGUAGE,),
    _L: (AdviceKind.EDUCATIONAL_PSYCHOLOGY, AdviceKind.SCHOOL),
    _M: (AdviceKind.EDUCATIONAL_PSYCHOLOGY,),
    _P: (AdviceKind.OCCUPATIONAL_THERAPY,),
}
# (need in C, G provision, who, how often written / normalised)
HEALTH: Final = (
    ("epilepsy, which is controlled with daily medication",
     "a review of their epilepsy", "a community paediatrician",
     ("every 6 months", "1 per 6 month")),
    ("asthma that needs an inhaler before physical activity",
     "a review of their asthma plan", "the school nurse", ("once a term", "1 per term")),
    ("hypermobility, which causes pain after long periods of writing",
     "physiotherapy to strengthen their joints", "a physiotherapist",
     ("once a month", "1 per month")),
)  # fmt: skip
SOCIAL_CARE: Final = (
    ("needs a high level of care at night, which leaves the family exhausted",
     "short breaks at a local residential centre", ("2 nights a month", "2 per month")),
    ("has few chances to take part in activities with other children outside school",
     "a place at a youth club with a support worker", ("once a week", "1 per week")),
    ("needs help to travel safely in the community",
     "travel training from a family support worker", ("twice a week", "2 per week")),
)  # fmt: skip
PARENT_VIEWS: Final = (
    "to have friends and to feel happy at school",
    "to learn to read well enough to enjoy books",
    "to become more independent at home and at school",
)
CHILD_VIEWS: Final = (
    ("I like", "drawing and playing football"),
    ("I like", "building things and reading about animals"),
    ("I find it hard when", "the classroom is noisy"),
    ("I find it hard when", "I have to write a lot"),
)
# (as written, normalised): the quantities a specific provision gives.
FREQUENCIES: Final = (
    ("once a week", "1 per week"), ("twice a week", "2 per week"), ("twice weekly", "2 per week"),
    ("three times a week", "3 per week"), ("3 times per week", "3 per week"),
    ("daily", "1 per day"), ("every morning", "1 per day"), ("four times a week", "4 per week"),
)  # fmt: skip
LENGTHS: Final = (15, 20, 30, 45, 60)
DURATIONS: Final = (
    ("for 10 weeks", "10 week"), ("for 12 weeks", "12 week"), ("for two terms", "2 term"),
    ("for one term", "1 term"), ("for the next 12 months", "12 month"),
    ("over six weeks", "6 week"),
)  # fmt: skip
GROUPS: Final = (
    ("individually", "1:1"), ("on a 1:1 basis", "1:1"), ("one-to-one", "1:1"),
    ("in a group of 4", "group of 4"), ("in a small group of no more than 6", "group of 6"),
    ("in pairs", "group of 2"), ("in a group of three", "group of 3"),
)  # fmt: skip
SPECIFIC: Final = (
    "{Name} should receive {what} from {who}, {freq}, in {len}-minute sessions, {group}, {dur}.",
    "I recommend {len}-minute sessions of {what} {freq}, {group}, with {who}, {dur}.",
    "{What} should be delivered by {who} {group}, {freq} for {len} minutes, {dur}.",
    "{Name} should have regular {len}-minute sessions of {what} {freq} with support from {who}, "
    "{group}, {dur}.",
)
VAGUE: Final = (
    "{Name} would benefit from regular {bare}.",
    "{Name} should have access to {what} in a small group.",
    "{What} should be provided as required, with support from {who}.",
    "Opportunities for {what} should be made available where appropriate.",
    "{Name} should receive up to {len} minutes of {what} each week.",
    "{Name} would benefit from {what} with some adult support.",
    "{Name} should receive {what} from {who}.",  # no vague word, but no amount either
    "{What} is recommended for {Name}, delivered by {who}.",
)
NEED_SENTENCES: Final = (
    "{Name} has {n}.",
    "Assessment shows that {Name} has {n}.",
    "{Name} presents with {n}.",
)
BACKGROUND: Final = (
    "{Name} attends school regularly and is well liked by other children.",
    "This advice is based on an observation in class and a discussion with {Name}'s family.",
    "{Name} joined the school in the autumn term and has settled well.",
    "Staff describe {Name} as kind and keen to help.",
)
TITLES: Final = {
    AdviceKind.EDUCATIONAL_PSYCHOLOGY: ("Educational Psychology Advice", "Educational Psychologist",
                                        "ep-advice"),
    AdviceKind.SPEECH_LANGUAGE: ("Speech and Language Therapy Advice",
                                 "Speech and Language Therapist", "salt-advice"),
    AdviceKind.OCCUPATIONAL_THERAPY: ("Occupational Therapy Advice", "Occupational Therapist",
                                      "ot-advice"),
    AdviceKind.HEALTH: ("Health Advice (Community Paediatrics)", "Community Paediatrician",
                        "health-advice"),
    AdviceKind.SOCIAL_CARE: ("Social Care Advice", "Social Worker", "social-care-advice"),
    AdviceKind.SCHOOL: ("School Advice from the SENCo", "SENCo", "school-advice"),
    AdviceKind.PARENT: ("Parent's Views", "Parent", "parent-views"),
    AdviceKind.CHILD: ("My Views (About Me)", "", "child-views"),
}  # fmt: skip
HEADINGS: Final = {
    "prose": ("Background", "Summary of needs", "Recommended provision", "Outcomes"),
    "bullets": ("Background information", "Areas of need", "Recommendations", "Suggested outcomes"),
    "numbered": ("Context", "Special educational needs", "Provision required", "Outcomes sought"),
}

KIND_HEADINGS: Final = {
    AdviceKind.HEALTH: {1: "Health needs", 2: "Recommended health provision"},
    AdviceKind.SOCIAL_CARE: {1: "Social care needs", 2: "Recommended social care provision"},
}


@dataclass(frozen=True, slots=True)
class GoldFact:
    """One fact of a synthetic case: where it belongs in a plan and how it was written."""

    fact_id: str
    section: str
    area: str | None
    key: str
    sentence: str
    document: str
    quantities: tuple[str, ...] = ()
    who: str = ""
    vague: bool = False


@dataclass(slots=True)
class AdviceFile:
    """One advice document being written: kind, style, format, and its blocks of text."""

    kind: AdviceKind
    author: str
    style: str
    suffix: str
    blocks: dict[int, list[str]] = field(default_factory=dict)  # part (0-3) -> sentences

    @property
    def file_name(self) -> str:
        return TITLES[self.kind][2] + self.suffix


@dataclass(slots=True)
class AdviceCase:
    """A synthetic child's advice: the documents and the gold facts they contain."""

    case_id: str
    name: str
    year: int
    files: dict[AdviceKind, AdviceFile] = field(default_factory=dict)
    facts: list[GoldFact] = field(default_factory=list)

    def add(self, kind: AdviceKind, part: int, fact: GoldFact | None, sentence: str) -> None:
        self.files[kind].blocks.setdefault(part, []).append(sentence)
        if fact is not None:
            self.facts.append(fact)


@dataclass(frozen=True, slots=True)
class AdviceSummary:
    cases: int
    documents: int
    facts: int
    vague_provisions: int


def _rng(seed: int, case_no: int) -> random.Random:
    return random.Random(f"wholechild-advice:{seed}:{case_no}")  # noqa: S311 - synthetic data


def _person(rng: random.Random) -> tuple[str, str]:
    community = names.pick_community(rng)
    sex = rng.choice("MF")
    forename, _, known_as = names.pick_forenames(rng, community, sex)
    surname = names.family_surname(rng, community)
    return names.strip_diacritics(known_as or forename), names.strip_diacritics(surname)


def build_case(seed: int, case_no: int) -> AdviceCase:
    """Draw one case's facts and the advice that states them (deterministic for a seed)."""
    rng = _rng(seed, case_no)
    first, _ = _person(rng)
    case = AdviceCase(f"case-{case_no:04d}", first, rng.randint(1, 10))
    areas = [rng.choice(list(CATALOGUE))]
    if rng.random() < 0.5:
        areas.append(rng.choice([a for a in CATALOGUE if a not in areas]))
    for area in areas:
        _area_facts(rng, case, area, rng.choice(AREA_AUTHORS[area]))
    if rng.random() < 0.6:
        _health_facts(rng, case)
    if rng.random() < 0.4:
        _social_care_facts(rng, case)
    _views(rng, case)
    for advice in case.files.values():
        if advice.kind not in {AdviceKind.PARENT, AdviceKind.CHILD}:
            advice.blocks.setdefault(0, []).extend(_background(rng, case))
    return case


def _file(rng: random.Random, case: AdviceCase, kind: AdviceKind) -> AdviceFile:
    if kind not in case.files:
        first, last = _person(rng)
        title = "Dr " if kind in {AdviceKind.EDUCATIONAL_PSYCHOLOGY, AdviceKind.HEALTH} else ""
        suffixes = [".txt", ".docx"] if kind in {AdviceKind.PARENT, AdviceKind.CHILD} else None
        suffix = (
            rng.choice(suffixes)
            if suffixes
            else rng.choices(list(FORMAT_WEIGHTS), weights=list(FORMAT_WEIGHTS.values()))[0]
        )
        case.files[kind] = AdviceFile(kind, f"{title}{first} {last}", rng.choice(STYLES), suffix)
    return case.files[kind]


def _fact(
    case: AdviceCase,
    section: Section,
    area: NeedArea | None,
    key: str,
    *,
    sentence: str,
    document: str,
    quantities: tuple[str, ...] = (),
    who: str = "",
    vague: bool = False,
) -> GoldFact:
    number = sum(1 for f in case.facts if f.section == section.value) + 1
    area_name = area.value if area else None
    fact_id = f"{section.value}{number}"
    return GoldFact(fact_id, section.value, area_name, key, sentence, document, quantities, who,
                    vague)  # fmt: skip


def _bare(what: str) -> str:
    """The provision without its article: its key in the gold facts."""
    return what.removeprefix("a ").removeprefix("an ")


def _fill(template: str, case: AdviceCase, **values: str) -> str:
    what = values.get("what", "")
    capital = what[:1].upper() + what[1:]
    return template.format(Name=case.name, What=capital, bare=_bare(what), **values)


def _area_facts(rng: random.Random, case: AdviceCase, area: NeedArea, kind: AdviceKind) -> None:
    catalogue, advice = CATALOGUE[area], _file(rng, case, kind)
    for need in rng.sample(catalogue.needs, rng.randint(1, 2)):
        template = rng.choice(NEED_SENTENCES)
        sentence = template.format(Name=case.name, n=need)
        fact = _fact(case, Section.B, area, need, sentence=sentence, document=advice.file_name)
        case.add(kind, 1, fact, sentence)
    for what, who in rng.sample(catalogue.provisions, rng.randint(1, 2)):
        case.add(kind, 2, *_provision(rng, case, area, (what, who), advice.file_name))
    outcome = rng.choice(catalogue.outcomes)
    when = f"by the end of Year {case.year + 1}"
    sentence = rng.choice(
        (f"{case.name} will {outcome} {when}.", f"B{when[1:]}, {case.name} will {outcome}.")
    )
    case.add(kind, 3, _fact(case, Section.E, area, outcome, sentence=sentence,
                            document=advice.file_name), sentence)  # fmt: skip


def _provision(
    rng: random.Random, case: AdviceCase, area: NeedArea, item: tuple[str, str], document: str
) -> tuple[GoldFact, str]:
    what, who = item
    length = rng.choice(LENGTHS)
    if rng.random() < VAGUE_SHARE:
        sentence = _fill(rng.choice(VAGUE), case, what=what, who=who, len=str(length))
        return _fact(case, Section.F, area, _bare(what), sentence=sentence, document=document,
                     who=who, vague=True), sentence  # fmt: skip
    freq, group, dur = rng.choice(FREQUENCIES), rng.choice(GROUPS), rng.choice(DURATIONS)
    sentence = _fill(rng.choice(SPECIFIC), case, what=what, who=who, len=str(length),
                     freq=freq[0], group=group[0], dur=dur[0])  # fmt: skip
    quantities = (freq[1], f"{length} minute", dur[1], group[1])
    fact = _fact(case, Section.F, area, _bare(what), sentence=sentence, document=document,
                 quantities=quantities, who=who.removeprefix("an ").removeprefix("a "))  # fmt: skip
    return fact, sentence


def _health_facts(rng: random.Random, case: AdviceCase) -> None:
    need, what, who, (freq, normal) = rng.choice(HEALTH)
    advice = _file(rng, case, AdviceKind.HEALTH)
    sentence = f"{case.name} has {need}."
    case.add(advice.kind, 1, _fact(case, Section.C, None, need, sentence=sentence,
                                   document=advice.file_name), sentence)  # fmt: skip
    sentence = f"{case.name} should have {what} from {who} {freq}."
    fact = _fact(case, Section.G, None, what, sentence=sentence, document=advice.file_name,
                 quantities=(normal,), who=who.removeprefix("the ").removeprefix("a "))  # fmt: skip
    case.add(advice.kind, 2, fact, sentence)


def _social_care_facts(rng: random.Random, case: AdviceCase) -> None:
    need, what, (freq, normal) = rng.choice(SOCIAL_CARE)
    advice = _file(rng, case, AdviceKind.SOCIAL_CARE)
    sentence = f"{case.name} {need}."
    case.add(advice.kind, 1, _fact(case, Section.D, None, need, sentence=sentence,
                                   document=advice.file_name), sentence)  # fmt: skip
    sentence = f"{case.name} should receive {what}, {freq}."
    fact = _fact(case, Section.H2, None, what, sentence=sentence, document=advice.file_name,
                 quantities=(normal,))  # fmt: skip
    case.add(advice.kind, 2, fact, sentence)


def _views(rng: random.Random, case: AdviceCase) -> None:
    parent = _file(rng, case, AdviceKind.PARENT)
    hope = rng.choice(PARENT_VIEWS)
    sentence = f"We would like {case.name} {hope}."
    case.add(parent.kind, 1, _fact(case, Section.A, None, hope, sentence=sentence,
                                   document=parent.file_name), sentence)  # fmt: skip
    if rng.random() < 0.7:
        child = _file(rng, case, AdviceKind.CHILD)
        for opener, view in rng.sample(CHILD_VIEWS, 2):
            sentence = f"{opener} {view}."
            case.add(child.kind, 1, _fact(case, Section.A, None, view, sentence=sentence,
                                          document=child.file_name), sentence)  # fmt: skip


def _background(rng: random.Random, case: AdviceCase) -> list[str]:
    chosen = rng.sample(BACKGROUND, 2)
    return [line.format(Name=case.name) for line in chosen]


# --- writing ---------------------------------------------------------------------------------


def _lines(case: AdviceCase, advice: AdviceFile) -> list[tuple[str, str]]:
    """The document as (block kind, text): title, author line, then headed parts."""
    title, role, _ = TITLES[advice.kind]
    author = f"{advice.author}, {role}" if role else case.name
    out = [("title", title), ("para", f"Author: {author}"),
           ("para", f"About: {case.name}, Year {case.year}")]  # fmt: skip
    personal = advice.kind in {AdviceKind.PARENT, AdviceKind.CHILD}
    headings = {**dict(enumerate(HEADINGS[advice.style])), **KIND_HEADINGS.get(advice.kind, {})}
    paged = advice.style == "prose" and advice.suffix != ".txt"  # provision starts a new page
    for part in sorted(advice.blocks):
        if not personal:
            out.append(("page" if paged and part == 2 else "heading", headings[part]))
        kind = "para" if advice.style == "prose" or part == 0 or personal else advice.style
        out += [(kind, sentence) for sentence in advice.blocks[part]]
    return out


def _plain_text(lines: list[tuple[str, str]], wrap: bool) -> str:
    out: list[str] = []
    number = 0
    for kind, text in lines:
        number = number + 1 if kind == "numbered" else 0
        prefix = {"bullets": "- ", "numbered": f"{number}. "}.get(kind, "")
        body = prefix + text
        if kind in {"title", "heading"}:
            out.append("")
        if kind == "page":
            out.append("\f")
        out.append(
            textwrap.fill(body, 88, subsequent_indent=" " * len(prefix), break_on_hyphens=False)
            if wrap
            else body
        )
    return "\n".join(out).strip() + "\n"


def _write_docx(lines: list[tuple[str, str]], path: Path) -> None:
    import docx  # python-docx: only needed when writing DOCX

    document: Any = docx.Document()  # python-docx is only partly typed
    styles = {"title": "Title", "heading": "Heading 1", "bullets": "List Bullet",
              "numbered": "List Number", "para": None}  # fmt: skip
    for kind, text in lines:
        if kind == "page":
            document.add_page_break()
        document.add_paragraph(text, style=styles.get(kind, "Heading 1"))
    stamp = datetime(2025, 1, 1)  # noqa: DTZ001 - a fixed stamp, so files are reproducible
    document.core_properties.created = document.core_properties.modified = stamp
    document.core_properties.last_printed = stamp
    document.save(str(path))
    _fix_zip_times(path)


def _fix_zip_times(path: Path) -> None:
    """Rewrite a zip (DOCX) with fixed entry times, so the same seed gives the same bytes."""
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            target.writestr(zipfile.ZipInfo(name, (2025, 1, 1, 0, 0, 0)), data,
                            compress_type=zipfile.ZIP_DEFLATED)  # fmt: skip


def _write_pdf(text: str, path: Path) -> None:
    """A text PDF (Helvetica, A4, 56 lines a page) built from pypdf's PDF objects."""
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, StreamObject

    writer = PdfWriter()
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
        NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
    }))  # fmt: skip
    for lines in _pdf_pages(text):
        page = writer.add_blank_page(width=595, height=842)
        stream = StreamObject()
        stream.set_data(_pdf_content(lines))
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
    writer.add_metadata({"/Producer": "wholechild synth", "/CreationDate": "D:20250101000000"})
    with path.open("wb") as handle:
        writer.write(handle)


def _pdf_pages(text: str, per_page: int = 56) -> list[list[str]]:
    """Lines wrapped to the page width, a form feed or every ``per_page`` lines a new page."""
    pages = []
    for chunk in text.split("\f"):
        lines = [
            line
            for para in chunk.strip("\n").split("\n")
            for line in (textwrap.wrap(para, 90, break_on_hyphens=False) or [""])
        ]
        pages += [lines[start : start + per_page] for start in range(0, len(lines), per_page)]
    return pages


def _pdf_content(lines: list[str]) -> bytes:
    def escape(line: str) -> str:
        return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    body = " T* ".join(f"({escape(line)}) Tj" for line in lines)
    return f"BT /F1 10 Tf 13 TL 50 800 Td {body} ET".encode("cp1252", "replace")


def write_case(case: AdviceCase, out_dir: Path, rng: random.Random) -> None:
    """Write one case's advice files and its ``gold.json`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    documents = []
    for advice in case.files.values():
        lines = _lines(case, advice)
        path = out_dir / advice.file_name
        if advice.suffix == ".docx":
            _write_docx(lines, path)
        elif advice.suffix == ".pdf":
            _write_pdf(_plain_text(lines, wrap=False), path)
        else:
            path.write_text(_plain_text(lines, wrap=rng.random() < 0.5), encoding="utf-8")
        documents.append({"file": advice.file_name, "kind": advice.kind.value,
                          "style": advice.style, "format": advice.suffix.lstrip(".")})  # fmt: skip
    gold = {"case_id": case.case_id, "child": case.name, "year": case.year,
            "documents": documents, "facts": [asdict(f) for f in case.facts]}  # fmt: skip
    (out_dir / "gold.json").write_text(json.dumps(gold, indent=2) + "\n", encoding="utf-8")


def write_advice_cases(out_dir: Path, *, cases: int, seed: int) -> AdviceSummary:
    """Write ``cases`` synthetic cases' advice into ``out_dir/case-NNNN/`` with gold facts."""
    if cases < 1:
        raise ValueError("cases must be at least 1")
    documents = facts = vague = 0
    for number in range(1, cases + 1):
        case = build_case(seed, number)
        write_case(case, out_dir / case.case_id, _rng(seed, -number))
        documents += len(case.files)
        facts += len(case.facts)
        vague += sum(1 for fact in case.facts if fact.vague)
    return AdviceSummary(cases, documents, facts, vague)


def read_gold(case_dir: Path) -> dict[str, object]:
    """A case's ``gold.json``."""
    data: dict[str, object] = json.loads((case_dir / "gold.json").read_text(encoding="utf-8"))
    return data
