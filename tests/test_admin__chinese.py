"""The admin speaks Chinese (issue 13 part 8): no English headings, and no Viewflow rows to edit past the audit."""

import re

from django.urls import reverse


def test_the_admin_index_has_chinese_headings_and_no_engine_tables(client, banner, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x")
    client.force_login(root)
    body = client.get(reverse("admin:index"), follow=True).content.decode()
    text = re.sub(r"<[^>]+>", " ", body)
    assert "乡镇职责准入 · 管理后台" in text
    assert not re.findall(r"\b(?:Django|Workflow|Process list|Tasks)\b", text)
    assert "/admin/viewflow/" not in body


def test_the_admin_index_column_headings_for_screen_readers_are_chinese(client, banner, django_user_model):
    """Django 5.2's zh_Hans catalogue lacks the three hidden headings of admin/app_list.html; locale/zh_Hans has them
    (compiled by `make messages` and tests/conftest.py like the English catalogue)."""
    root = django_user_model.objects.create_superuser("root", password="x")
    client.force_login(root)
    body = client.get(reverse("admin:index"), follow=True).content.decode()
    hidden = re.search(r'<thead class="visually-hidden">(.*?)</thead>', body, flags=re.S)
    assert hidden is not None
    headings = re.findall(r"<th[^>]*>(.*?)</th>", hidden.group(1))
    assert headings == ["名称", "增加链接", "修改或查看列表链接"]
