"""``python -m jiliang.platform.manage import_kcdb FILE --provider CODE``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jiliang.platform.traceability.kcdb_import import KCDBImportError, import_kcdb


class Command(BaseCommand):
    help = "Import CMCs from a saved BIPM KCDB API v3 search result (one transaction)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--provider", required=True, help="credit code of the NMI")

    def handle(self, *args, file: Path, provider: str, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"file: {exc}") from exc
        try:
            report = import_kcdb(data, provider)
        except KCDBImportError as exc:
            raise CommandError(f"{exc} (nothing imported)") from exc
        self.stdout.write(
            f"imported {report.total} CMCs: {report.created} created, {report.updated} updated"
        )
