"""Keep filings in step with the registry: a verification event updates its instrument's filing."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from jiliang.platform.registry.models import CalibrationEvent


@receiver(post_save, sender=CalibrationEvent, dispatch_uid="supervision-event-saved")
@receiver(post_delete, sender=CalibrationEvent, dispatch_uid="supervision-event-deleted")
def _event_changed(sender, instance, raw=False, **kwargs):
    if raw or instance.instrument_id is None or instance.kind != CalibrationEvent.Kind.VERIFICATION:
        return
    from .models import Filing
    from .services import sync_filing

    filing = Filing.objects.filter(instrument_id=instance.instrument_id).first()
    if filing is not None:
        sync_filing(filing)
