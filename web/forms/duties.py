"""Forms of the duty list: a change proposal (Art. 4(4), 4(5)) and a safeguard delivery (Art. 5)."""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from admission.models import SafeguardKind, TownshipDuty

from .fields import AmountField


class TownshipsOfDutyField(forms.ModelMultipleChoiceField):
    """The duties of one admission, each shown by the township holding it."""

    def label_from_instance(self, obj: TownshipDuty) -> str:
        return obj.township.name


class ChangeProposalForm(forms.Form):
    """Art. 4(4), 4(5): which townships' duty, and why."""

    targets = TownshipsOfDutyField(
        label=_("涉及乡镇"),
        queryset=TownshipDuty.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("请至少选择一个乡镇。"),
            "invalid_choice": _("所选乡镇已不再承担该项职责，请在下方重新选择。"),
            "invalid_pk_value": _("所选乡镇已不再承担该项职责，请在下方重新选择。"),
        },
    )
    reasons = forms.CharField(
        label=_("理由"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("如任务已完成、不再适宜由乡镇承担、法律法规或政策调整、阶段性任务转为常态化等。"),
        error_messages={"required": _("请写明理由。")},
    )

    def __init__(self, *args, targets: list[TownshipDuty], **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(TownshipsOfDutyField, self.fields["targets"])
        field.queryset = TownshipDuty.objects.filter(pk__in=[t.pk for t in targets]).select_related("township")
        field.initial = [t.pk for t in targets]


class DeliveryForm(forms.Form):
    kind = forms.ChoiceField(label=_("保障类别"), choices=SafeguardKind.choices)
    amount = AmountField(label=_("拨付金额（元，仅工作经费）"), required=False)
    description = forms.CharField(
        label=_("说明"), max_length=300, help_text=_("如拨款文号、系统账号开通情况、培训时间和人数。")
    )
