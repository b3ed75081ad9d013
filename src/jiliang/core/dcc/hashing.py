"""Canonical SHA-256 of a DCC: the certificate's identity in the transparency log.

Choice (documented in docs/dcc.md): exclusive XML canonicalisation (C14N 1.0, exclusive, without
comments) of the whole document after removing every enveloped ``ds:Signature`` element.
Removing the signature means the identity is the same before and after signing (and after a
re-signature), so the log leaf can be appended when the certificate is issued and the signed file
still matches. Comments are dropped because they are not certificate content; exclusive C14N
makes the result independent of namespace declarations inherited from outside. A document whose
hash could hide content is refused instead of hashed: a comment inside a value (the parsed text
would differ from the hashed one) and a second or misplaced ``ds:Signature`` (signature wrapping:
its content would vanish with the signatures).
"""

from __future__ import annotations

import copy
import hashlib

from lxml import etree

from jiliang.core.dcc.errors import UnsafeXmlError
from jiliang.core.dcc.safexml import XmlSource, hidden_markup, parse_xml

DS_NS = "http://www.w3.org/2000/09/xmldsig#"


def signature_problems(root: etree._Element) -> list[str]:
    """Why the ``ds:Signature`` elements of ``root`` are not one enveloped signature, if so.

    A DCC carries at most one signature, as a child of the root element. Anything else is refused
    (signature wrapping): :func:`strip_signatures` removes every ``ds:Signature`` before hashing,
    so content hidden inside a second or nested one would otherwise keep the certificate's hash.
    """
    sigs = list(root.iter(f"{{{DS_NS}}}Signature"))
    problems = []
    if len(sigs) > 1:
        problems.append(
            f"{len(sigs)} ds:Signature elements: a DCC carries one enveloped signature "
            "(signature wrapping refused)"
        )
    tree = root.getroottree()
    for sig in sigs:
        if sig.getparent() is not root:
            problems.append(
                f"ds:Signature at {tree.getpath(sig)} is not a child of the root element "
                "(signature wrapping refused)"
            )
    return problems


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
    """Exclusive C14N (no comments) of the document with its enveloped signature removed.

    Raises :class:`UnsafeXmlError` for more than one signature or one outside the root's children
    (see :func:`signature_problems`), and, for unparsed input, whatever :func:`parse_xml` refuses.
    """
    if isinstance(source, etree._Element):
        root = source
    elif isinstance(source, etree._ElementTree):
        root = source.getroot()
    else:
        root = parse_xml(source).getroot()
    hidden = hidden_markup(root.getroottree())  # parse_xml checks it; a caller's tree may not
    problems = ([hidden] if hidden else []) + signature_problems(root)
    if problems:
        raise UnsafeXmlError("; ".join(problems))
    return etree.tostring(
        strip_signatures(root), method="c14n", exclusive=True, with_comments=False
    )


def canonical_hash(source: XmlSource | etree._ElementTree | etree._Element) -> str:
    """SHA-256 (lower-case hex) over :func:`canonical_bytes`."""
    return hashlib.sha256(canonical_bytes(source)).hexdigest()
