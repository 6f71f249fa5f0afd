"""The oversight dashboard of one banner for one year (Art. 8): figures, charts, a spreadsheet."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from admission import oversight, permissions, selectors
from admission.models import JurisdictionLevel

from .. import listing
from ..audit import record_download
from ..charts import bar_chart_svg
from ..exports import XLSX_CONTENT_TYPE, dashboard_xlsx, file_name


def dashboard(request, pk: int | None = None):
    """One banner's dashboard: the user's own, or (pk) a banner below an office above the banners, read-only."""
    if pk is None and permissions.oversees_below(request.user):
        return redirect("admission:region")  # above the banners, the dashboards are the banners'
    jurisdiction = permissions.dashboard_jurisdiction(request.user, pk)
    this_year = timezone.localdate().year
    asked = listing.whole_number(request.GET.get("year", ""), digits=4)
    year = asked if asked is not None and 2000 <= asked <= this_year else this_year
    data = oversight.dashboard_data(jurisdiction_id=jurisdiction.pk, year=year)
    if request.GET.get("format") == "xlsx":
        record_download(
            request, what="export", name=f"监督看板 {jurisdiction.name} {year}年", data={"year": year, "format": "xlsx"}
        )
        response = HttpResponse(
            dashboard_xlsx(data),
            content_type=XLSX_CONTENT_TYPE,
        )
        disposition = content_disposition_header(
            True, file_name(f"{jurisdiction.name}{year}年乡镇职责准入监督看板", "xlsx")
        )
        assert disposition is not None  # never for an attachment
        response["Content-Disposition"] = disposition
        return response
    charts = {
        "states": bar_chart_svg([(str(label), n) for label, n in data["states"]]),
        "townships": bar_chart_svg([(t.name, t.duties) for t in data["townships"]], unit=" 项"),
        "steps": bar_chart_svg([(str(s["step"]), s["median"]) for s in data["steps"]], unit=" 日"),
        "rejections": bar_chart_svg(sorted(oversight.rejection_reason_counts(data["rejections"]).items())),
    }
    return render(
        request,
        "admission/dashboard.html",
        {
            "data": data,
            "charts": {k: mark_safe(v) for k, v in charts.items()},
            "jurisdiction": jurisdiction,
            "years": range(this_year, this_year - 5, -1),
            # A banner below an office above the banners: read-only, with the way on to its cases and lists.
            "read_only_banner": permissions.overseen_banner(request.user, jurisdiction.pk),
        },
    )


def region(request):
    """Issue 15: the drill-down of the region's or a league's or city's organization office — region → city (`city`)
    → banner (its dashboard, cases and township lists) → township (its duty list). Read-only."""
    if not permissions.oversees_below(request.user):
        raise PermissionDenied(_("仅自治区、盟市党委编办可查看所辖旗县。"))
    organization = permissions.membership_of(request.user).organization
    rows = selectors.banners_below(organization=organization)
    city_text = request.GET.get("city", "")
    city = next((r["city"] for r in rows if r["city"] and str(r["city"].pk) == city_text), None)
    if city_text and city is None:
        raise PermissionDenied(_("只能查看本级所辖的盟市和旗县。"))
    cities = selectors.cities_of(rows) if organization.jurisdiction.level == JurisdictionLevel.REGION else []
    return render(
        request,
        "admission/region.html",
        {
            "organization": organization,
            "city": city,
            # The region's office first sees its leagues and cities, then one city's banners.
            "cities": [] if city else cities,
            # A city's banners; for the region's office, the banners directly below it (none in Inner Mongolia).
            "rows": [r for r in rows if r["city"] == city]
            if city
            else [r for r in rows if r["city"] is None or r["city"].level != JurisdictionLevel.CITY]
            if cities
            else rows,
        },
    )
