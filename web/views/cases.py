"""Pages about cases: list, form, case page, withdrawal, attachments, notifications.

Thin: selectors read; every change goes through its front door in workflows.actions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from admission import inheritance, permissions, selectors
from admission.models import Attachment, DutyRequest, JurisdictionLevel, OrganizationKind, RequestState, Track
from admission.procedure import RETURNS_TO
from admission.services import files
from admission.services.errors import ConflictError
from admission.storage import StoredFileRefused
from workflows import actions
from workflows.selectors import can_work_on, case_tasks, current_steps, procedure_map, step_durations

from .. import listing
from ..audit import record_download
from ..forms.cases import DutyRequestForm, WithdrawForm
from ..forms.fields import apply_service_errors
from ..forms.habits import CommentForm
from ..procedure_map import procedure_map_svg
from .documents import stored_file_refused


def _visible_request_or_404(user, pk: int) -> DutyRequest:
    duty_request = get_object_or_404(DutyRequest.objects.select_related("department", "jurisdiction"), pk=pk)
    if not permissions.can_view_request(user, duty_request):
        raise Http404
    return duty_request


def home(request):
    if permissions.membership_of(request.user) is None and request.user.is_staff:
        return redirect("admin:index")
    membership = permissions.require_membership(request.user)
    if permissions.oversees_below(request.user):
        return redirect("admission:region")  # an office above the banners has no tasks of its own
    organization = membership.organization
    if organization.jurisdiction.level != JurisdictionLevel.BANNER and not (
        organization.kind == OrganizationKind.CITY_GOVERNMENT and organization.jurisdiction.approves_in_system
    ):
        return redirect("admission:notifications")  # a body above the banners with nothing to do on the platform
    return redirect("workflows:inbox")


def request_list(request):
    state = listing.text(request, "state", allowed=RequestState.values)
    track = listing.text(request, "track", allowed=Track.values)
    query, year, sort = listing.text(request, "q"), listing.year(request), listing.text(request, "sort")
    # Above the banners (issue 15): all the banners' cases, or one banner's from the drill-down.
    banner_id = listing.whole_number(listing.text(request, "banner"))
    banner = (
        permissions.require_overseen_banner(request.user, banner_id)
        if banner_id is not None and permissions.oversees_below(request.user)
        else None
    )
    duty_requests = selectors.request_list(
        user=request.user,
        state=state,
        query=query,
        track=track,
        year=year,
        sort=sort,
        banner_id=banner.pk if banner else None,
    )
    page = Paginator(duty_requests, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "admission/request_list.html",
        {
            "page": page,
            "state": state,
            "track": track,
            "year": year,
            "sort": sort,
            "q": query,
            "states": RequestState.choices,
            "tracks": Track.choices,
            "years": listing.years(),
            "can_create": permissions.can_create_request(request.user),
            "banner": banner,
            "oversees": permissions.oversees_below(request.user),
        },
    )


def _edit(request, duty_request: DutyRequest | None):
    membership = permissions.require_membership(request.user)
    form = DutyRequestForm(
        request.POST or None, instance=duty_request, jurisdiction=membership.organization.jurisdiction
    )
    if request.method == "POST" and form.is_valid():
        consult = "consult" in request.POST
        try:
            saved = actions.save_draft(
                actor=request.user,
                values=form.values(),
                townships=list(form.cleaned_data.get("townships") or []),
                duty_request=duty_request,
                consult=consult,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except ConflictError as error:
            form.add_error(None, error.message)
        else:
            if consult:
                messages.success(
                    request,
                    _("已保存，并书面征求涉及乡镇的意见。")
                    if saved.consultation_round
                    else _("已保存。本乡镇提出的申请无需征求其他乡镇意见，请上传书面申请后提交。"),
                )
            else:
                messages.success(request, _("草稿已保存。"))
            return redirect("admission:request_detail", pk=saved.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "admission/request_form.html",
        {
            "form": form,
            "duty_request": duty_request,
            "measure": inheritance.measure_title(membership.organization.jurisdiction),
            "consults_townships": duty_request is None
            or duty_request.townships.exclude(pk=duty_request.applicant_id).exists(),
        },
        status=status,
    )


def request_create(request):
    permissions.require_can_create_request(request.user)
    return _edit(request, None)


def request_edit(request, pk: int):
    duty_request = _visible_request_or_404(request.user, pk)
    permissions.require_can_edit_request(request.user, duty_request)
    return _edit(request, duty_request)


def request_detail(request, pk: int):
    found = permissions.visible_request_and_party(request.user, pk)
    if found is None:
        raise Http404
    duty_request, party = found
    tasks = case_tasks(duty_request=duty_request)
    steps = current_steps(duty_request=duty_request, tasks=tasks)
    leads = permissions.can_urge(request.user, duty_request)
    for step in steps:
        step["actionable"] = can_work_on(user=request.user, task=step["task"])
        step["can_reassign"] = permissions.can_reassign_for(
            request.user, step["organization"] and step["organization"].pk
        )
        step["can_urge"] = leads and bool(step["time"].get("overdue"))
        step["can_return"] = leads and step["actionable"] and step["task"].flow_task.name in RETURNS_TO
    return render(
        request,
        "admission/request_detail.html",
        {
            "duty_request": duty_request,
            "detail": selectors.request_detail(duty_request=duty_request),
            "steps": steps,
            "durations": step_durations(duty_request=duty_request, tasks=tasks),
            "can_edit": permissions.can_edit_request(request.user, duty_request),
            "can_consult": permissions.can_edit_request(request.user, duty_request)
            and duty_request.state == RequestState.DRAFT,
            "can_withdraw": permissions.can_withdraw_request(request.user, duty_request),
            "withdraw_form": WithdrawForm(),
            "is_party": party,
            "procedure_map": procedure_map_svg(
                procedure_map(duty_request=duty_request, tasks=tasks, open_steps=steps),
                temporary=duty_request.track == Track.TEMPORARY,
            )
            if party
            else "",
            "notes": selectors.case_notes(duty_request=duty_request) if party else None,
            "comment_form": CommentForm(),
            "can_copy": permissions.can_copy_case(request.user, duty_request, party=party),
            "can_issue_approval_form": leads and duty_request.state != RequestState.DRAFT,
            # An organization office above the banners reads the case; nothing on the page is for it to do.
            "read_only_banner": duty_request.jurisdiction
            if permissions.overseen_banner(request.user, duty_request.jurisdiction_id)
            else None,
        },
    )


@require_POST
def request_withdraw(request, pk: int):
    duty_request = _visible_request_or_404(request.user, pk)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            actions.withdraw(duty_request=duty_request, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            apply_service_errors(form, error)
        except ConflictError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("申请已撤回，相关待办任务已取消。"))
            return redirect("admission:request_detail", pk=pk)
    for message in form.errors.get("reason", []) + form.non_field_errors():
        messages.error(request, str(message))  # ErrorList yields the messages as text
    return redirect("admission:request_detail", pk=pk)


def attachment_download(request, pk: int):
    attachment = get_object_or_404(Attachment.objects.select_related("request", "report"), pk=pk)
    allowed = (
        permissions.can_view_request(request.user, attachment.request)
        if attachment.request
        else attachment.report is not None and permissions.can_view_report(request.user, attachment.report)
    )
    if not allowed:
        raise Http404
    try:
        verified = files.open_attachment_file(attachment=attachment, actor=request.user)
    except StoredFileRefused as refused:
        return stored_file_refused(request, refused)
    record_download(request, what="attachment", name=attachment.original_name, data={"attachment": attachment.pk})
    # Always a download, never shown in the browser: the type is the one parsed from the content, the browser may
    # not guess another (nosniff), and a sandbox stops any script should the file be opened in a tab anyway.
    response = FileResponse(
        verified, as_attachment=True, filename=attachment.download_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def notifications(request):
    """Reminders and escalations sent to the user; opening the page marks them read."""
    page = Paginator(request.user.notifications.all(), 25).get_page(request.GET.get("page"))
    rows = list(page)
    request.user.notifications.filter(read_at__isnull=True, pk__in=[n.pk for n in rows]).update(read_at=timezone.now())
    return render(request, "admission/notifications.html", {"page": page, "rows": rows})
