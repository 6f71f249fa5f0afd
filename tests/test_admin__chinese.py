"""The admin speaks Chinese (issue 13 part 8): no English headings, and no Viewflow rows to edit past the audit."""

import re

from django.urls import reverse


def test_the_admin_index_has_chinese_headings_and_no_engine_tables(client, banner, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x")
    client.force_login(root)
    body = client.get(reverse("admin:index"), follow=True).content.decode()
    visible = re.sub(
        r'<thead class="visually-hidden">.*?</thead>', "", body, flags=re.S
    )  # Django's own, for screen readers
    text = re.sub(r"<[^>]+>", " ", visible)
    assert "乡镇职责准入 · 管理后台" in text
    assert not re.findall(r"\b(?:Django|Workflow|Process list|Tasks)\b", text)
    assert "/admin/viewflow/" not in body
