"""admission/permissions.py: who may do what. One rule, one place: the page and the service refuse with the same
message because both ask permissions.require_*."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from admission import permissions
from admission.models import RequestPurpose
from admission.services import changes
from admission.services.reports import report_unadmitted_duty
from tests import support


@pytest.fixture
def report(banner):
    return report_unadmitted_duty(
        actor=banner.users["naji"],
        department=banner.org("emergency"),
        duty_description="自建房安全排查",
        method="other",
        details="10月会议要求乡镇全面排查。",
    )


def test_art8_a_report_is_seen_by_its_township_the_office_and_the_leadership_never_the_department(
    banner, other_banner, report
):
    seen = {
        key: permissions.visible_reports(banner.users[key]).filter(pk=report.pk).exists()
        for key in ("naji", "liuhe", "office", "office_clerk", "leadership", "emergency", "justice")
    }
    assert seen == {
        "naji": True,
        "liuhe": False,
        "office": True,
        "office_clerk": True,
        "leadership": True,
        "emergency": False,
        "justice": False,
    }
    assert not permissions.can_view_report(other_banner.users["office"], report)


def test_art8_only_the_banners_office_reviewers_handle_a_report(banner, other_banner, report):
    assert permissions.can_handle_report(banner.users["office"], report)
    assert not permissions.can_handle_report(banner.users["office_clerk"], report)
    assert not permissions.can_handle_report(banner.users["leadership"], report)
    assert not permissions.can_handle_report(other_banner.users["office"], report)


@pytest.mark.parametrize(("key", "allowed"), [("naji", True), ("forestry", False), ("office", False)])
def test_art8_who_may_report_a_duty_pushed_down(banner, key, allowed):
    assert permissions.can_report_unadmitted_duty(banner.users[key]) is allowed


@pytest.mark.parametrize(
    "require",
    [
        permissions.require_lead_unit,
        permissions.require_joint_meeting_member,
        permissions.require_banner_leadership,
    ],
)
def test_art3_a_clerk_or_another_banner_cannot_decide_for_the_body(banner, other_banner, require):
    duty_request = support.draft(banner)
    for outsider in (banner.users["office_clerk"], other_banner.users["office"], other_banner.users["leadership"]):
        with pytest.raises(PermissionDenied):
            require(outsider, duty_request)


def test_art3_each_body_decides_for_itself(banner):
    duty_request = support.draft(banner)
    assert permissions.require_lead_unit(banner.users["office"], duty_request) == banner.org("office")
    assert permissions.require_joint_meeting_member(banner.users["justice"], duty_request) == banner.org("justice")
    assert permissions.require_banner_leadership(banner.users["leadership"], duty_request) == banner.org("leadership")
    with pytest.raises(PermissionDenied):
        permissions.require_banner_leadership(banner.users["office"], duty_request)


def test_art4_4_the_page_and_the_service_refuse_an_outsiders_exit_with_one_message(client, banner):
    duty = support.admitted(banner).township_duties.order_by("pk").first()
    with pytest.raises(PermissionDenied) as by_service:
        changes.propose_change(actor=banner.users["emergency"], duty=duty, purpose=RequestPurpose.EXIT, reasons="x")
    client.force_login(banner.users["justice"])
    page = client.post(reverse("admission:propose_exit", args=[duty.pk]), {"reasons": "x"})
    assert page.status_code == 403
    assert str(by_service.value) in page.content.decode()


def test_art5_safeguards_are_recorded_by_the_department_and_confirmed_by_the_township(banner):
    duty = support.admitted(banner).township_duties.order_by("pk").first()
    assert permissions.can_record_safeguard_delivery(banner.users["forestry"], duty)
    assert not permissions.can_record_safeguard_delivery(banner.users[support.key_of(banner, duty.township)], duty)


def test_the_case_pages_one_read_sees_what_can_view_request_and_is_party_see(banner, other_banner):
    """visible_request_and_party (the case page's read) answers as can_view_request and is_party, for every body: a
    draft only its applicant sees, a case under review, one copied to a body (抄送: seen, not a party), and from above
    the banners (issue 15: seen, never a party)."""
    from workflows import actions

    draft = support.draft(banner)
    under_review = support.to_under_review(banner)
    actions.copy_case(
        duty_request=under_review, actor=banner.users["office"], organizations=[banner.org("agriculture")]
    )
    above = support.levels_above(banner, other_banner)
    viewers = [*banner.users.values(), *other_banner.users.values()]
    viewers += [support.office_member(above.region, "region_office"), support.office_member(above.city, "city_office")]
    answers = set()
    for user in viewers:
        for case in (draft, under_review):
            expected = (case.pk, permissions.is_party(user, case)) if permissions.can_view_request(user, case) else None
            found = permissions.visible_request_and_party(user, case.pk)
            assert (found and (found[0].pk, found[1])) == expected, (user.username, case.state)
            answers.add(expected and expected[1])
        assert permissions.visible_request_and_party(user, under_review.pk + 1000) is None
    assert answers == {None, True, False}  # unseen, party and seen without being a party all occur
