"""``synthesise``: draw a council's children and write every agency's extract for them."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from wholechild.synth import agency, cin_census, school_census, sen2, ssda903, truth
from wholechild.synth.agreements import write_agreements
from wholechild.synth.model import Population
from wholechild.synth.population import build_population
from wholechild.synth.services import EhcpCase, SocialCare, ehcp_case_for, social_care_for

Progress = Callable[[str, int], None]
Services = tuple[
    dict[str, SocialCare], dict[str, EhcpCase], dict[str, list[agency.EarlyHelpEpisode]]
]
EXTRACT_FILES = (
    *school_census.FILES.values(),
    cin_census.FILE,
    *ssda903.FILES.values(),
    sen2.FILE,
    agency.HEALTH_FILE,
    agency.POLICE_FILE,
    agency.EARLY_HELP_FILE,
)
"""Every extract a run writes (each gets a row count in the summary, zero included)."""


@dataclass(frozen=True, slots=True)
class SynthSummary:
    """What a run wrote: data rows per extract file (XML: children/persons), and how long."""

    children: int
    seed: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _stream(seed: int, name: str) -> random.Random:
    """An independent random stream per concern, so one extract's draws never shift another's."""
    return random.Random(f"wholechild-synth:{seed}:{name}")  # noqa: S311 - synthetic data, not security


def _assign_la_ids(population: Population, known: set[str], rng: random.Random) -> None:
    """Social-care ids for every child on the LA's case system, in child order."""
    next_id = 100_000 + rng.randrange(0, 50_000)
    for child in population.children:
        if child.child_id in known:
            next_id += rng.randint(1, 9)
            child.la_child_id = str(next_id)


def _services(population: Population, seed: int) -> Services:
    care_rng, sen_rng, eh_rng = (
        _stream(seed, "social_care"),
        _stream(seed, "sen2"),
        _stream(seed, "early_help"),
    )
    social_care, cases, early_help = {}, {}, {}
    for child in population.children:
        if (record := social_care_for(care_rng, child)) is not None:
            social_care[child.child_id] = record
        if (case := ehcp_case_for(sen_rng, child)) is not None:
            cases[child.child_id] = case
        if episodes := agency.early_help_for(eh_rng, child):
            early_help[child.child_id] = episodes
    _assign_la_ids(population, set(social_care) | set(early_help), _stream(seed, "la_ids"))
    return social_care, cases, early_help


def synthesise(
    *, children: int, seed: int, out_dir: Path, progress: Progress | None = None
) -> SynthSummary:
    """Write a synthetic council's agency extracts (and ``truth/``) for ``children`` children.

    The same seed gives byte-identical files. ``progress(step, children)`` is called as each
    step finishes.
    """
    if children < 1:
        raise ValueError("children must be at least 1")
    started = time.perf_counter()
    report = progress or (lambda step, count: None)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "truth").mkdir(exist_ok=True)
    population = build_population(_stream(seed, "population"), children)
    report("population", children)
    social_care, cases, early_help = _services(population, seed)
    report("services", children)
    with (out_dir / "truth" / "records.csv").open("w", newline="", encoding="utf-8") as handle:
        log = truth.TruthLog(handle)
        _write_extracts(population, seed, out_dir, log, (social_care, cases, early_help), report)
    _write_truth(population, out_dir)
    report("truth", children)
    write_agreements(out_dir)  # the partner sources' data-sharing agreements
    rows = {name: log.rows.get(name, 0) for name in EXTRACT_FILES}
    return SynthSummary(children, seed, rows, round(time.perf_counter() - started, 3))


def _write_extracts(
    population: Population, seed: int, out_dir: Path, log: truth.TruthLog,
    services: Services,
    report: Progress,
) -> None:  # fmt: skip
    social_care, cases, early_help = services
    kids = population.children
    school_census.SchoolCensusWriter(_stream(seed, "school_census"), out_dir, log).write(population)
    report("school_census", len(kids))
    cin_census.write_cin_census(_stream(seed, "cin_census"), out_dir, kids, social_care, log)
    report("cin_census", len(kids))
    ssda903.write_ssda903(_stream(seed, "ssda903"), out_dir, kids, social_care, log)
    report("ssda903", len(kids))
    sen2.write_sen2(_stream(seed, "sen2_extract"), out_dir, kids, cases, log)
    report("sen2", len(kids))
    agency.write_health(_stream(seed, "health"), out_dir, population, log)
    report("health", len(kids))
    agency.write_police(_stream(seed, "police"), out_dir, population, log)
    report("police", len(kids))
    agency.write_early_help(
        _stream(seed, "early_help_extract"), out_dir, population, early_help, log
    )
    report("early_help", len(kids))


def _write_truth(population: Population, out_dir: Path) -> None:
    truth.write_children(out_dir / "truth" / "children.csv", population)
    truth.write_households(out_dir / "truth" / "households.csv", population)
    (out_dir / "truth" / "error_rates.md").write_text(
        truth.error_rates_markdown(), encoding="utf-8"
    )
