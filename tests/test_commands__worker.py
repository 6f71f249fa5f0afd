"""The worker renders pending documents and runs the daily reminder job (issue 3 item 7, issue 5 item 4)."""

import io
from datetime import date

from django.core.management import call_command

from admission.documents.pki import issue_demo_certificates, issuing_organizations
from admission.models import CalendarYear, Notification, OfficialDocument, RenderStatus, TaskDeadline
from tests import support


def test_worker_renders_what_is_pending_and_sends_reminders_once(settings, tmp_path, banner):
    settings.ADMISSION_SIGNING_KEYS_DIR = tmp_path / "keys"
    settings.ADMISSION_TRUST_ROOTS = [str(tmp_path / "keys" / "demo-root.pem")]
    issue_demo_certificates(keys_dir=tmp_path / "keys", organizations=issuing_organizations(), passphrase="")
    CalendarYear.objects.bulk_create([CalendarYear(year=y, source="测试") for y in range(2027, 2031)])
    request = support.to_under_review(banner)
    TaskDeadline.objects.filter(task=support.open_task(request, "data_review")).update(due_date=date(2026, 1, 5))
    assert OfficialDocument.objects.filter(render_status=RenderStatus.PENDING).count() == 2

    out = io.StringIO()
    call_command("document_worker", "--once", "--reminders-at", "00:00", stdout=out)
    assert "rendered 2" in out.getvalue()
    assert not OfficialDocument.objects.exclude(render_status=RenderStatus.RENDERED).exists()
    # The data bureau has no head in the test banner: the overdue task escalates to nobody but is counted once.
    call_command("document_worker", "--once", "--reminders-at", "00:00", stdout=io.StringIO())
    keys = list(Notification.objects.values_list("key", flat=True))
    assert len(keys) == len(set(keys))
