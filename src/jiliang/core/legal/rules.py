"""Versioned rule tables (规则表): legal-metrology rules kept as data, not constants.

Every table is a YAML document with a ``kind`` (what it rules: ``catalogue``,
``prepackaged_tolerance``, ``prepackaged_sampling``, ``credit``, ``risk``, ``draw``,
``supervision``), an
``edition``, a ``source``, an ``effective_from`` date and a list of ``entries`` each carrying its
own ``confirmed`` flag. A bureau (地方市场监管部门) may publish an *override* table
(``override: true``) that patches entries of the national edition it applies to — for example a
shorter verification period. :meth:`RuleBook.table` picks, for a date, the latest national
edition in force and applies every override in force on top of it.

Patch semantics (:func:`merge_entry`): mappings merge key by key; a list of mappings that carry
an ``id`` (catalogue ``variants``) is patched by a mapping ``{id: patch}``; anything else is
replaced.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).with_name("data")
# libyaml's safe loader when built in (10x faster), else the pure-Python one; both are safe.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_REQUIRED = ("kind", "edition", "source", "effective_from", "entries")


class RuleError(ValueError):
    """A rule table is malformed or no edition is in force for the requested date."""


@dataclass(frozen=True)
class RuleTable:
    """One edition of one rule table (or the merged view of an edition plus overrides).

    ``meta`` keeps every top-level field other than ``entries`` so modules can read table-wide
    parameters (e.g. the rounding rule of the tolerable-deficiency table).
    """

    kind: str
    edition: str
    source: str
    effective_from: dt.date
    entries: tuple[dict[str, Any], ...]
    override: bool = False
    applies_to: str | None = None
    key: str = "code"
    meta: dict[str, Any] = field(default_factory=dict)
    path: str | None = None
    #: editions/overrides merged into this view, oldest first (for explanations)
    provenance: tuple[str, ...] = ()

    def entry(self, key_value: str) -> dict[str, Any]:
        """The entry whose key field equals ``key_value``; KeyError naming the table if absent."""
        for e in self.entries:
            if e.get(self.key) == key_value:
                return e
        raise KeyError(f"{self.kind} ({self.edition}): no entry with {self.key}={key_value!r}")

    @property
    def label(self) -> str:
        """Human label: edition and effective date, plus overrides applied."""
        text = f"{self.edition} (in force from {self.effective_from.isoformat()})"
        if len(self.provenance) > 1:
            text += " + " + " + ".join(self.provenance[1:])
        return text


def _as_date(value: Any, field_name: str, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise RuleError(f"{where}: field {field_name!r} is not an ISO date: {value!r}") from exc


def parse_table(doc: Mapping[str, Any], path: str | None = None) -> RuleTable:
    """Validate one YAML document and build a :class:`RuleTable`."""
    where = path or "<rule table>"
    if not isinstance(doc, Mapping):
        raise RuleError(f"{where}: a rule table must be a mapping")
    missing = [k for k in _REQUIRED if k not in doc]
    if missing:
        raise RuleError(f"{where}: missing field(s) {', '.join(missing)}")
    entries = doc["entries"]
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise RuleError(f"{where}: field 'entries' must be a list of mappings")
    key = str(doc.get("key", "code"))
    for i, e in enumerate(entries):
        if key not in e:
            raise RuleError(f"{where}: entries[{i}] has no key field {key!r}")
        if not doc.get("override") and "confirmed" not in e:
            raise RuleError(f"{where}: entries[{i}] ({e[key]}) has no 'confirmed' flag")
    meta = {k: v for k, v in doc.items() if k != "entries"}
    return RuleTable(
        kind=str(doc["kind"]),
        edition=str(doc["edition"]),
        source=str(doc["source"]),
        effective_from=_as_date(doc["effective_from"], "effective_from", where),
        entries=tuple(dict(e) for e in entries),
        override=bool(doc.get("override", False)),
        applies_to=doc.get("applies_to"),
        key=key,
        meta=meta,
        path=path,
        provenance=(str(doc["edition"]),),
    )


def merge_entry(base: Any, patch: Any) -> Any:
    """Deep-merge ``patch`` into a copy of ``base`` (see module docstring for the rules)."""
    if isinstance(base, Mapping) and isinstance(patch, Mapping):
        out = dict(copy.deepcopy(base))
        for k, v in patch.items():
            out[k] = merge_entry(out[k], v) if k in out else copy.deepcopy(v)
        return out
    if (
        isinstance(base, list)
        and isinstance(patch, Mapping)
        and all(isinstance(x, Mapping) and "id" in x for x in base)
    ):
        ids = {x["id"] for x in base}
        unknown = set(patch) - ids
        if unknown:
            raise RuleError(
                f"override patches unknown id(s) {sorted(unknown)}; known {sorted(ids)}"
            )
        return [merge_entry(x, patch[x["id"]]) if x["id"] in patch else dict(x) for x in base]
    return copy.deepcopy(patch)


def _iter_yaml(paths: Iterable[str | Path]) -> Iterable[Path]:
    for p in paths:
        p = Path(p)
        if p.is_dir():
            yield from sorted(p.glob("*.yaml"))
        elif p.exists():
            yield p
        else:
            raise RuleError(f"rule file not found: {p}")


class RuleBook:
    """A set of rule tables; answers "which rules were in force on this date?"."""

    def __init__(self, tables: Iterable[RuleTable] = ()) -> None:
        self._tables: list[RuleTable] = list(tables)

    @classmethod
    def load(cls, *paths: str | Path) -> RuleBook:
        """Load YAML files or directories of ``*.yaml`` files (one or more documents each)."""
        tables = []
        for path in _iter_yaml(paths):
            with path.open(encoding="utf-8") as fh:
                for doc in yaml.load_all(fh, Loader=_Loader):
                    if doc is not None:
                        tables.append(parse_table(doc, str(path)))
        return cls(tables)

    @classmethod
    def default(cls) -> RuleBook:
        """The national tables shipped with jiliang (``jiliang/core/legal/data``), parsed once."""
        return _default_book()

    def extended(self, *paths: str | Path) -> RuleBook:
        """A new book with these tables (newer editions, bureau overrides) added."""
        return RuleBook([*self._tables, *RuleBook.load(*paths)._tables])

    @property
    def tables(self) -> tuple[RuleTable, ...]:
        return tuple(self._tables)

    def editions(self, kind: str) -> list[RuleTable]:
        """National editions of ``kind``, oldest first."""
        return sorted(
            (t for t in self._tables if t.kind == kind and not t.override),
            key=lambda t: t.effective_from,
        )

    def base(
        self, kind: str, as_of: dt.date | None = None, edition: str | None = None
    ) -> RuleTable:
        """The national edition in force on ``as_of`` (default today, UTC) or named ``edition``."""
        editions = self.editions(kind)
        if not editions:
            raise RuleError(f"no rule table of kind {kind!r} loaded")
        if edition is not None:
            for t in editions:
                if t.edition == edition:
                    return t
            names = [t.edition for t in editions]
            raise RuleError(f"{kind}: unknown edition {edition!r}; loaded: {names}")
        day = as_of or dt.datetime.now(dt.UTC).date()
        in_force = [t for t in editions if t.effective_from <= day]
        if not in_force:
            raise RuleError(f"{kind}: no edition in force on {day.isoformat()}")
        return in_force[-1]

    def table(
        self, kind: str, as_of: dt.date | None = None, edition: str | None = None
    ) -> RuleTable:
        """The national edition in force with every applicable override merged in.

        An override applies when it names this edition in ``applies_to`` (or names none) and is in
        force on ``as_of`` — and was published on or after the edition, so an override written
        against an old edition does not silently patch a newer one.
        """
        base = self.base(kind, as_of, edition)
        day = as_of or dt.datetime.now(dt.UTC).date()
        overrides = sorted(
            (
                t
                for t in self._tables
                if t.kind == kind
                and t.override
                and t.applies_to in (None, base.edition)
                and base.effective_from <= t.effective_from <= day
            ),
            key=lambda t: t.effective_from,
        )
        if not overrides:
            return base
        entries = {e[base.key]: e for e in base.entries}
        for ov in overrides:
            for patch in ov.entries:
                k = patch[ov.key]
                if k not in entries:
                    raise RuleError(
                        f"override {ov.edition!r}: {base.key}={k!r} not in {base.edition}"
                    )
                merged = merge_entry(entries[k], patch)
                merged.setdefault("overridden_by", [])
                merged["overridden_by"] = [*merged["overridden_by"], ov.edition]
                entries[k] = merged
        return RuleTable(
            kind=base.kind,
            edition=base.edition,
            source=base.source,
            effective_from=base.effective_from,
            entries=tuple(entries.values()),
            override=False,
            key=base.key,
            meta=base.meta,
            path=base.path,
            provenance=(base.edition, *(o.edition for o in overrides)),
        )


@functools.cache
def _default_book() -> RuleBook:
    # A RuleBook is never mutated (``extended`` returns a new one), so sharing is safe.
    return RuleBook.load(DATA_DIR)
