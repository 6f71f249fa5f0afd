"""Art. 4 refusals speak the user's language: the services' messages go through gettext, and the English catalogue
is complete. Chinese stays the default (tests/test_views__language.py)."""

from __future__ import annotations

import ast
import pathlib
import re

import polib
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from admission.models import AuditAction
from admission.services import requests as request_services
from admission.services import review
from admission.services.audit import record_event
from admission.services.errors import ConflictError
from tests import support

ROOT = pathlib.Path(settings.BASE_DIR)
CJK = range(0x4E00, 0xA000)


def in_english(client, user):
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})


def test_art4_1_a_refused_draft_names_the_missing_element_in_english(client, banner):
    in_english(client, banner.users["forestry"])
    data = {
        **support.complete_values(legal_basis="", funding_amount="100", end_date=""),
        "townships": [banner.org("naji").pk],
        "consult": "1",
    }
    response = client.post(reverse("admission:request_create"), data)

    assert response.status_code == 422
    body = response.content.decode()
    assert "Fill in “Legal basis” (Art. 4(1) requires it in the written application)." in body
    assert "第四条第一项" not in body


def test_a_township_refused_the_request_form_is_told_why_in_english(client, banner):
    in_english(client, banner.users["naji"])
    response = client.get(reverse("admission:request_create"))

    assert response.status_code == 403
    body = response.content.decode()
    assert "Only banner departments can file requests." in body and "无权访问" not in body


def test_art4_2_a_conclusion_before_every_member_answered_is_refused_in_english(banner):
    duty_request = support.to_under_review(banner)
    findings = {field: "符合" for field, _label in review.FOCUS_POINTS}
    with translation.override("en"), pytest.raises(ConflictError) as refused:
        review.conclude_review(duty_request=duty_request, actor=banner.users["office"], passes=True, findings=findings)
    assert refused.value.message.startswith("Waiting for the review opinion of ")


def test_art4_2_only_the_lead_unit_concludes_and_says_so_in_english(banner):
    duty_request = support.to_under_review(banner)
    with translation.override("en"), pytest.raises(PermissionDenied) as refused:
        review.conclude_review(duty_request=duty_request, actor=banner.users["justice"], passes=False, findings={})
    assert str(refused.value) == "Only reviewers or heads of the Organization Office can do this."


def test_art1_an_out_of_scope_affair_is_refused_in_english_with_the_measure_named(banner):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        request_services.save_draft(
            actor=banner.users["forestry"],
            values=support.complete_values(affair_class="administrative_penalty"),
            townships=[banner.org("naji")],
        )
    message = refused.value.message_dict["affair_class"][0]
    assert message.startswith("Administrative penalties are administrative powers")
    assert "Art. 1" in message and "《阿荣旗乡镇职责准入管理办法（试行）》" in message  # the banner's own measure


def test_the_english_catalogue_is_complete():
    catalogue = polib.pofile(str(ROOT / "locale/en/LC_MESSAGES/django.po"))
    missing = [e.msgid for e in catalogue if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    assert missing == []


def _bare_cjk_messages(path: pathlib.Path) -> list[str]:
    """Chinese literals raised, or put into an errors dict, without gettext around them."""
    tree = ast.parse(path.read_text(), filename=str(path))
    translated: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
            "_",
            "gettext",
            "gettext_lazy",
            "pgettext",
            "ngettext",
            "ngettext_lazy",
        ):
            translated.update(id(n) for n in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        message_sites = []
        if isinstance(node, ast.Raise) and node.exc is not None:
            message_sites.append(node.exc)
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Subscript) and getattr(t.value, "id", "") == "errors" for t in node.targets
        ):
            message_sites.append(node.value)
        for site in message_sites:
            for literal in ast.walk(site):
                if (
                    isinstance(literal, ast.Constant)
                    and isinstance(literal.value, str)
                    and id(literal) not in translated
                    and any(ord(ch) in CJK for ch in literal.value)
                ):
                    found.append(f"{path.relative_to(ROOT)}:{literal.lineno}: {literal.value[:30]}")
    return found


