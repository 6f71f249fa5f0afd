"""The task engine without a broker (the embedded default, issue 11 part 4): tasks run in-process after commit, a
failing render backs off and ends as a dead letter the administrator can retry, the web process heals what a killed
render left, and the daily reminder run keeps to working days and tells the administrator what the calendar lacks.
The same code on real workers: tests/test_tasks__workers.py."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from celery import current_app
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from admission import tasks
from admission.calendar import WorkingCalendar
from admission.documents import content
from admission.documents.pki import issue_demo_certificates, issuing_organizations
from admission.documents.verification import verify_pdf
from admission.models import AuditAction, CalendarYear, NoticeKind, Notification, OfficialDocument, RenderStatus
from admission.notices import email_later, email_notice
from admission.services import rendering
from admission.services.documents import issue_document
from admission.services.reminders import daily_run
from tests import support

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def keys(settings, tmp_path, banner):
    keys = tmp_path / "keys"
    settings.ADMISSION_SIGNING_KEYS_DIR = keys
    settings.ADMISSION_TRUST_ROOTS = [str(keys / "demo-root.pem")]
    issue_demo_certificates(keys_dir=keys, organizations=issuing_organizations(), passphrase="")
    return keys


def issue_letters(banner, count: int) -> list[OfficialDocument]:
    """`count` consultation letters of the forestry bureau, numbered and committed, their PDFs not yet made."""
    request = support.draft(banner, townships=("naji",))
    draft = content.consultation_letter(duty_request=request, township=banner.org("naji"))
    return [issue_document(draft=draft, duty_request=request, actor=banner.users["forestry"]) for _ in range(count)]


class UnpluggedSigner:
    """The signing token is not there: every attempt fails at once."""

    def is_demo(self, issuer):
        raise RuntimeError("签章设备未连接")

    def sign(self, pdf, *, issuer):
        raise AssertionError("never reached")


def stored_files(settings) -> list[Path]:
    return sorted(p for p in (Path(settings.MEDIA_ROOT) / "documents").rglob("*") if p.is_file())


def files_of(settings, document) -> list[Path]:
    """A rendered document is stored as its PDF and, beside it, its OFD (issue 14)."""
    return sorted(Path(settings.MEDIA_ROOT) / f.name for f in (document.file, document.ofd_file))


def test_issue11_without_a_broker_tasks_run_in_process_after_commit(
    keys, banner, settings, django_capture_on_commit_callbacks
):
    settings.ADMISSION_RENDER_ON_COMMIT = True
    assert tasks.in_process() and tasks.broker_ready() == (True, "no broker configured: tasks run in-process")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [document] = issue_letters(banner, 1)
    document.refresh_from_db()
    assert document.render_status == RenderStatus.PENDING  # nothing happens before the commit
    for callback in callbacks:
        callback()
    document.refresh_from_db()
    assert document.render_status == RenderStatus.RENDERED and document.render_attempts == 1
    assert verify_pdf(document.file.read()).valid


@pytest.mark.django_db(transaction=True)
def test_issue11_a_render_cut_off_by_kill_9_is_finished_by_the_web_process_without_a_command(
    keys, banner, settings, client, monkeypatch
):
    # What `kill -9` in the middle of a render leaves: the decision and its number committed, the row pending, no file
    # (the render's own transaction died with the process).
    [document] = issue_letters(banner, 1)
    assert document.render_status == RenderStatus.PENDING and not document.file and stored_files(settings) == []
    number = document.number

    # The server comes back: a fresh process, whose first request (anyone's, even the login page) starts the sweep.
    settings.ADMISSION_SWEEP_IN_WEB = True
    monkeypatch.setattr(tasks, "_last_sweep", None)
    monkeypatch.setattr(tasks, "_sweep_thread", None)
    assert client.get(reverse("login")).status_code == 200
    assert tasks._sweep_thread is not None  # started by the request, in the background
    tasks._sweep_thread.join(timeout=120)
    assert not tasks._sweep_thread.is_alive()

    document.refresh_from_db()
    assert document.render_status == RenderStatus.RENDERED, document.render_error
    assert document.render_attempts == 1 and document.number == number
    assert stored_files(settings) == files_of(settings, document)
    assert verify_pdf(document.file.read()).valid
    # Once started, this process sweeps again only after ADMISSION_RENDER_SWEEP_SECONDS.
    assert tasks.sweep_from_web() is False
    monkeypatch.setattr(tasks, "_last_sweep", tasks._last_sweep - settings.ADMISSION_RENDER_SWEEP_SECONDS)
    assert tasks.sweep_from_web() is True
    tasks._sweep_thread.join(timeout=120)


def test_issue11_a_failing_render_backs_off_exponentially_then_is_a_dead_letter_the_administrator_retries(
    keys, banner, settings, admin_client
):
    settings.ADMISSION_RENDER_MAX_ATTEMPTS = 3
    settings.ADMISSION_SIGNER = f"{__name__}.UnpluggedSigner"
    [document] = issue_letters(banner, 1)
    number = document.number
    waits = []
    for attempt in (1, 2, 3):
        assert rendering.sweep(grace_seconds=0) == 1
        document.refresh_from_db()
        assert document.render_status == RenderStatus.FAILED and document.render_attempts == attempt
        assert document.render_error == "RuntimeError: 签章设备未连接"
        if attempt < 3:
            waits.append((document.next_attempt_at - timezone.now()).total_seconds())
            assert rendering.sweep(grace_seconds=0) == 0  # not before its back-off
            OfficialDocument.objects.filter(pk=document.pk).update(next_attempt_at=timezone.now())  # time passes
    assert 110 < waits[0] <= 120 and 230 < waits[1] <= 240  # 2 minutes, then 4
    # Failed three times: dead. Nothing retries it any more; the administrator sees it with its error.
    assert document.next_attempt_at is None
    assert list(rendering.dead_documents()) == [document]
    assert rendering.sweep(grace_seconds=0) == 0

    changelist = reverse("admin:admission_officialdocument_changelist")
    register = admin_client.get(changelist).content.decode()
    assert "1 份公文生成失败 3 次，已停止重试" in register
    dead = admin_client.get(changelist, {"render_queue": "dead"}).content.decode()
    assert number in dead and "签章设备未连接" in dead
    assert number not in admin_client.get(changelist, {"render_queue": "pending"}).content.decode()

    settings.ADMISSION_SIGNER = "admission.documents.signing.Pkcs12Signer"  # the token is back
    response = admin_client.post(
        changelist, {"action": "retry_rendering", "_selected_action": [document.pk]}, follow=True
    )
    assert "已提交 1 份公文重新生成" in response.content.decode()
    document.refresh_from_db()
    assert document.render_status == RenderStatus.RENDERED and document.render_attempts == 4
    assert document.number == number and document.render_error == ""
    assert not rendering.dead_documents().exists()
    assert document.request.audit_events.filter(action=AuditAction.RENDER_DOCUMENT).count() == 1


def test_issue11_a_repeated_or_stale_message_never_renders_twice(keys, banner, settings):
    [document] = issue_letters(banner, 1)
    assert rendering.render.apply(args=(document.pk,), kwargs={"attempt": 0}).get() == RenderStatus.RENDERED
    document.refresh_from_db()
    first = (document.file.name, document.sha256, document.rendered_at)
    # The same message delivered again, and the sweep's copy for the same attempt: nothing happens.
    assert rendering.render.apply(args=(document.pk,), kwargs={"attempt": 0}).get() == RenderStatus.RENDERED
    assert rendering.sweep(grace_seconds=0) == 0
    document.refresh_from_db()
    assert (document.file.name, document.sha256, document.rendered_at) == first and document.render_attempts == 1
    assert stored_files(settings) == files_of(settings, document)

    # A failed document: a message for an attempt already made does not make another.
    settings.ADMISSION_SIGNER = f"{__name__}.UnpluggedSigner"
    [failing] = issue_letters(banner, 1)
    rendering.render.apply(args=(failing.pk,), kwargs={"attempt": 0})
    rendering.render.apply(args=(failing.pk,), kwargs={"attempt": 0})
    failing.refresh_from_db()
    assert failing.render_attempts == 1


def test_issue11_a_file_left_by_an_attempt_killed_before_its_commit_is_replaced_not_kept_beside(keys, banner, settings):
    [document] = issue_letters(banner, 1)
    orphan = Path(settings.MEDIA_ROOT) / document.file.field.generate_filename(
        document, f"{document.verification_code}.pdf"
    )
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"%PDF- half written")
    rendering.render_document(document.pk)
    document.refresh_from_db()
    assert stored_files(settings) == files_of(settings, document) and orphan in files_of(settings, document)
    assert verify_pdf(orphan.read_bytes()).valid


def _first_day(calendar: WorkingCalendar, start: date, *, working: bool) -> date:
    day = start
    while calendar.is_working_day(day) != working:
        day += timedelta(days=1)
    return day


def test_issue11_the_daily_run_keeps_to_working_days(banner):
    calendar = WorkingCalendar(None)
    holiday = _first_day(calendar, date(2026, 10, 1), working=False)  # 国庆节
    workday = _first_day(calendar, holiday, working=True)
    assert daily_run(today=holiday) is None
    assert daily_run(today=workday) is not None
    # The scheduler's task is that same run.
    assert tasks.daily_reminders.apply(kwargs={"today": holiday.isoformat()}).get() is None
    assert tasks.daily_reminders.apply(kwargs={"today": workday.isoformat()}).get()["problems"] == []


def test_issue11_a_year_nobody_entered_does_not_stop_the_daily_run_and_the_administrators_are_told(
    banner, django_capture_on_commit_callbacks
):
    year = max(2030, timezone.localdate().year + 5)
    assert not CalendarYear.objects.filter(year=year).exists()
    admin = get_user_model().objects.create_superuser(username="root", password="x", email="root@example.org")
    monday = date(year, 3, 1) + timedelta(days=(7 - date(year, 3, 1).weekday()) % 7)
    with django_capture_on_commit_callbacks(execute=True):
        run = daily_run(today=monday)
        daily_run(today=monday + timedelta(days=1))
    assert run is not None  # on the weekday rule meanwhile
    [notice] = Notification.objects.filter(user=admin)
    assert f"{year}年的法定节假日和调休安排尚未录入" in notice.text
    assert notice.link == reverse("admin:admission_calendarday_changelist") and notice.kind == NoticeKind.REMINDER
    assert [m.to for m in mail.outbox] == [["root@example.org"]] and Notification.objects.get(pk=notice.pk).emailed
    # The administrator enters the year: no more notices about it.
    CalendarYear.objects.create(year=year, source="国务院办公厅通知")
    saturday = monday + timedelta(days=5)
    assert daily_run(today=saturday) is None and daily_run(today=monday) is not None


def test_issue11_the_reminder_run_is_on_the_scheduler_at_a_configurable_time_in_china(settings):
    entry = current_app.conf.beat_schedule["daily-reminders"]
    assert entry["task"] == tasks.daily_reminders.name
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({8}, {30})
    assert current_app.conf.timezone == "Asia/Shanghai"
    sweep = current_app.conf.beat_schedule["render-sweep"]
    assert sweep["task"] == tasks.sweep_documents.name and sweep["schedule"] == settings.ADMISSION_RENDER_SWEEP_SECONDS
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from celery import current_app as a; "
            "s = a.conf.beat_schedule['daily-reminders']['schedule']; print(s.hour, s.minute)",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test", "ADMISSION_REMINDERS_AT": "07:05"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.stdout.split() == ["{7}", "{5}"], shown.stderr


def test_issue11_send_reminders_by_hand_still_works(banner):
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert "reminders sent: 0; escalations sent: 0" in out.getvalue()


def test_issue11_a_notice_is_emailed_once_and_a_refusing_mail_server_loses_only_the_email(
    banner, settings, django_capture_on_commit_callbacks
):
    user = banner.users["naji"]
    user.email = "naji@example.org"
    user.save()
    notice = Notification.objects.create(user=user, kind=NoticeKind.REMINDER, key="t:1", text="“某事项”今天到期。")
    with django_capture_on_commit_callbacks(execute=True):
        email_later(notice.pk)
    assert [m.to for m in mail.outbox] == [["naji@example.org"]] and "到期提醒" in mail.outbox[0].subject
    assert email_notice.apply(args=(notice.pk,)).get() is False  # already e-mailed: not again
    assert len(mail.outbox) == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    other = Notification.objects.create(user=user, kind=NoticeKind.ESCALATION, key="t:2", text="逾期。")
    assert email_notice.apply(args=(other.pk,)).get() is False
    other.refresh_from_db()
    assert not other.emailed


@pytest.mark.parametrize("program", ["worker", "beat"])
def test_issue11_worker_and_scheduler_refuse_to_start_without_a_broker(program):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ADMISSION_ALLOW_INSECURE_KEY": "1",
        "CELERY_BROKER_URL": "",
    }
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "config", program],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "CELERY_BROKER_URL is not set" in result.stdout + result.stderr


def repoint(app, **conf) -> None:
    """Change this process's Celery configuration, and forget the connection and producer pools it holds for the
    old broker (Celery keeps them for the life of the process; kombu keeps them per broker, open, for reuse)."""
    app.conf.update(conf)
    app._after_fork()


@pytest.fixture
def broker_at():
    """Point this process's Celery app at a broker for one test, then back to in-process."""
    saved = {k: current_app.conf[k] for k in ("broker_url", "task_always_eager")}

    def point(url: str) -> None:
        repoint(current_app, broker_url=url, task_always_eager=False)

    yield point
    repoint(current_app, **saved)


