"""The demo data `make demo` loads: Arun Banner as it is, a user for every role, work in every queue.

The module seeds once with `--no-render` (the data without the PDFs); one test renders and checks documents for real."""

import hashlib
import io
import re

import pdfplumber
import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from admission.documents.verification import verify_pdf
from admission.identity import DEMO_TOTP_KEY, DEMO_TOTP_SECRET
from admission.models import (
    AuditAction,
    AuditEvent,
    DocumentKind,
    DutyRequest,
    Jurisdiction,
    Membership,
    OfficialDocument,
    Organization,
    OrganizationKind,
    RenderStatus,
    RequestState,
    Role,
    TownshipDuty,
)
from admission.passwords import character_classes
from admission.services import rendering
from workflows.management.commands.seed_demo import CASES, CHANGE_CASES, ENROLS_AT_FIRST_LOGIN, PASSWORD, TOWNSHIPS
from workflows.selectors import task_box


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """Seeding walks 21 cases (18 admissions, 3 exits or adjustments) through the flow: do it once for the module,
    without rendering the documents (--no-render, even where they would render inline as in `make demo`), with the
    demo keys in a temporary directory, and flush afterwards."""
    out = io.StringIO()
    keys = tmp_path_factory.mktemp("keys")
    with (
        override_settings(
            MEDIA_ROOT=tmp_path_factory.mktemp("files"),
            ADMISSION_RENDER_ON_COMMIT=True,
            ADMISSION_SIGNING_KEYS_DIR=keys,
            ADMISSION_SIGNING_SECRETS_DIR=keys / "secrets",
            ADMISSION_DEMO_CA_DIR=keys / "demo-ca",
            ADMISSION_TRUST_ROOTS=[str(keys / "demo-root.pem")],
        ),
        django_db_blocker.unblock(),
    ):
        call_command("seed_demo", "--no-render", stdout=out)
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
    login = RequestFactory().post("/accounts/login/")  # django-axes checks every authentication against its request
    memberships = Membership.objects.select_related("user", "organization")
    assert {m.role for m in memberships} == set(Role.values)
    for membership in memberships:
        assert membership.user.username in seeded
        assert authenticate(login, username=membership.user.username, password=PASSWORD) == membership.user
    assert f"密码均为 {PASSWORD}" in seeded
    for username in ("sysadmin", "secadmin", "auditadmin"):
        administrator = authenticate(login, username=username, password=PASSWORD)
        assert administrator.is_staff and not administrator.is_superuser and username in seeded
    assert not get_user_model().objects.filter(is_superuser=True).exists()


def test_identity_demo_deciders_and_administrators_have_the_published_second_factor_but_one_enrols(seeded):
    """等保 身份鉴别 in the demo: heads, reviewers and administrators hold a device with the printed demo key, except
    the head left to show enrolment; clerks have none; the demo password itself meets the password rules."""
    users = get_user_model().objects.select_related("membership")
    deciders = {u.username for u in users if u.is_staff or (hasattr(u, "membership") and u.membership.can_decide)}
    with_device = set(
        TOTPDevice.objects.filter(confirmed=True, key=DEMO_TOTP_KEY).values_list("user__username", flat=True)
    )
    assert with_device == deciders - {ENROLS_AT_FIRST_LOGIN} and ENROLS_AT_FIRST_LOGIN in deciders
    assert {"bianban", "lingdao", "sysadmin", "secadmin", "auditadmin"} <= with_device
    assert TOTPDevice.objects.count() == len(with_device)
    assert DEMO_TOTP_SECRET in seeded and ENROLS_AT_FIRST_LOGIN in seeded
    assert len(PASSWORD) >= 10 and character_classes(PASSWORD) >= 3


def test_demo_holds_a_case_in_every_state(seeded):
    assert set(DutyRequest.objects.values_list("state", flat=True)) == set(RequestState.values)


@pytest.mark.parametrize(
    "username",
    [
        "bianban",
        "sifa",
        "zhengshu",
        "lingdao",
        "linye",
        "yingji",
        "nongmu",
        "naji",
        "liuhe",
        "yadong",
        "shizhengfu",
    ],
)
def test_demo_gives_every_acting_role_work_in_its_queue(seeded, username):
    user = Membership.objects.get(user__username=username).user
    assert task_box(user=user, box="queue").exists()


