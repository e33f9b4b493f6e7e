"""The linkage frame: one row per *entity* with standardised comparison columns.

Records that share a source system's own key (the same PatientID in the health extract, the
same LA child id in the CIN census) are one child by that system's own account: they are
collapsed into one entity before scoring, and every record of the entity takes its person. A
record without a source key is an entity on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

import pandas as pd
from sqlalchemy import Engine, select

from wholechild.core.identifiers import IdCheck, check_upn, clean_identifier
from wholechild.core.normalise import fold_accents, postcode_outward, swapped_day_month
from wholechild.linkage.names import first_name_key, given_name_keys, phonetic, surname_keys
from wholechild.linkage.truth import record_id_hex
from wholechild.storage.schema import IngestBatch, SourceAddress, SourceRecord

# Formats whose source key identifies a row, not a child: the school census keys each table
# row (a pupil dual-registered, or who moved school, has two), so its records are never
# collapsed or kept apart by key; UPN links them instead.
RECORD_KEYED_FORMATS: Final = frozenset({"school-census"})

# The comparison columns every linkage frame has (a column may be all null for a dataset).
COLUMNS: Final = (
    "unique_id",  # the entity id (its first record's id)
    "source_system",
    "source_key",  # the source system's own id for the child (None if it has none)
    "forename",  # the first given name, normalised
    "first_name_key",  # the first given name's variant group, else the name
    "given_names",  # list: every given name and its variant groups
    "surname",  # normalised surname, spaces and hyphens removed
    "surnames",  # list: every surname held (current, former, preferred) whole and by part
    "forename_mp",  # Metaphone of the first given name
    "surname_mp",  # Metaphone of the surname
    "dob",  # 'YYYY-MM-DD'
    "dob_swapped",  # the date of birth with day and month swapped, when that is a date
    # The possible dates of birth: the date of birth itself when known, else the window an age
    # on a date gives (core/age.py); and the window's end plus a year, for ages off by one.
    "dob_earliest",
    "dob_latest",
    "dob_latest_wide",
    "sex",
    "nhs_number",  # only when the check digit is valid
    "upns",  # list: current and former UPNs with valid check letters
    "upn",  # the current valid UPN
    "la_child_id",
    "police_ref",
    "postcode",  # the latest postcode
    "postcodes",  # list: every postcode in the address history
    "address",  # the latest address line, normalised ('12A HIGH STREET')
    "districts",  # list: the outward codes of those postcodes
)


def _entity_key(frame: pd.DataFrame) -> pd.Series:
    keyed = frame["source_key"].notna()
    return (frame["source_system"] + "\x1f" + frame["source_key"].fillna("")).where(
        keyed, frame["record_id"]
    )


def _records(engine: Engine) -> pd.DataFrame:
    r = SourceRecord
    query = select(
        r.id.label("record_id"),
        r.source_system,
        r.source_key,
        r.forename,
        r.middle_names,
        r.surname,
        r.preferred_surname,
        r.former_surname,
        r.date_of_birth,
        r.dob_earliest,
        r.dob_latest,
        r.sex,
        r.nhs_number,
        r.nhs_number_check,
        r.upn,
        r.upn_check,
        r.former_upn_raw,
        r.la_child_id,
        r.police_ref,
        r.postcode,
        IngestBatch.format,
    ).join(IngestBatch, IngestBatch.id == r.batch_id)
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    record_keyed = frame["format"].isin(RECORD_KEYED_FORMATS)
    keys = zip(frame["source_key"], record_keyed, strict=True)
    frame["source_key"] = [None if r else k for k, r in keys]
    frame["record_id"] = frame["record_id"].map(record_id_hex)
    return frame


def _addresses(engine: Engine) -> pd.DataFrame:
    query = (
        select(
            SourceAddress.source_record_id.label("record_id"),
            SourceAddress.postcode,
            SourceAddress.address_line,
        )
        .where(SourceAddress.source_record_id.is_not(None))
        .order_by(SourceAddress.id)
    )
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    frame["record_id"] = frame["record_id"].map(record_id_hex)
    return frame


def _valid_upns(upn: str | None, check: str | None, former: str | None) -> list[str]:
    upns = [upn] if upn and check == IdCheck.VALID else []
    former_clean = clean_identifier(former)
    if former_clean and check_upn(former_clean) is IdCheck.VALID:
        upns.append(former_clean)
    return upns


def _unique(values: Iterable[object]) -> list[str]:
    return list(dict.fromkeys(str(v) for v in values if v))


def standardise_records(records: pd.DataFrame, addresses: pd.DataFrame) -> pd.DataFrame:
    """Comparison columns for each record (before entities are formed)."""
    out = pd.DataFrame(
        {
            "record_id": records["record_id"],
            "source_system": records["source_system"],
            "source_key": records["source_key"],
        }
    )
    out["entity_key"] = _entity_key(records)
    _add_names(records, out)
    _add_birth_and_identifiers(records, out)
    _add_addresses(records, addresses, out)
    return out


def _add_names(records: pd.DataFrame, out: pd.DataFrame) -> None:
    names = list(zip(records["forename"], records["middle_names"], strict=True))
    out["given_names"] = [list(given_name_keys(f, m)) for f, m in names]
    out["first_name_key"] = [first_name_key(f) for f in records["forename"]]
    out["forename"] = [g[0] if g else None for g in out["given_names"]]
    surnames = zip(
        records["surname"], records["former_surname"], records["preferred_surname"], strict=True
    )
    out["surnames"] = [list(surname_keys(*s)) for s in surnames]
    out["surname"] = [s[0] if s else None for s in out["surnames"]]
    out["forename_mp"] = [phonetic(f) for f in records["forename"]]
    out["surname_mp"] = [phonetic(s) for s in records["surname"]]


def _add_birth_and_identifiers(records: pd.DataFrame, out: pd.DataFrame) -> None:
    dobs = pd.to_datetime(records["date_of_birth"], errors="coerce")
    out["dob"] = [None if pd.isna(d) else d.strftime("%Y-%m-%d") for d in dobs]
    out["dob_swapped"] = [_swapped(d) for d in dobs]
    _add_dob_window(records, out)
    out["sex"] = records["sex"]
    out["nhs_number"] = [
        n if check == "valid" else None
        for n, check in zip(records["nhs_number"], records["nhs_number_check"], strict=True)
    ]
    upn_columns = (records["upn"], records["upn_check"], records["former_upn_raw"])
    out["upns"] = [_valid_upns(u, c, f) for u, c, f in zip(*upn_columns, strict=True)]
    out["upn"] = [u[0] if u else None for u in out["upns"]]
    out["la_child_id"] = records["la_child_id"]
    out["police_ref"] = records["police_ref"]


def _add_dob_window(records: pd.DataFrame, out: pd.DataFrame) -> None:
    known = out["dob"].notna()
    earliest = _iso_dates(records["dob_earliest"]).where(~known, out["dob"])
    latest = _iso_dates(records["dob_latest"]).where(~known, out["dob"])
    wide = pd.to_datetime(latest, errors="coerce") + pd.DateOffset(years=1)
    out["dob_earliest"] = earliest
    out["dob_latest"] = latest
    out["dob_latest_wide"] = [None if pd.isna(d) else d.strftime("%Y-%m-%d") for d in wide]


def _iso_dates(values: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(values, errors="coerce")
    return pd.Series(
        [None if pd.isna(d) else d.strftime("%Y-%m-%d") for d in parsed],
        index=values.index,
        dtype=object,
    )


def _add_addresses(records: pd.DataFrame, addresses: pd.DataFrame, out: pd.DataFrame) -> None:
    history, lines = _address_history(addresses)
    out["address"] = [normalise_address(lines.get(rid)) for rid in records["record_id"]]
    latest = records["postcode"]
    out["postcodes"] = [
        _unique([p, *history.get(rid, ())])
        for rid, p in zip(records["record_id"], latest, strict=True)
    ]
    out["postcode"] = latest
    out["districts"] = [_unique(postcode_outward(p) for p in ps) for ps in out["postcodes"]]


def _address_history(addresses: pd.DataFrame) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Each record's postcodes (oldest first) and its latest address line (plain dicts: a
    pandas group-by with a Python function per group is ten times slower here)."""
    postcodes: dict[str, list[str]] = {}
    lines: dict[str, str] = {}
    columns = (addresses["record_id"], addresses["postcode"], addresses["address_line"])
    for record_id, postcode, line in zip(*columns, strict=True):
        if postcode:
            postcodes.setdefault(record_id, []).append(postcode)
        if line:
            lines[record_id] = line
    return postcodes, lines


