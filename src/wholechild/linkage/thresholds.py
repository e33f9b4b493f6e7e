"""Thresholds from a labelled sample, not a fixed 0.9.

The best threshold varies widely between datasets (p≈0.02 to 0.99 in our measurements), so
it is set from pairs whose truth is known: reviewers' decisions in a live store, or a sample
labelled from ground truth for the synthetic council. The *upper* threshold maximises F1 on
the sample; the *lower* threshold is the highest below it that keeps recall on the sample at
:data:`REVIEW_RECALL`; pairs between the two go to clerical review.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

REVIEW_RECALL: Final = 0.995
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
    best = int(np.argmax(f1))
    upper = float(probability[best])
    reaching = np.nonzero(recall >= REVIEW_RECALL)[0]
    lower = float(probability[reaching[0]]) if len(reaching) else float(probability[-1])
    return Thresholds(
        upper=upper,
        lower=min(lower, upper),
        source=f"labelled sample of {len(labelled):,} pairs",
        sample_f1=float(f1[best]),
    )
