"""The linkage model: comparisons, blocking rules, unsupervised training, a hashed artefact.

Every choice here is written for an auditor as much as for Splink:
- names are compared whole, by variant group (nicknames, anglicised forms), by any given name
  in common (a middle name used day to day), by parts (double-barrelled and former surnames),
  reversed (forename and surname swapped), by spelling distance and by sound;
- dates of birth exactly, with day and month swapped, one keystroke apart, in the same month;
- where a record has an age on a date instead of a date of birth, the window of dates of birth
  it allows, against the other record's date of birth or window;
- address history as ONE comparison (latest postcode, any postcode in common, any district in
  common): separate per-field address comparisons make EM fail when families move;
- identifiers (NHS number, UPN, LA child id, police person reference) as strong evidence, not
  an override: a differing valid identifier counts against, a matching one strongly for.
"""

from __future__ import annotations

import hashlib
import json
import logging
from copy import deepcopy
from typing import Any, Final

import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator
from splink.internals.comparison_level_creator import ComparisonLevelCreator

from wholechild.errors import UserError

log = logging.getLogger(__name__)

MODEL_NAME: Final = "wholechild-person-linkage"
EM_MAX_PAIRS: Final = 1_000_000
U_MAX_PAIRS: Final = 2_000_000


# Hand-written level conditions are DuckDB SQL; Splink translates them for other engines (Spark).
# They use only what translates cleanly (columns, =, AND, IS NULL, substr); similarity functions
# come from Splink's level creators, which name each engine's own function.
SQL_DIALECT: Final = "duckdb"


def _sql(sql: str, label: str) -> ComparisonLevelCreator:
    return cll.CustomLevel(sql, label, base_dialect_str=SQL_DIALECT)


def _level(sql: str, label: str, *, m: float, u: float) -> ComparisonLevelCreator:
    """A level from SQL, with prior m and u used only where training never observes it."""
    return _sql(sql, label).configure(m_probability=m, u_probability=u)


def _prior(level: ComparisonLevelCreator, *, m: float, u: float) -> ComparisonLevelCreator:
    """Prior m and u for a level that a small or narrow dataset may never observe in training
    (two records sharing an NHS number, a former postcode); trained values replace them."""
    return level.configure(m_probability=m, u_probability=u)


def forename_comparison() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="forename",
        comparison_description="First given name: exact, variant, any given name, spelling",
        comparison_levels=[
            cll.NullLevel("forename"),
            cll.ExactMatchLevel("forename", term_frequency_adjustments=True),
            _level(
                '"first_name_key_l" = "first_name_key_r"',
                "same name group (variant)",
                m=0.05,
                u=0.002,
            ),
            _prior(cll.ArrayIntersectLevel("given_names", min_intersection=1), m=0.03, u=0.005),
            cll.JaroWinklerLevel("forename", 0.9),
            _level('"forename_mp_l" = "forename_mp_r"', "sounds the same", m=0.01, u=0.005),
            cll.JaroWinklerLevel("forename", 0.75),
            cll.ElseLevel(),
        ],
    )


def surname_comparison() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="surname",
        comparison_description="Surname: exact, any surname or part in common, swapped, spelling",
        comparison_levels=[
            cll.NullLevel("surname"),
            cll.ExactMatchLevel("surname", term_frequency_adjustments=True),
            _prior(cll.ArrayIntersectLevel("surnames", min_intersection=1), m=0.1, u=0.002),
            _level(
                '"forename_l" = "surname_r" AND "surname_l" = "forename_r"',
                "forename and surname swapped",
                m=0.003,
                u=0.00001,
            ),
            cll.JaroWinklerLevel("surname", 0.9),
            _level('"surname_mp_l" = "surname_mp_r"', "sounds the same", m=0.01, u=0.003),
            cll.JaroWinklerLevel("surname", 0.75),
            cll.ElseLevel(),
        ],
    )