def test_demo_has_hulunbuir_approving_on_the_platform_above_arun_and_a_second_banner(seeded):
    """Issue 15: the city's in-platform approval and the read-only views can be walked in the demo."""
    city = Jurisdiction.objects.get(division_code="150700")
    assert city.approves_in_system and city.parent.division_code == "150000"
    assert set(city.children.values_list("division_code", flat=True)) == {"150721", "150722"}
    government = Membership.objects.get(user__username="shizhengfu").user
    assert [t.flow_task.name for t in task_box(user=government, box="queue")] == ["city_approval"]
    reply = OfficialDocument.objects.get(kind=DocumentKind.CITY_APPROVAL)
    assert reply.issuer.jurisdiction == city and reply.request.state == RequestState.ADMITTED
    for office in ("shibianban", "qubianban"):
        assert Membership.objects.get(user__username=office).organization.kind == OrganizationKind.ORGANIZATION_OFFICE


def test_demo_townships_already_hold_admitted_duties(seeded):
    naji = Organization.objects.get(name="那吉镇")
    assert TownshipDuty.objects.filter(township=naji).count() >= 2


def test_demo_seed_is_idempotent(seeded):
    counts = (DutyRequest.objects.count(), Membership.objects.count(), Organization.objects.count())
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert (DutyRequest.objects.count(), Membership.objects.count(), Organization.objects.count()) == counts
    assert "已存在" in out.getvalue()


def test_demo_prints_the_address_it_really_serves_not_port_8000(seeded):
    """issue 11: `make demo PORT=8123` writes ADMISSION_PUBLIC_URL to var/demo.env; seed_demo prints that address."""
    out = io.StringIO()
    with override_settings(ADMISSION_PUBLIC_URL="http://192.0.2.7:8123"):
        call_command("seed_demo", stdout=out)
    assert "打开 http://192.0.2.7:8123/ 用上述账号登录。" in out.getvalue()
    assert "8000" not in out.getvalue()


def test_demo_seeding_says_how_far_it_has_come_case_by_case(seeded):
    """issue 11: `make demo` is not silent for minutes while the cases walk the flow."""
    cases = (*CASES, *CHANGE_CASES)
    for number, case in enumerate(cases, 1):
        assert f"[{number}/{len(cases)}] {case.duty_name}" in seeded


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


def test_demo_no_render_issues_the_documents_and_leaves_every_one_pending(seeded):
    documents = OfficialDocument.objects.all()
    assert documents.count() >= 50
    assert set(documents.values_list("kind", flat=True)) == set(DocumentKind.values)
    assert set(documents.values_list("render_status", flat=True)) == {RenderStatus.PENDING}
    assert not documents.exclude(file="").exists() and not documents.exclude(sha256="").exists()
    assert not AuditEvent.objects.filter(action=AuditAction.RENDER_DOCUMENT).exists()
    assert f"{documents.count()} 份待生成" in seeded


def test_demo_documents_render_sealed_signed_and_verifiable_one_of_each_kind(seeded, settings):
    """The one test that renders for real: the first pending document of each kind, through the worker's job."""
    settings.ADMISSION_SIGNING_SECRETS_DIR = settings.ADMISSION_SIGNING_KEYS_DIR / "secrets"  # the seed's passphrases
    for kind in DocumentKind.values:
        pending = OfficialDocument.objects.filter(kind=kind).order_by("pk").first()
        document = rendering.render_document(pending.pk)
        assert document.render_status == RenderStatus.RENDERED, (kind, document.render_error)
        with document.file.open("rb") as stored:
            data = stored.read()
        assert hashlib.sha256(data).hexdigest() == document.sha256 and len(data) == document.size
        verdict = verify_pdf(data)
        assert verdict.document == document and verdict.valid, (kind, verdict.problem)
        assert document.issuer.official_name in verdict.signer
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            text = re.sub(r"\s", "", "".join(page.extract_text() or "" for page in pdf.pages))
        assert f"查验码{document.verification_code}" in text, kind
    assert OfficialDocument.objects.filter(render_status=RenderStatus.RENDERED).count() == len(DocumentKind.values)
