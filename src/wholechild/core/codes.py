"""Code lists from the DfE collections (CIN census, SSDA903, SEN2, school census)."""

from __future__ import annotations

from typing import Final

ETHNICITY: Final[dict[str, str]] = {
    "WBRI": "White British",
    "WIRI": "White Irish",
    "WIRT": "Traveller of Irish heritage",
    "WOTH": "Any other White background",
    "WROM": "Gypsy/Roma",
    "MWBC": "White and Black Caribbean",
    "MWBA": "White and Black African",
    "MWAS": "White and Asian",
    "MOTH": "Any other mixed background",
    "AIND": "Indian",
    "APKN": "Pakistani",
    "ABAN": "Bangladeshi",
    "AOTH": "Any other Asian background",
    "BCRB": "Caribbean",
    "BAFR": "African",
    "BOTH": "Any other Black background",
    "CHNE": "Chinese",
    "OOTH": "Any other ethnic group",
    "REFU": "Refused",
    "NOBT": "Information not yet obtained",
}

SEN_NEED_TYPES: Final[dict[str, str]] = {
    "SPLD": "Specific learning difficulty",
    "MLD": "Moderate learning difficulty",
    "SLD": "Severe learning difficulty",
    "PMLD": "Profound and multiple learning difficulty",
    "SEMH": "Social, emotional and mental health",
    "SLCN": "Speech, language and communication needs",
    "HI": "Hearing impairment",
    "VI": "Visual impairment",
    "MSI": "Multi-sensory impairment",
    "PD": "Physical disability",
    "ASD": "Autistic spectrum disorder",
    "OTH": "Other difficulty or disability",
    "NSA": "SEN support but no specialist assessment of type of need",
}

# Sex as the collections code it: CIN census and SSDA903 use 1/2 (and 0/9 for not known /
# not specified in CIN), the school census and SEN2 use M/F/U.
SEX_CODES: Final[dict[str, str]] = {
    "1": "M",
    "2": "F",
    "M": "M",
    "F": "F",
    "U": "U",
    "0": "U",
    "9": "U",
    "MALE": "M",
    "FEMALE": "F",
    "UNKNOWN": "U",
}


def normalise_sex(value: str | None) -> str | None:
    """'1'/'M'/'male' -> 'M'; '2'/'F' -> 'F'; unknown codes -> ``None``."""
    if value is None:
        return None
    return SEX_CODES.get(value.strip().upper())


def normalise_ethnicity(value: str | None) -> str | None:
    """A DfE main ethnicity code, upper-cased; extended codes are cut to their main four letters."""
    if value is None:
        return None
    code = value.strip().upper()[:4]
    return code if code in ETHNICITY else None