def dob_comparison() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="dob",
        comparison_description="Date of birth: exact, day/month swapped, one keystroke, month",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob"),
            _level('"dob_l" = "dob_swapped_r"', "day and month swapped", m=0.005, u=0.0001),
            _prior(cll.DamerauLevenshteinLevel("dob", 1), m=0.01, u=0.005),
            _level('substr("dob_l", 1, 7) = substr("dob_r", 1, 7)', "same month", m=0.005, u=0.005),
            _level('substr("dob_l", 1, 4) = substr("dob_r", 1, 4)', "same year", m=0.01, u=0.05),
            cll.ElseLevel(),
        ],
    )


# An age on a date is right for the child unless the adult giving it was wrong (ages given at a
# scene are sometimes a year out); EM never sees these pairs (it trains on blocks where both
# records have a date of birth), so m is fixed from that account. u is learnt from random pairs:
# it depends on the ages of the council's children.
WINDOW_M: Final = {"in": 0.95, "near": 0.04, "outside": 0.01}


def dob_window_comparison() -> ComparisonCreator:
    """Only where a record has an age and no date of birth: with two dates of birth the
    date of birth comparison holds all the evidence, and it must not be counted twice."""
    return cl.CustomComparison(
        output_column_name="dob_window",
        comparison_description="Date of birth window from an age: in or overlapping, a year out",
        comparison_levels=[
            _sql(
                '"dob_earliest_l" IS NULL OR "dob_earliest_r" IS NULL '
                'OR ("dob_l" IS NOT NULL AND "dob_r" IS NOT NULL)',
                "no age window, or two dates of birth",
            ).configure(is_null_level=True),
            _sql(
                '"dob_earliest_l" <= "dob_latest_r" AND "dob_earliest_r" <= "dob_latest_l"',
                "date of birth in the age window (or windows overlap)",
            ).configure(m_probability=WINDOW_M["in"], fix_m_probability=True),
            _sql(
                '"dob_earliest_l" <= "dob_latest_wide_r" '
                'AND "dob_earliest_r" <= "dob_latest_wide_l"',
                "within a year of the age window",
            ).configure(m_probability=WINDOW_M["near"], fix_m_probability=True),
            cll.ElseLevel().configure(
                label_for_charts="more than a year outside the age window",
                m_probability=WINDOW_M["outside"],
                fix_m_probability=True,
            ),
        ],
    )


def address_comparison() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="address",
        comparison_description="Address history, one comparison: latest, any, line, district",
        comparison_levels=[
            _sql(
                '("postcodes_l" IS NULL OR "postcodes_r" IS NULL) '
                'AND ("address_l" IS NULL OR "address_r" IS NULL)',
                "no address on one side",
            ).configure(is_null_level=True),
            cll.And(
                cll.ExactMatchLevel("postcode"), cll.JaroWinklerLevel("address", 0.9)
            ).configure(
                label_for_charts="same postcode and address line",
                m_probability=0.5,
                u_probability=0.00001,
            ),
            _prior(
                cll.ExactMatchLevel("postcode", term_frequency_adjustments=True), m=0.2, u=0.001
            ),
            _prior(cll.ArrayIntersectLevel("postcodes", min_intersection=1), m=0.1, u=0.001),
            _prior(cll.JaroWinklerLevel("address", 0.9), m=0.05, u=0.0005),
            _prior(cll.ArrayIntersectLevel("districts", min_intersection=1), m=0.1, u=0.1),
            cll.ElseLevel(),
        ],
    )


# Identifiers are strong evidence with known error rates, not something EM can learn: once
# records sharing a source key are collapsed, two entities rarely share an NHS number, so EM
# would see no matches and call the identifier uninformative. Their m and u are fixed: agree
# 97% of the time for the same child (3% keying and stale errors), almost never otherwise.
ID_AGREE_M: Final = 0.97
ID_AGREE_U: Final = 0.000001


def identifier_comparison(column: str, description: str, *, fixed: bool) -> ComparisonCreator:
    """``fixed``: the data cannot teach this identifier's m (too few shared values)."""
    agree = cll.ExactMatchLevel(column).configure(
        m_probability=ID_AGREE_M,
        u_probability=ID_AGREE_U,
        fix_m_probability=fixed,
        fix_u_probability=fixed,
    )
    differ = cll.ElseLevel().configure(
        m_probability=1 - ID_AGREE_M,
        u_probability=1 - ID_AGREE_U,
        fix_m_probability=fixed,
        fix_u_probability=fixed,
    )
    return cl.CustomComparison(
        output_column_name=column,
        comparison_description=description,
        comparison_levels=[cll.NullLevel(column), agree, differ],
    )


