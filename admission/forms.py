"""Forms: shape input for the services. Domain rules stay in services; the forms only collect."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import AffairClass, DutyRequest, Organization, OrganizationKind, TownshipDuty, Track
from .services.requests import EDITABLE_FIELDS, fields_to_edit
from .services.uploads import ACCEPTED_FORMATS_LABEL, check_upload


class UploadField(forms.FileField):
    """A file checked by content and size as soon as the form is validated."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("help_text", _("PDF、JPEG、PNG 或 OFD，不超过 20 MB。"))
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("accept", ".pdf,.jpg,.jpeg,.png,.ofd")

    def clean(self, data, initial=None):
        uploaded = super().clean(data, initial)
        if uploaded:
            check_upload(uploaded, field_label=str(self.label or "附件"))
        return uploaded


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleUploadField(UploadField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        items = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        if self.required and not items:
            raise ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleUploadField, self).clean(item, initial) for item in items]


class DutyRequestForm(forms.ModelForm):
    townships = forms.ModelMultipleChoiceField(
        label=_("涉及乡镇"), queryset=Organization.objects.none(), widget=forms.CheckboxSelectMultiple, required=False,
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
            "funding_amount": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            **{
                f: forms.Textarea(attrs={"rows": 3})
                for f in (
                    "work_objective", "powers_and_responsibilities", "legal_basis", "division_of_responsibilities",
                    "work_process", "operating_mechanism", "staffing", "technical_support", "training",
                )
            },
        }
        help_texts = {
            "affair_class": _("行政处罚、行政许可、行政强制等行政权力事项和突发事件处置不适用职责准入（第一条、第七条）。"),
            "legal_basis": _("写明法律法规、规章或“三定”规定的名称和条款。"),
            "completion_time_limit": _("如“长期”或“2027年6月30日前完成”。"),
            "funding_amount": _("没有经费请填 0。"),
            "end_date": _("仅阶段性、临时性工作任务填写；常态化职责事项不设截止日期。"),
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


class ChangeProposalForm(forms.Form):
    """Art. 4(4), 4(5): which townships' duty, and why."""

    targets = forms.ModelMultipleChoiceField(
        label=_("涉及乡镇"), queryset=TownshipDuty.objects.none(), widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("请至少选择一个乡镇。"),
            "invalid_choice": _("所选乡镇已不再承担该项职责，请在下方重新选择。"),
            "invalid_pk_value": _("所选乡镇已不再承担该项职责，请在下方重新选择。"),
        },
    )
    reasons = forms.CharField(
        label=_("理由"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("如任务已完成、不再适宜由乡镇承担、法律法规或政策调整、阶段性任务转为常态化等。"),
        error_messages={"required": _("请写明理由。")},
    )

    def __init__(self, *args, targets: list[TownshipDuty], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["targets"]
        field.queryset = TownshipDuty.objects.filter(pk__in=[t.pk for t in targets]).select_related("township")
        field.label_from_instance = lambda duty: duty.township.name
        field.initial = [t.pk for t in targets]


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤回理由"), widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("请写明撤回理由。")})


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: field messages on their fields, the rest on top."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


__all__ = [
    "ACCEPTED_FORMATS_LABEL", "ChangeProposalForm", "DutyRequestForm", "MultipleUploadField", "UploadField", "WithdrawForm",
    "apply_service_errors",
]