def test_every_message_the_domain_and_the_process_raise_goes_through_gettext():
    modules = [
        *ROOT.glob("admission/services/*.py"),
        *ROOT.glob("admission/*.py"),
        *ROOT.glob("workflows/*.py"),
        *ROOT.glob("web/**/*.py"),
    ]
    assert [m for path in sorted(modules) for m in _bare_cjk_messages(path)] == []


def test_art4_2_what_an_english_speaking_reviewer_decides_is_recorded_and_issued_in_chinese(banner):
    """The record and the official documents are the government's, in the official language."""
    from admission.models import AuditEvent, OfficialDocument

    duty_request = support.to_under_review(banner)
    with translation.override("en"):
        support.bureau_opinions(banner, duty_request)
        findings = {field: "符合要求" for field, _label in review.FOCUS_POINTS}
        review.conclude_review(duty_request=duty_request, actor=banner.users["office"], passes=True, findings=findings)

    opinion = OfficialDocument.objects.filter(request=duty_request).latest("issued_at")
    text = str(opinion.content)
    assert "法定依据：符合要求" in text and "Legal basis" not in text
    notes = list(AuditEvent.objects.filter(request=duty_request).values_list("note", flat=True))
    assert any(note.startswith("通过：") for note in notes)


def test_the_case_record_names_the_system_in_the_user_s_language(client, banner):
    """An event no unit caused (a document rendered by a worker, a deadline recounted) is the system's: 系统 in
    Chinese, System in English."""
    request = support.to_under_review(banner)
    record_event(duty_request=request, actor=None, action=AuditAction.RENDER_DOCUMENT, note="worker")
    client.force_login(banner.users["office"])
    page = client.get(reverse("admission:request_detail", args=[request.pk])).content.decode()
    assert " · 系统" in page
    in_english(client, banner.users["office"])
    page = client.get(reverse("admission:request_detail", args=[request.pk])).content.decode()
    assert " · System" in page and " · 系统" not in page


def test_english_labels_are_followed_by_an_english_colon(client, banner):
    """A label and its value are separated by the language's own colon: "Current step: ", "To: " in English, never
    the Chinese full-width "：" after an English word (nor the role in full-width brackets)."""
    request = support.to_under_review(banner)
    in_english(client, banner.users["office"])
    for page in (
        client.get(reverse("admission:document_list")).content.decode(),
        client.get(reverse("admission:request_detail", args=[request.pk])).content.decode(),
    ):
        text = re.sub(r"<[^>]+>", "", page)
        assert re.findall(r".{0,40}[A-Za-z)]：", text) == []
    assert "Current step: " in text and "To: " in text
    assert "(Reviewer)" in text and "（Reviewer）" not in text  # the header's role, in English brackets


def test_the_header_offers_to_change_the_password_and_the_audit_records_that_it_was_changed(client, banner):
    """修改密码 is a command in the header and an event in the audit trail: each reads as such in English."""
    in_english(client, banner.users["naji"])
    page = client.get(reverse("workflows:inbox")).content.decode()
    assert ">Change password</a>" in page and "Password changed" not in page
    with translation.override("en"):
        assert str(AuditAction.PASSWORD_CHANGE.label) == "Password changed"
    with translation.override("zh-hans"):
        assert str(AuditAction.PASSWORD_CHANGE.label) == "修改密码"


def test_a_draft_offers_to_consult_the_townships_and_its_record_says_they_were(client, banner):
    """书面征求乡镇意见 is the draft's button (a command) and an event of the record (done): each reads as such."""
    request = support.draft(banner)
    in_english(client, banner.users["forestry"])
    page = client.get(reverse("admission:request_detail", args=[request.pk])).content.decode()
    assert ">Consult townships in writing</a>" in page
    with translation.override("en"):
        assert str(AuditAction.START_CONSULTATION.label) == "Townships consulted in writing"
