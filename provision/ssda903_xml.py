"""The SSDA903 return as the XML file LAs submit to DfE's collection, read into the CSV layout's three tables.

The layout is the one D2I's validator (data-to-insight/csc-validator-be-903) reads: a root element (``EXPSSDA903``)
holding one ``CHILD`` per child; each ``CHILD`` has a ``HEADER`` (``CHILDID``, ``SEX``, ``DOB``, ``ETHNIC``, ``UPN``,
``MOTHER``, ``MC_DOB``, ``UASC`` …, with the child's missing episodes as ``AMISSING`` elements inside it) and one
``EPISODE`` per episode (``DECOM``, ``RNE``, ``LS``, ``CIN``, ``PL``, … ``HOME_POST``, ``PL_POST``). ``CHILDID``
becomes ``CHILD`` and ``PL`` becomes ``PLACE``, as in the CSV files. Each row is indexed by the line of its element
in the file, and messages name the child and the element.

The file is parsed as a stream with :mod:`defusedxml` (entity declarations are refused), so a large return is
read in one pass with little memory.
"""

from __future__ import annotations

import logging
import xml.sax
from pathlib import Path
from typing import Any

import pandas as pd
from defusedxml import DefusedXmlException
from defusedxml.sax import parse as sax_parse

from provision.ssda903_csv import RawTable, per_value, problem

logger = logging.getLogger(__name__)

__all__ = ["read_xml_return", "XML_TABLES"]

XML_TABLES = {"episodes": "EPISODE", "header": "HEADER", "missing": "AMISSING"}
"""The element that holds one row of each table."""

_RENAME = {"CHILDID": "CHILD", "PL": "PLACE"}
_NESTED_IN_HEADER = {"AREVIEW", "AMISSING", "OC2", "OC3", "AD1", "PERMANENCE", "AD_PLACED", "UASC_ROW"}


def read_xml_return(path: Path) -> dict[str, RawTable]:
    """Read an SSDA903 XML return into ``episodes``, ``header`` and ``missing`` tables (strings, CSV column names).

    A child with no ``AMISSING`` element went missing from no placement: a return with none at all gives an
    empty ``missing`` table (no child went missing), not an absent one. A file that is not well-formed XML, or has
    no ``CHILD`` element, gives tables that are None with the problem said once, in ``episodes``.
    """
    name = path.name
    handler = _Handler()
    try:
        sax_parse(str(path), handler)
    except xml.sax.SAXParseException as exc:
        return _unusable(name, f"is not well-formed XML (line {exc.getLineNumber()}, column "
                               f"{exc.getColumnNumber()}: {exc.getMessage()}); export the return again")
    except DefusedXmlException as exc:
        return _unusable(name, f"is refused: the XML declares entities ({type(exc).__name__}); an SSDA903 "
                               "return never does")
    if handler.children == 0:
        return _unusable(name, f"has no CHILD element (its root is <{handler.root}>): not an SSDA903 XML return")
    out = {}
    for table, element in XML_TABLES.items():
        records = handler.rows[table]
        frame = pd.DataFrame([r["values"] for r in records]).fillna("") if records else pd.DataFrame()
        lines = [r["line"] for r in records]
        frame.index = pd.Index(lines, name="row", dtype="int64")
        if not records:
            frame = pd.DataFrame(columns=["CHILD"], index=pd.Index([], name="row", dtype="int64"))
        where = pd.Series([f"{name}, CHILD {r['child']!r}, {element} {r['n']} (line {r['line']})"
                           if table != "header" else f"{name}, CHILD {r['child']!r}, HEADER (line {r['line']})"
                           for r in records], index=frame.index, dtype=object)
        frame = frame.astype(str).apply(per_value, fn=str.strip) if len(frame) else frame
        out[table] = RawTable(frame, name, [], where, layout="xml")
    logger.info("%s: %d children, %d episodes, %d missing episodes", name, handler.children,
                len(handler.rows["episodes"]), len(handler.rows["missing"]))
    return out


def _unusable(name: str, detail: str) -> dict[str, RawTable]:
    tables = {t: RawTable(None, name, [], layout="xml") for t in XML_TABLES}
    tables["episodes"].problems.append(problem(name, None, "", "", "not an SSDA903 XML file", detail))
    return tables


class _Handler(xml.sax.ContentHandler):
    """Collect one record per HEADER, EPISODE and AMISSING element, with the line it starts on."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[dict[str, Any]]] = {t: [] for t in XML_TABLES}
        self.children = 0
        self.root = ""
        self._stack: list[str] = []
        self._text: list[str] = []
        self._record: dict[str, Any] | None = None
        self._child: list[dict[str, Any]] = []
        self._counts: dict[str, int] = {}
        self._locator: Any = None

    def setDocumentLocator(self, locator: Any) -> None:  # noqa: N802 - the SAX API
        self._locator = locator

    def startElement(self, name: str, attrs: Any) -> None:  # noqa: N802
        tag = name.rsplit(":", 1)[-1].upper()
        if not self._stack:
            self.root = name
        self._stack.append(tag)
        self._text = []
        line = self._locator.getLineNumber() if self._locator is not None else 0
        if tag == "CHILD" and len(self._stack) == 2:
            self.children += 1
            self._child = []
            self._counts = {}
        elif self._in_child and tag in {"HEADER", "EPISODE", "AMISSING"}:  # at any depth (an EPISODES wrapper)
            table = {"HEADER": "header", "EPISODE": "episodes", "AMISSING": "missing"}[tag]
            self._counts[tag] = self._counts.get(tag, 0) + 1
            record = {"table": table, "line": line, "n": self._counts[tag], "values": {}, "parent": self._record}
            self._child.append(record)
            self._record = record

    def characters(self, content: str) -> None:
        self._text.append(content)

    def endElement(self, name: str) -> None:  # noqa: N802
        tag = self._stack.pop()
        if tag == "CHILD" and len(self._stack) == 1:
            self._finish_child()
            return
        record = self._record
        if record is not None and tag in {"HEADER", "EPISODE", "AMISSING"} and record["table"] == {
                "HEADER": "header", "EPISODE": "episodes", "AMISSING": "missing"}[tag]:
            self._record = record["parent"]
            return
        if record is not None and self._stack and self._stack[-1] in {"HEADER", "EPISODE", "AMISSING"}:
            if tag not in _NESTED_IN_HEADER:
                record["values"].setdefault(_RENAME.get(tag, tag), "".join(self._text))
        self._text = []

    @property
    def _in_child(self) -> bool:
        return len(self._stack) >= 3 and self._stack[1] == "CHILD"

    def _finish_child(self) -> None:
        header = next((r for r in self._child if r["table"] == "header"), None)
        values = header["values"] if header is not None else {}
        child = values.get("CHILD", "")
        for r in self._child:
            r["child"] = child
            if r["table"] != "header":
                r["values"] = {"CHILD": child, **({"DOB": values.get("DOB", "")} if r["table"] == "missing"
                                                  else {}), **r["values"]}
            r.pop("parent", None)
            self.rows[r["table"]].append(r)
        self._child = []
