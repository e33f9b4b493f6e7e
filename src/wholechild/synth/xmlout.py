"""Streaming XML output: one element per child, written as it is built (lxml ``xmlfile``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from lxml import etree


def sub(parent: etree._Element, tag: str, text: str | date | int | None = None) -> etree._Element:
    """Append a child element; dates are written ISO (the XSDs' xs:date)."""
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = text.isoformat() if isinstance(text, date) else str(text)
    return element


def maybe(parent: etree._Element, tag: str, text: str | date | None) -> None:
    """Append a child element only when there is a value (an optional element)."""
    if text:
        sub(parent, tag, text)


def header_source(
    parent: etree._Element, collection: str, year: str, reference: date, la_code: str
) -> etree._Element:
    details = sub(parent, "CollectionDetails")
    sub(details, "Collection", collection)
    sub(details, "Year", year)
    sub(details, "ReferenceDate", reference)
    source = sub(parent, "Source")
    sub(source, "SourceLevel", "L")
    sub(source, "LEA", la_code)
    sub(source, "SoftwareCode", "wholechild synthetic council")
    sub(source, "Release", "1")
    sub(source, "SerialNo", "001")
    sub(source, "DateTime", f"{reference.isoformat()}T09:00:00")  # fixed: output is reproducible
    return source


@contextmanager
def xml_stream(path: Path, root: str, container: str, header: etree._Element) -> Iterator[Any]:
    """Open ``<root><Header/>...<container>`` and yield a function that writes one element."""
    with path.open("wb") as handle, etree.xmlfile(handle, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(root):
            xf.write("\n")
            xf.write(header, pretty_print=True)
            with xf.element(container):
                xf.write("\n")

                def write(element: etree._Element) -> None:
                    xf.write(element, pretty_print=True)

                yield write
            xf.write("\n")
