from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class KeptUpload(models.Model):
    """A file chosen on a form that came back with an error, kept for the same person's next submit (a browser
    cannot fill a file input again). It passed the upload checks; it is dropped once used, and after a day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(_("类型"), max_length=100)
    data = models.BinaryField(_("内容"))
    created_at = models.DateTimeField(_("保留时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("暂存的上传文件")
        verbose_name_plural = _("暂存的上传文件")

    def __str__(self) -> str:
        return self.name