def normalise_address(value: str | None) -> str | None:
    """An address line for comparison: upper case, punctuation and extra spaces removed."""
    if not value:
        return None
    cleaned = " ".join(re.sub(r"[^A-Z0-9 ]", " ", fold_accents(value).upper()).split())
    return cleaned or None


def _swapped(value: pd.Timestamp) -> str | None:
    if pd.isna(value):
        return None
    swapped = swapped_day_month(value.date())
    return swapped.isoformat() if swapped else None


def entities(standardised: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Collapse records sharing a source key: (entity frame, record_id -> unique_id map)."""
    first = standardised.drop_duplicates("entity_key", keep="first")
    ids = first.set_index("entity_key")["record_id"]
    membership = pd.DataFrame(
        {"record_id": standardised["record_id"], "unique_id": standardised["entity_key"].map(ids)}
    )
    frame = first.rename(columns={"record_id": "unique_id"}).drop(columns=["entity_key"])
    multi = standardised["entity_key"].duplicated(keep=False)
    if multi.any():
        merged = _union_lists(standardised[multi], ids)
        frame = frame.set_index("unique_id")
        frame.update(merged)
        frame = frame.reset_index()
    return frame[list(COLUMNS)], membership


LIST_COLUMNS: Final = ("given_names", "surnames", "upns", "postcodes", "districts")


def _union_lists(rows: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """For each entity, the union of its records' list columns (order kept)."""
    unions: dict[str, dict[str, dict[str, None]]] = {c: {} for c in LIST_COLUMNS}
    keys = rows["entity_key"].tolist()
    for column in LIST_COLUMNS:
        target = unions[column]
        for key, values in zip(keys, rows[column], strict=True):
            bucket = target.setdefault(key, {})
            for value in values:
                bucket[value] = None
    index = list(unions[LIST_COLUMNS[0]])
    merged = pd.DataFrame(
        {c: [list(unions[c][k]) for k in index] for c in LIST_COLUMNS},
        index=pd.Index([ids[k] for k in index], name="unique_id"),
    )
    return merged


def frame_from_store(engine: Engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The linkage frame for every source record in the store, and record -> entity."""
    return entities(standardise_records(_records(engine), _addresses(engine)))
