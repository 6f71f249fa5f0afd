"""Issue 15 part 4: each township's admitted duties are public without login (page, JSON, CSV), nothing internal."""

import csv
import io
import json

import pytest
from django.urls import reverse

from admission.models import DocumentKind, OfficialDocument
from tests import support


@pytest.fixture
def admitted(banner):
    return support.admitted(banner)


def test_reform_publishes_a_townships_list_without_login(client, banner, admitted):
    naji = banner.org("naji")
    body = client.get(reverse("public:township", args=[naji.pk])).content.decode()
    assert "森林草原防火巡查" in body
    assert "旗林业和草原局" in body and "《森林防火条例》第二十条" in body
    decision = OfficialDocument.objects.get(request=admitted, kind=DocumentKind.ADMISSION_DECISION)
    assert decision.number in body and reverse("verify_document", args=[decision.verification_code]) in body


def test_the_region_and_banner_index_lead_to_each_township_without_login(client, banner, admitted):
    index = client.get(reverse("public:index")).content.decode()
    assert reverse("public:jurisdiction", args=[banner.jurisdiction.pk]) in index
    page = client.get(reverse("public:jurisdiction", args=[banner.jurisdiction.pk])).content.decode()
    assert reverse("public:township", args=[banner.org("naji").pk]) in page


def test_nothing_internal_is_published(client, banner, admitted):
    """No opinions, reasons, people, staffing or work process; no funding unless the banner publishes it."""
    naji = banner.org("naji")
    responses = [
        client.get(reverse("public:township", args=[naji.pk])),
        client.get(reverse("public:township_data", args=[naji.pk, "json"])),
        client.get(reverse("public:township_data", args=[naji.pk, "csv"])),
    ]
    for response in responses:
        text = response.content.decode("utf-8-sig")
        assert response.status_code == 200
        for internal in ("同意承担", "审核意见", "每镇明确 1 名分管领导", "巡查计划", "120000", "120,000", "forestry"):
            assert internal not in text, internal


def test_funding_is_published_only_where_the_banner_chooses(client, banner, admitted):
    naji = banner.org("naji")
    url = reverse("public:township_data", args=[naji.pk, "json"])
    assert json.loads(client.get(url).content)["duties"][0]["funding_amount"] is None
    banner.jurisdiction.publishes_funding = True
    banner.jurisdiction.save()
    assert json.loads(client.get(url).content)["duties"][0]["funding_amount"] == "120000.00"


def test_open_data_json_has_exactly_the_public_fields(client, banner, admitted):
    data = json.loads(client.get(reverse("public:township_data", args=[banner.org("naji").pk, "json"])).content)
    assert data["township"] == {"name": "那吉镇", "division_code": banner.org("naji").division_code}
    (duty,) = data["duties"]
    assert set(duty) == {
        "name",
        "category",
        "track",
        "department",
        "legal_basis",
        "admitted_on",
        "end_date",
        "decision_number",
        "verification_url",
        "funding_amount",
    }
    assert duty["verification_url"].startswith("http")


def test_open_data_csv_cannot_open_as_a_formula(client, banner):
    support.admitted(banner, duty_name='=HYPERLINK("http://x")', legal_basis="+1+1《条例》第二条。")
    response = client.get(reverse("public:township_data", args=[banner.org("naji").pk, "csv"]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "职责名称"
    assert rows[1][0].startswith("'=") and rows[1][4].startswith("'+")


def test_a_township_lists_only_its_own_duties_and_only_townships_have_lists(client, banner, admitted):
    yadong = banner.org("yadong")  # not consulted: holds none of these duties
    data = json.loads(client.get(reverse("public:township_data", args=[yadong.pk, "json"])).content)
    assert data["duties"] == []
    assert client.get(reverse("public:township", args=[banner.org("office").pk])).status_code == 404
    assert client.get(reverse("public:township_data", args=[yadong.pk, "xml"])).status_code == 404


def test_the_public_list_costs_the_same_queries_for_one_duty_or_three(client, banner, django_assert_max_num_queries):
    support.admitted(banner)
    url = reverse("public:township", args=[banner.org("naji").pk])
    with django_assert_max_num_queries(6):
        client.get(url)
    support.admitted(banner, duty_name="耕地撂荒排查")
    support.admitted(banner, duty_name="农村集体资产清查协助")
    with django_assert_max_num_queries(6):
        client.get(url)
