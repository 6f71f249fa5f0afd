"""Finding work (issue 13 part 2): search and filters kept in the address on the task lists, cases, documents and
reports; the landing page is the user's actionable work; after a task the next one; bulk claim."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from viewflow.workflow.status import STATUS

from admission.models import DutyRequest, UnadmittedDutyReport
from tests import support
from tests.test_queries__bounds import add_cases, queries_for

CLAIM = re.compile(r"/tasks/(\d+)/claim/")


def cases_on(body: str) -> list[int]:
    return [int(pk) for pk in dict.fromkeys(re.findall(r'href="/requests/(\d+)/"', body))]


@pytest.fixture
def three_cases(banner):
    """Three cases under review: two regular, one temporary task; the last names only 亚东镇."""
    first = support.to_under_review(banner, duty_name="森林草原防火巡查")
    second = support.to_under_review(banner, duty_name="农村牧区人居环境整治巡查")
    third = support.to_under_review(
        banner, duty_name="防汛抗旱隐患排查", townships=("yadong",), **support.temporary_overrides()
    )
    return first, second, third


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("森林", [0]),
        ("巡查", [0, 1]),
        ("林业和草原局", [0, 1, 2]),  # the department
        ("亚东", [2]),  # a township named by the case
        ("ZR2026-0000{pk2}", [2]),  # the case number as shown
        ("{pk1}", [1]),  # the number alone
    ],
)
def test_cases_are_found_by_number_duty_department_or_township(client, banner, three_cases, search, expected):
    search = search.format(pk1=three_cases[1].pk, pk2=three_cases[2].pk)
    client.force_login(banner.users["office"])
    body = client.get(reverse("admission:request_list"), {"q": search}).content.decode()
    assert sorted(cases_on(body)) == sorted(three_cases[i].pk for i in expected)


def test_cases_filter_by_state_track_and_year_and_sort_by_a_column_keeping_the_rest_in_the_address(
    client, banner, three_cases
):
    client.force_login(banner.users["office"])
    url = reverse("admission:request_list")
    temporary = client.get(url, {"track": "temporary"}).content.decode()
    assert cases_on(temporary) == [three_cases[2].pk]
    assert cases_on(client.get(url, {"year": "2025"}).content.decode()) == []
    assert len(cases_on(client.get(url, {"state": "under_review", "year": "2026"}).content.decode())) == 3
    by_name = client.get(url, {"q": "巡查", "sort": "duty_name"}).content.decode()
    assert cases_on(by_name) == sorted(
        [three_cases[0].pk, three_cases[1].pk], key=lambda pk: DutyRequest.objects.get(pk=pk).duty_name
    )
    reversed_ = client.get(url, {"q": "巡查", "sort": "-duty_name"}).content.decode()
    assert cases_on(reversed_) == list(reversed(cases_on(by_name)))
    # The heading links keep the search and turn the order round.
    assert 'href="?q=%E5%B7%A1%E6%9F%A5&amp;sort=-duty_name"' in by_name
    assert 'value="巡查"' in by_name


def test_nonsense_in_the_address_is_ignored_not_an_error(client, banner, three_cases):
    client.force_login(banner.users["office"])
    for params in ({"state": "<script>"}, {"year": "99999"}, {"sort": "password"}, {"track": "x"}, {"step": "x"}):
        assert client.get(reverse("admission:request_list"), params).status_code == 200
        assert client.get(reverse("workflows:queue"), params).status_code == 200


def test_the_queue_is_searched_and_filtered_by_step(client, banner, three_cases):
    client.force_login(banner.users["office"])
    queue = reverse("workflows:queue")
    body = client.get(queue, {"q": "亚东"}).content.decode()
    assert cases_on(body) == [three_cases[2].pk]
    assert len(CLAIM.findall(client.get(queue, {"step": "lead_review"}).content.decode())) == 3
    assert CLAIM.findall(client.get(queue, {"step": "consolidate"}).content.decode()) == []
    assert len(CLAIM.findall(client.get(queue, {"track": "regular"}).content.decode())) == 2
    assert len(CLAIM.findall(client.get(queue, {"state": "under_review"}).content.decode())) == 3
    assert CLAIM.findall(client.get(queue, {"state": "admitted"}).content.decode()) == []


def test_the_landing_page_is_the_users_work_the_units_unclaimed_first_by_urgency(client, banner, three_cases):
    office = banner.users["office"]
    mine = support.open_task(three_cases[0], "lead_review")
    client.force_login(office)
    client.post(reverse("workflows:claim", args=[mine.pk]))
    landing = client.get("/", follow=True)
    assert landing.redirect_chain[-1][0] == reverse("workflows:inbox")
    body = landing.content.decode()
    unclaimed = CLAIM.findall(body)
    assert len(unclaimed) == 2  # the unit's two other review tasks, with a claim button
    assert body.index(f"/tasks/{unclaimed[-1]}/claim/") < body.index(f"/tasks/{mine.pk}/release/")  # own ones after


def test_bulk_claim_moves_the_ticked_tasks_into_the_users_work(client, banner, three_cases):
    tasks = [support.open_task(case, "lead_review") for case in three_cases[:2]]
    client.force_login(banner.users["office"])
    response = client.post(reverse("workflows:claim_many"), {"tasks": [t.pk for t in tasks]})
    assert response.status_code == 302 and response["Location"] == reverse("workflows:inbox")
    for task in tasks:
        task.refresh_from_db()
        assert task.status == STATUS.ASSIGNED and task.owner == banner.users["office"]
    assert "已领取 2 项任务" in [str(m) for m in get_messages(response.wsgi_request)][0]


def test_bulk_claim_names_a_task_a_colleague_took_first_and_claims_the_rest(client, banner, three_cases):
    first, second = (support.open_task(case, "lead_review") for case in three_cases[:2])
    from admission.models import Role
    from admission.services.setup import add_member

    colleague = add_member(
        organization=banner.org("office"), username="office_colleague", password="x", role=Role.REVIEWER
    )
    client.force_login(colleague)
    client.post(reverse("workflows:claim", args=[first.pk]))
    client.force_login(banner.users["office"])
    response = client.post(reverse("workflows:claim_many"), {"tasks": [first.pk, second.pk]}, follow=True)
    body = response.content.decode()
    assert "已领取 1 项任务" in body and "该任务已由office_colleague领取办理" in body
    second.refresh_from_db()
    assert second.owner == banner.users["office"]


def test_bulk_claim_with_nothing_ticked_says_so(client, banner):
    client.force_login(banner.users["office"])
    response = client.post(reverse("workflows:claim_many"), {}, follow=True)
    assert "请先勾选要领取的任务。" in response.content.decode()


def test_after_a_task_the_next_one_of_the_queue_opens_with_the_case_one_click_away(client, banner, three_cases):
    first = support.open_task(three_cases[0], "lead_review")
    client.force_login(banner.users["office"])
    response = client.post(
        reverse("workflows:execute", args=[first.pk]), {"decision": "opinion", "passes": "1", "reasoning": "分工清楚。"}
    )
    following = support.open_task(three_cases[1], "lead_review")
    assert response.status_code == 302
    assert response["Location"] in {
        reverse("workflows:execute", args=[following.pk]),
        reverse("workflows:execute", args=[support.open_task(three_cases[2], "lead_review").pk]),
    }
    page = client.get(response["Location"]).content.decode()
    assert f'<a href="/requests/{three_cases[0].pk}/">查看“森林草原防火巡查”办理情况</a>' in page
    assert "下一项任务：" in page


def test_after_the_last_task_the_case_page_opens(client, banner):
    case = support.to_under_review(banner)
    task = support.open_task(case, "legality_review")
    client.force_login(banner.users["justice"])
    response = client.post(reverse("workflows:execute", args=[task.pk]), {"passes": "1", "reasoning": "合法。"})
    assert response["Location"] == reverse("admission:request_detail", args=[case.pk])


def test_a_superuser_outside_every_body_has_no_tasks_to_claim_or_open(client, banner, three_cases, django_user_model):
    """Least privilege (issue 13): Viewflow lets a superuser claim anything; acting for a body needs a membership."""
    from workflows.selectors import TaskFilter, task_box

    root = django_user_model.objects.create_superuser("root", password="x")
    assert not task_box(user=root, box="queue", filters=TaskFilter()).exists()
    assert not task_box(user=root, box="inbox").exists()
    client.force_login(root)
    task = support.open_task(three_cases[0], "lead_review")
    assert client.get(reverse("workflows:execute", args=[task.pk])).status_code == 404
    assert client.post(reverse("workflows:claim", args=[task.pk])).status_code == 404
    task.refresh_from_db()
    assert task.status == STATUS.NEW


def test_the_colleague_who_lost_the_race_is_told_who_finished_the_task(client, banner):
    from admission.models import Role
    from admission.services.setup import add_member

    case = support.to_under_review(banner)
    task = support.open_task(case, "legality_review")
    colleague = add_member(
        organization=banner.org("justice"), username="justice_colleague", password="x", role=Role.REVIEWER
    )
    client.force_login(banner.users["justice"])
    client.post(reverse("workflows:execute", args=[task.pk]), {"passes": "1", "reasoning": "合法。"})
    client.force_login(colleague)
    for response in (
        client.get(reverse("workflows:execute", args=[task.pk]), follow=True),
        client.post(reverse("workflows:claim", args=[task.pk]), follow=True),
    ):
        body = response.content.decode()
        assert response.status_code == 200 and "无权" not in body
        assert f"该任务已由{banner.users['justice'].get_full_name() or 'justice'}于" in body and "办理完毕" in body


def test_documents_are_found_by_number_title_or_case(client, banner):
    case = support.admitted(banner)
    client.force_login(banner.users["forestry"])
    url = reverse("admission:document_list")
    everything = client.get(url).content.decode()
    assert everything.count("<tr>") > 2
    by_case = client.get(url, {"q": case.reference}).content.decode()
    assert by_case.count("<tr>") == everything.count("<tr>")  # every document of the banner here is this case's
    assert "没有符合条件的公文" in client.get(url, {"q": "不存在的标题"}).content.decode()
    letters = client.get(url, {"kind": "consultation_letter"}).content.decode()
    assert "征求意见" in letters and "准入决定" not in letters.split("<tbody>")[1]


def test_reports_are_found_and_filtered_by_handling(client, banner):
    from admission.services.reports import report_unadmitted_duty

    report = report_unadmitted_duty(
        actor=banner.users["naji"],
        department=banner.org("emergency"),
        duty_description="自建房安全排查",
        method="responsibility_pledge",
        details="要求签订目标责任状。",
        evidence=[support.pdf("责任状.pdf")],
    )
    client.force_login(banner.users["office"])
    url = reverse("admission:report_list")
    assert f"/reports/{report.pk}/" in client.get(url, {"q": "自建房"}).content.decode()
    assert f"/reports/{report.pk}/" not in client.get(url, {"q": "森林"}).content.decode()
    assert f"/reports/{report.pk}/" in client.get(url, {"handled": "no"}).content.decode()
    assert f"/reports/{report.pk}/" not in client.get(url, {"handled": "yes"}).content.decode()
    assert UnadmittedDutyReport.objects.count() == 1


SEARCHED = [
    ("office", "admission:request_list", {"q": "巡查", "track": "regular", "year": "2026", "sort": "duty_name"}, 8),
    ("naji", "admission:request_list", {"q": "那吉", "sort": "-state"}, 8),
    ("office", "workflows:inbox", {"q": "巡查", "step": "lead_review", "sort": "due"}, 14),
    ("office", "workflows:queue", {"q": "ZR2026", "urgency": "soon", "track": "regular"}, 14),
    ("forestry", "admission:document_list", {"q": "巡查", "year": "2026", "sort": "number"}, 8),
    ("office", "admission:report_list", {"q": "巡查", "handled": "no", "sort": "township"}, 8),
]


@pytest.mark.parametrize(("user_key", "url_name", "params", "ceiling"), SEARCHED)
def test_searched_lists_make_the_same_number_of_queries_for_two_cases_or_six(
    client, banner, user_key, url_name, params, ceiling
):
    url = f"{reverse(url_name)}?{'&'.join(f'{k}={v}' for k, v in params.items())}"
    add_cases(banner, 1)
    few = queries_for(client, banner.users[user_key], url)
    add_cases(banner, 2)
    many = queries_for(client, banner.users[user_key], url)
    assert many == few, f"{url}: {few} queries for 2 cases, {many} for 6"
    assert many <= ceiling, f"{url}: {many} queries"
