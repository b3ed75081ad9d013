"""The new-budget form: a model, a table of input quantities, or the YAML specification.

Both ways produce the same specification dict (``docs/uncertainty.md``) and go through the same
core evaluation (``services.evaluate_and_store``): the table is only a friendlier way to write
the ``inputs:`` mapping. The platform computes nothing here — a standard uncertainty is passed
as ``u``, a half-width as ``half_width``, observations as ``observations``; the core derives the
rest (GUM 4.2, 4.3) and refuses what it cannot use.
"""

from __future__ import annotations

import keyword
import math
import re
from typing import Any

import yaml
from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiliang.core import units as core_units

from .models import UncertaintyBudget

#: what the budget file calls the distributions the form offers (type B, GUM 4.3.7–4.3.9)
DISTRIBUTIONS = [
    ("normal", gettext_lazy("正态")),
    ("rectangular", gettext_lazy("矩形（均匀）")),
    ("triangular", gettext_lazy("三角")),
    ("arcsine", gettext_lazy("U 形（反正弦）")),
]
#: distributions given by their half-width a (limits value ± a), not by a standard uncertainty
BY_HALF_WIDTH = {"rectangular", "triangular", "arcsine"}
KINDS = [("B", gettext_lazy("B 类")), ("A", gettext_lazy("A 类（观测列）"))]
GIVEN = [("u", gettext_lazy("标准不确定度 u")), ("half_width", gettext_lazy("半宽 a"))]
#: the most rows the table takes (a larger budget is a YAML file)
MAX_ROWS = 100
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")
_NUMBERS = re.compile(r"[\s,;，；]+")


def unit_error(text: str) -> str | None:
    """Why ``text`` is not a unit the core understands (D-SI ``\\volt`` or pint ``mV``)."""
    try:
        core_units.dimension_of(text)
    except core_units.UnitError as exc:
        return str(exc)
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        # pint's parser raises a variety of errors on garbage; all mean "not a unit"
        return f"{type(exc).__name__}: {exc}"
    return None


class InputRowForm(forms.Form):
    """One input quantity of the budget table."""

    name = forms.CharField(label=gettext_lazy("名称"), max_length=40)
    kind = forms.ChoiceField(label=gettext_lazy("评定类别"), choices=KINDS, initial="B")
    value = forms.FloatField(label=gettext_lazy("估计值"), required=False)
    unit = forms.CharField(label=gettext_lazy("计量单位"), max_length=80, required=False)
    distribution = forms.ChoiceField(
        label=gettext_lazy("分布"), choices=DISTRIBUTIONS, initial="normal", required=False
    )
    given = forms.ChoiceField(
        label=gettext_lazy("给出方式"), choices=GIVEN, initial="u", required=False
    )
    uncertainty = forms.FloatField(label=gettext_lazy("不确定度"), required=False)
    dof = forms.FloatField(label=gettext_lazy("自由度 ν"), required=False)
    observations = forms.CharField(label=gettext_lazy("观测值"), max_length=20_000, required=False)
    sensitivity = forms.FloatField(label=gettext_lazy("灵敏系数 c"), required=False)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not _NAME.match(name) or keyword.iskeyword(name):
            raise forms.ValidationError(
                _("名称须为字母或下划线开头的标识符（如 l_s、alpha），不能是 Python 关键字")
            )
        return name

    def clean_unit(self) -> str:
        text = self.cleaned_data["unit"].strip()
        if text and (reason := unit_error(text)):
            raise forms.ValidationError(_("无法识别的单位：%(reason)s") % {"reason": reason})
        return text

    def clean_observations(self) -> list[float]:
        text = self.cleaned_data["observations"].strip()
        if not text:
            return []
        values = []
        for part in _NUMBERS.split(text):
            try:
                number = float(part)
            except ValueError:
                raise forms.ValidationError(
                    _("观测值 %(part)r 不是数字") % {"part": part}
                ) from None
            if not math.isfinite(number):
                raise forms.ValidationError(_("观测值须为有限数"))
            values.append(number)
        return values

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == "A":
            if len(data.get("observations") or []) < 2:
                self.add_error("observations", _("A 类评定至少需要 2 个观测值"))
            for name in ("value", "uncertainty", "dof"):
                if data.get(name) is not None:
                    self.add_error(name, _("A 类评定由观测列求得，此项请留空"))
            return data
        if data.get("observations"):
            self.add_error("observations", _("观测值仅用于 A 类评定"))
        if data.get("value") is None:
            self.add_error("value", _("请填写估计值"))
        u = data.get("uncertainty")
        if u is None:
            self.add_error("uncertainty", _("请填写不确定度"))
        elif u < 0:
            self.add_error("uncertainty", _("不确定度不能为负"))
        # an unknown distribution is already its own field's error: no second guess about it
        distribution = (data.get("distribution") or "normal") if "distribution" in data else None
        given = data.get("given") or "u"
        if distribution in BY_HALF_WIDTH and given != "half_width":
            self.add_error("given", _("矩形、三角和 U 形分布请给出半宽 a"))
        if distribution == "normal" and given != "u":
            self.add_error("given", _("正态分布请给出标准不确定度 u"))
        dof = data.get("dof")
        if dof is not None and not dof > 0:
            self.add_error("dof", _("自由度须大于 0（留空为无穷大）"))
        return data

    def to_spec(self) -> tuple[str, dict[str, Any]]:
        """``(name, mapping)`` of this row as a budget file writes it."""
        data = self.cleaned_data
        body: dict[str, Any] = {}
        if data["kind"] == "A":
            body["observations"] = data["observations"]
        else:
            distribution = data.get("distribution") or "normal"
            body["value"] = data["value"]
            if distribution != "normal":
                body["distribution"] = distribution
            body["half_width" if distribution in BY_HALF_WIDTH else "u"] = data["uncertainty"]
            if data.get("dof") is not None:
                body["dof"] = data["dof"]
        if data.get("unit"):
            body["unit"] = data["unit"]
        return data["name"], body


class BaseInputFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        seen: dict[str, int] = {}
        for n, form in enumerate(self.forms, start=1):
            if not form.has_changed() or self._should_delete_form(form):
                continue
            name = form.cleaned_data.get("name")
            if name in seen:
                form.add_error("name", _("名称与第 %(row)d 行重复") % {"row": seen[name]})
            else:
                seen[name] = n

    def rows(self) -> list[tuple[int, InputRowForm]]:
        """``(row number from 1, form)`` of the rows in use (filled and not removed)."""
        return [
            (n, form)
            for n, form in enumerate(self.forms, start=1)
            if form.has_changed() and not self._should_delete_form(form)
        ]


InputFormSet = forms.formset_factory(
    InputRowForm,
    formset=BaseInputFormSet,
    extra=0,
    min_num=1,
    validate_min=True,
    max_num=MAX_ROWS,
    validate_max=True,
    absolute_max=MAX_ROWS,
    can_delete=True,
)


class BudgetForm(forms.Form):
    """Title, event, method and — in the YAML tab — the specification text."""

    MODES = [("form", gettext_lazy("表格录入")), ("yaml", gettext_lazy("YAML"))]

    mode = forms.ChoiceField(
        label=gettext_lazy("录入方式"), choices=MODES, required=False, widget=forms.RadioSelect
    )
    title = forms.CharField(label=gettext_lazy("标题"), max_length=200)
    event = forms.CharField(label=gettext_lazy("证书编号"), required=False)
    method = forms.ChoiceField(
        label=gettext_lazy("评定方法"), choices=UncertaintyBudget.Method.choices
    )
    seed = forms.IntegerField(label=gettext_lazy("随机种子"), min_value=0, initial=1)
    # the table tab
    model = forms.CharField(
        label=gettext_lazy("测量模型 y ="),
        max_length=5000,
        required=False,
        help_text=gettext_lazy(
            "如 l_s + d - l_s*(d_alpha*theta + alpha_s*d_theta)；"
            "留空则为 Σ cᵢ·xᵢ（灵敏系数缺省为 1）"
        ),
    )
    output_name = forms.CharField(
        label=gettext_lazy("输出量名称"), max_length=40, required=False, initial="y"
    )
    output_unit = forms.CharField(label=gettext_lazy("输出量单位"), max_length=80, required=False)
    # the YAML tab
    spec = forms.CharField(
        label=gettext_lazy("预算定义 (YAML)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 18, "cols": 90}),
    )

    def head_fields(self) -> list[forms.BoundField]:
        """The fields above the tabs (both ways of entry share them)."""
        return [self[name] for name in ("title", "event", "method", "seed")]

    def table_fields(self) -> list[forms.BoundField]:
        """The fields of the table tab above the input rows."""
        return [self[name] for name in ("model", "output_name", "output_unit")]

    def clean_mode(self) -> str:
        # a client that posts only ``spec`` (the page before the table existed) means YAML
        mode = self.cleaned_data.get("mode")
        if not mode:
            mode = "yaml" if self.data.get("spec", "").strip() else "form"
        return mode

    def clean_output_name(self) -> str:
        name = self.cleaned_data["output_name"].strip() or "y"
        if not _NAME.match(name) or keyword.iskeyword(name):
            raise forms.ValidationError(
                _("名称须为字母或下划线开头的标识符（如 l_s、alpha），不能是 Python 关键字")
            )
        return name

    def clean_output_unit(self) -> str:
        text = self.cleaned_data["output_unit"].strip()
        if text and (reason := unit_error(text)):
            raise forms.ValidationError(_("无法识别的单位：%(reason)s") % {"reason": reason})
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("mode") == "yaml":
            text = data.get("spec", "")
            if not text.strip():
                self.add_error("spec", _("请填写预算定义"))
                return data
            try:
                spec = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                self.add_error("spec", _("YAML 语法错误：%(err)s") % {"err": exc})
                return data
            if not isinstance(spec, dict):
                self.add_error("spec", _("预算定义须为映射（model、inputs …）"))
                return data
            data["spec"] = spec
        return data


def spec_from_table(form: BudgetForm, rows: BaseInputFormSet) -> dict[str, Any] | None:
    """The specification the table describes, or ``None`` after adding errors to the forms.

    Without a model the output is the sum Σ cᵢ·xᵢ of the inputs times their sensitivities
    (1 when not given); with a model the sensitivities are its partial derivatives, so a
    sensitivity typed into the table would be silently ignored — it is refused instead.
    """
    data = form.cleaned_data
    model = (data.get("model") or "").strip()
    inputs: dict[str, Any] = {}
    terms = []
    ok = True
    for _n, row in rows.rows():
        name, body = row.to_spec()
        inputs[name] = body
        c = row.cleaned_data.get("sensitivity")
        if model and c is not None:
            row.add_error("sensitivity", _("已给出测量模型时灵敏系数由模型求偏导得到，此项请留空"))
            ok = False
        factor = 1.0 if c is None else c
        terms.append(name if factor == 1.0 else f"({factor!r})*{name}")
    if not inputs:
        form.add_error(None, _("请至少填写一个输入量"))
        return None
    if not ok:
        return None
    output: dict[str, Any] = {"name": data["output_name"]}
    if data.get("output_unit"):
        output["unit"] = data["output_unit"]
    return {"model": model or " + ".join(terms), "output": output, "inputs": inputs}


def error_summary(rows: BaseInputFormSet) -> list[str]:
    """One line per field error of the table, naming the row and the field."""
    lines = []
    for n, row in enumerate(rows.forms, start=1):
        for field, errors in row.errors.items():
            label = row.fields[field].label if field in row.fields else _("本行")
            name = row.data.get(row.add_prefix("name"), "") or "—"
            for message in errors:
                lines.append(
                    _("第 %(row)d 行（%(name)s）%(field)s：%(message)s")
                    % {"row": n, "name": name, "field": label, "message": message}
                )
    for message in rows.non_form_errors():
        lines.append(str(message))
    return lines


#: the core's name of a spec field → the table column it came from
CORE_FIELD_TO_COLUMN = {
    "value": "value",
    "u": "uncertainty",
    "half_width": "uncertainty",
    "dof": "dof",
    "unit": "unit",
    "observations": "observations",
    "distribution": "distribution",
}


def place_core_error(
    form: BudgetForm,
    rows: BaseInputFormSet,
    message: str,
    input_name: str | None,
    field: str | None,
) -> None:
    """Put the core's refusal beside the row (and column) it names, else on the model."""
    for _n, row in rows.rows():
        if input_name is not None and row.cleaned_data.get("name") == input_name:
            row.add_error(CORE_FIELD_TO_COLUMN.get(field or ""), message)
            return
    form.add_error("model", message)
