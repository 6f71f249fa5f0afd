"""Query counts of the busy pages do not grow with the number of cases (no N+1), and stay under a ceiling."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import support


def queries_for(client, user, url) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def add_cases(banner, count: int) -> None:
    for _ in range(count):
        request = support.to_under_review(banner)
        support.bureau_opinions(banner, request)
        support.conclude(banner, request)
        support.banner_decides(banner, request)
        support.city_decides(banner, request)
    for _ in range(count):
        support.to_under_review(banner)


PAGES = [
    ("office", "admission:request_list", 8),
    ("forestry", "admission:request_list", 8),
    ("naji", "admission:request_list", 8),
    ("naji", "admission:duty_list", 8),
    ("office", "admission:duty_list", 8),  # the per-township summary: one statement (its townships the filter's)
    ("office", "workflows:queue", 12),
    ("justice", "workflows:queue", 12),
    ("office", "workflows:archive", 12),
    ("forestry", "workflows:archive", 12),
]


@pytest.mark.parametrize(("user_key", "url_name", "ceiling"), PAGES)
def test_list_pages_make_the_same_number_of_queries_for_two_cases_or_six(client, banner, user_key, url_name, ceiling):
    url = reverse(url_name)
    add_cases(banner, 1)
    few = queries_for(client, banner.users[user_key], url)
    add_cases(banner, 2)
    many = queries_for(client, banner.users[user_key], url)
    assert many == few, f"{url_name} as {user_key}: {few} queries for 2 cases, {many} for 6"
    assert many <= ceiling


def test_request_page_query_count_does_not_grow_with_its_history(client, banner):
    request = support.to_under_review(banner)
    url = reverse("admission:request_detail", args=[request.pk])
    before = queries_for(client, banner.users["office"], url)
    support.bureau_opinions(banner, request)
    support.conclude(banner, request)
    support.banner_decides(banner, request)
    support.city_decides(banner, request)
    after = queries_for(client, banner.users["office"], url)
    assert after <= before + 3, f"{before} queries under review, {after} once admitted with twice the history"
    assert after <= 19
