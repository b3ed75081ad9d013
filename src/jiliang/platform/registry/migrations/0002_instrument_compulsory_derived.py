"""``Instrument.compulsory`` is derived from the catalogue and the declared use, not entered."""

from django.db import migrations, models


def derive(apps, schema_editor):
    """Recompute the flag of existing instruments, by (category, use) pair."""
    from jiliang.core.legal.catalogue import default_catalogue

    instrument = apps.get_model("registry", "Instrument")
    cat = default_catalogue()
    pairs = instrument.objects.values_list("category", "use").distinct()
    for category, use in pairs:
        instrument.objects.filter(category=category, use=use).update(
            compulsory=cat.is_compulsory(category, use)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="instrument",
            name="compulsory",
            field=models.BooleanField(
                db_index=True, default=False, editable=False, verbose_name="列入强制管理目录"
            ),
        ),
        migrations.RunPython(derive, migrations.RunPython.noop),
    ]
