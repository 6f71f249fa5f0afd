"""The township duty list (Art. 4(5), 5, 7): the list, one duty with its safeguards, exports."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from admission import permissions, selectors
from admission.models import (
    DocumentKind,
    DutyCategory,
    DutyStatus,
    OrganizationKind,
    RequestPurpose,
    SafeguardDelivery,
)
from admission.services import changes
from admission.services.errors import ConflictError
from workflows import actions

from .. import exports, listing
from ..audit import record_download
from ..forms.duties import ChangeProposalForm, DeliveryForm
from ..forms.fields import apply_service_errors


def duty_list(request):
    membership = permissions.membership_of(request.user)
    # Above the banners (issue 15): one banner's lists at a time, read-only, reached from the drill-down.
    banner = None
    if permissions.oversees_below(request.user):
        banner_id = listing.whole_number(request.GET.get("banner", ""))
        if banner_id is None:
            return redirect("admission:region")
        banner = permissions.require_overseen_banner(request.user, banner_id)
    township_id = request.GET.get("township") or None
    state = request.GET.get("state", DutyStatus.ACTIVE)
    category = request.GET.get("category", "")
    query = request.GET.get("q", "").strip()
    duties = selectors.township_duties(
        user=request.user,
        township_id=listing.whole_number(township_id or ""),
        query=query,
        state=state,
        category=category,
        banner_id=banner.pk if banner else None,
    )
    export = request.GET.get("format")
    if export in ("xlsx", "pdf"):
        title = exports.list_title(user=request.user, township_id=township_id, state=state, banner=banner)
        body, content_type = exports.duty_list_file(duties=duties, title=title, format=export)
        record_download(
            request,
            what="export",
            name=f"{title}.{export}",
            data={"format": export, "township": township_id, "state": state},
        )
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, exports.file_name(title, export))
        return response
    page = Paginator(duties, 50).get_page(request.GET.get("page"))
    is_township = membership is not None and membership.organization.kind == OrganizationKind.TOWNSHIP
    oversees = membership is not None and membership.organization.kind == OrganizationKind.ORGANIZATION_OFFICE
    townships = (
        [] if is_township else selectors.townships_of(user=request.user, banner_id=banner.pk if banner else None)
    )
    township = next((t for t in townships if str(t.pk) == township_id), None)
    gaps = selectors.SafeguardGaps()
    # A row's links and category: reversed and translated once a page, not once a row (fifty rows: 100 reverse()).
    duty_url, case_url = url_of("admission:duty_detail"), url_of("admission:request_detail")
    category_labels = listing.choice_labels(DutyCategory)
    return render(
        request,
        "admission/duty_list.html",
        {
            "page": page,
            "rows": [
                (d, gaps(d), duty_url(d.pk), case_url(d.request_id), category_labels.get(d.category, d.category))
                for d in page
            ],
            "q": query,
            "township_id": township_id,
            "state": state,
            "category": category,
            "categories": DutyCategory.choices,
            "townships": townships,
            "township": township,
            "banner": banner,
            "summary": selectors.township_summary(
                jurisdiction_id=banner.pk if banner else membership.organization.jurisdiction_id, townships=townships
            )
            if oversees and not township_id
            else None,
            "query_string": request.GET.urlencode(),
        },
    )


def url_of(name: str) -> Callable[[int], str]:
    """What reverse(name, args=[pk]) gives, for many pks at the cost of one reverse(): the URL reversed once with a
    marker in the pk's place (an `<int:pk>` is written as its digits), the marker replaced by each pk."""
    url = reverse(name, args=[URL_MARKER])
    head, marker, tail = url.rpartition(str(URL_MARKER))
    if not marker:
        raise ValueError(f"{name} takes no pk: {url}")
    return lambda pk: f"{head}{pk:d}{tail}"


URL_MARKER = 918_273_645


def _visible_duty_or_404(user, pk: int) -> selectors.FulfilledDuty:
    duty = get_object_or_404(
        selectors.township_duty_detail_queryset(),
        pk=pk,
    )
    if not permissions.can_view_duty(user, duty):
        raise Http404
    return duty


