"""Forms of reports about duties pushed down without admission (Art. 7, 8)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from admission.models import Organization, OrganizationKind, PushDownMethod, ReportFinding

from .fields import MultipleUploadField


class ReportForm(forms.Form):
    department = forms.ModelChoiceField(label=_("下放事项的部门"), queryset=Organization.objects.none())
    duty_description = forms.CharField(label=_("被下放的工作事项"), max_length=500)
    method = forms.ChoiceField(label=_("下放方式"), choices=PushDownMethod.choices, widget=forms.RadioSelect)
    details = forms.CharField(
        label=_("具体情况"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("时间、文件或会议名称、要求乡镇承担的内容。"),
    )
    evidence = MultipleUploadField(label=_("证明材料（文件、通知、责任状等的扫描件，可多选）"), required=False)

    def __init__(self, *args, jurisdiction_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Organization.objects.filter(
            jurisdiction_id=jurisdiction_id, kind=OrganizationKind.DEPARTMENT
        )


class FindingForm(forms.Form):
    finding = forms.ChoiceField(label=_("处理结果"), choices=ReportFinding.choices, widget=forms.RadioSelect)
    finding_text = forms.CharField(label=_("核查情况和处理意见"), widget=forms.Textarea(attrs={"rows": 4}))
