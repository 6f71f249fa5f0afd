"""Issue 15 part 2 (Art. 3, Art. 6: review, exit and working procedures are set by the banner under the city's
guidance): per-jurisdiction document settings — the abbreviation that opens document numbers, which body issues which
kind of document, who signs it off — are inherited banner → city → region unless the banner sets its own."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from admission import inheritance
from admission.documents.numbering import format_number
from admission.models import (
    AdministratorRole,
    AuditAction,
    AuditEvent,
    DocumentKind,
    DocumentSetting,
    OfficialDocument,
    OrganizationKind,
    Role,
    TimeLimit,
)
from admission.services.administrators import create_administrator
from admission.services.setup import add_member
from tests import support

INSIDE = {"REMOTE_ADDR": "10.1.2.3"}  # the administrators' network


@pytest.fixture
def levels(banner):
    """阿荣旗 under 呼伦贝尔市 under 内蒙古自治区."""
    above = support.levels_above(banner)
    return {"region": above.region, "city": above.city, "banner": banner.jurisdiction}


def _setting(jurisdiction, kind, **values):
    setting = DocumentSetting(jurisdiction=jurisdiction, kind=kind, **values)
    setting.full_clean()
    setting.save()
    return setting


# --- the abbreviation that opens document numbers ----------------------------------------------------------------


def test_the_banners_own_abbreviation_opens_its_numbers(banner, levels):
    office = banner.org("office")
    office.refresh_from_db()
    found = inheritance.document_abbreviation(levels["banner"])
    assert (found.value, found.source) == ("阿", levels["banner"]) and not found.inherited_by(levels["banner"])
    assert format_number(issuer=office, kind=DocumentKind.REVIEW_OPINION, year=2026, serial=1) == "阿编审〔2026〕1号"


def test_a_banner_without_an_abbreviation_takes_its_citys_then_the_regions(banner, levels):
    levels["banner"].abbreviation = ""
    levels["banner"].save()
    office = type(banner.org("office")).objects.get(pk=banner.org("office").pk)
    assert inheritance.document_abbreviation(office.jurisdiction).source == levels["city"]
    assert format_number(issuer=office, kind=DocumentKind.REVIEW_OPINION, year=2026, serial=2) == "呼编审〔2026〕2号"
    levels["city"].abbreviation = ""
    levels["city"].save()
    office = type(office).objects.get(pk=office.pk)
    found = inheritance.document_abbreviation(office.jurisdiction)
    assert (found.value, found.source) == ("内", levels["region"])
    assert format_number(issuer=office, kind=DocumentKind.REVIEW_OPINION, year=2026, serial=3) == "内编审〔2026〕3号"


def test_a_townships_numbers_carry_no_abbreviation(banner, levels):
    naji = banner.org("naji")
    assert inheritance.document_prefix(naji) == "那吉政"


# --- which body issues which kind of document -----------------------------------------------------------------------


def test_art4_3_the_measures_issuer_when_nobody_chose_another(banner, levels):
    found = inheritance.issuing_body_kind(levels["banner"].pk, DocumentKind.ADMISSION_DECISION)
    assert (found.value, found.source) == (OrganizationKind.BANNER_LEADERSHIP, None)


def test_art4_3_the_regions_choice_reaches_the_banner_and_the_citys_overrides_it(banner, levels):
    _setting(levels["region"], DocumentKind.EXIT_NOTICE, issuer_kind=OrganizationKind.BANNER_LEADERSHIP)
    found = inheritance.issuing_body_kind(levels["banner"].pk, DocumentKind.EXIT_NOTICE)
    assert (found.value, found.source) == (OrganizationKind.BANNER_LEADERSHIP, levels["region"])
    _setting(levels["city"], DocumentKind.EXIT_NOTICE, issuer_kind=OrganizationKind.ORGANIZATION_OFFICE)
    found = inheritance.issuing_body_kind(levels["banner"].pk, DocumentKind.EXIT_NOTICE)
    assert (found.value, found.source) == (OrganizationKind.ORGANIZATION_OFFICE, levels["city"])


def test_art4_3_the_banners_own_issuer_wins_and_its_decision_goes_out_under_it(banner, levels):
    _setting(levels["city"], DocumentKind.ADMISSION_DECISION, issuer_kind=OrganizationKind.BANNER_LEADERSHIP)
    _setting(levels["banner"], DocumentKind.ADMISSION_DECISION, issuer_kind=OrganizationKind.ORGANIZATION_OFFICE)
    found = inheritance.issuing_body_kind(levels["banner"].pk, DocumentKind.ADMISSION_DECISION)
    assert (found.value, found.source) == (OrganizationKind.ORGANIZATION_OFFICE, levels["banner"])
    request = support.admitted(banner)
    decision = OfficialDocument.objects.get(request=request, kind=DocumentKind.ADMISSION_DECISION)
    assert decision.issuer == banner.org("office") and decision.number.startswith("阿编准〔")
    # The body the measure would have had issue it is copied instead of the issuer.
    recipients = set(decision.recipients.all())
    assert banner.org("leadership") in recipients and banner.org("office") not in recipients


def test_art4_3_a_blank_issuer_on_the_banner_still_inherits(banner, levels):
    _setting(levels["city"], DocumentKind.REFUSAL_NOTICE, issuer_kind=OrganizationKind.ORGANIZATION_OFFICE)
    _setting(levels["banner"], DocumentKind.REFUSAL_NOTICE, issuer_kind="")
    found = inheritance.issuing_body_kind(levels["banner"].pk, DocumentKind.REFUSAL_NOTICE)
    assert (found.value, found.source) == (OrganizationKind.ORGANIZATION_OFFICE, levels["city"])


def test_the_measure_fixes_the_issuer_of_the_other_kinds(banner, levels):
    with pytest.raises(ValidationError) as refused:
        _setting(levels["banner"], DocumentKind.SUPPLEMENT_NOTICE, issuer_kind=OrganizationKind.BANNER_LEADERSHIP)
    assert "该文种的发文机关由准入办法规定" in str(refused.value)
    with pytest.raises(ValidationError) as refused:
        _setting(levels["banner"], DocumentKind.EXIT_NOTICE, issuer_kind=OrganizationKind.JUSTICE_BUREAU)
    assert "旗委编办、旗委、旗政府" in str(refused.value)


# --- who signs off ------------------------------------------------------------------------------------------------


def test_gbt9704_7_2_6_the_head_signs_off_unless_the_city_says_the_reviewer_and_the_banner_may_say_otherwise(
    banner, levels
):
    office = banner.org("office")
    add_member(organization=office, username="office_head", password="x", role=Role.HEAD, full_name="孙振华")
    assert inheritance.signatory(office, DocumentKind.REVIEW_OPINION) == "孙振华"
    _setting(levels["city"], DocumentKind.REVIEW_OPINION, signatory_role=Role.REVIEWER)
    found = inheritance.signatory_role(levels["banner"].pk, DocumentKind.REVIEW_OPINION)
    assert (found.value, found.source) == (Role.REVIEWER, levels["city"])
    assert inheritance.signatory(office, DocumentKind.REVIEW_OPINION) == "office"  # the first reviewer by username
    _setting(levels["banner"], DocumentKind.REVIEW_OPINION, signatory_role=Role.HEAD)
    request = support.awaiting_approval_case(banner)
    opinion = OfficialDocument.objects.get(request=request, kind=DocumentKind.REVIEW_OPINION)
    assert opinion.content["signatory"] == "孙振华"


def test_gbt9704_7_2_6_who_signs_follows_each_change_of_the_settings_at_every_level(banner, levels):
    """The role is read with the members each time a document is issued, from the settings as they are then: the
    nearest level that names one wins, a level whose setting names none is passed over."""
    office, kind = banner.org("office"), DocumentKind.REVIEW_OPINION
    add_member(organization=office, username="office_head", password="x", role=Role.HEAD, full_name="孙振华")
    region = _setting(levels["region"], kind, signatory_role=Role.REVIEWER)
    assert inheritance.signatory(office, kind) == "office"
    city = _setting(levels["city"], kind, signatory_role=Role.HEAD)
    assert inheritance.signatory(office, kind) == "孙振华"
    _setting(levels["banner"], kind)  # names nobody: the city's still holds
    assert inheritance.signatory(office, kind) == "孙振华"
    city.delete()
    assert inheritance.signatory(office, kind) == "office"
    region.signatory_role = Role.HEAD
    region.save()
    assert inheritance.signatory(office, kind) == "孙振华"


def test_gbt9704_7_2_6_only_an_upward_document_names_a_signatory(banner, levels):
    with pytest.raises(ValidationError) as refused:
        _setting(levels["banner"], DocumentKind.EXIT_NOTICE, signatory_role=Role.REVIEWER)
    assert "只有上行文" in str(refused.value)


# --- the admin says where each effective value comes from ----------------------------------------------------------


def test_the_admin_shows_each_effective_setting_and_where_it_comes_from(client, banner, levels):
    client.force_login(create_administrator(username="sysadmin", password="x", role=AdministratorRole.SYSTEM))
    levels["banner"].abbreviation = ""
    levels["banner"].save()
    _setting(levels["region"], DocumentKind.EXIT_NOTICE, issuer_kind=OrganizationKind.BANNER_LEADERSHIP)
    _setting(levels["banner"], DocumentKind.ADMISSION_DECISION, issuer_kind=OrganizationKind.ORGANIZATION_OFFICE)
    TimeLimit.objects.filter(jurisdiction=levels["banner"], step="intake").delete()
    TimeLimit.objects.create(jurisdiction=levels["region"], step="intake", days=4)
    page = client.get(reverse("admin:admission_jurisdiction_change", args=[levels["banner"].pk]), **INSIDE)
    assert page.status_code == 200
    body = page.content.decode()
    assert "公文设置" in body and 'name="document_settings-0-kind"' in body  # the banner's own row, editable
    table = body[body.index('class="effective-settings"') :]
    table = table[: table.index("</table>")]
    rows = {cells[0]: cells[1:] for cells in _rows(table)}
    assert rows["简称"] == ["呼", "继承自 呼伦贝尔市"]
    assert rows["退出通知的发文机关"] == ["旗委、旗政府", "继承自 内蒙古自治区"]
    assert rows["准入决定的发文机关"] == ["旗委编办", "本级设置"]
    assert rows["调整通知的发文机关"] == ["旗委编办", "准入办法默认"]
    assert rows["审核意见的请示的签发人"] == ["负责人", "准入办法默认"]
    assert rows["受理审查时限"][1] == "继承自 内蒙古自治区" and rows["受理审查时限"][0].startswith("4 ")
    listing = client.get(reverse("admin:admission_organization_changelist"), {"q": "委编办"}, **INSIDE)
    assert "呼编" in listing.content.decode() and "简称继承自 呼伦贝尔市" in listing.content.decode()


def _rows(table: str) -> list[list[str]]:
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table) if "<td>" in row]


def _change_form(client, levels, changes: dict) -> tuple[str, dict]:
    """The banner's admin change page and its form's data as shown, with `changes` (and no setting rows unless
    `changes` adds them)."""
    url = reverse("admin:admission_jurisdiction_change", args=[levels["banner"].pk])
    form = client.get(url, **INSIDE).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "parent": levels["city"].pk,
            "document_settings-TOTAL_FORMS": "0",
            "document_settings-INITIAL_FORMS": "0",
            **changes,
        }
    )
    return url, data


def test_the_system_administrator_sets_a_banners_issuer_in_the_admin_and_a_wrong_one_is_refused(client, banner, levels):
    client.force_login(create_administrator(username="sysadmin", password="x", role=AdministratorRole.SYSTEM))
    url, data = _change_form(
        client,
        levels,
        {
            "document_settings-TOTAL_FORMS": "1",
            "document_settings-0-kind": DocumentKind.SUPPLEMENT_NOTICE,
            "document_settings-0-issuer_kind": OrganizationKind.BANNER_LEADERSHIP,
        },
    )
    refused = client.post(url, data, **INSIDE)
    assert refused.status_code == 200 and "该文种的发文机关由准入办法规定" in refused.content.decode()
    assert not DocumentSetting.objects.exists()
    data["document_settings-0-kind"] = DocumentKind.EXIT_NOTICE
    assert client.post(url, data, **INSIDE).status_code == 302
    found = inheritance.issuing_body_kind(levels["banner"].pk, DocumentKind.EXIT_NOTICE)
    assert (found.value, found.source) == (OrganizationKind.BANNER_LEADERSHIP, levels["banner"])


def test_a_banners_own_abbreviation_costs_no_query_beyond_its_bodys(banner, levels, django_assert_num_queries):
    office = type(banner.org("office")).objects.select_related("jurisdiction").get(pk=banner.org("office").pk)
    with django_assert_num_queries(0):
        assert inheritance.document_prefix(office) == "阿编"


def test_setting_changes_are_in_the_audit_trail_with_who_made_them(client, banner, levels):
    admin = create_administrator(username="sysadmin", password="x", role=AdministratorRole.SYSTEM)
    client.force_login(admin)
    limit = TimeLimit.objects.get(jurisdiction=levels["banner"], step="intake")
    page = client.post(reverse("admin:admission_timelimit_delete", args=[limit.pk]), {"post": "yes"}, **INSIDE)
    assert page.status_code == 302
    removed = AuditEvent.objects.filter(action=AuditAction.ADMIN_CHANGE).latest("pk")
    assert removed.actor == admin and removed.jurisdiction_id == levels["banner"].pk
    assert removed.note == "阿荣旗 办理时限删除（改为继承上级）：受理审查时限 3工作日"
    _setting(levels["city"], DocumentKind.EXIT_NOTICE, issuer_kind=OrganizationKind.BANNER_LEADERSHIP)
    changed = AuditEvent.objects.filter(action=AuditAction.ADMIN_CHANGE).latest("pk")
    assert changed.note == "呼伦贝尔市 公文设置：退出通知：发文机关 旗委、旗政府，签发人 继承上级"
    levels["banner"].abbreviation = ""
    levels["banner"].save()
    cleared = AuditEvent.objects.filter(action=AuditAction.ADMIN_CHANGE).latest("pk")
    assert cleared.note == "阿荣旗 公文字号简称：由“阿”改为“继承上级”"
    levels["banner"].save()  # saved again unchanged: nothing to record
    assert AuditEvent.objects.filter(action=AuditAction.ADMIN_CHANGE).latest("pk") == cleared


# --- the measure the documents cite --------------------------------------------------------------------------------


def _cited(duty_request, kind) -> str:
    """The text of the case's document of `kind` as drawn up (its content), where it cites the measure."""
    import json

    document = OfficialDocument.objects.filter(request=duty_request, kind=kind).latest("pk")
    text = json.dumps(document.content, ensure_ascii=False)
    return re.findall(r"根据(《[^》]+》)第四条", text)[0]


