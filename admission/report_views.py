"""Art. 7–8: a township reports a duty pushed down without admission; the organization office records a finding."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import permissions
from .forms import MultipleUploadField, apply_service_errors
from .models import Organization, OrganizationKind, PushDownMethod, ReportFinding, UnadmittedDutyReport
from .services import reports as report_services
from .services.errors import ConflictError


class ReportForm(forms.Form):
    department = forms.ModelChoiceField(label=gettext_lazy("下放事项的部门"), queryset=Organization.objects.none())
    duty_description = forms.CharField(label=gettext_lazy("被下放的工作事项"), max_length=500)
    method = forms.ChoiceField(label=gettext_lazy("下放方式"), choices=PushDownMethod.choices, widget=forms.RadioSelect)
    details = forms.CharField(label=gettext_lazy("具体情况"), widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=gettext_lazy("时间、文件或会议名称、要求乡镇承担的内容。"))
    evidence = MultipleUploadField(label=gettext_lazy("证明材料（文件、通知、责任状等的扫描件，可多选）"), required=False)

    def __init__(self, *args, jurisdiction_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Organization.objects.filter(
            jurisdiction_id=jurisdiction_id, kind=OrganizationKind.DEPARTMENT)


class FindingForm(forms.Form):
    finding = forms.ChoiceField(label=gettext_lazy("处理结果"), choices=ReportFinding.choices, widget=forms.RadioSelect)
    finding_text = forms.CharField(label=gettext_lazy("核查情况和处理意见"), widget=forms.Textarea(attrs={"rows": 4}))


def report_list(request):
    membership = permissions.membership_of(request.user)
    reports = UnadmittedDutyReport.objects.none()
    if membership is not None:
        org = membership.organization
        if org.kind == OrganizationKind.TOWNSHIP:
            reports = UnadmittedDutyReport.objects.filter(township=org)
        elif org.kind in (OrganizationKind.ORGANIZATION_OFFICE, OrganizationKind.BANNER_LEADERSHIP):
            reports = UnadmittedDutyReport.objects.filter(jurisdiction_id=org.jurisdiction_id)
    page = Paginator(reports.select_related("township", "department").order_by("handled_at", "-reported_at"), 25) \
        .get_page(request.GET.get("page"))
    return render(request, "admission/report_list.html", {
        "page": page, "can_report": membership is not None and membership.organization.kind == OrganizationKind.TOWNSHIP,
    })


def report_create(request):
    membership = permissions.membership_of(request.user)
    if membership is None or membership.organization.kind != OrganizationKind.TOWNSHIP:
        raise PermissionDenied(_("只有乡镇可以反映未经准入下放的事项。"))
    form = ReportForm(request.POST or None, request.FILES or None,
                      jurisdiction_id=membership.organization.jurisdiction_id)
    if request.method == "POST" and form.is_valid():
        try:
            report = report_services.report_unadmitted_duty(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("已报送旗委编办，处理结果将在此显示。"))
            return redirect("admission:report_detail", pk=report.pk)
    return render(request, "admission/report_form.html", {"form": form},
                  status=422 if request.method == "POST" else 200)


def report_detail(request, pk: int):
    report = get_object_or_404(UnadmittedDutyReport.objects.select_related("township", "department"), pk=pk)
    if not permissions.can_view_report(request.user, report):
        raise Http404
    office = Organization.objects.get(jurisdiction_id=report.jurisdiction_id, kind=OrganizationKind.ORGANIZATION_OFFICE)
    can_handle = report.handled_at is None and permissions.can_decide_for(request.user, office)
    form, status = (FindingForm(request.POST or None) if can_handle else None), 200
    if request.method == "POST":
        if not can_handle:
            raise PermissionDenied(_("反映事项由旗委编办审核人员处理。"))
        if form.is_valid():
            try:
                report_services.handle_report(report=report, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_service_errors(form, error)
            except ConflictError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("处理结果已记录，反映的乡镇可以看到。"))
                return redirect("admission:report_detail", pk=pk)
        status = 422
    return render(request, "admission/report_detail.html",
                  {"report": report, "evidence": report.evidence.all(), "form": form}, status=status)
