"""DCC / D-SI XSD cache: local directories first, optional one-time download, compiled per version.

File naming inside a schema directory follows PTB's release names: ``dcc_v3.1.2.xsd`` and
``SI_Format_v2.1.0.xsd``. The DCC XSD imports D-SI by its canonical URL
(``https://ptb.de/si/v2.1.0/SI_Format.xsd``); a custom lxml resolver maps that URL to the local
file so validation works offline and never touches the network.
"""

from __future__ import annotations

import os
import re
import threading
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from lxml import etree

from jiliang.core.dcc.errors import SchemaUnavailable

DCC_NS = "https://ptb.de/dcc"
SI_NS = "https://ptb.de/si"

DCC_URL = "https://ptb.de/dcc/v{version}/dcc.xsd"
SI_URL = "https://ptb.de/si/v{version}/SI_Format.xsd"
_SI_URL_RE = re.compile(r"https?://(?:www\.)?ptb\.de/si/v(\d+\.\d+\.\d+)/SI_Format\.xsd")
_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
_DCC_URL_RE = re.compile(r"https?://(?:www\.)?ptb\.de/dcc/v(\d+\.\d+\.\d+)/dcc\.xsd")
# Any other PTB schema (e.g. D-SI 2.2.0 imports .../si/v2.2.0/qudt/quantitykind.xsd).
_PTB_URL_RE = re.compile(
    r"https?://(?:www\.)?ptb\.de/((?:[A-Za-z0-9_-][A-Za-z0-9._-]*/)*"
    r"[A-Za-z0-9_-][A-Za-z0-9._-]*\.xsd)"
)
_SCHEMA_LOCATION_RE = re.compile(r"""schemaLocation\s*=\s*["']([^"']+)["']""")

#: DCC releases in use (PTB's list: https://www.ptb.de/dcc/releases.json). Not shipped (PTB's
#: licence): ``jiliang dcc schemas fetch`` installs them from their canonical URLs.
DCC_VERSIONS_IN_USE = ("3.1.2", "3.2.0", "3.2.1", "3.3.0")

_cache: dict[tuple[str, tuple[str, ...]], etree.XMLSchema] = {}
_lock = threading.Lock()


def default_schema_dirs() -> list[Path]:
    """Schema directories in search order: ``$JILIANG_DCC_SCHEMA_DIR``, ``data_dir()/schemas``."""
    from jiliang.config import data_dir

    dirs = []
    env = os.environ.get("JILIANG_DCC_SCHEMA_DIR")
    if env:
        dirs.extend(Path(p) for p in env.split(os.pathsep) if p)
    dirs.append(data_dir(create=False) / "schemas")
    return dirs


def install_hint(version: str) -> str:
    """What an operator does when the XSD of DCC ``version`` is missing (no server paths).

    The XSDs are PTB's (LGPL) and are not shipped with jiliang: each deployment installs them.
    """
    return (
        f"the XSD for DCC schemaVersion {version} is not installed on this server. An operator "
        f"must install dcc_v{version}.xsd and the SI_Format_v*.xsd it imports (from "
        "https://ptb.de/dcc): put them in a directory named by JILIANG_DCC_SCHEMA_DIR, or in "
        "the data directory's schemas/ folder, or fetch them there once with network access: "
        f"jiliang dcc schemas fetch {version} (in Python: "
        f"jiliang.core.dcc.download_schema('{version}'))"
    )


def local_name(url: str) -> str | None:
    """File name under which the PTB schema at ``url`` is kept in a schema directory.

    PTB's release names for the DCC and D-SI XSDs (``dcc_v3.1.2.xsd``, ``SI_Format_v2.1.0.xsd``);
    any other ``ptb.de`` XSD gets its URL path with ``/`` replaced by ``_`` behind ``ptb.de_``
    (``ptb.de_si_v2.2.0_qudt_quantitykind.xsd``). ``None`` for URLs outside ptb.de.
    """
    for regex, template in ((_SI_URL_RE, "SI_Format_v{}.xsd"), (_DCC_URL_RE, "dcc_v{}.xsd")):
        match = regex.fullmatch(url or "")
        if match:
            return template.format(match.group(1))
    match = _PTB_URL_RE.fullmatch(url or "")
    if match and ".." not in match.group(1).split("/"):
        return "ptb.de_" + match.group(1).replace("/", "_")
    return None


def installed_versions(schema_dirs: Iterable[Path | str] | None = None) -> dict[str, Path]:
    """DCC versions whose ``dcc_v{version}.xsd`` is in a schema directory (first one wins)."""
    dirs = [Path(d) for d in (schema_dirs if schema_dirs is not None else default_schema_dirs())]
    found: dict[str, Path] = {}
    for d in dirs:
        for path in sorted(d.glob("dcc_v*.xsd")) if d.is_dir() else ():
            version = path.name[len("dcc_v") : -len(".xsd")]
            if _VERSION_RE.match(version):
                found.setdefault(version, path)
    return dict(sorted(found.items(), key=lambda kv: tuple(int(p) for p in kv[0].split("."))))


