"""Budget pages: the budget with its table and charts, a form to write one, an event panel."""

from __future__ import annotations

import yaml
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiliang.platform.audit.context import acting_as
from jiliang.platform.registry.authority import authors
from jiliang.platform.registry.models import CalibrationEvent
from jiliang.platform.registry.permissions import can_write, readable

from .models import UncertaintyBudget
from .services import BudgetInputError, evaluate_and_store


def budget_list(request: HttpRequest) -> HttpResponse:
    budgets = readable(request.user, UncertaintyBudget).select_related("event", "owner")[:200]
    return render(request, "calibration/budget_list.html", {"budgets": budgets})


def budget_detail(request: HttpRequest, pk: int) -> HttpResponse:
    budget = get_object_or_404(readable(request.user, UncertaintyBudget), pk=pk)
    result = budget.result or {}
    charts = {
        "contributions": [
            {"name": c["name"], "value": c.get("contribution"), "share": c.get("share")}
            for c in result.get("contributions", [])
        ],
        "histogram": (result.get("mcm") or {}).get("histogram"),
    }
    return render(
        request,
        "calibration/budget_detail.html",
        {
            "budget": budget,
            "result": result,
            "charts_json": charts,
            "spec_yaml": yaml.safe_dump(budget.spec, allow_unicode=True, sort_keys=False),
        },
    )


class BudgetForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("标题"), max_length=200)
    event = forms.CharField(label=gettext_lazy("证书编号"), required=False)
    method = forms.ChoiceField(
        label=gettext_lazy("评定方法"), choices=UncertaintyBudget.Method.choices
    )
    seed = forms.IntegerField(label=gettext_lazy("随机种子"), min_value=0, initial=1)
    spec = forms.CharField(
        label=gettext_lazy("预算定义 (YAML)"), widget=forms.Textarea(attrs={"rows": 18, "cols": 90})
    )

    def clean_spec(self):
        try:
            spec = yaml.safe_load(self.cleaned_data["spec"])
        except yaml.YAMLError as exc:
            raise forms.ValidationError(_("YAML 语法错误：%(err)s") % {"err": exc}) from None
        if not isinstance(spec, dict):
            raise forms.ValidationError(_("预算定义须为映射（model、inputs …）"))
        return spec


@login_required
def budget_create(request: HttpRequest) -> HttpResponse:
    initial = {"event": request.GET.get("event", "")}
    form = BudgetForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        event = None
        if data["event"]:
            event = (
                readable(request.user, CalibrationEvent)
                .filter(certificate_no=data["event"])
                .first()
            )
            if event is None:
                form.add_error("event", _("未找到该检定/校准记录"))
        profile = getattr(request.user, "profile", None)
        owner = event.performed_by if event else (profile.organisation if profile else None)
        if owner is None:
            form.add_error("event", _("请填写证书编号或使用所属机构账号"))
        if form.is_valid():
            budget = UncertaintyBudget(
                event=event,
                owner=owner,
                title=data["title"],
                spec=data["spec"],
                method=data["method"],
                seed=data["seed"],
            )
            if not can_write(request.user, budget):
                raise PermissionDenied(_("您无权为该机构编制预算"))
            try:
                evaluate_and_store(budget)
            except BudgetInputError as exc:
                form.add_error("spec", str(exc))
            else:
                with transaction.atomic(), acting_as(request.user, "budget created"):
                    budget.save()
                return redirect("calibration:budget", pk=budget.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "calibration/budget_form.html", {"form": form}, status=status)


def event_budget_panel(request: HttpRequest, obj) -> str | None:
    """On a calibration event's page: its budget summary, or a link to write one."""
    if not isinstance(obj, CalibrationEvent):
        return None
    budget = readable(request.user, UncertaintyBudget).filter(event=obj).first()
    return render_to_string(
        "calibration/event_panel.html",
        {"budget": budget, "event": obj, "can_add": authors(request.user, obj)},
        request=request,
    )