def sex_comparison() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="sex",
        comparison_description="Sex",
        comparison_levels=[cll.NullLevel("sex"), cll.ExactMatchLevel("sex"), cll.ElseLevel()],
    )


def same_system_comparison() -> ComparisonCreator:
    """Two keyed records of one source system are two children by that system's own account,
    unless the system holds a duplicate registration (rare, and fixed here at 0.5%)."""
    return cl.CustomComparison(
        output_column_name="same_system",
        comparison_description="Same source system, different source keys",
        comparison_levels=[
            _sql(
                '"source_key_l" IS NULL OR "source_key_r" IS NULL', "a record has no key"
            ).configure(is_null_level=True),
            _sql('"source_system_l" = "source_system_r"', "same system, different keys").configure(
                m_probability=0.005, fix_m_probability=True
            ),
            cll.ElseLevel(),
        ],
    )


def comparisons(
    trainable: frozenset[str] = frozenset(),
) -> list[ComparisonCreator | dict[str, Any]]:
    """``trainable``: identifiers shared often enough in the data for EM to learn from."""
    return [
        forename_comparison(),
        surname_comparison(),
        dob_comparison(),
        dob_window_comparison(),
        sex_comparison(),
        identifier_comparison(
            "nhs_number",
            "NHS number (valid check digit only)",
            fixed="nhs_number" not in trainable,
        ),
        cl.CustomComparison(
            output_column_name="upn",
            comparison_description="UPN, current or former (valid check letter only)",
            comparison_levels=[
                cll.NullLevel("upns"),
                cll.ArrayIntersectLevel("upns", min_intersection=1).configure(
                    m_probability=ID_AGREE_M,
                    u_probability=ID_AGREE_U,
                    fix_m_probability=True,
                    fix_u_probability=True,
                ),
                cll.ElseLevel().configure(
                    m_probability=1 - ID_AGREE_M,
                    u_probability=1 - ID_AGREE_U,
                    fix_m_probability=True,
                    fix_u_probability=True,
                ),
            ],
        ),
        identifier_comparison(
            "la_child_id", "LA child id (social care)", fixed="la_child_id" not in trainable
        ),
        identifier_comparison(
            "police_ref", "Police person reference", fixed="police_ref" not in trainable
        ),
        address_comparison(),
        same_system_comparison(),
    ]


def blocking_rules() -> list[BlockingRuleCreator | dict[str, Any]]:
    """Candidate pairs: chosen for recall, measured by `wholechild link evaluate`."""
    return [
        block_on("nhs_number"),
        block_on("upn"),
        block_on("la_child_id"),
        block_on("police_ref"),
        block_on("dob"),
        {"blocking_rule": "l.dob = r.dob_swapped"},
        block_on("first_name_key", "surname_mp"),
        block_on("forename_mp", "surname_mp", "substr(dob, 1, 4)"),
        block_on("postcode", "surname_mp"),
        block_on("postcode", "first_name_key"),
        block_on("postcode", "forename_mp"),
        # A record with an age and no date of birth: surname sound and a year of its window.
        *(
            {
                "blocking_rule": f"l.surname_mp = r.surname_mp AND substr(l.{end}, 1, 4) = "
                f"substr(r.{end}, 1, 4) AND (l.dob IS NULL OR r.dob IS NULL)"
            }
            for end in ("dob_earliest", "dob_latest")
        ),
    ]


