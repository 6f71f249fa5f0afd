"""issue 11 part 6: operable. Probes (/healthz, /readyz), a request id in every response and log line, Chinese error
pages, and `check --deploy` clean under production settings."""

from __future__ import annotations

import json
import logging
import secrets

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from admission.calendar import WorkingCalendar
from admission.documents.pki import issue_demo_certificates, issuing_organizations
from admission.documents.signing import key_path
from admission.models import CalendarYear
from config.logging import JsonFormatter, RequestIdFilter
from tests.processes import child_env, free_port, manage
from web.request_id import server_error


@pytest.fixture
def installed(settings, tmp_path, banner):
    """An installation with every issuing body's key and the calendar of this year and the next entered."""
    keys = tmp_path / "keys"
    settings.ADMISSION_SIGNING_KEYS_DIR = keys
    issue_demo_certificates(keys_dir=keys, organizations=issuing_organizations(), passphrase="")
    calendar, year = WorkingCalendar(None), timezone.localdate().year
    for wanted in (year, year + 1):
        if not calendar.is_official(wanted):
            CalendarYear.objects.create(year=wanted, source="国办发明电（测试）")
    return banner


def _ready(client) -> tuple[int, dict]:
    response = client.get(reverse("readyz"))
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, response.json()


def test_healthz_answers_without_login_and_without_touching_the_database(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("healthz"))
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_is_ok_when_database_storage_fonts_harfbuzz_keys_and_calendar_are_there(client, installed):
    status, body = _ready(client)
    assert status == 200 and body["status"] == "ok", body
    assert set(body["checks"]) == {
        "database",
        "migrations",
        "redis",
        "storage",
        "fonts",
        "harfbuzz_subsetter",
        "signing_keys",
        "calendar",
    }
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["signing_keys"]["detail"] == f"{issuing_organizations().count()} issuing bodies"
    assert body["checks"]["redis"]["detail"] == "not configured"


def test_readyz_is_503_when_an_issuing_body_has_no_loadable_key(client, installed):
    office = installed.org("office")
    key_path(office).write_bytes(b"not a PKCS#12 file")
    status, body = _ready(client)
    assert status == 503 and body["status"] == "fail"
    assert not body["checks"]["signing_keys"]["ok"]
    assert office.name in body["checks"]["signing_keys"]["detail"]
    assert body["checks"]["database"]["ok"], "one failure does not hide the other checks"


