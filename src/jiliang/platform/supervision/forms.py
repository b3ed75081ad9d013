"""Forms of the supervision pages (validation names the field; rules come from the core)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from jiliang.platform.registry.models import Instrument, Organisation
from jiliang.platform.widgets import IsoDateInput

from .models import Complaint, CreditMark, DrawResult, PrepackagedInspection
from .services import catalogue


def item_choices():
    """Catalogue items by name in the page's language (the code is the value, not the text)."""
    from jiliang.platform.registry.templatetags.metrology import category_label

    cat = catalogue()
    return sorted(((c, category_label(c)) for c in cat.items), key=lambda choice: choice[1])


class FilingForm(forms.Form):
    instrument = forms.ModelChoiceField(queryset=Instrument.objects.none(), label=_("计量器具"))
    item_code = forms.ChoiceField(label=_("目录条目"), choices=())
    use = forms.ChoiceField(label=_("用途"), choices=Instrument.Use.choices)
    dn_mm = forms.FloatField(label=_("公称口径 DN (mm)"), required=False, min_value=0)
    g_size = forms.FloatField(label=_("燃气表规格 G"), required=False, min_value=0)
    type = forms.ChoiceField(
        label=_("血压计类型"),
        required=False,
        choices=[
            ("", "—"),
            ("automatic", _("电子")),
            ("mercury", _("汞柱")),
            ("aneroid", _("气压表式")),
        ],
    )

    def __init__(self, *args, instruments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument"].queryset = (
            instruments if instruments is not None else Instrument.objects.none()
        )
        self.fields["item_code"].choices = item_choices()

    def params(self) -> dict:
        return {
            k: self.cleaned_data[k]
            for k in ("dn_mm", "g_size", "type")
            if self.cleaned_data.get(k) not in (None, "")
        }


class ImportForm(forms.Form):
    file = forms.FileField(label=_("文件 (CSV 或 XLSX)"))
    accept_partial = forms.BooleanField(label=_("接受部分导入（仅导入无误的行）"), required=False)


class ComplaintForm(forms.ModelForm):
    website = forms.CharField(required=False, widget=forms.HiddenInput)  # honeypot

    class Meta:
        model = Complaint
        fields = ["category", "text", "contact"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4, "maxlength": 2000})}

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if len(text) < 5:
            raise forms.ValidationError(_("请至少写 5 个字说明情况"))
        return text

    def clean_website(self):
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(_("无效提交"))
        return ""


class DrawForm(forms.Form):
    title = forms.CharField(label=_("名称"), max_length=200)
    items = forms.CharField(
        label=_("检查事项（每行：目录条目 比例）"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("例如：electronic_price_scale 0.05"),
    )
    inspectors_per_object = forms.IntegerField(
        label=_("每个对象的检查人员数"), min_value=2, initial=2
    )
    weight_by_risk = forms.BooleanField(label=_("按信用风险分类抽取"), required=False)

    def clean_items(self):
        out = []
        for n, line in enumerate(self.cleaned_data["items"].splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            try:
                ratio = float(parts[1]) if len(parts) > 1 else 0.0
            except ValueError:
                raise forms.ValidationError(_("第 %(n)s 行：比例须为数字") % {"n": n}) from None
            out.append({"id": parts[0], "ratio": ratio})
        if not out:
            raise forms.ValidationError(_("至少一个检查事项"))
        return out


class ResultForm(forms.ModelForm):
    class Meta:
        model = DrawResult
        fields = ["item_id", "object_id", "outcome", "notes"]


class InspectionForm(forms.ModelForm):
    organisation_code = forms.CharField(label=_("受检单位统一社会信用代码"), max_length=18)
    units_text = forms.CharField(
        label=_("各单位测得值（空格或换行分隔）"), widget=forms.Textarea(attrs={"rows": 4})
    )

    class Meta:
        model = PrepackagedInspection
        fields = ["product", "nominal", "kind", "lot_size", "gross", "tare", "inspected_on"]
        widgets = {"inspected_on": IsoDateInput()}

    def clean_units_text(self):
        try:
            return [float(x) for x in self.cleaned_data["units_text"].replace(",", " ").split()]
        except ValueError:
            raise forms.ValidationError(_("测得值须为数字")) from None


DATE = IsoDateInput()


class AssignForm(forms.Form):
    """Assign a filing's verification to one of the institutions authorised for it."""

    institution = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        label=_("承检机构"),
        required=False,
        empty_label=_("（取消指定）"),
    )
    reason = forms.CharField(label=_("变更原因"), max_length=500, required=False)

    def __init__(self, *args, institutions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = Organisation.objects.filter(
            pk__in=[o.pk for o in institutions]
        ).order_by("name")


class VerificationForm(forms.Form):
    """A compulsory-verification result; the conditional rules live in .verifications."""

    performed_on = forms.DateField(label=_("检定日期"), widget=DATE)
    result = forms.ChoiceField(
        label=_("检定结论"), choices=[("pass", _("合格")), ("fail", _("不合格"))]
    )
    certificate_no = forms.CharField(
        label=_("检定证书编号"), max_length=60, required=False, help_text=_("合格时填写")
    )
    notice_no = forms.CharField(
        label=_("不合格通知书编号"), max_length=60, required=False, help_text=_("不合格时填写")
    )
    seal_no = forms.CharField(
        label=_("封印/标志号"), max_length=60, required=False, help_text=_("合格时填写")
    )
    reason = forms.CharField(label=_("备注"), max_length=500, required=False)


class RemovalForm(forms.Form):
    """Early removal from the serious-violation list (信用修复)."""

    event = forms.IntegerField(widget=forms.HiddenInput)
    removed_on = forms.DateField(label=_("移出日期"), widget=DATE)
    reason = forms.CharField(label=_("移出原因"), max_length=300)


class MarkForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=CreditMark.Kind.choices)
    since = forms.DateField(label=_("起始日期"), widget=DATE)
    text = forms.CharField(
        label=_("承诺内容"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reason = forms.CharField(label=_("变更原因"), max_length=500, required=False)


STANDARD_COMMITMENT = _(
    "本单位承诺：遵守计量法律法规，使用经检定合格的计量器具，不破坏计量器具准确度，"
    "不短斤缺两，诚信计量，接受社会监督。"
)


class SelfCommitmentForm(forms.Form):
    """A business declaring its own self-commitment: the text it accepts (standard text given)."""

    text = forms.CharField(
        label=_("承诺内容"),
        max_length=1000,
        initial=STANDARD_COMMITMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class UnmarkForm(forms.Form):
    mark = forms.IntegerField(widget=forms.HiddenInput)
    on = forms.DateField(label=_("撤销日期"), widget=DATE)
    reason = forms.CharField(label=_("撤销原因"), max_length=300)


class NotificationSettingsForm(forms.Form):
    language = forms.ChoiceField(label=_("通知语言"), choices=())
    email = forms.BooleanField(label=_("通过电子邮件接收"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = settings.LANGUAGES
