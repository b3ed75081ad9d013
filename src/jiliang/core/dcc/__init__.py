"""PTB Digital Calibration Certificates (DCC 3.x XML with D-SI quantities).

Build from a plain :class:`CalibrationRecord`, validate (XSD of the document's own version + D-SI
units + semantics), import into plain dataclasses, sign and verify (XML-DSig / XAdES-BES),
hash (SHA-256 over exclusive C14N without signatures) and render to PDF. All XML input goes
through the hardened parser in :mod:`safexml`. Submodules import lazily-heavy pieces (reportlab,
signxml) only where needed: import ``jiliang.core.dcc.render`` / ``.sign`` explicitly.
"""

from __future__ import annotations

from jiliang.core.dcc.build import SCHEMA_VERSION, build_dcc, build_element
from jiliang.core.dcc.errors import (
    DccError,
    DccStructureError,
    MalformedXmlError,
    RecordError,
    RenderError,
    SchemaUnavailable,
    SignatureError,
    UnsafeXmlError,
)
from jiliang.core.dcc.hashing import canonical_bytes, canonical_hash
from jiliang.core.dcc.parse import ParsedDcc, ParsedQuantity, parse_dcc
from jiliang.core.dcc.records import CalibrationRecord, record_from_mapping
from jiliang.core.dcc.safexml import parse_xml
from jiliang.core.dcc.schemas import default_schema_dirs, download_schema, get_schema
from jiliang.core.dcc.validate import Problem, ValidationReport, validate

__all__ = [
    "SCHEMA_VERSION",
    "CalibrationRecord",
    "DccError",
    "DccStructureError",
    "MalformedXmlError",
    "ParsedDcc",
    "ParsedQuantity",
    "Problem",
    "RecordError",
    "RenderError",
    "SchemaUnavailable",
    "SignatureError",
    "UnsafeXmlError",
    "ValidationReport",
    "build_dcc",
    "build_element",
    "canonical_bytes",
    "canonical_hash",
    "default_schema_dirs",
    "download_schema",
    "get_schema",
    "parse_dcc",
    "parse_xml",
    "record_from_mapping",
    "validate",
]