def _find(name: str, dirs: Iterable[Path]) -> Path | None:
    for d in dirs:
        candidate = Path(d) / name
        if candidate.is_file():
            return candidate
    return None


class _LocalSchemaResolver(etree.Resolver):
    """Resolve canonical PTB schema URLs to files in the configured directories (offline)."""

    def __init__(self, dirs: list[Path]) -> None:
        super().__init__()
        self.dirs = dirs
        self.missing: list[str] = []

    def resolve(self, system_url, public_id, context):  # type: ignore[override]
        name = local_name(system_url or "")
        if name is not None:
            path = _find(name, self.dirs)
            if path is not None:
                return self.resolve_filename(str(path), context)
            self.missing.append(system_url)
        return None  # libxml2 then fails (no network), and we report what was missing


def _schema_parser(resolver: etree.Resolver) -> etree.XMLParser:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    parser.resolvers.add(resolver)
    return parser


def get_schema(version: str, schema_dirs: Iterable[Path | str] | None = None) -> etree.XMLSchema:
    """Return the compiled XSD for DCC ``version`` (cached per version and directory list).

    Raises :class:`SchemaUnavailable` naming the version and every place looked at.
    """
    if not _VERSION_RE.match(version or ""):
        raise SchemaUnavailable(str(version), [], "not a version number")
    dirs = [Path(d) for d in (schema_dirs if schema_dirs is not None else default_schema_dirs())]
    key = (version, tuple(str(d.resolve()) for d in dirs))
    schema = _cache.get(key)
    if schema is not None:
        return schema
    with _lock:
        schema = _cache.get(key)
        if schema is None:
            schema = _compile(version, dirs)
            _cache[key] = schema
    return schema


def _compile(version: str, dirs: list[Path]) -> etree.XMLSchema:
    name = f"dcc_v{version}.xsd"
    path = _find(name, dirs)
    places = [str(d / name) for d in dirs]
    if path is None:
        raise SchemaUnavailable(version, places)
    resolver = _LocalSchemaResolver(dirs)
    try:
        doc = etree.parse(str(path), _schema_parser(resolver))
        return etree.XMLSchema(doc)
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
        looked = places + [f"{d}/{local_name(u)} for {u}" for u in resolver.missing for d in dirs]
        detail = f"{path} does not compile: {exc}"
        if resolver.missing:
            detail = f"imported schema not available locally: {', '.join(resolver.missing)}"
        raise SchemaUnavailable(version, looked, detail) from exc


def clear_cache() -> None:
    """Forget compiled schemas (tests, or after a download)."""
    with _lock:
        _cache.clear()


def download_schema(version: str, target: Path | None = None, timeout: float = 30.0) -> Path:
    """Fetch ``dcc_v{version}.xsd`` and every ptb.de XSD it imports, transitively, into ``target``.

    Starts at the canonical ``https://ptb.de/dcc/v{version}/dcc.xsd`` and follows each
    ``schemaLocation`` on ptb.de (D-SI, and for D-SI 2.2.x its QUDT quantity-kind schema); files
    are kept under :func:`local_name`. Nothing is written unless every file was fetched. One-time
    operation for deployments with network access (default target ``data_dir()/schemas``);
    afterwards validation runs offline. Tests replace :func:`_http_get` (no network).
    """
    from urllib.parse import urljoin

    from jiliang.config import data_dir

    if not _VERSION_RE.match(version or ""):
        raise SchemaUnavailable(str(version), [], "not a version number")
    target = Path(target) if target is not None else data_dir() / "schemas"
    fetched: dict[str, bytes] = {}
    queue = [DCC_URL.format(version=version)]
    while queue:
        url = queue.pop(0)
        name = local_name(url)
        if name is None or name in fetched:
            continue
        if len(fetched) >= 32:  # PTB's schemas import 1-2 files; a loop or a trap stops here
            raise SchemaUnavailable(version, [url], "more than 32 imported schemas")
        data = _http_get(url.replace("http://", "https://", 1), timeout, version)
        fetched[name] = data
        for location in _SCHEMA_LOCATION_RE.findall(data.decode("utf-8", "replace")):
            queue.append(urljoin(url, location))
    target.mkdir(parents=True, exist_ok=True)
    for name, data in fetched.items():
        (target / name).write_bytes(data)
    clear_cache()
    return target


def _http_get(url: str, timeout: float, version: str) -> bytes:
    if not url.startswith("https://"):
        raise SchemaUnavailable(version, [url], "only https URLs are fetched")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read()
    except OSError as exc:
        raise SchemaUnavailable(version, [url], f"download failed: {exc}") from exc
