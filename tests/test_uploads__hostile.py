"""Hostile uploads (issue 12 part 4, 等保2.0 三级 恶意代码防范 / 入侵防范): the files the audit got accepted, retried
through the real pages, are refused with a Chinese message naming the file and what to do, the rest of the form kept,
and nothing stored — no Attachment row, no file under MEDIA_ROOT, no audit event.

Files are parsed, not sniffed (admission/file_content.py); sizes are enforced while the body streams in
(web/uploads.py); /verify/ is limited per address before its body is read (web/ratelimit.py) and its PDF read within
bounds before the signature is validated. Each hostile file is built small in tests/files.py.
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from viewflow.workflow.status import STATUS

from admission.models import Attachment, AttachmentKind, AuditAction, AuditEvent, RequestState
from tests import files, support
from tests.support import errors_of
from workflows import actions

OPINION = "同意承担，按方案落实，盖章复函另附。"


@pytest.fixture
def consulting(banner):
    return actions.consult_townships(duty_request=support.draft(banner), actor=banner.users["forestry"])


@pytest.fixture
def consulted(banner, consulting):
    support.consult_all(banner, consulting)
    consulting.refresh_from_db()
    assert consulting.state == RequestState.CONSULTED
    return consulting


def _stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _post_opinion(client, banner, request, letter):
    """The township's written opinion with its stamped letter: a form with a choice, a text and a file."""
    consultation = request.current_consultations().get(township=banner.org("naji"))
    task = support.open_task(request, "consult", consultation=consultation.pk)
    client.force_login(banner.users["naji"])
    before = (AuditEvent.objects.count(), Attachment.objects.count())
    response = client.post(
        reverse("workflows:execute", args=[task.pk]), {"agrees": "1", "opinion": OPINION, "letter": letter}
    )
    return response, before, task


def _assert_refused_and_nothing_stored(response, before, task, settings) -> str:
    assert response.status_code == 422
    body = response.content.decode()
    assert (AuditEvent.objects.count(), Attachment.objects.count()) == before  # no event, no row
    assert _stored_files(settings) == []  # no file either
    task.refresh_from_db()
    assert task.status == STATUS.NEW and task.owner_id is None
    # What the township typed is still there.
    assert OPINION in body
    assert re.search(r'<input type="radio" name="agrees" value="1"[^>]*\schecked', body)
    return body


