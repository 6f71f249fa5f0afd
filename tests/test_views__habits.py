"""The pages of the approval habits (issue 13 part 5): bad input comes back on the same page with the input kept, in
Chinese; refusals are 403 (a party may know the case) or 404 (others may not)."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from admission.models import CaseComment, CaseReturn, DocumentKind, OfficialDocument, TaskDeadline
from tests.support import bureau_opinions, open_task, to_under_review


def test_comment_without_text_is_refused_on_the_page(client, banner):
    request = to_under_review(banner)
    client.force_login(banner.users["naji"])
    response = client.post(reverse("admission:request_comment", args=[request.pk]), {"text": "  "})
    assert response.status_code == 422
    assert "请填写意见内容。" in response.content.decode()
    response = client.post(reverse("admission:request_comment", args=[request.pk]), {"text": "人员已落实。"})
    assert response.status_code == 302
    page = client.get(reverse("admission:request_detail", args=[request.pk])).content.decode()
    assert "人员已落实。" in page and "内部意见" in page


def test_comments_are_not_shown_to_a_body_the_case_was_copied_to(client, banner):
    request = to_under_review(banner)
    CaseComment.objects.create(
        request=request, author=banner.users["office"], organization=banner.org("office"), text="仅内部可见"
    )
    client.force_login(banner.users["office"])
    response = client.post(
        reverse("admission:request_copy", args=[request.pk]), {"organizations": [banner.org("agriculture").pk]}
    )
    assert response.status_code == 302
    client.force_login(banner.users["agriculture"])
    page = client.get(reverse("admission:request_detail", args=[request.pk]))
    assert page.status_code == 200
    assert "仅内部可见" not in page.content.decode()
    assert client.post(reverse("admission:request_comment", args=[request.pk]), {"text": "x"}).status_code == 403


def test_case_outside_ones_view_is_404_for_every_habit(client, banner):
    request = to_under_review(banner)
    task = open_task(request, "legality_review")
    client.force_login(banner.users["agriculture"])
    for url in (
        reverse("admission:request_comment", args=[request.pk]),
        reverse("admission:request_copy", args=[request.pk]),
        reverse("workflows:reassign", args=[task.pk]),
        reverse("workflows:urge", args=[task.pk]),
        reverse("workflows:return", args=[task.pk]),
    ):
        assert client.post(url, {}).status_code == 404, url


def test_return_page_keeps_the_input_when_reasons_are_missing(client, banner):
    request = to_under_review(banner)
    bureau_opinions(banner, request)
    task = open_task(request, "consolidate")
    client.force_login(banner.users["office"])
    url = reverse("workflows:return", args=[task.pk])
    response = client.post(url, {"nodes": ["legality_review"], "reasons": ""})
    assert response.status_code == 422
    body = response.content.decode()
    assert "请写明退回理由。" in body and 'value="legality_review" checked' in body.replace(' id="id_nodes_1"', "")
    response = client.post(url, {"nodes": ["legality_review"], "reasons": "请复核。"})
    assert response.status_code == 302
    assert CaseReturn.objects.filter(request=request).count() == 1


def test_urge_page_and_approval_form_for_the_organization_office(client, banner):
    request = to_under_review(banner)
    task = open_task(request, "data_review")
    TaskDeadline.objects.filter(task=task).update(due_date=timezone.localdate() - timedelta(days=1))
    client.force_login(banner.users["office"])
    page = client.get(reverse("admission:request_detail", args=[request.pk])).content.decode()
    assert reverse("workflows:urge", args=[task.pk]) in page
    assert client.post(reverse("workflows:urge", args=[task.pk]), {"note": ""}).status_code == 302
    assert client.post(reverse("admission:request_approval_form", args=[request.pk])).status_code == 302
    assert OfficialDocument.objects.filter(request=request, kind=DocumentKind.APPROVAL_FORM).count() == 1


def _habit_urls(request, task) -> list[str]:
    return [
        reverse("admission:request_comment", args=[request.pk]),
        reverse("admission:request_copy", args=[request.pk]),
        reverse("admission:request_approval_form", args=[request.pk]),
        reverse("workflows:reassign", args=[task.pk]),
        reverse("workflows:urge", args=[task.pk]),
        reverse("workflows:return", args=[task.pk]),
    ]


def test_nobody_sees_across_banners_and_anonymous_visitors_are_sent_to_log_in(client, banner, other_banner):
    request = to_under_review(banner)
    task = open_task(request, "legality_review")
    client.force_login(other_banner.users["office"])  # the organization office of another banner
    for url in _habit_urls(request, task):
        assert client.post(url, {}).status_code == 404, url
    client.logout()
    for url in _habit_urls(request, task):
        response = client.post(url, {})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_a_party_who_may_not_do_a_habit_gets_403(client, banner):
    request = to_under_review(banner)
    task = open_task(request, "legality_review")
    client.force_login(banner.users["naji"])  # a township clerk: a party, but neither head nor organization office
    for url in _habit_urls(request, task)[1:]:
        assert client.post(url, {}).status_code == 403, url


def test_case_page_queries_do_not_grow_with_comments_and_copies(client, banner):
    from tests.test_queries__bounds import queries_for

    request = to_under_review(banner)
    url = reverse("admission:request_detail", args=[request.pk])
    CaseComment.objects.create(request=request, author=banner.users["naji"], organization=banner.org("naji"), text="一")
    few = queries_for(client, banner.users["office"], url)
    for i in range(9):
        CaseComment.objects.create(
            request=request, author=banner.users["justice"], organization=banner.org("justice"), text=f"意见{i}"
        )
    client.force_login(banner.users["office"])
    client.post(reverse("admission:request_copy", args=[request.pk]), {"organizations": [banner.org("agriculture").pk]})
    many = queries_for(client, banner.users["office"], url)
    assert many == few, f"{few} queries with one comment, {many} with ten and a copy"


def test_copy_offers_only_bodies_that_do_not_have_the_case_already(client, banner):
    """抄送 is for information to others: not to the sending unit, the applicant department, the city's government or
    a body the case was copied to before (the walkthrough found them offered)."""
    request = to_under_review(banner)
    client.force_login(banner.users["office"])
    url = reverse("admission:request_copy", args=[request.pk])
    assert client.post(url, {"organizations": [banner.org("agriculture").pk]}).status_code == 302
    offered = client.get(url).context["form"].fields["organizations"].queryset
    offered_ids = set(offered.values_list("pk", flat=True))
    for key in ("office", "forestry", "agriculture"):  # the sender, the applicant, the body copied before
        assert banner.org(key).pk not in offered_ids, key
    assert banner.org("justice").pk in offered_ids and banner.org("naji").pk in offered_ids
    assert not offered.filter(kind="city_government").exists()
    refused = client.post(url, {"organizations": [banner.org("office").pk]})
    assert refused.status_code == 422 and "organizations" in refused.context["form"].errors