def shared_pairs(frame: pd.DataFrame, column: str) -> int:
    sizes = frame[column].dropna().value_counts()
    return int((sizes * (sizes - 1) // 2).sum())


def trainable_identifiers(frame: pd.DataFrame) -> frozenset[str]:
    return frozenset(c for c in IDENTIFIER_BLOCKS if shared_pairs(frame, c) >= MIN_TRAINING_PAIRS)


def settings(frame: pd.DataFrame | None = None) -> SettingsCreator:
    trainable = trainable_identifiers(frame) if frame is not None else frozenset()
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(trainable),
        blocking_rules_to_generate_predictions=blocking_rules(),
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=False,
        additional_columns_to_retain=["source_system"],
        linker_uid=MODEL_NAME,
    )


# Columns whose agreement marks pairs that are almost surely one child, in order of preference.
IDENTIFIER_BLOCKS: Final = ("upn", "nhs_number", "la_child_id", "police_ref")
MIN_TRAINING_PAIRS: Final = 200


def identifier_block(frame: pd.DataFrame) -> str | None:
    """The identifier whose shared values give the most training pairs (at least a few hundred)."""
    best, best_pairs = None, MIN_TRAINING_PAIRS - 1
    for column in IDENTIFIER_BLOCKS:
        pairs = shared_pairs(frame, column)
        if pairs > best_pairs:
            best, best_pairs = column, pairs
    return best


def train(linker: Linker, frame: pd.DataFrame) -> None:
    """u by random sampling; m by EM (pair count capped) on two complementary blocks.

    Date of birth is trained on pairs that share an identifier, not a name: siblings share
    surnames and sometimes first names (Muhammad), and would teach EM that a different date of
    birth is common between records of one child. With no identifier shared often enough,
    forename and surname together block instead.
    """
    deterministic = [block_on(c) for c in IDENTIFIER_BLOCKS if frame[c].notna().any()]
    linker.training.estimate_probability_two_random_records_match(
        [*deterministic, block_on("forename", "surname", "dob")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("dob"), max_pairs=EM_MAX_PAIRS
    )
    column = identifier_block(frame)
    second = block_on(column) if column else block_on("forename", "surname")
    linker.training.estimate_parameters_using_expectation_maximisation(
        second, max_pairs=EM_MAX_PAIRS
    )


def model_json(linker: Linker) -> dict[str, Any]:
    saved: dict[str, Any] = linker.misc.save_model_to_json()
    return saved


def model_hash(model: dict[str, Any]) -> str:
    """SHA-256 of the model's canonical JSON: recorded on every link the model makes."""
    canonical = json.dumps(model, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _level_conditions(sql_dialect: str) -> list[tuple[str, list[str]]]:
    """Each comparison's level conditions as this model writes them for one engine."""
    written = settings().create_settings_dict(sql_dialect)
    return [
        (c["output_column_name"], [level["sql_condition"] for level in c["comparison_levels"]])
        for c in written["comparisons"]
    ]


def for_dialect(model: dict[str, Any], sql_dialect: str) -> dict[str, Any]:
    """A saved model, its level conditions rewritten for another engine's SQL (DuckDB to Spark).

    A saved model holds SQL in the dialect it was trained on. Its trained m and u are kept; each
    level condition is replaced by the same level as this module writes it for ``sql_dialect``.
    A condition this module no longer writes (a model saved by another version) is an error:
    train again on the new engine. The model's hash, taken before, is unchanged.
    """
    source = model.get("sql_dialect")
    if source is None or source == sql_dialect:
        return model
    written = {
        (name, before): after
        for (name, old), (_, new) in zip(
            _level_conditions(source), _level_conditions(sql_dialect), strict=True
        )
        for before, after in zip(old, new, strict=True)
    }
    ported = deepcopy(model)
    unknown = []
    for comparison in ported["comparisons"]:
        name = comparison["output_column_name"]
        for level in comparison["comparison_levels"]:
            key = (name, level["sql_condition"])
            if key in written:
                level["sql_condition"] = written[key]
            else:
                unknown.append(f"{name}: {level.get('label_for_charts', level['sql_condition'])}")
    if unknown:
        raise UserError(
            f"the stored linkage model ({source} SQL) has {len(unknown)} comparison levels this "
            f"version cannot write for {sql_dialect}: " + "; ".join(unknown),
            fix="run a full `wholechild link` (not --incremental) on this engine to train anew",
        )
    ported["sql_dialect"] = sql_dialect
    return ported
