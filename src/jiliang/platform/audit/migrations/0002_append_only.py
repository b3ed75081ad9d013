"""Install the audit trail's append-only triggers (see ``audit/triggers.py``)."""

from django.db import migrations

from jiliang.platform.audit import triggers


def forward(apps, schema_editor):
    triggers.install(schema_editor.connection, triggers.COLUMNS_0002)


def backward(apps, schema_editor):
    triggers.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
