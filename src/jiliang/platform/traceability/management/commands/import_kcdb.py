"""Import CMCs from the BIPM KCDB into the registry (one transaction, all or nothing).

From a saved search result::

    python -m jiliang.platform.manage import_kcdb FILE --provider CODE [--nmi NIM]

Online, from the KCDB API v3 search endpoints (the pages are saved to ``--save``, by default
``<data dir>/kcdb/…json``, before the import)::

    python -m jiliang.platform.manage import_kcdb --fetch --area EM --country CN \\
        --provider CODE --nmi NIM [--domain physics] [--keywords …] [--timeout 30]
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jiliang.core.traceability.kcdb_fetch import (
    DEFAULT_BASE_URL,
    ENDPOINTS,
    MAX_PAGE_SIZE,
    KCDBQuery,
)
from jiliang.platform.traceability.kcdb_import import (
    KCDBImportError,
    fetch_and_import,
    import_kcdb,
)


class Command(BaseCommand):
    help = (
        "Import CMCs from a saved BIPM KCDB API v3 search result, or fetch them online with "
        "--fetch (one transaction)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, nargs="?", help="saved search result (JSON)")
        parser.add_argument("--provider", required=True, help="credit code of the NMI")
        parser.add_argument("--nmi", default="", help="KCDB nmiCode to keep (e.g. NIM)")
        online = parser.add_argument_group("online fetch (KCDB API v3)")
        online.add_argument("--fetch", action="store_true", help="search the KCDB API")
        online.add_argument("--domain", choices=sorted(ENDPOINTS), default="physics")
        online.add_argument("--area", help="metrology area label: M, EM, L, T, TF, PR, AUV, QM…")
        online.add_argument(
            "--country", action="append", default=[], help="country label, e.g. CN (repeatable)"
        )
        online.add_argument("--keywords", default="", help="search keywords")
        online.add_argument("--branch", default="", help="physics branch label, e.g. EM/DC")
        online.add_argument("--base-url", default=DEFAULT_BASE_URL)
        online.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
        online.add_argument(
            "--page-size", type=int, default=1000, help=f"documents per page (≤ {MAX_PAGE_SIZE})"
        )
        online.add_argument("--save", type=Path, help="where to save the fetched pages")

    def handle(self, *args, file: Path | None, provider: str, nmi: str, **options):
        if options["fetch"] == (file is not None):
            raise CommandError("give either a FILE or --fetch (nothing imported)")
        try:
            if options["fetch"]:
                report, path = self._fetch(provider, nmi, options)
                self.stdout.write(f"saved the KCDB pages to {path}")
            else:
                report = import_kcdb(self._read(file), provider, nmi=nmi)
        except KCDBImportError as exc:
            raise CommandError(f"{exc} (nothing imported)") from exc
        self.stdout.write(
            f"imported {report.total} CMCs: {report.created} created, {report.updated} updated"
        )

    @staticmethod
    def _read(file: Path) -> bytes:
        try:
            return file.read_bytes()
        except OSError as exc:
            raise CommandError(f"file: {exc}") from exc

    @staticmethod
    def _fetch(provider: str, nmi: str, options: dict):
        if not options["area"]:
            raise CommandError("area: required with --fetch (e.g. --area EM)")
        try:
            query = KCDBQuery(
                area=options["area"],
                domain=options["domain"],
                countries=tuple(options["country"]),
                keywords=options["keywords"],
                branch=options["branch"],
            )
        except ValueError as exc:
            raise CommandError(f"{exc} (nothing imported)") from exc
        return fetch_and_import(
            query,
            provider,
            nmi=nmi,
            save_to=options["save"],
            base_url=options["base_url"],
            timeout=options["timeout"],
            page_size=options["page_size"],
        )
