from django.core.management.base import BaseCommand, CommandError

from jiliang.platform.ledger import service


class Command(BaseCommand):
    help = "Append unlogged audit entries to the transparency log and sign a checkpoint."

    def handle(self, *args, **options):
        try:
            result = service.sync()
        except service.BehindLogError as exc:  # restore behind the log: docs/operations.md
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"appended {result.appended}, matched {result.matched}, tree size {result.size}"
        )
