"""Budget pages: the budget with its table and charts, a form to write one, an event panel."""

from __future__ import annotations

import yaml
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiliang.platform import lists
from jiliang.platform.audit.context import acting_as
from jiliang.platform.registry.authority import authors
from jiliang.platform.registry.models import CalibrationEvent
from jiliang.platform.registry.permissions import can_write, readable

from .forms import (
    DISTRIBUTIONS,
    BudgetForm,
    InputFormSet,
    error_summary,
    place_core_error,
    spec_from_table,
)
from .models import UncertaintyBudget
from .services import BudgetInputError, evaluate_and_store


def _result(key: str):
    """A value of the stored evaluation result (empty before the first evaluation)."""
    return lambda b: (b.result or {}).get(key)


#: the budget list's columns, as the page shows them
BUDGET_COLUMNS = (
    lists.Column(gettext_lazy("标题"), lambda b: b.title),
    lists.Column(gettext_lazy("检定/校准记录"), lambda b: b.event or "—"),
    lists.Column(gettext_lazy("编制单位"), lambda b: b.owner),
    lists.Column("y", _result("y")),
    lists.Column("U", _result("U")),
    lists.Column("k", _result("k")),
)


def budget_list(request: HttpRequest) -> HttpResponse:
    budgets = (
        readable(request.user, UncertaintyBudget).select_related("event", "owner").order_by("-pk")
    )
    exported = lists.export_response(request, budgets, BUDGET_COLUMNS, "budgets")
    if exported is not None:
        return exported
    listing = lists.paginate(request, budgets)
    return render(
        request,
        "calibration/budget_list.html",
        {"budgets": listing.page.object_list, "listing": listing},
    )


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


@login_required
def budget_create(request: HttpRequest) -> HttpResponse:
    """New budget: the input table (model, inputs) or, in its tab, the YAML specification.

    Either way the specification is evaluated by the core before anything is saved; a refusal
    is shown beside the row and cell it names, and nothing is stored.
    """
    initial = {"event": request.GET.get("event", ""), "mode": "form", "output_name": "y"}
    post = request.POST if request.method == "POST" else None
    form = BudgetForm(post, initial=initial)
    rows = InputFormSet(post, prefix="inputs")
    form_ok = form.is_valid()  # False (and no errors) when unbound
    mode = form.cleaned_data.get("mode", "form") if form.is_bound else "form"
    # the table is validated even when the rest of the form is not: every error shows at once
    table_ok = mode == "form" and form.is_bound and rows.is_valid()
    if form_ok and (mode == "yaml" or table_ok):
        data = form.cleaned_data
        spec = data["spec"] if mode == "yaml" else spec_from_table(form, rows)
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
        if spec is not None and form.is_valid():
            budget = UncertaintyBudget(
                event=event,
                owner=owner,
                title=data["title"],
                spec=spec,
                method=data["method"],
                seed=data["seed"],
            )
            if not can_write(request.user, budget):
                raise PermissionDenied(_("您无权为该机构编制预算"))
            try:
                evaluate_and_store(budget)
            except BudgetInputError as exc:
                if mode == "yaml":
                    form.add_error("spec", str(exc))
                else:
                    place_core_error(form, rows, str(exc), exc.input, exc.field)
            else:
                with transaction.atomic(), acting_as(request.user, "budget created"):
                    budget.save()
                return redirect("calibration:budget", pk=budget.pk)
    if mode == "yaml":
        rows = InputFormSet(prefix="inputs")  # the table tab was not used: show it empty
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "calibration/budget_form.html",
        {
            "form": form,
            "rows": rows,
            "mode": mode,
            "row_errors": error_summary(rows)
            if request.method == "POST" and mode == "form"
            else [],
            "distributions": DISTRIBUTIONS,
        },
        status=status,
    )


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
