from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "jiliang.platform.registry"
    label = "registry"
    verbose_name = _("计量体系登记")

    def ready(self) -> None:
        from jiliang.platform.audit.signals import audit_models

        from . import models

        audit_models(
            models.Region,
            models.Organisation,
            models.Scope,
            models.Person,
            models.Qualification,
            models.MeasurementStandard,
            models.Instrument,
            models.ReferenceMaterial,
            models.CMC,
            models.CalibrationEvent,
        )