HOSTILE = [
    # PDFs: parsed with pypdf, not recognised by their first five bytes.
    (
        "html_pdf_polyglot",
        "申请.pdf",
        files.html_pdf_polyglot,
        "PDF 文件头前面还夹带了其他内容（可能是伪装成 PDF 的网页）",
    ),
    ("pdf_then_html", "申请.pdf", files.pdf_then_html, "在 PDF 文件结束标记之后还夹带了其他内容"),
    ("pdf_with_javascript", "申请.pdf", files.pdf_with_javascript, "含有 JavaScript 脚本"),
    ("pdf_with_open_action_javascript", "申请.pdf", files.pdf_with_open_action_javascript, "含有 JavaScript 脚本"),
    (
        "pdf_with_javascript_in_object_stream",
        "申请.pdf",
        files.pdf_with_javascript_hidden_in_object_stream,
        "含有 JavaScript 脚本",
    ),
    (
        "pdf_with_javascript_outside_the_xref",
        "申请.pdf",
        files.pdf_with_javascript_outside_the_xref,
        "含有 JavaScript 脚本",
    ),
    ("pdf_with_page_open_action", "申请.pdf", files.pdf_with_page_additional_actions, "含有打开或翻页时自动执行的动作"),
    ("pdf_with_launch_action", "申请.pdf", files.pdf_with_launch_action, "含有启动外部程序或打开其他文件的动作"),
    ("pdf_with_embedded_exe", "申请.pdf", files.pdf_with_embedded_file, "内嵌了其他文件（PDF 附件）"),
    ("pdf_object_stream_bomb", "申请.pdf", files.pdf_object_stream_bomb, "结构过于庞大"),
    (
        "pdf_header_then_garbage",
        "申请.pdf",
        lambda: b"%PDF-1.7\n" + b"\x00" * 64 + b"\n%%EOF\n",
        "无法作为 PDF 文件解析",
    ),
    # OFD: a well-formed package or nothing.
    ("ofd_holding_exe", "申请.ofd", files.ofd_holding_exe, "OFD 文件包内含有不允许的文件「Doc_0/Res/setup.exe」"),
    (
        "ofd_holding_exe_named_png",
        "申请.ofd",
        files.ofd_holding_exe_named_png,
        "OFD 文件包内含有不允许的文件「Doc_0/Res/image_1.png」",
    ),
    ("ofd_path_traversal", "申请.ofd", files.ofd_with_path_traversal, "含有不安全的路径「../../static/evil.xml」"),
    ("ofd_zip_bomb_declaring_2_gib", "申请.ofd", lambda: files.ofd_declaring(2 * files.GiB - 1), "可能是“压缩炸弹”"),
    ("ofd_zip_bomb_overlapping_2_gib", "申请.ofd", files.ofd_overlapping_bomb, "可能是“压缩炸弹”"),
    ("ofd_zip_bomb_ratio", "申请.ofd", files.ofd_ratio_bomb, "可能是“压缩炸弹”"),
    (
        "ofd_without_its_document",
        "申请.ofd",
        lambda: files.ofd(without=("Doc_0/Document.xml",)),
        "不是结构完整的 OFD 文件（「Doc_0/Document.xml」缺失或无法解析）",
    ),
    # Images: decoded in full within a pixel budget.
    ("svg", "印章.svg", lambda: files.SVG, "不是 PDF、JPEG、PNG、OFD 文件（按文件内容判断，而非扩展名）"),
    ("svg_named_png", "印章.png", lambda: files.SVG, "不是 PDF、JPEG、PNG、OFD 文件（按文件内容判断，而非扩展名）"),
    (
        "png_pixel_bomb",
        "扫描.png",
        lambda: files.png_declaring(8000, 8000),
        "图像尺寸过大（8000×8000 像素，上限 4000 万像素）",
    ),
    ("png_gigapixel_bomb", "扫描.png", lambda: files.png_declaring(50000, 50000), "图像尺寸过大"),
    ("truncated_jpeg", "扫描.jpg", lambda: files.jpeg(640, 480)[:400], "无法作为完整的 JPEG 或 PNG 图像解码"),
]


