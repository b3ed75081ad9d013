"""Exceptions of :mod:`jiliang.core.dcc`; each names the field, file or XPath at fault."""

from __future__ import annotations


class DccError(Exception):
    """Base class of every DCC error."""


class UnsafeXmlError(DccError):
    """The input was refused before or while parsing: DOCTYPE/entities, too large or too deep."""


class MalformedXmlError(DccError):
    """The input is not well-formed XML."""


class SchemaUnavailable(DccError):
    """No XSD for a DCC ``schemaVersion`` could be found locally (or downloaded)."""

    def __init__(self, version: str, places: list[str], detail: str = "") -> None:
        self.version = version
        self.places = places
        where = "; ".join(places) if places else "(no schema directory configured)"
        extra = f" ({detail})" if detail else ""
        super().__init__(f"no XSD for DCC schemaVersion {version!r}{extra}; looked in: {where}")


class DccStructureError(DccError):
    """A DCC is well-formed but lacks an element the importer needs (names its XPath)."""


class RecordError(DccError):
    """A calibration record cannot be turned into a DCC (names the offending field)."""


class SignatureError(DccError):
    """Signing failed (bad key/certificate input)."""


class RenderError(DccError):
    """The PDF could not be produced (e.g. no CJK font available)."""
