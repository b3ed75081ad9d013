"""Index ``Certificate.canonical_hash`` (issue 17, load).

The public verification of an uploaded DCC looks its certificate up by canonical hash; without
an index that is a scan of the table, reading every row's XML on SQLite.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0002_unverified_external"),
    ]

    operations = [
        migrations.AlterField(
            model_name="certificate",
            name="canonical_hash",
            field=models.CharField(
                blank=True, db_index=True, max_length=64, verbose_name="规范化哈希 SHA-256"
            ),
        ),
    ]