@pytest.mark.parametrize(("kind", "name", "build", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_upload_is_refused_with_a_chinese_message_and_nothing_stored(
    client, banner, consulting, settings, kind, name, build, message
):
    content = build()
    assert len(content) < 2 * 1024 * 1024  # small on disk, whatever it declares
    started = time.monotonic()
    response, before, task = _post_opinion(
        client, banner, consulting, SimpleUploadedFile(name, content, "application/pdf")
    )
    body = _assert_refused_and_nothing_stored(response, before, task, settings)
    assert time.monotonic() - started < 30
    errors = errors_of(body, "letter")
    assert f"盖章的书面意见（扫描件，可选）「{name}」" in errors and message in errors
    assert "重新" in errors  # and says what to do


def test_an_oversized_letter_is_dropped_while_it_streams_and_the_form_kept(client, banner, consulting, settings):
    settings.ADMISSION_MAX_UPLOAD_BYTES = 1024 * 1024
    big = SimpleUploadedFile("复函.pdf", files.pdf() + b"\n" * (3 * 1024 * 1024), "application/pdf")
    response, before, task = _post_opinion(client, banner, consulting, big)
    body = _assert_refused_and_nothing_stored(response, before, task, settings)
    assert "「复函.pdf」大小为 3.0 MB，超过 1 MB 上限，请压缩或拆分后重新上传。" in errors_of(body, "letter")


# --- accepted files: stored under the server's name, images re-encoded ------------------------------------------


def test_good_pdf_jpeg_png_and_ofd_are_accepted_and_stored_under_names_the_server_chooses(
    client, banner, consulted, settings
):
    task = support.open_task(consulted, "submit")
    client.force_login(banner.users["forestry"])
    jpeg, png = files.jpeg(320, 200), files.png(120, 80)
    response = client.post(
        reverse("workflows:execute", args=[task.pk]),
        {
            "application_letter": SimpleUploadedFile("../../书面申请.svg", files.pdf(), "image/svg+xml"),
            "supporting_files": [
                SimpleUploadedFile("现场照片.jpeg", jpeg, "image/jpeg"),
                SimpleUploadedFile("示意图.PNG", png, "image/png"),
                SimpleUploadedFile("方案.ofd", files.ofd(), "application/octet-stream"),
            ],
        },
    )
    assert response.status_code == 302
    stored = {a.original_name: a for a in Attachment.objects.filter(request=consulted)}
    assert set(stored) == {"书面申请.svg", "现场照片.jpeg", "示意图.PNG", "方案.ofd"}
    expected = {
        "书面申请.svg": ("application/pdf", ".pdf"),
        "现场照片.jpeg": ("image/jpeg", ".jpg"),
        "示意图.PNG": ("image/png", ".png"),
        "方案.ofd": ("application/ofd", ".ofd"),
    }
    for original, (content_type, extension) in expected.items():
        attachment = stored[original]
        assert attachment.content_type == content_type
        # A random name under attachments/YYYY/MM/ and the extension of the content: nothing of the uploader's name.
        assert re.fullmatch(rf"attachments/\d{{4}}/\d{{2}}/[0-9a-f]{{32}}\{extension}", attachment.file.name)
        assert Path(attachment.file.path).resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert len(_stored_files(settings)) == 4
    # Images were decoded and written anew: same pixels' size, no EXIF, no comment, no text chunk.
    photo = Path(stored["现场照片.jpeg"].file.path).read_bytes()
    assert photo != jpeg and b"Canon" not in photo and b"clerk 7" not in photo and b"Exif" not in photo
    assert Image.open(io.BytesIO(photo)).size == (320, 200)
    drawing = Path(stored["示意图.PNG"].file.path).read_bytes()
    assert b"secret note" not in drawing and Image.open(io.BytesIO(drawing)).size == (120, 80)
    assert stored["示意图.PNG"].size == len(drawing)
    # PDFs and OFD packages are stored as received.
    assert Path(stored["书面申请.svg"].file.path).read_bytes() == files.pdf()


def test_a_downloaded_attachment_is_an_attachment_of_its_own_type_never_sniffed(client, banner, consulted):
    task = support.open_task(consulted, "submit")
    client.force_login(banner.users["forestry"])
    client.post(
        reverse("workflows:execute", args=[task.pk]),
        {"application_letter": SimpleUploadedFile("书面申请.svg", files.pdf(), "image/svg+xml")},
    )
    attachment = Attachment.objects.get(request=consulted, kind=AttachmentKind.APPLICATION_LETTER)
    response = client.get(reverse("admission:attachment_download", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename" in response["Content-Disposition"] and ".svg" not in response["Content-Disposition"]
    assert "%E4%B9%A6%E9%9D%A2%E7%94%B3%E8%AF%B7.pdf" in response["Content-Disposition"]  # 书面申请.pdf
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == files.pdf()
    assert AuditEvent.objects.filter(action=AuditAction.DOWNLOAD, data__attachment=attachment.pk).exists()


# --- the streaming limit: the server stops reading ---------------------------------------------------------------


def _post_lazy(client, url, body, **extra):
    return client.generic(
        "POST",
        url,
        b"",
        content_type=body.content_type,
        **{"wsgi.input": body, "CONTENT_LENGTH": str(body.size), "CONTENT_TYPE": body.content_type, **extra},
    )


def test_verify_stops_reading_a_300_mb_body_at_its_20_mb_limit(client, settings):
    assert settings.ADMISSION_MAX_VERIFY_BYTES == 20 * 1024 * 1024
    body = files.LazyMultipartBody(field="file", filename="公文.pdf", size=300 * 1024 * 1024)
    response = _post_lazy(client, reverse("verify_upload"), body)
    assert response.status_code == 422
    assert "文件超过 20 MB，系统已停止接收；请上传本系统印发的公文 PDF。" in response.content.decode()
    # Read up to the limit and one chunk more, not the 300 MB.
    assert 20 * 1024 * 1024 < body.read_bytes <= 20 * 1024 * 1024 + 256 * 1024
    assert _stored_files(settings) == []


def test_a_form_page_stops_reading_a_body_larger_than_the_request_limit(client, banner, consulted, settings):
    settings.ADMISSION_MAX_UPLOAD_BYTES = 2 * 1024 * 1024
    settings.ADMISSION_MAX_REQUEST_BYTES = 4 * 1024 * 1024
    task = support.open_task(consulted, "submit")
    client.force_login(banner.users["forestry"])
    before = (AuditEvent.objects.count(), Attachment.objects.count())
    body = files.LazyMultipartBody(field="application_letter", filename="书面申请.pdf", size=300 * 1024 * 1024)
    response = _post_lazy(client, reverse("workflows:execute", args=[task.pk]), body)
    assert response.status_code == 422
    errors = errors_of(response.content.decode(), "application_letter")
    assert "书面申请（加盖单位公章）「书面申请.pdf」超过 2 MB 上限，系统已停止接收，请压缩或拆分后重新上传。" in errors
    assert body.read_bytes <= 2 * 1024 * 1024 + 256 * 1024
    assert (AuditEvent.objects.count(), Attachment.objects.count()) == before and _stored_files(settings) == []


def test_a_body_over_the_request_limit_made_of_small_files_stops_at_the_request_limit(
    client, banner, consulted, settings
):
    settings.ADMISSION_MAX_REQUEST_BYTES = 1024 * 1024
    task = support.open_task(consulted, "submit")
    client.force_login(banner.users["forestry"])
    parts = {
        "application_letter": SimpleUploadedFile("书面申请.pdf", files.pdf(), "application/pdf"),
        "supporting_files": [
            SimpleUploadedFile(f"佐证{i}.png", files.png(600, 600) + b"\x00" * 300_000) for i in range(5)
        ],
    }
    response = client.post(reverse("workflows:execute", args=[task.pk]), parts)
    assert response.status_code == 422
    assert "本次提交的内容超过 1 MB，系统在接收佐证材料（可多选，可选）「佐证" in errors_of(
        response.content.decode(), "supporting_files"
    )
    assert not Attachment.objects.filter(request=consulted).exists() and _stored_files(settings) == []


# --- /verify/: per-address rate limit, bounded verification time --------------------------------------------------


def _verify_upload(client, content=None, **extra):
    content = content if content is not None else files.pdf()
    return client.post(
        reverse("verify_upload"), {"file": SimpleUploadedFile("公文.pdf", content, "application/pdf")}, **extra
    )


@pytest.fixture
def clock(monkeypatch):
    """The rate limiter's clock, 100 s into a 10-minute window, so that no test straddles a window's end."""
    now = [1_800_000_000.0 + 100]
    monkeypatch.setattr("web.ratelimit.time.time", lambda: now[0])
    return now


@pytest.mark.django_db
def test_verify_uploads_are_rate_limited_per_address_before_the_body_is_read(client, settings, clock):
    settings.ADMISSION_VERIFY_UPLOAD_RATE = "3/600"
    for _ in range(3):
        assert _verify_upload(client, REMOTE_ADDR="203.0.113.7").status_code == 200
    body = files.LazyMultipartBody(field="file", filename="公文.pdf", size=300 * 1024 * 1024)
    limited = _post_lazy(client, reverse("verify_upload"), body, REMOTE_ADDR="203.0.113.7")
    assert limited.status_code == 429
    assert body.read_bytes == 0  # refused before a byte of the body was read
    assert limited["Retry-After"] == "500"  # the window's end
    assert "查验过于频繁：同一网络地址每 10 分钟最多查验 3 次，请 9 分钟后再试。" in limited.content.decode()
    assert _verify_upload(client, REMOTE_ADDR="203.0.113.8").status_code == 200  # another address is not held up
    assert client.get(reverse("verify_upload"), REMOTE_ADDR="203.0.113.7").status_code == 200  # the blank form is free


@pytest.mark.django_db
def test_verify_rate_limit_window_passes(client, settings, clock):
    settings.ADMISSION_VERIFY_UPLOAD_RATE = "1/60"
    assert _verify_upload(client, REMOTE_ADDR="203.0.113.9").status_code == 200
    assert _verify_upload(client, REMOTE_ADDR="203.0.113.9").status_code == 429
    clock[0] += 60
    assert _verify_upload(client, REMOTE_ADDR="203.0.113.9").status_code == 200


@pytest.mark.django_db
def test_verify_behind_the_proxy_counts_the_address_the_proxy_saw_not_what_the_client_claims(client, settings, clock):
    settings.ADMISSION_VERIFY_UPLOAD_RATE = "2/600"
    settings.ADMISSION_TRUSTED_PROXIES = ["127.0.0.1"]
    # deploy/nginx sets X-Real-IP to the address it saw; X-Forwarded-For carries whatever the client claimed.
    for claimed in ("1.1.1.1", "2.2.2.2"):
        forwarded = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "198.51.100.4", "HTTP_X_FORWARDED_FOR": claimed}
        assert _verify_upload(client, **forwarded).status_code == 200
    assert (
        _verify_upload(
            client, REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="198.51.100.4", HTTP_X_FORWARDED_FOR="3.3.3.3"
        ).status_code
        == 429
    )
    assert _verify_upload(client, REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="198.51.100.5").status_code == 200
    # From a peer that is not our proxy the header is ignored: the peer is the address, and it has its own budget.
    assert _verify_upload(client, REMOTE_ADDR="203.0.113.50", HTTP_X_REAL_IP="198.51.100.4").status_code == 200


@pytest.mark.django_db
def test_verify_code_lookups_are_rate_limited_per_address(client, settings, clock):
    settings.ADMISSION_VERIFY_LOOKUP_RATE = "2/600"
    url = reverse("verify_document", args=["ZZZZZZZZZZ"])
    assert client.get(url, REMOTE_ADDR="203.0.113.20").status_code == 404
    assert client.get(url, REMOTE_ADDR="203.0.113.20").status_code == 404
    assert client.get(url, REMOTE_ADDR="203.0.113.20").status_code == 429  # guessing codes is held up too


@pytest.mark.django_db
def test_verify_reads_a_pdf_bomb_within_bounds_and_says_so(client):
    started = time.monotonic()
    response = _verify_upload(client, files.pdf_object_stream_bomb(1024), REMOTE_ADDR="203.0.113.30")
    assert time.monotonic() - started < 20
    assert response.status_code == 200
    assert (
        "文件结构过于庞大或复杂（页数、对象过多或解压后内容过大），无法在限定时间内查验。" in response.content.decode()
    )


def _redis_reachable() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.django_db
@pytest.mark.skipif(not _redis_reachable(), reason="needs the Redis server on 127.0.0.1:6379")
def test_verify_counts_in_redis_so_every_web_process_shares_one_budget(client, settings, clock):
    import uuid

    import redis

    prefix = f"admission-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": prefix,
        }
    }
    settings.ADMISSION_VERIFY_UPLOAD_RATE = "2/600"
    server = redis.Redis.from_url("redis://127.0.0.1:6379/15")
    try:
        assert _verify_upload(client, REMOTE_ADDR="203.0.113.60").status_code == 200
        assert _verify_upload(client, REMOTE_ADDR="203.0.113.60").status_code == 200
        # The count is in Redis, where another web process reads the same number, not in this process's memory.
        keys = server.keys(f"{prefix}:*ratelimit:verify-upload:203.0.113.60:*")
        assert len(keys) == 1 and int(server.get(keys[0])) == 2
        assert _verify_upload(client, REMOTE_ADDR="203.0.113.60").status_code == 429
    finally:
        for key in server.scan_iter(f"{prefix}:*"):
            server.delete(key)


@pytest.mark.django_db
def test_verify_keeps_its_limit_when_the_shared_counter_is_down(client, settings, clock):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    settings.ADMISSION_VERIFY_UPLOAD_RATE = "1/600"
    assert _verify_upload(client, REMOTE_ADDR="203.0.113.61").status_code == 200
    assert _verify_upload(client, REMOTE_ADDR="203.0.113.61").status_code == 429  # counted in the process instead
