from django.utils.translation import gettext_lazy as _

from jiliang.platform.common.apps import MenuLink, PlatformApp


class MonitoringConfig(PlatformApp):
    name = "jiliang.platform.monitoring"
    label = "monitoring"
    verbose_name = _("智能计量器具实时监控")
    url_prefix = "monitoring/"
    api_prefix = "monitoring"
    menu = (
        MenuLink(
            "monitoring", _("实时监控"), "monitoring:runs", "monitoring.EstimationRun", login=True
        ),
        MenuLink(
            "work-orders", _("工单"), "monitoring:work_orders", "monitoring.WorkOrder", login=True
        ),
    )

    def ready(self) -> None:
        from jiliang.platform.audit.signals import audit_models, exempt_from_audit
        from jiliang.platform.registry.permissions import POLICIES, Policy

        from . import models

        # Readings are audited per batch (IngestBatch), not per row: see models.py
        for label in ("monitoring.Reading", "monitoring.DeviceEvent"):
            exempt_from_audit(
                label, "audited per accepted batch: IngestBatch holds the batch's SHA-256"
            )
        audit_models(
            models.Area,
            models.AreaMeter,
            models.IngestBatch,
            models.EstimationRun,
            models.MeterEstimate,
            models.TypeSoftware,
            models.Alarm,
            models.WorkOrder,
        )
        POLICIES[models.Area] = Policy(False, ("owner_id",), ("region__code",))
        POLICIES[models.AreaMeter] = Policy(False, ("area__owner_id",), ("area__region__code",))
        POLICIES[models.IngestBatch] = Policy(
            False, ("organisation_id",), ("organisation__region__code",)
        )
        POLICIES[models.Reading] = Policy(
            False, ("instrument__owner_id",), ("instrument__region__code",)
        )
        POLICIES[models.DeviceEvent] = Policy(
            False, ("instrument__owner_id",), ("instrument__region__code",)
        )
        POLICIES[models.Alarm] = Policy(
            False, ("instrument__owner_id",), ("instrument__region__code",)
        )
        POLICIES[models.WorkOrder] = Policy(
            False,
            ("instrument__owner_id", "assignee_id"),
            ("instrument__region__code",),
        )
        POLICIES[models.TypeSoftware] = Policy(True, (), ())
        POLICIES[models.EstimationRun] = Policy(False, ("area__owner_id",), ("area__region__code",))
        POLICIES[models.MeterEstimate] = Policy(
            False, ("run__area__owner_id",), ("run__area__region__code",)
        )
