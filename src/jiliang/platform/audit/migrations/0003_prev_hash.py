"""Hash-link each record's audit entries (``prev_hash``) and protect the new column too.

The triggers are lifted around the schema change: SQLite adds a NOT NULL column by rebuilding the
table, which would drop them silently; they come back covering ``prev_hash`` as well.
"""

from django.db import migrations, models

from jiliang.platform.audit import triggers


def lift(apps, schema_editor):
    triggers.drop(schema_editor.connection)


def install_chained(apps, schema_editor):
    triggers.install(schema_editor.connection, triggers.COLUMNS)


def install_0002(apps, schema_editor):
    triggers.install(schema_editor.connection, triggers.COLUMNS_0002)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]
    operations = [
        migrations.RunPython(lift, install_0002),
        migrations.AddField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(
                blank=True,
                default="",
                editable=False,
                max_length=64,
                verbose_name="前一条目哈希",
            ),
        ),
        migrations.RunPython(install_chained, lift),
    ]
