"""Standardise a source record: the normalised forms stored beside the values as received.

Identifier check-digit failures, malformed postcodes and impossible dates become findings on a
record that still loads: identifiers are sometimes wrong, and the record still matters. Code
lists (sex, ethnicity) are checked by each format's loader, which knows the codes its
collection allows; here an unknown code simply normalises to ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from wholechild.core.codes import normalise_ethnicity, normalise_sex
from wholechild.core.identifiers import (
    IdCheck,
    check_nhs_number,
    check_uln,
    check_upn,
    clean_identifier,
    upn_unknown_code,
)
from wholechild.core.normalise import normalise_name, normalise_postcode
from wholechild.core.records import Finding, Severity, SourceRecordIn


@dataclass(frozen=True, slots=True)
class Standardised:
    forename_norm: str | None
    surname_norm: str | None
    sex: str | None
    ethnicity: str | None
    nhs_number: str | None
    nhs_number_check: IdCheck
    upn: str | None
    upn_check: IdCheck
    upn_unknown: str | None
    uln: str | None
    uln_check: IdCheck
    postcode: str | None


_ID_FIXES = {
    "upn": "check the UPN against the school's MIS or the DfE Key to Success; a UPN is a "
    "check letter and 12 characters",
    "uln": "check the ULN against the Learning Records Service; it is 10 digits",
    "nhs_number": "check the NHS number against the Personal Demographics Service; it is "
    "10 digits with a mod-11 check digit",
}


def _id_finding(name: str, field: str, result: IdCheck, row: int) -> Finding | None:
    if result in (IdCheck.VALID, IdCheck.MISSING):
        return None
    what = "fails its check digit" if result is IdCheck.BAD_CHECK else "is not the right shape"
    return Finding(
        rule=f"{name}.{result.value}",
        message=f"{field} {what}; the record is loaded and the identifier flagged",
        fix=_ID_FIXES[name],
        severity=Severity.WARNING,
        row=row,
        field=field,
    )


def standardise(
    record: SourceRecordIn, *, row: int, today: date
) -> tuple[Standardised, list[Finding]]:
    """The normalised forms of ``record`` and the findings about its values."""
    latest = record.addresses[-1].postcode if record.addresses else None
    std = Standardised(
        forename_norm=normalise_name(record.forename),
        surname_norm=normalise_name(record.surname),
        sex=normalise_sex(record.sex),
        ethnicity=normalise_ethnicity(record.ethnicity),
        nhs_number=clean_identifier(record.nhs_number),
        nhs_number_check=check_nhs_number(record.nhs_number),
        upn=None if upn_unknown_code(record.upn) else clean_identifier(record.upn),
        upn_check=check_upn(record.upn),
        upn_unknown=upn_unknown_code(record.upn) or upn_unknown_code(record.upn_unknown),
        uln=clean_identifier(record.uln),
        uln_check=check_uln(record.uln),
        postcode=normalise_postcode(latest),
    )
    checks = [
        _id_finding("upn", "UPN", std.upn_check, row),
        _id_finding("upn", "former UPN", check_upn(record.former_upn), row),
        _id_finding("uln", "ULN", std.uln_check, row),
        _id_finding("nhs_number", "NHS number", std.nhs_number_check, row),
    ]
    findings = [f for f in checks if f is not None]
    findings += _postcode_and_date_findings(record, row, today)
    return std, findings


def _postcode_and_date_findings(record: SourceRecordIn, row: int, today: date) -> list[Finding]:
    findings = []
    for address in record.addresses:
        if address.postcode and normalise_postcode(address.postcode) is None:
            findings.append(
                Finding(
                    "postcode.shape",
                    "postcode is not a UK postcode",
                    "correct the postcode (e.g. 'SW1A 1AA'), or leave it blank if not known",
                    row=row,
                    field="postcode",
                )
            )
    if record.date_of_birth is not None and record.date_of_birth > today:
        findings.append(
            Finding(
                "date_of_birth.future",
                "date of birth is in the future",
                "correct the date of birth; for an unborn child use the expected date field",
                row=row,
                field="date_of_birth",
            )
        )
    if not any(
        (
            record.forename,
            record.surname,
            record.date_of_birth,
            record.source_key,
            record.nhs_number,
            record.upn,
            record.uln,
            record.la_child_id,
        )
    ):
        findings.append(
            Finding(
                "record.no_identity",
                "the record has no name, date of birth or identifier",
                "add at least one identifying field; the record cannot be linked without one",
                row=row,
            )
        )
    return findings