def test_readyz_is_503_when_file_storage_is_not_writable(client, installed, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings.MEDIA_ROOT = blocker / "files"  # a directory can never be made under a file, not even by root
    status, body = _ready(client)
    assert status == 503 and not body["checks"]["storage"]["ok"]


def test_readyz_is_503_without_the_cut_document_fonts_and_names_the_command(client, installed, settings, tmp_path):
    settings.ADMISSION_FONT_DIR = tmp_path / "no-fonts"
    status, body = _ready(client)
    assert status == 503 and "manage.py prepare_fonts" in body["checks"]["fonts"]["detail"]


def test_readyz_pings_redis_when_one_is_configured(client, installed, settings):
    settings.ADMISSION_REDIS_URL = "redis://127.0.0.1:6379/0"
    status, body = _ready(client)
    assert status == 200 and body["checks"]["redis"] == {**body["checks"]["redis"], "ok": True, "detail": "PONG"}
    settings.ADMISSION_REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    status, body = _ready(client)
    assert status == 503 and not body["checks"]["redis"]["ok"]
    assert "ConnectionRefusedError" in body["checks"]["redis"]["detail"]


def test_readyz_warns_but_stays_in_service_while_next_years_holidays_are_not_entered(client, installed):
    """Every machine shares the calendar: a missing year is a warning for monitoring, not a reason to stop serving."""
    next_year = timezone.localdate().year + 1
    CalendarYear.objects.filter(year=next_year).delete()
    if WorkingCalendar(None).is_official(next_year):
        pytest.skip(f"chinese-calendar already covers {next_year}")
    status, body = _ready(client)
    assert status == 200 and body["status"] == "degraded"
    assert str(next_year) in body["checks"]["calendar"]["detail"]


class _Lines(logging.Handler):
    """What the console handler of config/logging.py writes, kept for the test."""

    def __init__(self):
        super().__init__()
        self.addFilter(RequestIdFilter())
        self.setFormatter(JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def log_lines():
    handler = _Lines()
    root = logging.getLogger()
    root.addHandler(handler)
    level = logging.getLogger("admission.request").level
    logging.getLogger("admission.request").setLevel(logging.INFO)
    yield handler.lines
    root.removeHandler(handler)
    logging.getLogger("admission.request").setLevel(level)


def test_every_response_carries_a_request_id_and_its_log_line_the_same_one(client, log_lines):
    response = client.get(reverse("healthz"))
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32 and int(request_id, 16) >= 0
    line = next(line for line in log_lines if line["logger"] == "admission.request")
    assert line["request_id"] == request_id
    assert (line["method"], line["path"], line["status"]) == ("GET", "/healthz", 200)
    assert line["level"] == "INFO" and line["duration_ms"] >= 0 and line["time"].endswith("+00:00")


def test_the_proxys_request_id_is_kept_and_a_malformed_one_replaced(client):
    given = "5f2b8c0d9e1a4b3c8d7e6f5a4b3c2d1e"
    assert client.get(reverse("healthz"), HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given
    forged = client.get(reverse("healthz"), HTTP_X_REQUEST_ID='x" injected=1')["X-Request-ID"]
    assert forged != 'x" injected=1' and len(forged) == 32


def test_a_signed_in_users_request_line_names_the_user(client, banner, log_lines):
    client.force_login(banner.users["naji"])
    client.get(reverse("admission:duty_list"))
    line = next(line for line in log_lines if line["logger"] == "admission.request")
    assert line["user_id"] == banner.users["naji"].pk


def test_json_log_lines_carry_the_exception(log_lines):
    try:
        raise ValueError("坏数据")
    except ValueError:
        logging.getLogger("admission.test").exception("处理失败")
    line = log_lines[-1]
    assert line["message"] == "处理失败" and line["request_id"] == ""
    assert "ValueError: 坏数据" in line["exception"]


def test_the_500_page_is_chinese_names_the_request_id_and_reads_nothing_from_the_database(
    rf, db, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = server_error(rf.get("/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "系统出错" in body and "返回首页" in body


@pytest.mark.urls("tests.urls_failing")
def test_an_unhandled_error_shows_the_500_page_with_the_id_in_the_response_header(client, log_lines):
    client.raise_request_exception = False
    response = client.get("/fails/")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert f"错误编号：<code>{request_id}</code>" in response.content.decode()
    logged = next(line for line in log_lines if line["logger"] == "django.request")
    assert logged["request_id"] == request_id and "RuntimeError: 测试用的故障" in logged["exception"]


def test_the_404_page_is_chinese(client, banner):
    client.force_login(banner.users["naji"])
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "未找到" in response.content.decode()


def test_the_403_page_shows_the_reason_in_chinese(client, banner):
    client.force_login(banner.users["naji"])
    response = client.get(reverse("admission:request_create"))
    assert response.status_code == 403
    assert "只有旗直职能部门可以提出准入申请。" in response.content.decode()


def test_an_expired_form_is_a_chinese_page_not_django_s_csrf_explanation():
    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "naji", "password": "x"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "页面已过期" in body and "CSRF" not in body


def test_a_bad_host_is_a_chinese_400_page(client):
    response = client.get(reverse("login"), HTTP_HOST="evil.example.org")
    assert response.status_code == 400 and "请求无效" in response.content.decode()


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    env = child_env(
        DJANGO_DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ADMISSION_ENV_FILE="",
        ADMISSION_VAR_DIR=str(tmp_path),
        ADMISSION_PUBLIC_URL="https://admission.example.gov.cn",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
