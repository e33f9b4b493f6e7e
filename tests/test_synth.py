"""The synthetic council: reproducible, valid against the DfE schemas, and honest about truth."""

from __future__ import annotations

import csv
import math
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml
from lxml import etree

from conftest import samples_dir
from wholechild.core.identifiers import IdCheck, check_nhs_number, check_upn, is_test_nhs_number
from wholechild.synth import synthesise
from wholechild.synth.errors import ERROR_RATES
from wholechild.synth.generate import EXTRACT_FILES

REPO = Path(__file__).resolve().parents[1]
SAMPLES = samples_dir()
CHILDREN = 3000


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("council")
    summary = synthesise(children=CHILDREN, seed=7, out_dir=out)
    assert summary.children == CHILDREN
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def truth_records(council: Path) -> list[dict[str, str]]:
    return read_csv(council / "truth" / "records.csv")


def all_bytes(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        synthesise(children=400, seed=seed, out_dir=tmp_path / name)
    first, second, third = (all_bytes(tmp_path / n) for n in "abc")
    assert first == second
    assert first.keys() == third.keys()
    assert first["health_extract.csv"] != third["health_extract.csv"]


def test_summary_counts_every_extract_and_matches_the_files(tmp_path: Path) -> None:
    progress: list[str] = []
    summary = synthesise(
        children=300, seed=3, out_dir=tmp_path, progress=lambda s, n: progress.append(s)
    )
    assert set(summary.rows) == set(EXTRACT_FILES)
    assert summary.rows["health_extract.csv"] == len(read_csv(tmp_path / "health_extract.csv"))
    assert "truth" in progress and summary.seconds > 0


def schema(*candidates: Path) -> etree.XMLSchema:
    for path in candidates:
        if path.exists():
            return etree.XMLSchema(etree.parse(str(path)))
    pytest.skip(f"no XSD found at any of: {', '.join(map(str, candidates))}")


def test_cin_census_validates_against_the_2026_schema(council: Path) -> None:
    xsd = schema(SAMPLES / "cin" / "CIN_schema_2026.xsd")
    document = etree.parse(str(council / "cin_census.xml"))
    assert xsd.validate(document), xsd.error_log
    assert len(document.findall(".//Child")) > 20


def test_sen2_validates_against_the_2024_schema(council: Path) -> None:
    xsd = schema(SAMPLES / "sen2" / "SEN2_schema_2024.xsd")
    document = etree.parse(str(council / "sen2.xml"))
    assert xsd.validate(document), xsd.error_log
    assert document.findall(".//Person/Requests/Assessment/NamedPlan")
    assert document.findall(".//Person/Requests/ActivePlans/SENneed/SENtype")


@pytest.mark.parametrize(
    ("ours", "sample"),
    [
        ("school_census_pupilonroll.csv", "school_census/2024_autumn_pupilonroll.csv"),
        (
            "school_census_pupilnolongeronroll.csv",
            "school_census/2024_autumn_pupilnolongeronroll.csv",
        ),
        (
            "school_census_termlyexclusionsonroll.csv",
            "school_census/2024_autumn_termlyexclusionsonroll.csv",
        ),
        ("school_census_senneeds.csv", "school_census/2025_spring_senneeds.csv"),
        ("school_census_addressesoffroll.csv", "school_census/2024_autumn_addressesoffroll.csv"),
        ("ssda903_header.csv", "ssda903/header.csv"),
        ("ssda903_episodes.csv", "ssda903/episodes.csv"),
        ("ssda903_reviews.csv", "ssda903/reviews.csv"),
        ("ssda903_missing.csv", "ssda903/missing.csv"),
    ],
)
def test_csv_headers_are_exactly_the_sample_headers(council: Path, ours: str, sample: str) -> None:
    if not (SAMPLES / sample).exists():
        pytest.skip(f"sample file {SAMPLES / sample} is absent")
    header = (council / ours).read_text("utf-8").splitlines()[0]
    assert header == (SAMPLES / sample).read_text("utf-8").splitlines()[0].strip()


def test_ground_truth_covers_every_data_row_of_every_extract(council: Path) -> None:
    by_file: defaultdict[str, list[int]] = defaultdict(list)
    children = {row["child_id"] for row in read_csv(council / "truth" / "children.csv")}
    for record in truth_records(council):
        by_file[record["file"]].append(int(record["row"]))
        assert record["child_id"] in children
    for name in EXTRACT_FILES:
        if name.endswith(".csv"):
            expected = len(read_csv(council / name))
        else:
            tag = "Child" if name == "cin_census.xml" else "Person"
            expected = len(etree.parse(str(council / name)).findall(f".//{tag}"))
        assert by_file[name] == list(range(1, expected + 1)), name


def test_nhs_numbers_are_all_in_the_test_range_and_valid_unless_corrupted(council: Path) -> None:
    truth = read_csv(council / "truth" / "children.csv")
    assert all(is_test_nhs_number(c["nhs_number"]) for c in truth)
    assert all(check_nhs_number(c["nhs_number"]) is IdCheck.VALID for c in truth)
    assert len({c["nhs_number"] for c in truth}) == len(truth)
    flags = [r["corruptions"] for r in truth_records(council) if r["file"] == "health_extract.csv"]
    rows = read_csv(council / "health_extract.csv")
    for row, flag in zip(rows, flags, strict=True):
        if row["NHSNumber"]:
            assert is_test_nhs_number(row["NHSNumber"])
            assert (check_nhs_number(row["NHSNumber"]) is IdCheck.VALID) or "id_error" in flag


def test_upns_have_valid_check_letters_unless_corrupted(council: Path) -> None:
    flags = [
        r["corruptions"]
        for r in truth_records(council)
        if r["file"] == "school_census_pupilonroll.csv"
    ]
    for row, flag in zip(read_csv(council / "school_census_pupilonroll.csv"), flags, strict=True):
        assert check_upn(row["upn"]) is IdCheck.VALID or "id_error" in flag


def test_hard_cases_occur_twins_name_changes_hyphenated_surnames(council: Path) -> None:
    children = {c["child_id"]: c for c in read_csv(council / "truth" / "children.csv")}
    twins = [c for c in children.values() if c["twin_of"]]
    assert twins
    for child in twins:
        other = children[child["twin_of"]]
        assert (other["dob"], other["surname"], other["household_id"]) == (
            child["dob"], child["surname"], child["household_id"],
        )  # fmt: skip
    reasons = Counter(c["name_change_reason"] for c in children.values())
    assert reasons["step"] > 0 and reasons["adoption"] > 0
    assert any("-" in c["surname"] for c in children.values())
    assert len({c["community"] for c in children.values()}) >= 10


def test_ethnicity_is_consistent_with_naming_community(council: Path) -> None:
    children = read_csv(council / "truth" / "children.csv")
    pakistani = Counter(c["ethnicity"] for c in children if c["community"] == "pakistani")
    assert pakistani.most_common(1)[0][0] == "APKN"
    assert not {"WBRI", "CHNE", "BAFR"} & set(pakistani)


def observed_rate(
    council: Path, file: str, flag: str, *, per_key: bool = False
) -> tuple[float, int]:
    records = [r for r in truth_records(council) if r["file"] == file]
    if per_key:  # a system's demographics repeat on every contact row: count people once
        records = list({r["source_key"]: r for r in records}.values())
    hits = sum(flag in r["corruptions"].split(";") for r in records)
    return hits / len(records), len(records)


@pytest.mark.parametrize(
    ("agency", "file", "per_key"),
    [
        ("health", "health_extract.csv", True),
        ("police", "police_notifications.csv", False),
        ("early_help", "early_help.csv", False),
        ("school_census", "school_census_pupilonroll.csv", False),
    ],
)
def test_observed_error_rates_are_close_to_the_documented_ones(
    council: Path, agency: str, file: str, per_key: bool
) -> None:
    rates = ERROR_RATES[agency]
    expected = {
        "forename_typo": rates.forename_typo,
        "surname_typo": rates.surname_typo,
        "dob_missing": rates.dob_missing,
        "dob_error": rates.dob_error * (1 - rates.dob_missing),
        "postcode_missing": rates.postcode_missing,
    }
    for flag, rate in expected.items():
        observed, n = observed_rate(council, file, flag, per_key=per_key)
        tolerance = 4 * math.sqrt(max(rate * (1 - rate), 1e-4) / n) + 0.002
        assert abs(observed - rate) <= tolerance, (agency, flag, observed, rate, n)


def test_health_dob_flags_match_what_is_actually_in_the_extract(council: Path) -> None:
    truth = {c["child_id"]: c["dob"] for c in read_csv(council / "truth" / "children.csv")}
    records = [r for r in truth_records(council) if r["file"] == "health_extract.csv"]
    wrong = flagged = 0
    for row, record in zip(read_csv(council / "health_extract.csv"), records, strict=True):
        differs = row["DOB"] not in ("", truth[record["child_id"]])
        flagged += "dob_error" in record["corruptions"]
        wrong += differs
        assert differs == ("dob_error" in record["corruptions"])
    assert wrong == flagged > 0


def test_mappings_name_only_columns_that_exist(council: Path) -> None:
    pairs = (
        ("health_extract", "health_contact"),
        ("police_notifications", "police_notification"),
        ("early_help", "early_help_episode"),
    )
    for stem, event in pairs:
        mapping = yaml.safe_load((council / f"{stem}.mapping.yaml").read_text("utf-8"))
        columns = set((council / f"{stem}.csv").read_text("utf-8").splitlines()[0].split(","))
        named = set(mapping["record"].values())
        for spec in mapping["events"]:
            named |= {spec["start_date"], spec["code"], *spec["details"]}
            named |= {spec["end_date"]} if spec["end_date"] else set()
            assert spec["event_type"] == event
        assert named <= columns, named - columns
        assert mapping["source_system"] and mapping["agency"]


def test_events_carry_signal_about_latent_adversity(council: Path) -> None:
    children = {c["child_id"]: c for c in read_csv(council / "truth" / "children.csv")}
    notified = {
        r["child_id"] for r in truth_records(council) if r["file"] == "police_notifications.csv"
    }
    abused = {cid for cid, c in children.items() if c["has_domestic_abuse"] == "1"}
    assert len(notified & abused) / len(notified) > 0.8
    assert len(notified & abused) / len(abused) > 0.5
