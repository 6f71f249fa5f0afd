"""The demo data `make demo` loads: Arun Banner as it is, a user for every role, work in every queue."""

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import override_settings

from admission.models import (
    DutyRequest,
    Jurisdiction,
    Membership,
    Organization,
    OrganizationKind,
    RequestState,
    Role,
    TownshipDuty,
)
from workflows.management.commands.seed_demo import PASSWORD, TOWNSHIPS
from workflows.selectors import task_box


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """Seeding walks 21 cases (18 admissions, 3 exits or adjustments) through the flow: do it once for the module, and flush afterwards."""
    out = io.StringIO()
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("files")), django_db_blocker.unblock():
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def seeded(seeded_once, db):
    return seeded_once


def test_demo_has_arun_banner_with_its_twelve_townships_and_codes(seeded):
    banner = Jurisdiction.objects.get(division_code="150721")
    assert (banner.name, banner.city_name) == ("阿荣旗", "呼伦贝尔市")
    townships = dict(banner.organizations.filter(kind=OrganizationKind.TOWNSHIP).values_list("name", "division_code"))
    assert townships == {name: code for _key, name, code in TOWNSHIPS}
    assert townships["新发朝鲜族乡"] == "150721203" and townships["兴安镇"] == "150721110"
    kinds = set(banner.organizations.values_list("kind", flat=True))
    assert set(OrganizationKind.values) <= kinds
    departments = set(banner.organizations.filter(kind=OrganizationKind.DEPARTMENT).values_list("name", flat=True))
    assert {"旗林业和草原局", "旗应急管理局", "旗农牧局", "旗民政局", "旗卫生健康委员会"} <= departments


def test_demo_prints_every_user_and_each_password_works(seeded):
    memberships = Membership.objects.select_related("user", "organization")
    assert {m.role for m in memberships} == set(Role.values)
    for membership in memberships:
        assert membership.user.username in seeded
        assert authenticate(username=membership.user.username, password=PASSWORD) == membership.user
    assert f"密码均为 {PASSWORD}" in seeded
    assert authenticate(username="admin", password=PASSWORD).is_superuser


def test_demo_holds_a_case_in_every_state(seeded):
    assert set(DutyRequest.objects.values_list("state", flat=True)) == set(RequestState.values)


@pytest.mark.parametrize("username", [
    "bianban", "sifa", "zhengshu", "lingdao", "linye", "yingji", "nongmu", "naji", "liuhe", "yadong",
])
def test_demo_gives_every_acting_role_work_in_its_queue(seeded, username):
    user = Membership.objects.get(user__username=username).user
    assert task_box(user=user, box="queue").exists()


def test_demo_townships_already_hold_admitted_duties(seeded):
    naji = Organization.objects.get(name="那吉镇")
    assert TownshipDuty.objects.filter(township=naji).count() >= 2


def test_demo_seed_is_idempotent(seeded):
    counts = (DutyRequest.objects.count(), Membership.objects.count(), Organization.objects.count())
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert (DutyRequest.objects.count(), Membership.objects.count(), Organization.objects.count()) == counts
    assert "已存在" in out.getvalue()


def test_demo_has_overdue_and_due_soon_work(seeded):
    from django.utils import timezone

    from admission.models import TaskDeadline

    today = timezone.localdate()
    open_deadlines = TaskDeadline.objects.filter(task__status__in=("NEW", "ASSIGNED"))
    assert open_deadlines.filter(due_date__lt=today, step="legality_review").exists()
    assert open_deadlines.filter(due_date__gte=today).exists()


def test_demo_has_safeguards_delivered_and_reports_made(seeded):
    from admission.models import SafeguardDelivery, UnadmittedDutyReport

    assert SafeguardDelivery.objects.filter(confirmed_at__isnull=False).exists()
    assert SafeguardDelivery.objects.filter(confirmed_at__isnull=True).exists()
    assert set(UnadmittedDutyReport.objects.values_list("finding", flat=True)) == {"violation_corrected", ""}
