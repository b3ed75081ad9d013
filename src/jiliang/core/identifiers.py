"""Identifiers: lifetime IDs (计量器具识别编码 style) with an ISO/IEC 7064 check character.

Format: ``RRRRRR-CCC-YYYY-NNNNNNN-X`` where ``RRRRRR`` is the GB/T 2260 code of the region where the
instrument was first filed, ``CCC`` a three-letter category code, ``YYYY`` the year of filing,
``NNNNNNN`` a sequence number, and ``X`` the ISO/IEC 7064 MOD 37,36 check character over the
characters before it (hyphens excluded). The check character catches every single-character
error and all but about 0.15 % of transpositions of adjacent characters (measured in
``tests/core/test_identifiers.py``), so a mistyped ID is refused rather than matched to another
instrument.
"""

from __future__ import annotations

import re
import unicodedata

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PATTERN = re.compile(r"^(\d{6})-([A-Z]{3})-(\d{4})-(\d{7})-([0-9A-Z])$")


class IdentifierError(ValueError):
    """A lifetime ID that is malformed or whose check character does not match."""


def check_character(payload: str) -> str:
    """ISO/IEC 7064 MOD 37,36 (hybrid system) check character for ``payload`` (0-9, A-Z)."""
    modulus = 36
    product = modulus
    for ch in payload.upper():
        value = ALPHABET.find(ch)
        if value < 0:
            raise IdentifierError(f"character {ch!r} is not allowed in an identifier")
        total = (product + value) % modulus or modulus
        product = (total * 2) % (modulus + 1)
    return ALPHABET[(modulus + 1 - product) % modulus]


def make_lifetime_id(region_code: str, category_code: str, year: int, sequence: int) -> str:
    """Build a lifetime ID; raises :class:`IdentifierError` naming the bad part."""
    if not re.fullmatch(r"\d{6}", region_code):
        raise IdentifierError(f"region_code must be a 6-digit GB/T 2260 code, got {region_code!r}")
    if not re.fullmatch(r"[A-Z]{3}", category_code):
        raise IdentifierError(f"category_code must be three capital letters, got {category_code!r}")
    if not 1900 <= year <= 9999:
        raise IdentifierError(f"year out of range: {year}")
    if not 0 <= sequence < 10_000_000:
        raise IdentifierError(f"sequence out of range: {sequence}")
    payload = f"{region_code}{category_code}{year:04d}{sequence:07d}"
    return f"{region_code}-{category_code}-{year:04d}-{sequence:07d}-{check_character(payload)}"


def validate_lifetime_id(value: str) -> str:
    """Return ``value`` if it is a well-formed lifetime ID with a correct check character."""
    match = _PATTERN.match(value or "")
    if not match:
        raise IdentifierError(
            f"lifetime ID {value!r} does not match RRRRRR-CCC-YYYY-NNNNNNN-X "
            "(region code, category letters, year, sequence, check character)"
        )
    payload = "".join(match.groups()[:4])
    expected = check_character(payload)
    if match.group(5) != expected:
        raise IdentifierError(
            f"lifetime ID {value!r} has check character {match.group(5)!r}; expected {expected!r}"
        )
    return value


#: GB 32100-2015 unified social credit code: 31-character alphabet (no I, O, S, V, Z).
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check(first17: str) -> str:
    """Check character (18th) of a GB 32100 unified social credit code."""
    if len(first17) != 17:
        raise IdentifierError(f"credit code body must have 17 characters, got {len(first17)}")
    total = 0
    for ch, weight in zip(first17.upper(), _CREDIT_WEIGHTS, strict=True):
        value = CREDIT_ALPHABET.find(ch)
        if value < 0:
            raise IdentifierError(f"character {ch!r} is not allowed in a credit code")
        total += value * weight
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> str:
    """Return ``value`` if it is an 18-character credit code with a correct check character."""
    if len(value or "") != 18:
        raise IdentifierError(f"credit code {value!r} must have 18 characters")
    expected = credit_code_check(value[:17])
    if value[17].upper() != expected:
        raise IdentifierError(
            f"credit code {value!r} has check character {value[17]!r}; expected {expected!r}"
        )
    return value


# -- certificate numbers ------------------------------------------------------------------------

#: what a certificate number may hold after NFKC: ASCII letters and digits, CJK ideographs (as
#: in 浙计检字), and the separators labs print; anything else (Cyrillic "А", Greek "Ο", fullwidth
#: forms that NFKC does not fold) is a look-alike risk
_CERT_ALLOWED = re.compile(r"^[0-9A-Za-z\u4e00-\u9fff\-_/.()#]+$")


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) in {"Cf", "Cc", "Zs", "Zl", "Zp", "Mn"} or ch.isspace()


def normalise_certificate_no(value: str) -> str:
    """A certificate number as stored: Unicode NFKC (fullwidth Ｊ → J), no invisible or
    confusable characters, 1–80 characters. IdentifierError names the offending character."""
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        raise IdentifierError("certificate number is empty")
    if len(text) > 80:
        raise IdentifierError(f"certificate number is longer than 80 characters ({len(text)})")
    for ch in text:
        if _invisible(ch):
            name = unicodedata.name(ch, f"U+{ord(ch):04X}")
            raise IdentifierError(f"certificate number holds an invisible character ({name})")
    if not _CERT_ALLOWED.match(text):
        bad = next(ch for ch in text if not _CERT_ALLOWED.match(ch))
        name = unicodedata.name(bad, f"U+{ord(bad):04X}")
        raise IdentifierError(
            f"certificate number holds {bad!r} ({name}): use letters A–Z, digits, CJK characters "
            "and - _ / . ( ) #"
        )
    return text


def certificate_lookup_key(value: str) -> str:
    """The form a typed or scanned number is looked up by: NFKC with invisible characters
    removed, so a look-alike (``JD-1\\u200b2``) finds the real record (``JD-12``)."""
    text = unicodedata.normalize("NFKC", str(value))
    return "".join(ch for ch in text if not _invisible(ch)).strip()