def test_art4_a_banners_documents_cite_its_own_measure(banner, other_banner, levels):
    """Every banner's documents cite the measure it adopted (143号: each banner issues its own), not Arun's."""
    ours, theirs = support.consulting_case(banner), support.consulting_case(other_banner)
    assert _cited(ours, DocumentKind.CONSULTATION_LETTER) == "《阿荣旗乡镇职责准入管理办法（试行）》"
    assert _cited(theirs, DocumentKind.CONSULTATION_LETTER) == "《莫力达瓦达斡尔族自治旗乡镇职责准入管理办法（试行）》"
    admitted = support.admitted(other_banner)
    assert _cited(admitted, DocumentKind.REVIEW_OPINION) == "《莫力达瓦达斡尔族自治旗乡镇职责准入管理办法（试行）》"


def test_a_banner_without_a_measure_cites_its_citys_then_a_provisional_name_the_administrator_is_told_of(
    client, banner, levels
):
    levels["banner"].measure = ""
    levels["banner"].save()
    levels["city"].measure = "呼伦贝尔市乡镇职责准入管理办法"
    levels["city"].save()
    found = inheritance.measure(levels["banner"])
    assert (found.value, found.source) == ("呼伦贝尔市乡镇职责准入管理办法", levels["city"])
    assert (
        _cited(support.consulting_case(banner), DocumentKind.CONSULTATION_LETTER)
        == "《呼伦贝尔市乡镇职责准入管理办法》"
    )
    assert inheritance.banners_without_a_measure() == []

    levels["city"].measure = ""
    levels["city"].save()
    found = inheritance.measure(
        type(levels["banner"]).objects.select_related("parent__parent").get(pk=levels["banner"].pk)
    )
    assert (found.value, found.source) == ("阿荣旗乡镇职责准入管理办法", None)  # never blank: marked provisional
    assert inheritance.banners_without_a_measure() == [levels["banner"]]
    client.force_login(create_administrator(username="sysadmin", password="x", role=AdministratorRole.SYSTEM))
    listing = client.get(reverse("admin:admission_jurisdiction_changelist"), **INSIDE).content.decode()
    assert "以下旗县的公文暂按旗县名称引用准入办法" in listing and "阿荣旗。" in listing
    page = client.get(reverse("admin:admission_jurisdiction_change", args=[levels["banner"].pk]), **INSIDE)
    table = page.content.decode()
    rows = {cells[0]: cells[1:] for cells in _rows(table[table.index('class="effective-settings"') :])}
    assert rows["准入办法"] == ["《阿荣旗乡镇职责准入管理办法》", "暂按旗县名称拟定，请填写本级或上级的准入办法"]


