"""Issue 15 part 5 (its public part): the open API serves what the public pages show, described by its OpenAPI 3
schema, without login, rate-limited, nothing internal."""

import re

import pytest
import yaml
from django.urls import reverse
from rest_framework.throttling import AnonRateThrottle

from tests import support


@pytest.fixture
def admitted(banner):
    return support.admitted(banner)


def test_the_openapi_schema_and_its_documentation_are_served_without_login(client, db):
    response = client.get(reverse("api:schema"))
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert {
        "/api/v1/jurisdictions/",
        "/api/v1/jurisdictions/{id}/townships/",
        "/api/v1/townships/{id}/duties/",
    } <= set(schema["paths"])
    docs = client.get(reverse("api:docs")).content.decode()
    assert "swagger" in docs.lower()
    # CSP (script-src 'self'): every script of the documentation page is a file, none inline.
    assert all(tag.startswith("<script src=") for tag in re.findall(r"<script[^>]*>", docs)), docs


def test_a_townships_duties_are_the_public_lists(client, banner, admitted):
    response = client.get(reverse("api:township_duties", args=[banner.org("naji").pk]), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    public = client.get(reverse("public:township_data", args=[banner.org("naji").pk, "json"])).json()["duties"]
    assert [{k: v for k, v in duty.items() if k != "id"} for duty in response.json()] == public


def test_the_api_publishes_nothing_internal(client, banner, admitted):
    text = client.get(
        reverse("api:township_duties", args=[banner.org("naji").pk]), HTTP_ACCEPT="application/json"
    ).content.decode()
    for internal in ("同意承担", "审核意见", "巡查计划", "120000"):
        assert internal not in text


def test_jurisdictions_and_townships_lead_to_the_lists(client, banner, admitted):
    jurisdictions = client.get(reverse("api:jurisdictions"), HTTP_ACCEPT="application/json").json()["results"]
    assert [j["division_code"] for j in jurisdictions] == [banner.jurisdiction.division_code]
    townships = client.get(
        reverse("api:townships", args=[banner.jurisdiction.pk]), HTTP_ACCEPT="application/json"
    ).json()["results"]
    assert {t["name"] for t in townships} == {"那吉镇", "六合镇", "亚东镇"}


def test_only_townships_have_duty_lists(client, banner):
    for pk in (banner.org("office").pk, 999999):
        assert client.get(reverse("api:township_duties", args=[pk]), HTTP_ACCEPT="application/json").status_code == 404


def test_the_api_is_rate_limited_per_address(client, banner, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/min"})
    url = reverse("api:jurisdictions")
    statuses = [client.get(url, HTTP_ACCEPT="application/json").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_api_list_costs_the_same_queries_for_one_duty_or_three(client, banner, django_assert_max_num_queries):
    support.admitted(banner)
    url = reverse("api:township_duties", args=[banner.org("naji").pk])
    with django_assert_max_num_queries(4):
        client.get(url, HTTP_ACCEPT="application/json")
    support.admitted(banner, duty_name="耕地撂荒排查")
    support.admitted(banner, duty_name="农村集体资产清查协助")
    with django_assert_max_num_queries(4):
        client.get(url, HTTP_ACCEPT="application/json")