def test_issue11_broker_readiness_names_an_unreachable_broker_without_its_password(broker_at):
    broker_at("redis://:s3cret@127.0.0.1:1/0")
    ready, why = tasks.broker_ready(timeout=1)
    assert not ready and "unreachable" in why and "127.0.0.1:1" in why and "s3cret" not in why


def queued_announcements() -> list[list]:
    """The arguments of the announcements waiting in the broker's queue, taken from it."""
    found = []
    with current_app.connection_for_read() as connection:
        channel = connection.default_channel
        while (message := channel.basic_get(current_app.conf.task_default_queue, no_ack=True)) is not None:
            if message.headers["task"] == "admission.announce":
                found.append(list(message.decode()[0]))
    return found


def test_announcements_are_queued_after_commit_on_the_broker_configured_and_a_failed_one_loses_only_its_news(
    db, broker_at, django_capture_on_commit_callbacks, caplog
):
    """With a broker, each announcement is queued once its transaction commits, none before; it goes to the broker
    configured now (the producer a process keeps is the current pool's); one that cannot be published (broker
    unreachable) is logged, and the next one reaches the broker again."""
    broker_at("memory://")
    queued_announcements()  # whatever an earlier test left
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tasks.announce_later("task", 1)
        tasks.announce_later("decision", 2)
        assert queued_announcements() == []
    assert len(callbacks) == 2 and queued_announcements() == [["task", 1], ["decision", 2]]

    broker_at("redis://127.0.0.1:1/0")  # nothing listens there: published with the retry policy, then given up
    with django_capture_on_commit_callbacks(execute=True):
        tasks.announce_later("task", 3)
    assert "could not queue the announcement of task 3" in caplog.text

    broker_at("memory://")
    with django_capture_on_commit_callbacks(execute=True):
        tasks.announce_later("document", 4)
    assert queued_announcements() == [["document", 4]]
