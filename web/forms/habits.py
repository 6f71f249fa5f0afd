"""Forms of the approval habits (issue 13): comment, 抄送, 转办, 催办, 退回. They collect; the services decide."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from admission.models import Organization
from admission.procedure import RETURNS_TO, step


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("内部意见"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("仅本案办理各方可见，不写入任何公文。"),
        error_messages={"required": _("请填写意见内容。")},
    )


class CopyForm(forms.Form):
    organizations = forms.ModelMultipleChoiceField(
        label=_("抄送单位"),
        queryset=Organization.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("抄送单位可以查阅本案，不能办理。"),
        error_messages={"required": _("请选择抄送单位。")},
    )
    note = forms.CharField(label=_("抄送说明"), max_length=300, required=False)

    def __init__(self, *args, candidates: QuerySet[Organization], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["organizations"]).queryset = candidates


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.get_full_name() or obj.get_username()}（{obj.membership.get_role_display()}）"


class ReassignForm(forms.Form):
    assignee = MemberChoiceField(
        label=_("转办给"), queryset=get_user_model().objects.none(), error_messages={"required": _("请选择承办人。")}
    )
    reason = forms.CharField(label=_("转办说明"), max_length=200, required=False)

    def __init__(self, *args, organization_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(MemberChoiceField, self.fields["assignee"])
        field.queryset = (
            get_user_model()
            .objects.filter(membership__organization_id=organization_id, is_active=True)
            .select_related("membership")
            .order_by("username")
        )


class UrgeForm(forms.Form):
    note = forms.CharField(label=_("催办说明"), max_length=100, required=False)


class ReturnForm(forms.Form):
    nodes = forms.MultipleChoiceField(
        label=_("退回至"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请选择退回的审核环节。")},
    )
    reasons = forms.CharField(
        label=_("退回理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("第三条、第四条第二项：联席会议成员单位须重新审核的事项和理由。"),
        error_messages={"required": _("请写明退回理由。")},
    )

    def __init__(self, *args, node: str, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["nodes"]).choices = [
            (n, step(n).title) for n in RETURNS_TO.get(node, ())
        ]
