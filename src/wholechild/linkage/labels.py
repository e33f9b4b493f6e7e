"""Labelled pairs for setting thresholds: from reviewers' decisions, or from ground truth."""

from __future__ import annotations

import pandas as pd

# Pairs this unlikely are not worth labelling: a sample drawn from all scored pairs would be
# almost all obvious non-matches and say nothing about where the threshold should sit.
SAMPLE_ABOVE = 0.01


def labels_from_truth(
    pairs: pd.DataFrame,
    membership: pd.DataFrame,
    truth: pd.DataFrame,
    *,
    sample: int,
    seed: int = 1,
) -> pd.DataFrame:
    """A random sample of scored pairs labelled from ground truth (synthetic council only).

    ``membership`` maps ``record_id`` to entity ``unique_id``; ``truth`` maps record
    ``unique_id`` to ``true_id``. Returns ``unique_id_l``, ``unique_id_r``, ``is_match``.
    """
    truth_of_record = truth.set_index("unique_id")["true_id"]
    entity_truth = (
        membership.assign(true_id=membership["record_id"].map(truth_of_record))
        .dropna(subset=["true_id"])
        .groupby("unique_id")["true_id"]
        .agg(lambda values: values.mode().iloc[0])
    )
    candidates = pairs[pairs["match_probability"] >= SAMPLE_ABOVE]
    drawn = candidates.sample(n=min(sample, len(candidates)), random_state=seed)
    left = drawn["unique_id_l"].map(entity_truth)
    right = drawn["unique_id_r"].map(entity_truth)
    labelled = drawn.assign(is_match=(left == right) & left.notna())
    return labelled[["unique_id_l", "unique_id_r", "is_match"]].reset_index(drop=True)