def duty_detail(request, pk: int, form: DeliveryForm | None = None, status: int = 200):
    duty = _visible_duty_or_404(request.user, pk)
    history = selectors.duty_history(duty=duty)
    can_record = permissions.acts_for(request.user, duty.department) and duty.status == DutyStatus.ACTIVE
    return render(
        request,
        "admission/duty_detail.html",
        {
            "duty": duty,
            "gaps": selectors.safeguard_gaps(duty),
            "deliveries": duty.deliveries.select_related("recorded_by", "confirmed_by"),
            "documents": duty.request.documents.filter(kind=DocumentKind.ADMISSION_DECISION),
            "form": form or (DeliveryForm() if can_record else None),
            "can_confirm": permissions.acts_for(request.user, duty.township),
            "history": history,
            # A case still private to its applicant is not named to others (permissions.FILED).
            "open_change_visible": history["open_change"] is not None
            and permissions.can_view_request(request.user, history["open_change"]),
            "can_exit": history["open_change"] is None
            and permissions.can_propose_change(request.user, duty, RequestPurpose.EXIT),
            "can_adjust": history["open_change"] is None
            and permissions.can_propose_change(request.user, duty, RequestPurpose.ADJUSTMENT),
            # An organization office above the banners reads the duty (issue 15); nothing here is for it to do.
            "read_only_banner": permissions.overseen_banner(request.user, duty.township.jurisdiction_id),
        },
        status=status,
    )


def propose_change(request, pk: int, purpose: str):
    """Art. 4(4) exit / Art. 4(5) adjustment of a duty on the list. An exit goes out at once (to the other townships
    holding the duty, or on to the written application); an adjustment opens as a draft whose terms are then edited."""
    duty = _visible_duty_or_404(request.user, pk)
    if purpose not in (RequestPurpose.EXIT, RequestPurpose.ADJUSTMENT):
        raise Http404
    permissions.require_can_propose_change(request.user, duty, purpose)
    form = ChangeProposalForm(request.POST or None, targets=changes.change_targets(duty=duty, user=request.user))
    if request.method == "POST" and form.is_valid():
        try:
            case = actions.propose_change(
                actor=request.user,
                duty=duty,
                purpose=purpose,
                reasons=form.cleaned_data["reasons"],
                targets=list(form.cleaned_data["targets"]),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except ConflictError as error:
            form.add_error(None, error.message)
        else:
            if purpose == RequestPurpose.ADJUSTMENT:
                messages.success(request, _("已创建调整申请草稿，请修改需要调整的内容。"))
                return redirect("admission:request_edit", pk=case.pk)
            messages.success(
                request,
                _("退出申请已提出。")
                + (
                    _("已书面征求其他承担该职责的乡镇意见。")
                    if case.consultation_round
                    else _("请在“当前环节”上传书面申请并提交旗委编办。")
                ),
            )
            return redirect("admission:request_detail", pk=case.pk)
    return render(
        request,
        "admission/change_form.html",
        {
            "duty": duty,
            "form": form,
            "purpose": purpose,
            "purpose_label": RequestPurpose(purpose).label,
        },
        status=422 if request.method == "POST" else 200,
    )


@require_POST
def record_delivery(request, pk: int):
    duty = _visible_duty_or_404(request.user, pk)
    form = DeliveryForm(request.POST)
    if form.is_valid():
        try:
            actions.record_safeguard_delivery(duty=duty, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        except ConflictError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("已登记，待乡镇确认收到。"))
            return redirect("admission:duty_detail", pk=pk)
    return duty_detail(request, pk, form=form, status=422)


@require_POST
def confirm_delivery(request, pk: int):
    delivery = get_object_or_404(SafeguardDelivery.objects.select_related("duty__township"), pk=pk)
    if not permissions.can_view_duty(request.user, delivery.duty):
        raise Http404
    try:
        actions.confirm_safeguard_delivery(delivery=delivery, actor=request.user)
    except ConflictError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已确认收到。"))
    return redirect("admission:duty_detail", pk=delivery.duty_id)
