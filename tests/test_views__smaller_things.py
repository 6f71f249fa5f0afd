"""The smaller things of issue 13 part 8, each through the page where it was seen."""

from __future__ import annotations

import re

from django.contrib.staticfiles import finders
from django.urls import reverse

from admission.models import ApprovalStage, DocumentKind, OfficialDocument, RequestState, TownshipDuty
from admission.services import changes
from tests import support


def naji_duty(banner) -> TownshipDuty:
    return TownshipDuty.objects.get(request=support.admitted(banner), township=banner.org("naji"))


def test_art4_4_a_townships_own_exit_is_not_shown_as_agreed_by_consultation(client, banner):
    case = support.propose(banner, naji_duty(banner), "exit", by="naji")
    assert case.state == RequestState.CONSULTED and case.consultation_round == 0
    client.force_login(banner.users["naji"])
    body = client.get(reverse("admission:request_detail", args=[case.pk])).content.decode()
    assert "无需征求其他乡镇意见，待提交申请" in body and "协商一致" not in body
    listed = client.get(reverse("admission:request_list")).content.decode()
    assert "无需征求其他乡镇意见" in listed


def test_art4_1_a_case_agreed_by_its_townships_is_still_shown_as_agreed(client, banner):
    case = support.consulted_case(banner)
    client.force_login(banner.users["forestry"])
    assert "协商一致，待提交申请" in client.get(reverse("admission:request_detail", args=[case.pk])).content.decode()


def test_art4_1_two_consultation_letters_name_their_addressees(client, banner):
    case = support.consulting_case(banner)  # 那吉镇 and 六合镇, one letter each
    letters = OfficialDocument.objects.filter(request=case, kind=DocumentKind.CONSULTATION_LETTER)
    assert letters.count() == 2
    client.force_login(banner.users["forestry"])
    for page in (reverse("admission:request_detail", args=[case.pk]), reverse("admission:document_list")):
        body = client.get(page).content.decode()
        assert "主送：" in body
        for letter in letters:
            assert f"主送：{letter.content['addressees'][0]}" in body


def test_art4_5_the_version_record_pairs_each_body_with_its_own_number(client, banner):
    duty = naji_duty(banner)
    city = duty.decision
    assert city.stage == ApprovalStage.CITY_APPROVAL
    decision_notice = OfficialDocument.objects.get(request=duty.request, kind=DocumentKind.ADMISSION_DECISION)
    client.force_login(banner.users["naji"])
    body = client.get(reverse("admission:duty_detail", args=[duty.pk])).content.decode()
    record = body[body.index("版本记录") :]
    assert f"{city.body.name} {city.document_number}" in record
    assert f"{decision_notice.issuer.name} <a" in record and decision_notice.number in record
    assert f"{city.body.name} <a" not in record  # the city is not paired with the banner's number


def test_art4_4_a_pending_change_not_yet_visible_names_who_proposed_it(client, banner):
    duty = naji_duty(banner)
    changes.propose_change(
        actor=banner.users["forestry"], duty=duty, purpose="exit", targets=None, reasons="任务已完成。"
    )
    client.force_login(banner.users["naji"])
    body = client.get(reverse("admission:duty_detail", args=[duty.pk])).content.decode()
    assert f"{banner.org('forestry').name}已提出该事项的退出申请，尚在起草" in body


def test_every_page_names_its_icon_so_the_browser_asks_for_no_missing_favicon(client):
    """Without a <link rel="icon"> a browser asks for /favicon.ico on every first visit: a 404 in the log and an
    error in the console. The page names the application's own icon, served from the static files."""
    body = client.get(reverse("login")).content.decode()
    icon = re.search(r'<link rel="icon" href="/static/([^"]+)"', body)
    assert icon is not None
    assert finders.find(icon.group(1)) is not None
