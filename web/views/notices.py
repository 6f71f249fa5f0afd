"""The person's notices: mark them read, and choose which are e-mailed (issue 13 part 3). The list itself is
web.views.cases.notifications."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from admission.models import NoticeKind, NoticePreference
from admission.permissions import require_membership
from admission.services import notifications


class PreferenceForm(forms.Form):
    email_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("通过电子邮件接收"),
        choices=NoticeKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy("所有提醒都会显示在系统内；勾选的类型同时发送到您的电子邮箱。"),
    )


@require_POST
def mark_read(request):
    count = notifications.mark_read(user=request.user)
    messages.success(request, _("已将 %(count)d 条提醒标为已读。") % {"count": count})
    return redirect("admission:notifications")


def preferences(request):
    require_membership(request.user)
    current = NoticePreference.objects.filter(user=request.user).first()
    initial = {"email_kinds": current.email_kinds if current else list(NoticeKind.values)}
    form = PreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        notifications.set_preferences(user=request.user, email_kinds=form.cleaned_data["email_kinds"])
        messages.success(request, _("提醒设置已保存。"))
        return redirect("admission:notifications")
    return render(
        request,
        "admission/notice_preferences.html",
        {"form": form, "email": request.user.email},
        status=422 if request.method == "POST" else 200,
    )
