"""Input kept, files included (standards; issue 13): on a phone, a township's reply that comes back with an error
still holds the scanned letter chosen for it; sent again without choosing it, the letter is stored with the reply."""

from pathlib import Path

import pytest

from admission.models import Attachment, AttachmentKind, Consultation, ConsultationOutcome
from tests import support
from tests.e2e.conftest import CHROMIUM, SHOTS
from tests.e2e.test_responsive__375 import PHONE, log_in, width_of
from workflows import actions

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


@pytest.mark.django_db(transaction=True)
def test_art4_1_a_townships_letter_chosen_before_an_error_is_sent_with_the_corrected_reply(page, live_server):
    banner = support.build_banner(code="150721", name="阿荣旗", short="旗")
    request = actions.consult_townships(
        duty_request=support.draft(banner, townships=("naji",)), actor=banner.users["forestry"]
    )
    task = support.open_task(request, "consult")
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(PHONE)
    log_in(page, base, banner.users["naji"].username)

    page.goto(f"{base}/tasks/{task.pk}/")
    page.fill("#id_opinion", "我镇同意承担。")
    page.set_input_files(
        "#id_letter",
        files=[{"name": "那吉镇复函（盖章）.pdf", "mimeType": "application/pdf", "buffer": support.PDF_BYTES}],
    )
    page.get_by_role("button", name="提交").click()  # no choice made
    kept = page.locator("#field-letter .kept-file")
    kept.wait_for()
    assert "那吉镇复函（盖章）.pdf" in kept.inner_text()
    assert kept.locator("input[type=checkbox]").is_checked()
    assert page.input_value("#id_opinion") == "我镇同意承担。"
    assert width_of(page, "kept-upload") <= PHONE["width"]

    page.get_by_label("同意承担").check()
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(lambda url: f"/tasks/{task.pk}/" not in url)
    consultation = Consultation.objects.get(request=request)
    assert consultation.outcome == ConsultationOutcome.AGREED
    letter = Attachment.objects.get(request=request, kind=AttachmentKind.CONSULTATION_LETTER)
    assert letter.original_name == "那吉镇复函（盖章）.pdf" and letter.file.read() == support.PDF_BYTES
