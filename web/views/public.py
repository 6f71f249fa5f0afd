"""The public duty lists (issue 15, part 4): each township's admitted duties, readable by anyone without login, as a
page and as open data (JSON, CSV). Only what admission.selectors.public_duty_list publishes; nothing internal."""

from __future__ import annotations

import csv
import io
import json

from django.contrib.auth.decorators import login_not_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from admission import selectors
from admission.models import Jurisdiction, Organization, OrganizationKind

from ..exports import FORMULA_TRIGGERS

# The open-data fields, in order: (key, CSV column heading).
FIELDS = (
    ("name", "职责名称"),
    ("category", "清单类别"),
    ("track", "准入类型"),
    ("department", "交办部门"),
    ("legal_basis", "法定依据"),
    ("admitted_on", "准入日期"),
    ("end_date", "任务截止日期"),
    ("decision_number", "准入决定文号"),
    ("verification_url", "准入决定查验地址"),
    ("funding_amount", "工作经费（元）"),
)


@login_not_required
@require_GET
def jurisdictions(request):
    return render(request, "public/index.html", {"jurisdictions": selectors.public_jurisdictions()})


@login_not_required
@require_GET
def jurisdiction(request, pk: int):
    banner = get_object_or_404(Jurisdiction, pk=pk)
    return render(
        request,
        "public/jurisdiction.html",
        {"jurisdiction": banner, "townships": selectors.public_townships(jurisdiction=banner)},
    )


@login_not_required
@require_GET
def township(request, pk: int, format: str = "html"):
    if format not in ("html", "json", "csv"):
        raise Http404
    place = get_object_or_404(
        Organization.objects.select_related("jurisdiction"), pk=pk, kind=OrganizationKind.TOWNSHIP
    )
    rows = selectors.public_duty_list(township=place)
    for row in rows:
        code = row.pop("verification_code")
        row["verification_url"] = request.build_absolute_uri(reverse("verify_document", args=[code])) if code else ""
    if format == "json":
        body = {
            "township": {"name": place.name, "division_code": place.division_code},
            "jurisdiction": {"name": place.jurisdiction.name, "division_code": place.jurisdiction.division_code},
            "generated_at": timezone.localtime(),
            "duties": [{key: row[key] for key, _heading in FIELDS} for row in rows],
        }
        response = HttpResponse(
            json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1),
            content_type="application/json; charset=utf-8",
        )
    elif format == "csv":
        response = HttpResponse(_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f"attachment; filename=duties-{place.division_code or place.pk}.csv"
    else:
        return render(
            request,
            "public/township.html",
            {"township": place, "rows": rows, "with_funding": place.jurisdiction.publishes_funding},
        )
    response["Access-Control-Allow-Origin"] = "*"  # open data: any site may read it
    return response


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # Nothing a banner typed opens as a formula in a spreadsheet program (CSV injection, OWASP).
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([heading for _key, heading in FIELDS])
    for row in rows:
        writer.writerow([_cell(row[key]) for key, _heading in FIELDS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM tells spreadsheet programs it is UTF-8
