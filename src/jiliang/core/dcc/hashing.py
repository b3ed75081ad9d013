"""Canonical SHA-256 of a DCC: the certificate's identity in the transparency log.

Choice (documented in docs/dcc.md): exclusive XML canonicalisation (C14N 1.0, exclusive, without
comments) of the whole document after removing every enveloped ``ds:Signature`` element.
Removing the signature means the identity is the same before and after signing (and after a
re-signature), so the log leaf can be appended when the certificate is issued and the signed file
still matches. Comments are dropped because they are not certificate content; exclusive C14N
makes the result independent of namespace declarations inherited from outside.
"""

from __future__ import annotations

import copy
import hashlib

from lxml import etree

from jiliang.core.dcc.safexml import XmlSource, parse_xml

DS_NS = "http://www.w3.org/2000/09/xmldsig#"


def strip_signatures(root: etree._Element) -> etree._Element:
    """Return a copy of ``root`` without any ds:Signature element (their tails are preserved)."""
    root = copy.deepcopy(root)
    for sig in root.findall(f".//{{{DS_NS}}}Signature"):
        parent = sig.getparent()
        if parent is None:
            continue
        # lxml's remove() drops the element's tail text too; keep it so that removing a signature
        # restores the exact pre-signing text content.
        if sig.tail:
            prev = sig.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + sig.tail
            else:
                parent.text = (parent.text or "") + sig.tail
        parent.remove(sig)
    return root


def canonical_bytes(source: XmlSource | etree._ElementTree | etree._Element) -> bytes:
    """Exclusive C14N (no comments) of the document with signatures removed."""
    if isinstance(source, etree._Element):
        root = source
    elif isinstance(source, etree._ElementTree):
        root = source.getroot()
    else:
        root = parse_xml(source).getroot()
    return etree.tostring(
        strip_signatures(root), method="c14n", exclusive=True, with_comments=False
    )


def canonical_hash(source: XmlSource | etree._ElementTree | etree._Element) -> str:
    """SHA-256 (lower-case hex) over :func:`canonical_bytes`."""
    return hashlib.sha256(canonical_bytes(source)).hexdigest()
