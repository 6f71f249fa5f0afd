"""Who may open which page: every URL × every role, plus a user of another banner and an anonymous visitor.

The case is a forestry request naming 那吉镇 and 六合镇, under review, with the lead unit's review task open.
404 means "you cannot know this exists"; 403 means "you can see the case but this is not yours to do".
"""

import pytest
from django.urls import reverse

from admission.models import AuditEvent, RequestState
from tests import support

ROLES = ("forestry", "emergency", "naji", "yadong", "office", "office_clerk", "justice", "data", "leadership",
         "other_banner", "anonymous")


def _expect(default, **overrides):
    return {role: overrides.get(role, default) for role in ROLES}


MEMBERS_200 = _expect(200, anonymous=302)
# Art. 3 and the rule: department its own; townships named; joint meeting all; leadership what awaits it.
CASE_VISIBLE = _expect(404, forestry=200, naji=200, office=200, office_clerk=200, justice=200, data=200, anonymous=302)

MATRIX = {
    "home": ("get", _expect(302)),  # members are sent to their inbox, visitors to the login page
    "request_list": ("get", MEMBERS_200),
    "request_create": ("get", _expect(403, forestry=200, emergency=200, other_banner=200, anonymous=302)),
    "request_detail": ("get", CASE_VISIBLE),
    "request_edit": ("get", CASE_VISIBLE | {"forestry": 403, "naji": 403, "office": 403, "office_clerk": 403,
                                            "justice": 403, "data": 403}),
    "attachment_download": ("get", CASE_VISIBLE),
    "duty_list": ("get", MEMBERS_200),
    "document_list": ("get", MEMBERS_200),
    "inbox": ("get", MEMBERS_200),
    "queue": ("get", MEMBERS_200),
    "archive": ("get", MEMBERS_200),
    "execute": ("get", CASE_VISIBLE | {"office": 200, "forestry": 403, "naji": 403, "office_clerk": 403,
                                       "justice": 403, "data": 403}),
    "claim": ("post", CASE_VISIBLE | {"office": 302, "forestry": 403, "naji": 403, "office_clerk": 403,
                                      "justice": 403, "data": 403}),
    "withdraw_by_others": ("post", CASE_VISIBLE | {"naji": 403, "office": 403, "office_clerk": 403, "justice": 403,
                                                   "data": 403, "forestry": None}),
    "verify_upload": ("get", _expect(200)),
    "dashboard": ("get", _expect(403, office=200, office_clerk=200, leadership=200, anonymous=302)),
    "notifications": ("get", MEMBERS_200),
    "report_list": ("get", MEMBERS_200),
    "report_create": ("get", _expect(403, naji=200, yadong=200, anonymous=302)),
}


@pytest.fixture
def case(banner, other_banner):
    request = support.to_under_review(banner)
    banner.users["other_banner"] = other_banner.users["forestry"]
    return request


def url_for(name: str, request) -> str:
    task = support.open_task(request, "lead_review")
    return {
        "home": reverse("admission:home"),
        "request_list": reverse("admission:request_list"),
        "request_create": reverse("admission:request_create"),
        "request_detail": reverse("admission:request_detail", args=[request.pk]),
        "request_edit": reverse("admission:request_edit", args=[request.pk]),
        "attachment_download": reverse("admission:attachment_download", args=[request.attachments.first().pk]),
        "duty_list": reverse("admission:duty_list"),
        "document_list": reverse("admission:document_list"),
        "inbox": reverse("workflows:inbox"),
        "queue": reverse("workflows:queue"),
        "archive": reverse("workflows:archive"),
        "execute": reverse("workflows:execute", args=[task.pk]),
        "claim": reverse("workflows:claim", args=[task.pk]),
        "withdraw_by_others": reverse("admission:request_withdraw", args=[request.pk]),
        "verify_upload": reverse("verify_upload"),
        "dashboard": reverse("admission:dashboard"),
        "notifications": reverse("admission:notifications"),
        "report_list": reverse("admission:report_list"),
        "report_create": reverse("admission:report_create"),
    }[name]


@pytest.mark.parametrize("name", MATRIX)
def test_every_url_answers_each_role_as_the_rules_say(client, banner, case, name):
    method, expected = MATRIX[name]
    url = url_for(name, case)
    got = {}
    for role in ROLES:
        if expected[role] is None:
            continue
        client.logout()
        if role != "anonymous":
            client.force_login(banner.users[role])
        data = {"reason": "试图撤回。"} if name == "withdraw_by_others" else {}
        response = getattr(client, method)(url, data)
        got[role] = response.status_code
        if response.status_code == 302 and role == "anonymous":
            assert response["Location"].startswith(reverse("login"))
    assert got == {role: status for role, status in expected.items() if status is not None}
    # Nobody but the department could have changed the case.
    case.refresh_from_db()
    assert case.state == RequestState.UNDER_REVIEW


def test_lists_never_show_a_case_to_a_township_it_does_not_name_or_to_another_banner(client, banner, case):
    for role, sees in (("naji", True), ("yadong", False), ("office", True), ("other_banner", False),
                       ("emergency", False), ("leadership", False)):
        client.force_login(banner.users[role])
        body = client.get(reverse("admission:request_list")).content.decode()
        assert (case.duty_name in body) is sees, role


def test_admitted_duties_appear_only_on_their_townships_lists(client, banner, other_banner, case):
    support.bureau_opinions(banner, case)
    support.conclude(banner, case)
    support.banner_decides(banner, case)
    support.city_decides(banner, case)
    for user, sees in ((banner.users["naji"], True), (banner.users["yadong"], False),
                       (other_banner.users["naji"], False), (other_banner.users["office"], False),
                       (banner.users["office"], True)):
        client.force_login(user)
        assert (case.duty_name in client.get(reverse("admission:duty_list")).content.decode()) is sees, user


def test_leadership_sees_a_case_once_it_awaits_them_and_after_they_decided(client, banner, case):
    url = reverse("admission:request_detail", args=[case.pk])
    client.force_login(banner.users["leadership"])
    assert client.get(url).status_code == 404
    support.bureau_opinions(banner, case)
    support.conclude(banner, case)
    assert client.get(url).status_code == 200
    support.banner_decides(banner, case)
    support.city_decides(banner, case)
    assert client.get(url).status_code == 200


def test_a_refused_withdrawal_leaves_no_trace_in_the_audit_trail(client, banner, case):
    before = AuditEvent.objects.count()
    client.force_login(banner.users["office"])
    client.post(reverse("admission:request_withdraw", args=[case.pk]), {"reason": "编办不能撤回。"})
    assert AuditEvent.objects.count() == before
