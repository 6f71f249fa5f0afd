"""等保2.0 入侵防范 / 数据保密性: a strict Content-Security-Policy with no inline script or style, a
Permissions-Policy, and nothing a signed-in user sees (or any file handed out) kept in a cache."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests import support

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.I)


def _policy(response) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";") if part.strip())


def test_every_page_carries_a_strict_content_security_policy(client, banner):
    client.force_login(banner.users["forestry"])
    policy = _policy(client.get(reverse("admission:request_create")))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'" and policy["base-uri"] == "'none'"
    assert "unsafe-inline" not in str(policy) and "unsafe-eval" not in str(policy)


@pytest.mark.parametrize(
    ("user", "page"),
    [
        ("forestry", "admission:request_create"),
        ("forestry", "admission:request_list"),
        ("office", "workflows:queue"),
        ("office", "workflows:inbox"),
        ("office", "admission:dashboard"),
        ("naji", "admission:duty_list"),
        ("naji", "admission:report_list"),
        ("office", "admission:document_list"),
    ],
)
def test_pages_hold_no_inline_script_handler_or_style(client, banner, user, page):
    support.to_under_review(banner)
    client.force_login(banner.users[user])
    response = client.get(reverse(page))
    assert response.status_code == 200
    body = response.content.decode()
    assert not INLINE_SCRIPT.search(body) and not INLINE_HANDLER.search(body) and not STYLE_ATTRIBUTE.search(body)


def test_the_case_page_holds_no_inline_script_or_style(client, banner):
    duty_request = support.to_under_review(banner)
    client.force_login(banner.users["office"])
    body = client.get(reverse("admission:request_detail", args=[duty_request.pk])).content.decode()
    assert not INLINE_SCRIPT.search(body) and not INLINE_HANDLER.search(body) and not STYLE_ATTRIBUTE.search(body)


def test_signed_in_pages_and_downloads_are_never_cached(client, banner):
    duty_request = support.to_under_review(banner)
    anonymous = client.get(reverse("login"))
    assert "Permissions-Policy" in anonymous and "camera=()" in anonymous["Permissions-Policy"]
    client.force_login(banner.users["office"])
    for response in (
        client.get(reverse("workflows:queue")),
        client.get(reverse("admission:attachment_download", args=[duty_request.attachments.first().pk])),
        client.get(reverse("admission:duty_list"), {"format": "xlsx"}),
    ):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
        assert "camera=()" in response["Permissions-Policy"]
