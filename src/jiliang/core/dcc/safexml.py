"""Hardened XML parsing for untrusted DCC files.

Every DCC that enters jiliang (uploads on the public verification page, imports of third-party
certificates, CLI input) goes through :func:`parse_xml`. The parser never loads a DTD, never
resolves entities, never touches the network and keeps libxml2's own limits (``huge_tree`` off).
A DCC has no business carrying a DOCTYPE, so any DOCTYPE is refused outright — that closes XXE
and entity-expansion ("billion laughs") attacks without having to reason about what libxml2 would
or would not expand. Size is checked before parsing, depth right after. Comments inside text
and processing instructions are refused too (:func:`hidden_markup`): they make the parsed tree
differ from the canonical form that is signed and hashed.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

from lxml import etree

from jiliang.core.dcc.errors import MalformedXmlError, UnsafeXmlError

#: Largest accepted document; real DCCs with embedded scans stay well below this.
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
#: Deepest accepted element nesting; PTB examples reach ~15 levels.
DEFAULT_MAX_DEPTH = 100

XmlSource = bytes | str | os.PathLike[str]

_local = threading.local()  # lxml parsers are not thread-safe; one per thread


def safe_parser() -> etree.XMLParser:
    """Return this thread's hardened parser (also used for XSD files)."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=False,
            remove_pis=False,
        )
        _local.parser = parser
    return parser


def read_source(source: XmlSource, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Return the bytes of ``source`` (bytes, XML text, or a path), refusing anything too large."""
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, str):
        data = source.encode("utf-8")
    else:
        path = Path(source)
        size = path.stat().st_size
        if size > max_bytes:
            raise UnsafeXmlError(f"{path}: {size} bytes exceeds the limit of {max_bytes} bytes")
        data = path.read_bytes()
    if len(data) > max_bytes:
        raise UnsafeXmlError(
            f"document of {len(data)} bytes exceeds the limit of {max_bytes} bytes"
        )
    return data


@lru_cache(maxsize=8)
def _too_deep(max_depth: int) -> etree.XPath:
    # An absolute path of max_depth+1 steps selects any element nested deeper than allowed;
    # libxml2 evaluates it in C, much faster than walking the tree in Python.
    return etree.XPath("/*" * (max_depth + 1) + "[1]")


def parse_xml(
    source: XmlSource,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> etree._ElementTree:
    """Parse untrusted XML safely.

    Raises :class:`UnsafeXmlError` for a DOCTYPE (hence any entity declaration), an oversized
    document or nesting deeper than ``max_depth``; :class:`MalformedXmlError` for broken XML.
    """
    data = read_source(source, max_bytes)
    # Cheap pre-check in the common encodings; the docinfo check below is authoritative.
    if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data.upper():
        raise UnsafeXmlError("DOCTYPE/ENTITY declarations are not allowed in a DCC")
    parser = safe_parser()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        msg = str(exc)
        if "depth" in msg.lower() or "huge" in msg.lower():
            raise UnsafeXmlError(f"document exceeds parser limits: {msg}") from exc
        raise MalformedXmlError(f"not well-formed XML: {msg}") from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UnsafeXmlError("DOCTYPE declarations are not allowed in a DCC")
    if _too_deep(max_depth)(tree):
        raise UnsafeXmlError(f"element nesting deeper than {max_depth} levels")
    problem = hidden_markup(tree)
    if problem:
        raise UnsafeXmlError(problem)
    return tree


_MARKUP_XPATH = etree.XPath("/*//comment() | /*//processing-instruction()")


def _blank(text: str | None) -> bool:
    return not text or text.isspace()


def hidden_markup(tree: etree._ElementTree) -> str | None:
    """Why the document is refused for markup that hides content, or ``None``.

    A comment splits a text node in the parsed tree but vanishes from the signed, canonical
    form (XML-DSig with ``URI=""`` and C14N without comments), so ``<si:value>6<!---->5.0
    </si:value>`` is signed and hashed as 65.0 while a reader of ``.text`` sees 6.0. Such a
    comment (one touching non-blank text) is refused, and so is any processing instruction
    inside the root element (it is signed content, but no DCC reader looks at it). Comments
    standing alone between elements (PTB's licence headers) are harmless and allowed.
    """
    for node in _MARKUP_XPATH(tree):
        parent = node.getparent()
        where = tree.getpath(parent) if parent is not None else "/"
        if isinstance(node, etree._ProcessingInstruction):
            return (
                f"processing instruction <?{node.target} ...?> inside {where}: processing "
                "instructions are not allowed inside a DCC (remove it)"
            )
        before = node.getprevious()
        text_before = before.tail if before is not None else parent.text
        if not (_blank(text_before) and _blank(node.tail)):
            return (
                f"comment inside the text of {where}: a comment that splits a value hides part "
                "of it from some readers and not from the signature; remove the comment"
            )
    return None
