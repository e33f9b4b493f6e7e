"""Thresholds from a labelled sample, not a fixed 0.9.

The best threshold varies widely between datasets (p≈0.02 to 0.99 in our measurements), so
it is set from pairs whose truth is known: reviewers' decisions in a live store, or a sample
labelled from ground truth for the synthetic council. The *upper* threshold maximises F1 on
the sample; the *lower* threshold is the highest below it that keeps recall on the sample at
:data:`REVIEW_RECALL`, but no lower than where the pairs between the two stop being at least
:data:`REVIEW_MIN_YIELD` matches; pairs between the two go to clerical review.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

REVIEW_RECALL: Final = 0.995
# The review band is cut off where fewer than this share of sampled pairs are matches: below
# it a reviewer would mostly be confirming non-matches, and the queue would be unworkable.
REVIEW_MIN_YIELD: Final = 0.1
DEFAULT_UPPER: Final = 0.9
DEFAULT_LOWER: Final = 0.3


@dataclass(frozen=True, slots=True)
class Thresholds:
    upper: float
    lower: float
    source: str  # "labelled sample of N pairs", "stored", "default"
    sample_f1: float | None = None


def choose(labelled: pd.DataFrame) -> Thresholds:
    """From ``labelled`` pairs (``match_probability``, ``is_match``): upper and lower."""
    if labelled.empty or not labelled["is_match"].any():
        return Thresholds(DEFAULT_UPPER, DEFAULT_LOWER, "default (no labelled matches)")
    ordered = labelled.sort_values("match_probability", ascending=False)
    probability = ordered["match_probability"].to_numpy(dtype=float)
    is_match = ordered["is_match"].to_numpy(dtype=bool)
    true_positives = np.cumsum(is_match)
    precision = true_positives / np.arange(1, len(is_match) + 1)
    recall = true_positives / is_match.sum()
    f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    # A threshold keeps every pair at that probability: only the last of a run of ties counts.
    tie_end = np.append(probability[1:] != probability[:-1], True)
    f1 = np.where(tie_end, f1, -1.0)
    best = int(np.argmax(f1))
    upper = float(probability[best])
    reaching = np.nonzero(recall >= REVIEW_RECALL)[0]
    last = int(reaching[0]) if len(reaching) else len(probability) - 1
    band_matches = true_positives - true_positives[best]
    band_size = np.arange(1, len(is_match) + 1) - (best + 1)
    band_yield = np.where(band_size > 0, band_matches / np.maximum(band_size, 1), 1.0)
    positions = np.arange(len(is_match))
    worthwhile = np.nonzero((band_yield >= REVIEW_MIN_YIELD) & (positions <= last) & tie_end)
    lower_index = int(worthwhile[0].max()) if len(worthwhile[0]) else best
    lower = float(probability[lower_index])
    return Thresholds(
        upper=upper,
        lower=min(lower, upper),
        source=f"labelled sample of {len(labelled):,} pairs",
        sample_f1=float(f1[best]),
    )