def test_the_measure_is_set_in_the_admin_without_its_marks_and_the_change_is_audited(client, banner, levels):
    admin = create_administrator(username="sysadmin", password="x", role=AdministratorRole.SYSTEM)
    client.force_login(admin)
    url, data = _change_form(client, levels, {"measure": " 《阿荣旗乡镇职责准入管理办法》 "})
    assert client.post(url, data, **INSIDE).status_code == 302
    levels["banner"].refresh_from_db()
    assert levels["banner"].measure == "阿荣旗乡镇职责准入管理办法"
    changed = AuditEvent.objects.get(action=AuditAction.ADMIN_CHANGE, note__contains="准入办法")
    assert changed.actor == admin and changed.jurisdiction_id == levels["banner"].pk
    assert changed.note == "阿荣旗 准入办法：由“阿荣旗乡镇职责准入管理办法（试行）”改为“阿荣旗乡镇职责准入管理办法”"


def test_a_cases_documents_read_the_measure_with_the_banners_bodies(banner, levels, django_assert_num_queries):
    """Citing the measure costs an issuing action no statement: it comes with the bodies a document names."""
    from admission.documents.content import _measure

    levels["banner"].measure = ""
    levels["banner"].save()
    created = support.consulting_case(banner)
    case = type(created).objects.get(pk=created.pk)
    case.banner_body(OrganizationKind.ORGANIZATION_OFFICE)
    with django_assert_num_queries(0):
        assert _measure(case) == "《阿荣旗乡镇职责准入管理办法》"
