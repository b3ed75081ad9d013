from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from jiliang.platform.common.errors import FieldErrors

from . import services
from .models import AppliedSpecification, Specification


class SpecificationForm(forms.ModelForm):
    """The admin form checks the registry's rules (:func:`services.validate`), field by field."""

    class Meta:
        model = Specification
        fields = "__all__"

    def clean(self):
        data = super().clean()
        probe = Specification(pk=self.instance.pk, **{k: v for k, v in data.items()})
        try:
            services.validate(probe)
        except FieldErrors as exc:
            raise ValidationError(
                {k if k in self.fields else None: v for k, v in exc.errors.items()}
            ) from None
        data["number"] = probe.number
        return data


@admin.register(Specification)
class SpecificationAdmin(admin.ModelAdmin):
    form = SpecificationForm
    list_display = ["number", "title", "kind", "status", "effective_on", "withdrawn_on"]
    list_filter = ["kind", "status"]
    search_fields = ["number", "title", "title_en"]
    raw_id_fields = ["region", "replaces"]

    def save_model(self, request, obj, form, change):
        """Through the service: the replaced edition is withdrawn in the same transaction."""
        services.save_specification(request.user, obj, request.POST.get("change_reason", "")[:500])


@admin.register(AppliedSpecification)
class AppliedSpecificationAdmin(admin.ModelAdmin):
    list_display = ["event", "specification"]
    search_fields = ["event__certificate_no", "specification__number"]
    raw_id_fields = ["event", "specification"]
