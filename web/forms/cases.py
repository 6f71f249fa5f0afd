"""The request form (Art. 4(1) elements) and the withdrawal form. Rules stay in services; forms only collect."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from admission.models import AffairClass, DutyRequest, Organization, OrganizationKind, Track
from admission.services.requests import EDITABLE_FIELDS, REQUIRED_TEXT_ELEMENTS, fields_to_edit

from .fields import AmountField, BranchingForm

# Art. 4(1): what the written application must contain before the townships are consulted and before submission;
# a draft may be saved without them, so they are marked, not enforced, here (services.requests says what is missing).
ELEMENTS_TO_SUBMIT = (*(name for name, _label in REQUIRED_TEXT_ELEMENTS), "funding_amount", "townships")


class DutyRequestForm(BranchingForm, forms.ModelForm):
    branches = {"track": {Track.TEMPORARY: ("end_date",)}}
    branch_required = frozenset({"end_date"})
    unchosen_reach_the_service = True  # an end date for a regular duty is refused with the reason (Art. 1)
    funding_amount = AmountField(label=_("工作经费（元）"), required=False)
    townships = forms.ModelMultipleChoiceField(
        label=_("涉及乡镇"),
        queryset=Organization.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = DutyRequest
        fields = [*EDITABLE_FIELDS, "change_reasons"]
        widgets = {
            "change_reasons": forms.Textarea(attrs={"rows": 3}),
            "affair_class": forms.RadioSelect,
            "list_category": forms.RadioSelect,
            "track": forms.RadioSelect,
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            **{
                f: forms.Textarea(attrs={"rows": 3})
                for f in (
                    "work_objective",
                    "powers_and_responsibilities",
                    "legal_basis",
                    "division_of_responsibilities",
                    "work_process",
                    "operating_mechanism",
                    "staffing",
                    "technical_support",
                    "training",
                )
            },
        }
        help_texts = {
            "affair_class": _(
                "行政处罚、行政许可、行政强制等行政权力事项和突发事件处置不适用职责准入（第一条、第七条）。"
            ),
            "legal_basis": _("写明法律法规、规章或“三定”规定的名称和条款。"),
            "completion_time_limit": _("如“长期”或“2027年6月30日前完成”。"),
            "funding_amount": _("没有经费请填 0。"),
            "end_date": _("阶段性、临时性工作任务须写明截止日期（第一条）；常态化职责事项不设截止日期。"),
        }

    def __init__(self, *args, jurisdiction, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["townships"].queryset = Organization.objects.filter(
            jurisdiction=jurisdiction, kind=OrganizationKind.TOWNSHIP
        ).order_by("division_code")
        if self.instance.pk:
            self.fields["townships"].initial = list(self.instance.townships.values_list("pk", flat=True))
        # An exit only says why; an adjustment rewrites the terms; the townships of both are those holding the duty.
        self.editable = fields_to_edit(self.instance if self.instance.pk else None)
        for name in list(self.fields):
            if name not in self.editable and (name != "townships" or self.instance.is_change):
                del self.fields[name]
        for field in self.fields.values():
            field.required = False
        for name in set(ELEMENTS_TO_SUBMIT) & set(self.fields):
            field = self.fields[name]
            field.marked_required = True
            field.help_text = " ".join(
                str(text)
                for text in (field.help_text, _("第四条第一项：书面申请须包括此项，征求意见和提交前须填写。"))
                if text
            )
        if "duty_name" in self.fields:
            self.fields["duty_name"].required = True
            self.fields["track"].initial = Track.REGULAR
        if "affair_class" in self.fields:
            self.fields["affair_class"].initial = AffairClass.ADMINISTRATIVE_AFFAIR

    def values(self) -> dict:
        values = {f: self.cleaned_data.get(f) for f in self.editable}
        for field in self.editable:
            if field not in ("end_date", "funding_amount"):
                values[field] = values[field] or ""
        if "affair_class" in values:
            values["affair_class"] = values["affair_class"] or AffairClass.ADMINISTRATIVE_AFFAIR
        if "track" in values:
            values["track"] = values["track"] or Track.REGULAR
        return values


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("撤回理由"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请写明撤回理由。")},
    )
