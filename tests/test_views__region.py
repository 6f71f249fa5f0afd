"""Issue 15 part 2: the region's and each city's organization office drill down, read-only: region → city → banner
(dashboard, cases) → township (its duty list)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from admission.models import Jurisdiction, Organization, OrganizationKind, Role
from admission.services.setup import add_member
from tests import support


@pytest.fixture
def region(banner, other_banner):
    above = support.levels_above(banner, other_banner)
    return {
        "region": support.office_member(above.region, "region_office"),
        "city": support.office_member(above.city, "city_office"),
        "tongliao": above.other_city,
    }


def test_an_office_above_the_banners_starts_at_its_banners(client, region):
    client.force_login(region["city"])
    assert client.get(reverse("admission:home")).url == reverse("admission:region")
    assert client.get(reverse("admission:dashboard")).url == reverse("admission:region")  # the nav's 监督看板


def test_the_city_office_sees_its_banners_and_the_region_office_every_city(client, banner, other_banner, region):
    support.admitted(banner)
    client.force_login(region["city"])
    body = client.get(reverse("admission:region")).content.decode()
    assert "阿荣旗" in body and other_banner.jurisdiction.name not in body
    assert reverse("admission:banner_dashboard", args=[banner.jurisdiction.pk]) in body
    # On to the banner's cases and each township's list.
    assert f"{reverse('admission:duty_list')}?banner={banner.jurisdiction.pk}" in body
    assert f"{reverse('admission:request_list')}?banner={banner.jurisdiction.pk}" in body
    client.force_login(region["region"])
    body = client.get(reverse("admission:region")).content.decode()
    assert "呼伦贝尔市" in body and "通辽市" in body and "阿荣旗" not in body  # first the cities
    city = banner.jurisdiction.__class__.objects.get(name="呼伦贝尔市")
    body = client.get(reverse("admission:region"), {"city": city.pk}).content.decode()
    assert "阿荣旗" in body and other_banner.jurisdiction.name not in body  # then one city's banners


def test_a_banner_dashboard_is_read_only_to_the_offices_above_it_and_to_nobody_else(
    client, banner, other_banner, region
):
    support.admitted(banner)
    mine = reverse("admission:banner_dashboard", args=[banner.jurisdiction.pk])
    for user, status in (
        (region["city"], 200),
        (region["region"], 200),
        (other_banner.users["office"], 403),
        (banner.users["forestry"], 403),
    ):
        client.force_login(user)
        assert client.get(mine).status_code == status
    client.force_login(region["city"])
    assert client.get(reverse("admission:banner_dashboard", args=[other_banner.jurisdiction.pk])).status_code == 403


def test_the_city_office_reads_its_banners_cases_but_cannot_act(client, banner, region):
    request = support.to_under_review(banner)
    client.force_login(region["city"])
    assert client.get(reverse("admission:request_detail", args=[request.pk])).status_code == 200
    task = support.open_task(request, "lead_review")
    assert client.post(reverse("workflows:claim", args=[task.pk])).status_code in (403, 404)


def test_only_offices_above_the_banners_have_the_drill_down(client, banner):
    client.force_login(banner.users["office"])
    assert client.get(reverse("admission:region")).status_code == 403


def test_the_drill_down_costs_the_same_queries_for_one_banner_or_two(client, banner, other_banner, region):
    support.admitted(banner)
    counts = []
    for user in (region["city"], region["region"]):  # one banner below, then two
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("admission:region")).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1] <= 12


def _header_links(client, url: str) -> list[str]:
    body = client.get(url, follow=True).content.decode()
    nav = body[body.index("<nav>") : body.index("</nav>")]
    return [re.sub(r"<.*?>", "", link).strip() for link in re.findall(r"<a [^>]*>(.*?)</a>", nav)]


def test_issue15_each_body_above_the_banners_sees_only_the_links_that_lead_somewhere(client, banner, region):
    """The city office has no tasks: its banners and their cases. A city government that approves on the platform
    has its task boxes, cases and replies; one that does not has nothing but its notices."""
    client.force_login(region["city"])
    links = _header_links(client, reverse("admission:home"))
    assert links[:2] == ["所辖旗县", "准入申请"] and "我的待办" not in links and "本单位任务队列" not in links
    assert "乡镇职责清单" not in links and "监督看板" not in links and "反映" not in links

    hulunbuir = Jurisdiction.objects.get(division_code="150700")
    government = Organization.objects.get(jurisdiction=hulunbuir, kind=OrganizationKind.CITY_GOVERNMENT)
    head = add_member(organization=government, username="city_head", password="x", role=Role.HEAD)
    client.force_login(head)
    assert client.get(reverse("admission:home")).url == reverse("admission:notifications")
    assert [link for link in _header_links(client, reverse("admission:home")) if not link.startswith("提醒")] == []

    hulunbuir.approves_in_system = True
    hulunbuir.save()
    assert client.get(reverse("admission:home")).url == reverse("workflows:inbox")
    links = _header_links(client, reverse("admission:home"))
    assert links[:5] == ["我的待办", "本单位任务队列", "已办", "准入申请", "公文"], links

    client.force_login(banner.users["office"])  # a banner's body: as before
    links = _header_links(client, reverse("admission:home"))
    assert links[:7] == ["我的待办", "本单位任务队列", "已办", "准入申请", "乡镇职责清单", "公文", "监督看板"], links


def test_the_city_office_exports_a_banners_lists_named_for_that_banner(client, banner, other_banner, region):
    from urllib.parse import quote

    from django.utils import timezone

    support.admitted(banner)
    today = f"{timezone.localdate():%Y%m%d}"
    client.force_login(region["city"])
    response = client.get(reverse("admission:duty_list"), {"banner": banner.jurisdiction.pk, "format": "xlsx"})
    assert response.status_code == 200
    assert quote(f"阿荣旗各乡镇履行职责事项清单-{today}.xlsx") in response["Content-Disposition"]
    # Another city's township named through this banner's list: not even its name is given away.
    response = client.get(
        reverse("admission:duty_list"),
        {"banner": banner.jurisdiction.pk, "township": other_banner.org("naji").pk, "format": "xlsx"},
    )
    assert quote("mq那吉镇") not in response["Content-Disposition"]
    response = client.get(reverse("admission:duty_list"), {"banner": other_banner.jurisdiction.pk, "format": "xlsx"})
    assert response.status_code == 403
