"""Issue 15 part 5: a write endpoint where a system acts for a body — the data bureau's power-list system gives the
bureau's 权责清单衔接审核 opinion (Art. 3, 4(2); admission.procedure: data_review) through the task page's front door
(workflows.actions.give_bureau_opinion): the same checks and Chinese messages (400 with field errors), acting as the
client's service account for the bureau, scope cases:write, audited with the client, rate-limited per client."""

import json

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from oauth2_provider.models import Application
from viewflow.workflow.status import STATUS

from admission.models import AuditAction, AuditEvent, BureauReviewOpinion, RequestState
from tests import support
from tests.test_api__organizations import token
from web.api import ClientWriteThrottle
from workflows import engine


def post(client, case, bearer, body, **headers):
    return client.post(
        reverse("api:data_review", args=[case.pk]),
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {bearer}",
        HTTP_ACCEPT="application/json",
        **headers,
    )


@pytest.fixture
def case(banner):
    return support.to_under_review(banner)


@pytest.fixture
def writer(client, banner):
    return token(client, banner.org("data"), "cases:read cases:write", may_write=True)


def test_art4_2_the_data_bureaus_system_gives_its_opinion_as_the_task_page_does(client, banner, case, writer):
    task = engine.open_human_task(case, "data_review")
    response = post(
        client, case, writer, {"passes": True, "reasoning": "与旗级权责清单衔接一致。"}, HTTP_USER_AGENT="qd/1"
    )
    assert response.status_code == 201, response.content
    opinion = BureauReviewOpinion.objects.get(request=case, organization=banner.org("data"))
    assert (opinion.passes, opinion.reasoning) == (True, "与旗级权责清单衔接一致。")
    assert response.json()["id"] == opinion.pk and response.json()["organization"] == banner.org("data").name
    task.refresh_from_db()
    assert task.status == STATUS.DONE and task.owner == opinion.given_by
    # The actor is the client's service account, a reviewer of the bureau, named after the system.
    application = Application.objects.get(user=opinion.given_by)
    assert opinion.given_by.first_name == application.name == "权责清单系统"
    assert opinion.given_by.membership.organization == banner.org("data")
    event = AuditEvent.objects.get(request=case, action=AuditAction.RECORD_BUREAU_OPINION, actor=opinion.given_by)
    assert event.organization == banner.org("data")
    assert event.user_agent.startswith(f"API {application.client_id}（权责清单系统）") and "qd/1" in event.user_agent
    # The other members' reviews are still open: the case waits for them, as after the page.
    assert case.__class__.objects.get(pk=case.pk).state == RequestState.UNDER_REVIEW


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"passes": True}, {"reasoning": ["请写明审核意见及其依据。"]}),
        ({"passes": True, "reasoning": "   "}, {"reasoning": ["请写明审核意见及其依据。"]}),
        ({"reasoning": "与清单一致。"}, {"passes": ["请选择本单位意见。"]}),
        ({}, {"passes": ["请选择本单位意见。"], "reasoning": ["请写明审核意见及其依据。"]}),
        ({"passes": "也许", "reasoning": "与清单一致。"}, {"passes": ["请选择本单位意见。"]}),
        ({"passes": False, "reasoning": ["不是文字"]}, {"reasoning": ["请写明审核意见及其依据。"]}),
    ],
)
def test_art4_2_a_missing_part_is_named_as_on_the_page_and_nothing_changes(client, case, writer, body, errors):
    events = AuditEvent.objects.changes().count()
    response = post(client, case, writer, body)
    assert response.status_code == 400
    assert response.json() == errors
    assert not case.bureau_opinions.exists()
    assert AuditEvent.objects.changes().count() == events
    assert engine.open_human_task(case, "data_review").status == STATUS.NEW


def test_the_messages_are_the_pages_in_the_language_chosen(client, case, writer):
    """Chinese, the official language, unless the language cookie chooses English (as on the pages)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = post(client, case, writer, {"passes": True})
    assert response.status_code == 400
    with translation.override("en"):
        assert response.json() == {"reasoning": [translation.gettext("请写明审核意见及其依据。")]}
    assert response.json()["reasoning"] != ["请写明审核意见及其依据。"]


def test_an_opinion_given_is_not_given_twice(client, case, writer):
    assert post(client, case, writer, {"passes": False, "reasoning": "清单中无对应事项。"}).status_code == 201
    again = post(client, case, writer, {"passes": True, "reasoning": "再次提交。"})
    assert again.status_code == 409 and again.json()["detail"]
    assert case.bureau_opinions.get().passes is False


def test_a_case_not_under_review_has_no_review_to_give(client, banner, writer):
    draft = support.consulting_case(banner)
    response = post(client, draft, writer, {"passes": True, "reasoning": "与清单一致。"})
    assert response.status_code == 409
    assert not draft.bureau_opinions.exists()


def test_writing_needs_the_write_scope(client, banner, case):
    reader = token(client, banner.org("data"), "cases:read", may_write=True)
    response = post(client, case, reader, {"passes": True, "reasoning": "与清单一致。"})
    assert response.status_code == 403
    assert response.json()["detail"] == "令牌不含本接口所需的范围（scope），请以相应范围重新申请令牌。"
    assert not case.bureau_opinions.exists()
    refusal = AuditEvent.objects.filter(action=AuditAction.PERMISSION_DENIED).latest("pk")
    assert refusal.data["api"] == reverse("api:data_review", args=[case.pk]) and refusal.data["api_client"]


@pytest.mark.parametrize(("key", "status"), [("justice", 403), ("office", 403), ("forestry", 403), ("yadong", 404)])
def test_only_the_data_bureau_gives_the_data_review(client, banner, case, key, status):
    """Those who see the case are told the task is not theirs (the page's message); the others learn nothing."""
    bearer = token(client, banner.org(key), "cases:write", may_write=True)
    response = post(client, case, bearer, {"passes": True, "reasoning": "越权出具的意见。"})
    assert response.status_code == status
    if status == 403:
        assert response.json()["detail"] == "您所在单位无权办理该任务。"
    assert not case.bureau_opinions.exists()


def test_another_banners_data_bureau_does_not_see_the_case(client, case, other_banner):
    bearer = token(client, other_banner.org("data"), "cases:write", may_write=True)
    assert post(client, case, bearer, {"passes": True, "reasoning": "与清单一致。"}).status_code == 404


def test_writes_are_rate_limited_per_client(client, banner, writer, monkeypatch):
    monkeypatch.setattr(ClientWriteThrottle, "THROTTLE_RATES", {"api_write": "2/min", "user": "600/min"})
    cases = [support.to_under_review(banner, duty_name=f"事项{n}") for n in range(3)]
    statuses = [post(client, c, writer, {"passes": True, "reasoning": "与清单一致。"}).status_code for c in cases]
    assert statuses == [201, 201, 429]
    other = token(client, banner.org("data"), "cases:write", may_write=True)  # another client has its own budget
    assert post(client, cases[2], other, {"passes": True, "reasoning": "与清单一致。"}).status_code == 201
