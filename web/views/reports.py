"""Art. 7–8: a township reports a duty pushed down without admission; the organization office records a finding."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from admission import permissions, selectors
from admission.models import UnadmittedDutyReport
from admission.services.errors import ConflictError
from workflows import actions

from .. import listing
from ..forms.fields import apply_service_errors, drop_used_uploads, keep_uploads, restore_kept_uploads
from ..forms.reports import FindingForm, ReportForm


def report_list(request):
    handled = listing.text(request, "handled", allowed=("yes", "no"))
    query, year, sort = listing.text(request, "q"), listing.year(request), listing.text(request, "sort")
    reports = selectors.reports_for(user=request.user, query=query, handled=handled, year=year, sort=sort)
    page = Paginator(reports, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "admission/report_list.html",
        {
            "page": page,
            "q": query,
            "handled": handled,
            "year": year,
            "sort": sort,
            "years": listing.years(),
            "can_report": permissions.can_report_unadmitted_duty(request.user),
        },
    )


def report_create(request):
    permissions.require_can_report_unadmitted_duty(request.user)
    form = ReportForm(
        request.POST or None,
        request.FILES or None,
        jurisdiction_id=permissions.membership_of(request.user).organization.jurisdiction_id,
    )
    if request.method == "POST":
        restore_kept_uploads(form, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            report = actions.report_unadmitted_duty(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            drop_used_uploads(form, user=request.user)
            messages.success(request, _("已报送旗委编办，处理结果将在此显示。"))
            return redirect("admission:report_detail", pk=report.pk)
    if request.method == "POST":
        keep_uploads(form, user=request.user)
    return render(
        request, "admission/report_form.html", {"form": form}, status=422 if request.method == "POST" else 200
    )


def report_detail(request, pk: int):
    report = get_object_or_404(UnadmittedDutyReport.objects.select_related("township", "department"), pk=pk)
    if not permissions.can_view_report(request.user, report):
        raise Http404
    can_handle = report.handled_at is None and permissions.can_handle_report(request.user, report)
    form, status = (FindingForm(request.POST or None) if can_handle else None), 200
    if request.method == "POST":
        permissions.require_can_handle_report(request.user, report)
        if form is None:
            messages.info(request, _("该反映事项已经处理完毕。"))
            return redirect("admission:report_detail", pk=pk)
        if form.is_valid():
            try:
                actions.handle_report(report=report, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_service_errors(form, error)
            except ConflictError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("处理结果已记录，反映的乡镇可以看到。"))
                return redirect("admission:report_detail", pk=pk)
        status = 422
    return render(
        request,
        "admission/report_detail.html",
        {"report": report, "evidence": report.evidence.all(), "form": form},
        status=status,
    )
