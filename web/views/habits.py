"""Pages of the approval habits (issue 13): comments, 抄送, 转办, 催办, 退回 and the 审批单.

Thin: a form collects, the front door in workflows.actions acts; a refused input comes back on the same form."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from viewflow.workflow.models import Task

from admission import permissions, selectors
from admission.models import DutyRequest
from admission.permissions import organization_id_from_permission
from admission.procedure import RETURNS_TO
from admission.services.errors import ConflictError
from workflows import actions

from ..forms import habits as forms
from ..forms.fields import apply_service_errors


def _case(user, pk: int) -> DutyRequest:
    duty_request = get_object_or_404(DutyRequest.objects.select_related("jurisdiction"), pk=pk)
    if not permissions.can_view_request(user, duty_request):
        raise Http404
    return duty_request


def _url(duty_request: DutyRequest) -> str:
    return reverse("admission:request_detail", args=[duty_request.pk])


def _task(user, pk: int) -> tuple[Task, DutyRequest]:
    task = get_object_or_404(Task.objects.select_related("process", "owner"), pk=pk, flow_task_type="HUMAN")
    return task, _case(user, task.process.artifact_object_id)


def _handle(request, form: BaseForm, act: Callable[[], object], *, done: str, page: dict, back: str):
    """Validate, act, and go back to the case; or show the form again with what went wrong and the input kept."""
    if request.method == "POST" and form.is_valid():
        try:
            act()
        except ValidationError as error:
            apply_service_errors(form, error)
        except ConflictError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, done)
            return redirect(back)
    status = 422 if request.method == "POST" else 200
    return render(request, "admission/habit_form.html", {"form": form, "back": back, **page}, status=status)


@require_POST
def comment(request, pk: int):
    duty_request = _case(request.user, pk)
    permissions.require_party(request.user, duty_request)
    form = forms.CommentForm(request.POST)
    return _handle(
        request,
        form,
        lambda: actions.comment_on_case(duty_request=duty_request, actor=request.user, text=form.cleaned_data["text"]),
        done=_("内部意见已发表。"),
        page={"title": _("发表内部意见"), "duty_request": duty_request, "submit": _("发表")},
        back=_url(duty_request) + "#comments",
    )


def copy(request, pk: int):
    duty_request = _case(request.user, pk)
    permissions.require_can_copy_case(request.user, duty_request)
    membership = permissions.membership_of(request.user)
    assert membership is not None  # a party's reviewer or head (checked above)
    candidates = selectors.copy_candidates(duty_request=duty_request, sender=membership.organization)
    form = forms.CopyForm(request.POST or None, candidates=candidates)
    return _handle(
        request,
        form,
        lambda: actions.copy_case(
            duty_request=duty_request,
            actor=request.user,
            organizations=list(form.cleaned_data["organizations"]),
            note=form.cleaned_data["note"],
        ),
        done=_("已抄送。"),
        page={"title": _("抄送"), "duty_request": duty_request, "submit": _("抄送")},
        back=_url(duty_request),
    )


def reassign(request, pk: int):
    task, duty_request = _task(request.user, pk)
    organization_id = organization_id_from_permission(task.owner_permission)
    permissions.require_can_reassign(request.user, organization_id)
    assert organization_id is not None  # only the head of the task's unit gets here
    form = forms.ReassignForm(request.POST or None, organization_id=organization_id)
    return _handle(
        request,
        form,
        lambda: actions.reassign_task(
            task=task, actor=request.user, assignee=form.cleaned_data["assignee"], reason=form.cleaned_data["reason"]
        ),
        done=_("已转办。"),
        page={"title": _("转办"), "duty_request": duty_request, "task": task, "submit": _("转办")},
        back=_url(duty_request),
    )


def urge(request, pk: int):
    task, duty_request = _task(request.user, pk)
    permissions.require_can_urge(request.user, duty_request)
    form = forms.UrgeForm(request.POST or None)
    return _handle(
        request,
        form,
        lambda: actions.urge_task(task=task, actor=request.user, note=form.cleaned_data["note"]),
        done=_("已催办。"),
        page={"title": _("催办"), "duty_request": duty_request, "task": task, "submit": _("催办")},
        back=_url(duty_request),
    )


def send_back(request, pk: int):
    task, duty_request = _task(request.user, pk)
    permissions.require_lead_unit(request.user, duty_request)
    form = forms.ReturnForm(request.POST or None, node=task.flow_task.name)
    if task.flow_task.name not in RETURNS_TO:
        raise Http404
    return _handle(
        request,
        form,
        lambda: actions.return_to_review(
            task=task, actor=request.user, nodes=form.cleaned_data["nodes"], reasons=form.cleaned_data["reasons"]
        ),
        done=_("已退回，相关成员单位将重新审核。"),
        page={"title": _("退回"), "duty_request": duty_request, "task": task, "submit": _("退回")},
        back=_url(duty_request),
    )


@require_POST
def approval_form(request, pk: int):
    duty_request = _case(request.user, pk)
    try:
        document = actions.issue_approval_form(duty_request=duty_request, actor=request.user)
    except ConflictError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("审批单 %(number)s 已生成，签章后可在下方公文中打开。") % {"number": document.number}
        )
    return redirect(_url(duty_request))
