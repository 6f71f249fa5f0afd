"""Issue 15 part 2: region → league/city → banner. A city on the platform approves the regular track inside it (its
own task, time limit and reply document, Art. 1 and 4(3)); for a city that is not, the lead unit records its reply.
Bodies above the banner see their banners' cases read-only; time limits are inherited unless a banner overrides."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from admission.calendar import WorkingCalendar
from admission.models import (
    ApprovalStage,
    DocumentKind,
    OfficialDocument,
    Organization,
    OrganizationKind,
    RequestState,
    Role,
    TaskDeadline,
    TimeLimit,
    TownshipDuty,
)
from admission.permissions import visible_requests
from admission.services.deadlines import time_limit
from admission.services.setup import add_member
from tests import support
from workflows import actions, selectors


def _city(banner, *, on_platform: bool):
    above = support.levels_above(banner, approves_in_system=on_platform)
    region, city = above.region, above.city
    government = Organization.objects.get(jurisdiction=city, kind=OrganizationKind.CITY_GOVERNMENT)
    office = Organization.objects.get(jurisdiction=city, kind=OrganizationKind.ORGANIZATION_OFFICE)
    users = {
        "city_head": add_member(organization=government, username="city_head", password="x", role=Role.HEAD),
        "city_clerk": add_member(organization=government, username="city_clerk", password="x", role=Role.CLERK),
        "city_office": add_member(organization=office, username="city_office", password="x", role=Role.REVIEWER),
        "region_office": add_member(
            organization=Organization.objects.get(jurisdiction=region, kind=OrganizationKind.ORGANIZATION_OFFICE),
            username="region_office",
            password="x",
            role=Role.REVIEWER,
        ),
    }
    return city, government, users


def test_art4_3_a_city_on_the_platform_approves_the_regular_track_in_its_own_task(banner):
    city, government, users = _city(banner, on_platform=True)
    request = support.awaiting_approval_case(banner)
    support.banner_decides(banner, request)
    assert request.state == RequestState.AWAITING_CITY
    task = support.open_task(request, "city_approval")
    assert [t.pk for t in selectors.task_box(user=users["city_head"], box="queue")] == [task.pk]
    assert list(selectors.task_box(user=banner.users["office"], box="queue")) == []
    actions.approve_at_city(task=task, actor=users["city_head"], approves=True)
    request.refresh_from_db()
    assert request.state == RequestState.ADMITTED
    assert TownshipDuty.objects.filter(request=request).count() == 2
    reply = OfficialDocument.objects.get(request=request, kind=DocumentKind.CITY_APPROVAL)
    assert reply.issuer == government and reply.number.startswith("呼政批〔")
    assert reply.jurisdiction_id == banner.jurisdiction.pk  # in the banner's archive, beside its other documents
    decision = request.approval_decisions.get(stage=ApprovalStage.CITY_APPROVAL)
    assert decision.body == government and decision.document_number == reply.number


def test_art4_3_the_citys_task_has_the_citys_own_time_limit(banner):
    city, _government, _users = _city(banner, on_platform=True)
    TimeLimit.objects.filter(jurisdiction=city, step="city_approval").update(days=15)
    request = support.awaiting_approval_case(banner)
    support.banner_decides(banner, request)
    task = support.open_task(request, "city_approval")
    deadline = TaskDeadline.objects.get(task=task)
    assert deadline.days == 15
    start = timezone.localdate(task.created)
    assert deadline.due_date == WorkingCalendar(banner.jurisdiction.pk).add(start, 15)


def test_art4_3_only_the_citys_deciders_approve_and_a_refusal_gives_reasons(banner):
    _city_jurisdiction, _government, users = _city(banner, on_platform=True)
    request = support.awaiting_approval_case(banner)
    support.banner_decides(banner, request)
    task = support.open_task(request, "city_approval")
    for outsider in (users["city_clerk"], banner.users["office"], users["city_office"]):
        with pytest.raises(PermissionDenied):
            actions.approve_at_city(task=task, actor=outsider, approves=True)
    with pytest.raises(ValidationError):
        actions.approve_at_city(task=task, actor=users["city_head"], approves=False, reasons="")
    actions.approve_at_city(task=task, actor=users["city_head"], approves=False, reasons="不属于乡镇职责范围。")
    request.refresh_from_db()
    assert request.state == RequestState.REFUSED
    assert not TownshipDuty.objects.filter(request=request).exists()


def test_art4_3_a_city_not_on_the_platform_has_its_reply_recorded_by_the_lead_unit(banner):
    _city(banner, on_platform=False)
    request = support.awaiting_approval_case(banner)
    support.banner_decides(banner, request)
    support.open_task(request, "city_decision")  # the old way, unchanged
    support.city_decides(banner, request)
    assert request.state == RequestState.ADMITTED


def test_the_city_and_region_offices_see_their_banners_cases_and_act_on_none(banner, other_banner):
    _city_jurisdiction, _government, users = _city(banner, on_platform=True)
    request = support.to_under_review(banner)
    support.to_under_review(other_banner)  # a banner under no city of this region
    for key in ("city_office", "region_office"):
        seen = set(visible_requests(users[key]).values_list("pk", flat=True))
        assert seen == {request.pk}, key  # the other banner is under no city of this region
        task = support.open_task(request, "lead_review")
        with pytest.raises(PermissionDenied):
            actions.give_bureau_opinion(task=task, actor=users[key], passes=True, reasoning="越级")


def test_time_limits_are_inherited_from_the_city_unless_the_banner_overrides_them(banner):
    city, _government, _users = _city(banner, on_platform=True)
    TimeLimit.objects.filter(jurisdiction=banner.jurisdiction, step="intake").delete()
    TimeLimit.objects.create(jurisdiction=city, step="intake", days=7, unit="working")
    assert time_limit(jurisdiction_id=banner.jurisdiction.pk, step="intake") == (7, "working")
    TimeLimit.objects.create(jurisdiction=banner.jurisdiction, step="intake", days=3, unit="working")
    assert time_limit(jurisdiction_id=banner.jurisdiction.pk, step="intake") == (3, "working")
