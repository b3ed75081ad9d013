from django.core.management.base import BaseCommand

from jiliang.platform.ledger import service


class Command(BaseCommand):
    help = "Append unlogged audit entries to the transparency log and sign a checkpoint."

    def handle(self, *args, **options):
        result = service.sync()
        self.stdout.write(
            f"appended {result.appended}, matched {result.matched}, tree size {result.size}"
        )
