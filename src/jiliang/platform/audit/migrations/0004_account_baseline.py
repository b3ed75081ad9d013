"""Baseline audit entries for the account rows that exist when accounts start being audited.

Users, groups, profiles and API tokens became audited models (``AuditConfig.ready``); rows made
before that (the role groups of ``accounts.0002``, users of an existing installation) get one
``create`` entry with their current state, so the row audit compares them with a logged state
instead of reporting them unlogged. Runs once: a row inserted in SQL later stays unlogged.
"""

from django.conf import settings
from django.db import migrations
from django.utils import timezone

from jiliang.platform.audit.models import canonical_bytes_of
from jiliang.platform.audit.signals import account_options, snapshot


def baseline(apps, schema_editor):
    import hashlib

    AuditEntry = apps.get_model("audit", "AuditEntry")
    now = timezone.now()
    for label, opts in account_options().items():
        model = apps.get_model(label)
        seen = set(AuditEntry.objects.filter(model=label).values_list("object_id", flat=True))
        for obj in model._base_manager.order_by("pk"):
            if str(obj.pk) in seen:
                continue
            entry = AuditEntry(
                timestamp=now,
                username="system",
                action="create",
                model=label,
                object_id=str(obj.pk),
                object_repr=str(getattr(obj, "username", "") or getattr(obj, "name", obj.pk))[:200],
                before=None,
                after=snapshot(obj, opts),
                changed_fields=[],
                reason="baseline: accounts audited from here on",
                prev_hash="",
            )
            entry.entry_hash = hashlib.sha256(canonical_bytes_of(entry)).hexdigest()
            entry.save()


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_prev_hash"),
        ("accounts", "0002_groups"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]
    operations = [migrations.RunPython(baseline, migrations.RunPython.noop)]
