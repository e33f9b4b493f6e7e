"""Thresholds come from labelled pairs, and the review band stays worth a reviewer's time."""

from __future__ import annotations

import pandas as pd

from wholechild.linkage.thresholds import DEFAULT_UPPER, choose


def labelled(rows: list[tuple[float, bool]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["match_probability", "is_match"])


def test_upper_threshold_maximises_f1_on_the_sample() -> None:
    sample = labelled(
        [(0.99, True), (0.95, True), (0.9, True), (0.6, False), (0.5, True), (0.2, False)]
    )
    chosen = choose(sample)
    # Cutting at 0.5 keeps 4 matches and 1 non-match: F1 = 8/9, the best available.
    assert chosen.upper == 0.5
    assert chosen.sample_f1 is not None and abs(chosen.sample_f1 - 8 / 9) < 1e-9
    assert chosen.source == "labelled sample of 6 pairs"


def test_the_review_band_stops_where_it_is_almost_all_non_matches() -> None:
    rows = [(0.99, True)] * 50 + [(0.5, True)] * 2 + [(0.5, False)] * 10
    rows += [(0.3, False)] * 20 + [(0.01, True)] + [(0.005, False)] * 500
    chosen = choose(labelled(rows))
    assert chosen.upper == 0.99
    # 2 matches in 12 pairs at 0.5 are worth reviewing; adding the 20 non-matches at 0.3
    # would not be, and the lone match at 0.01 is not worth 500 non-matches.
    assert chosen.lower == 0.5


def test_no_labelled_matches_falls_back_to_defaults_and_says_so() -> None:
    chosen = choose(labelled([(0.4, False)]))
    assert chosen.upper == DEFAULT_UPPER and chosen.source.startswith("default")
