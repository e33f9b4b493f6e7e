"""The SSDA903 return (children looked after), as the CSV tables LAs export it in."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Final

from wholechild.synth.errors import ERROR_RATES, Corruptor
from wholechild.synth.model import REFERENCE_DATE, Child
from wholechild.synth.services import YEAR_START, LacEpisode, SocialCare
from wholechild.synth.truth import TruthLog, csv_out

FILES: Final = {
    "header": "ssda903_header.csv",
    "episodes": "ssda903_episodes.csv",
    "reviews": "ssda903_reviews.csv",
    "missing": "ssda903_missing.csv",
}
HEADER: Final = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
EPISODES: Final = (
    "CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
    "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN",
)  # fmt: skip
REVIEWS: Final = ("CHILD", "DOB", "REVIEW", "REVIEW_CODE")
MISSING: Final = ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END")


def uk_date(value: date | None) -> str:
    return "" if value is None else f"{value.day:02d}/{value.month:02d}/{value.year}"


def _in_year(episode: LacEpisode) -> bool:
    return episode.end is None or episode.end >= YEAR_START


def _episode_row(child: Child, episode: LacEpisode, need: str) -> tuple[str, ...]:
    home = child.household.address_on(episode.start).postcode
    placed = home if episode.placement == "R1" else episode.placement_postcode
    urn = episode.urn if episode.placement == "K2" else "XXXXXXX"
    return (
        child.la_child_id, uk_date(episode.start), episode.reason_new, episode.legal_status,
        need, episode.placement, episode.provider, uk_date(episode.end), episode.reason_end,
        episode.change_reason, home, placed, urn,
    )  # fmt: skip


def write_ssda903(
    rng: random.Random, out_dir: Path, children: list[Child],
    social_care: Mapping[str, SocialCare], truth: TruthLog,
) -> None:  # fmt: skip
    """Children looked after at any time in the year, their episodes, reviews and missing."""
    errors = Corruptor(rng, ERROR_RATES["ssda903"])
    with (
        csv_out(out_dir / FILES["header"], HEADER) as header,
        csv_out(out_dir / FILES["episodes"], EPISODES) as episodes,
        csv_out(out_dir / FILES["reviews"], REVIEWS) as reviews,
        csv_out(out_dir / FILES["missing"], MISSING) as missing,
    ):
        for child in children:
            record = social_care.get(child.child_id)
            in_year = [e for e in record.lac if _in_year(e)] if record else []
            if record is None or not in_year:
                continue
            dob = uk_date(errors.dob(child))
            upn = errors.upn(child) or ("UN1" if child.age_on(REFERENCE_DATE) < 5 else "UN5")
            header.writerow((child.la_child_id, "1" if child.sex == "M" else "2", dob,
                             child.ethnicity, upn, "", ""))  # fmt: skip
            truth.add(FILES["header"], child.la_child_id, child.child_id, errors.take_flags())
            need = record.cin[-1].need if record.cin else "N1"
            for episode in in_year:
                episodes.writerow(_episode_row(child, episode, need))
                truth.add(FILES["episodes"], child.la_child_id, child.child_id)
            for when, code in record.reviews:
                if when >= YEAR_START:
                    reviews.writerow((child.la_child_id, dob, uk_date(when), code))
                    truth.add(FILES["reviews"], child.la_child_id, child.child_id)
            for kind, start, end in record.missing:
                missing.writerow((child.la_child_id, dob, kind, uk_date(start), uk_date(end)))
                truth.add(FILES["missing"], child.la_child_id, child.child_id)
