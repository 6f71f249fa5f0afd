"""Issue 15 part 5: another system reads as one organization, with an OAuth2 client-credentials token (scope
cases:read): the same visibility as the pages, every call audited, no token no data."""

import base64
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from admission.models import AuditAction, AuditEvent
from admission.permissions import visible_requests
from admission.procedure import step
from admission.services.api_clients import create_api_client
from tests import support


def token_response(client, organization, scope: str | None = "cases:read", *, may_write: bool = False):
    """A new client of `organization` asks the token endpoint for `scope` (None: asks for no scope)."""
    client_id, secret = create_api_client(organization=organization, name="权责清单系统", may_write=may_write)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return client.post(
        reverse("api:token"),
        {"grant_type": "client_credentials", **({"scope": scope} if scope is not None else {})},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )


def token(client, organization, scope: str | None = "cases:read", *, may_write: bool = False) -> str:
    response = token_response(client, organization, scope, may_write=may_write)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def get(client, url, bearer):
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {bearer}", HTTP_ACCEPT="application/json")


@pytest.mark.parametrize("key", ["office", "forestry", "emergency", "naji", "yadong"])
def test_an_organizations_client_sees_the_cases_its_people_see(client, banner, key):
    support.to_under_review(banner)
    support.draft(banner, department="emergency")  # a draft is its applicant's own
    bearer = token(client, banner.org(key))
    seen = {c["id"] for c in get(client, reverse("api:cases"), bearer).json()["results"]}
    person = banner.users[key]
    assert seen == set(visible_requests(person).values_list("pk", flat=True))


def test_a_case_out_of_sight_does_not_exist_for_the_client(client, banner, other_banner):
    mine = support.to_under_review(banner)
    bearer = token(client, other_banner.org("office"))
    assert get(client, reverse("api:case", args=[mine.pk]), bearer).status_code == 404


def test_a_case_shows_its_state_and_open_steps_with_due_dates(client, banner):
    request = support.to_under_review(banner)
    bearer = token(client, banner.org("office"))
    case = get(client, reverse("api:case", args=[request.pk]), bearer).json()
    assert case["state"] == "under_review"
    nodes = ("lead_review", "legality_review", "data_review")
    assert sorted(s["title"] for s in case["steps"]) == sorted(str(step(node).title) for node in nodes)
    assert all(s["due_date"] for s in case["steps"])


def test_no_token_no_data_and_every_call_is_audited(client, banner):
    support.to_under_review(banner)
    assert client.get(reverse("api:cases"), HTTP_ACCEPT="application/json").status_code == 401
    assert get(client, reverse("api:cases"), "not-a-token").status_code == 401
    bearer = token(client, banner.org("office"))
    before = AuditEvent.objects.filter(action=AuditAction.EXPORT).count()
    get(client, reverse("api:cases"), bearer)
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT).count() == before + 1


def test_the_apis_refusals_are_in_chinese_and_in_english_for_a_client_that_chose_it(client, banner):
    """Django REST framework's own messages (it is not an installed app, so its catalogue is not loaded) come from
    ours: a Chinese reader of the 401 is not left with English."""
    refused = client.get(reverse("api:cases"), HTTP_ACCEPT="application/json")
    assert refused.json() == {"detail": "身份认证信息未提供。"}
    client.cookies["django_language"] = "en"
    refused = client.get(reverse("api:cases"), HTTP_ACCEPT="application/json")
    assert refused.json() == {"detail": "Authentication credentials were not provided."}


def test_the_client_account_cannot_sign_in_to_the_pages(db, banner):
    call_command(
        "create_api_client", "--organization", str(banner.org("office").pk), "--name", "测试", stdout=StringIO()
    )
    from django.contrib.auth import get_user_model

    account = get_user_model().objects.get(username__startswith=f"api.{banner.org('office').pk}.")
    assert not account.has_usable_password()


def test_a_client_asking_no_scope_gets_the_read_scopes_and_only_a_writing_client_may_write(client, banner):
    """A read-only client cannot be given cases:write, whatever it asks; one created to act for its body can."""
    response = token_response(client, banner.org("data"), None)
    assert sorted(response.json()["scope"].split()) == ["cases:read", "documents:read", "duties:read"]
    refused = token_response(client, banner.org("data"), "cases:read cases:write")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"
    granted = token_response(client, banner.org("data"), "cases:write", may_write=True)
    assert granted.status_code == 200 and granted.json()["scope"] == "cases:write"
