"""Numbers of metrological technical specifications (计量技术规范体系): JJG and JJF documents.

A national verification regulation (国家计量检定规程) is numbered ``JJG <serial>-<year>``, a
national technical specification (国家计量技术规范) ``JJF <serial>-<year>``; local ones carry the
issuing province's one-character abbreviation in parentheses (``JJG(吉) 57-2020``), departmental
ones the department's name (``JJG(铁道) 123-2015``). Part numbers are written with a point
(``JJF 1059.1-2012``).

:func:`normalise_spec_number` is the stored form: Unicode NFKC (fullwidth ``ＪＪＧ５９６－２０１２``
and ``（吉）`` fold), the prefix upper-cased, one space before the serial, the dash before the
four-digit year (``jjg596—2012`` → ``JJG 596-2012``). The character check is the certificate
number's (:func:`jiliang.core.identifiers.normalise_certificate_no`): no invisible or look-alike
characters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from jiliang.core.identifiers import IdentifierError, normalise_certificate_no

#: GB/T 2260 province prefix → the abbreviation (简称) local specifications carry
PROVINCE_ABBREVIATIONS: dict[str, str] = {
    "11": "京",
    "12": "津",
    "13": "冀",
    "14": "晋",
    "15": "蒙",
    "21": "辽",
    "22": "吉",
    "23": "黑",
    "31": "沪",
    "32": "苏",
    "33": "浙",
    "34": "皖",
    "35": "闽",
    "36": "赣",
    "37": "鲁",
    "41": "豫",
    "42": "鄂",
    "43": "湘",
    "44": "粤",
    "45": "桂",
    "46": "琼",
    "50": "渝",
    "51": "川",
    "52": "黔",
    "53": "滇",
    "54": "藏",
    "61": "陕",
    "62": "甘",
    "63": "青",
    "64": "宁",
    "65": "新",
}
#: alternative abbreviations in use (蜀 Sichuan, 贵 Guizhou, 云 Yunnan, 陇 Gansu)
_ALTERNATIVES = {"蜀": "51", "贵": "52", "云": "53", "陇": "62"}
PROVINCE_OF_ABBREVIATION: dict[str, str] = {
    **{abbr: prefix for prefix, abbr in PROVINCE_ABBREVIATIONS.items()},
    **_ALTERNATIVES,
}

#: dashes people type between serial and year; NFKC folds the fullwidth hyphen-minus itself
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63"
_NUMBER = re.compile(
    r"^(?P<prefix>JJ[GF])\s*(?:\((?P<tag>[\u4e00-\u9fff]{1,8})\))?\s*"
    r"(?P<serial>\d{1,5}(?:\.\d{1,3})?)\s*-\s*(?P<year>\d{4})$",
    re.IGNORECASE,
)


class SpecificationNumberError(ValueError):
    """A specification number that cannot be read; the message starts with ``number``."""


@dataclass(frozen=True)
class SpecNumber:
    """The parts of a normalised number: ``JJG``/``JJF``, the tag in parentheses (a province's
    abbreviation or a department, or None for a national document), serial and year."""

    prefix: str
    tag: str | None
    serial: str
    year: int

    def __str__(self) -> str:
        tag = f"({self.tag})" if self.tag else ""
        return f"{self.prefix}{tag} {self.serial}-{self.year}"

    @property
    def is_regulation(self) -> bool:
        """JJG: a verification regulation (检定规程); JJF: a technical specification (技术规范)."""
        return self.prefix == "JJG"

    @property
    def province_prefix(self) -> str | None:
        """GB/T 2260 prefix of the province whose abbreviation the tag is (None otherwise)."""
        return PROVINCE_OF_ABBREVIATION.get(self.tag or "")


def parse_spec_number(value: str) -> SpecNumber:
    """Parse a JJG/JJF number; :class:`SpecificationNumberError` naming ``number`` otherwise."""
    text = unicodedata.normalize("NFKC", str(value)).strip()
    for dash in _DASHES:
        text = text.replace(dash, "-")
    compact = re.sub(r"\s+", "", text)
    try:
        normalise_certificate_no(compact)
    except IdentifierError as exc:
        raise SpecificationNumberError(
            "number: " + str(exc).replace("certificate number", "specification number")
        ) from None
    match = _NUMBER.match(re.sub(r"\s+", " ", text))
    if match is None:
        raise SpecificationNumberError(
            f"number: {value!r} is not a JJG/JJF number such as 'JJG 596-2012' or "
            "'JJF(吉) 12-2020' (prefix, optional tag in parentheses, serial, dash, 4-digit year)"
        )
    year = int(match["year"])
    if not 1950 <= year <= 2199:
        raise SpecificationNumberError(f"number: year {year} must lie between 1950 and 2199")
    return SpecNumber(match["prefix"].upper(), match["tag"], match["serial"], year)


def normalise_spec_number(value: str) -> str:
    """The stored form of a JJG/JJF number (``jjg596—2012`` → ``JJG 596-2012``)."""
    return str(parse_spec_number(value))
